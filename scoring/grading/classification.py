"""Text classification: each item right or wrong against ground truth (citing the deciding clause), accuracy and
macro-F1 (computed here from counts; scikit-learn is the tests' independent oracle)."""

from __future__ import annotations

from collections.abc import Mapping

from prompts.answers import ClassificationAnswer
from prompts.taskpack import TaskPack, TextClassificationTask
from scoring.grading.common import consistency, finish, flag_credit, unanswered
from scoring.grading.ner import prf
from scoring.grading.result import ItemGrade, TaskGrade

NO_ANSWER = "<none>"


def macro_f1(truth: list[str], predicted: list[str], labels: list[str]) -> float:
    """Unweighted mean of per-label F1 (a label never seen nor predicted scores 0, as in scikit-learn)."""
    scores = []
    for label in labels:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        n_pred, n_gold = predicted.count(label), truth.count(label)
        scores.append(0.0 if n_pred == n_gold == 0 else prf(tp, n_pred, n_gold)[2])
    return sum(scores) / len(scores)


def grade_classification(
    pack: TaskPack, task: TextClassificationTask, answers: Mapping[str, ClassificationAnswer | None]
) -> TaskGrade:
    """Grade every item; unanswered items count as wrong in accuracy and F1."""
    clauses = {c.id: c.text for c in task.clauses}
    grades: list[ItemGrade] = []
    truth, predicted = [], []
    for item in task.items:
        points = pack.item_points(task, item)
        answer = answers.get(item.id)
        expected = item.ground_truth.label
        truth.append(expected)
        predicted.append(answer.label if answer is not None and answer.label else NO_ANSWER)
        flagged = flag_credit(item, answer, points)
        if flagged is not None:
            grades.append(flagged)
            continue
        if answer is None or not answer.label:
            grades.append(unanswered(item.id, points))
            continue
        clause = item.ground_truth.clause
        why = f" (clause {clause}: {clauses[clause]})" if clause in clauses else ""
        if answer.label == expected:
            grades.append(ItemGrade(item.id, points, points, (f"correct: '{expected}'{why}",)))
        else:
            detail = f"expected '{expected}'{why}, answered '{answer.label}'"
            if item.ground_truth.rationale:
                detail += f"; {item.ground_truth.rationale}"
            grades.append(ItemGrade(item.id, 0.0, points, (detail,)))
    metrics = {"accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)}
    metrics["macro_f1"] = macro_f1(truth, predicted, [label.id for label in task.labels])
    same = consistency(task.items, answers, lambda a: a.label)
    return finish(task.id, task.type, grades, answers, metrics, same)
