"""Text classification: each item right or wrong against ground truth (citing the deciding clause), accuracy and
macro-F1 (computed here from counts; scikit-learn is the tests' independent oracle)."""

from __future__ import annotations

from collections.abc import Mapping

from prompts.answers import ClassificationAnswer
from prompts.taskpack import ClassificationItem, TaskPack, TextClassificationTask
from scoring.grading.common import consistency, finish, grade_items
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

    def grade_one(item: ClassificationItem, answer: ClassificationAnswer, points: float) -> ItemGrade:
        expected, clause = item.ground_truth.label, item.ground_truth.clause
        why = f" (clause {clause}: {clauses[clause]})" if clause in clauses else ""
        if answer.label == expected:
            return ItemGrade(item.id, points, points, (f"correct: '{expected}'{why}",))
        detail = f"expected '{expected}'{why}, answered '{answer.label}'"
        if item.ground_truth.rationale:
            detail += f"; {item.ground_truth.rationale}"
        return ItemGrade(item.id, 0.0, points, (detail,))

    grades = grade_items(pack, task, task.items, answers, grade_one, is_blank=lambda a: not a.label)
    truth = [item.ground_truth.label for item in task.items]
    predicted = [(a.label if (a := answers.get(item.id)) is not None else None) or NO_ANSWER for item in task.items]
    metrics = {"accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)}
    metrics["macro_f1"] = macro_f1(truth, predicted, [label.id for label in task.labels])
    same = consistency(task.items, answers, lambda a: a.label)
    return finish(task.id, task.type, grades, answers, metrics, same)
