"""Named entities: span-level precision, recall and F1, exact and partial overlap (type-aware), per entity type."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from prompts.answers import NerAnswer
from prompts.taskpack import NerItem, NerTask, TaskPack
from scoring.grading.common import finish, grade_items
from scoring.grading.result import ItemGrade, TaskGrade

Span = tuple[int, int, str]


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1; an empty prediction of an empty gold is perfect."""
    if n_pred == 0 and n_gold == 0:
        return 1.0, 1.0, 1.0
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def partial_matches(gold: set[Span], pred: set[Span]) -> int:
    """Predicted spans that overlap a gold span of the same type, each gold span used at most once."""
    used: set[Span] = set()
    count = 0
    for p in sorted(pred):
        for g in sorted(gold - used):
            if g[2] == p[2] and p[0] < g[1] and g[0] < p[1]:
                used.add(g)
                count += 1
                break
    return count


def _text(tokens: list[str], span: Span) -> str:
    return " ".join(tokens[span[0] : span[1]])


def _spans(item: NerItem) -> set[Span]:
    return {(s.start, s.end, s.type) for s in item.ground_truth.spans}


def grade_ner(pack: TaskPack, task: NerTask, answers: Mapping[str, NerAnswer | None]) -> TaskGrade:
    """Item score = points × exact span F1 of that item; task metrics are micro-averaged over all spans."""

    def grade_one(item: NerItem, answer: NerAnswer, points: float) -> ItemGrade:
        gold, pred = _spans(item), {(s.start, s.end, s.type) for s in answer.spans}
        precision, recall, f1 = prf(len(gold & pred), len(pred), len(gold))
        tokens = item.tokens()
        details = [f"exact span F1 {f1:.2f} (precision {precision:.2f}, recall {recall:.2f})"]
        details += [f"missed {s[2]} “{_text(tokens, s)}”" for s in sorted(gold - pred)]
        details += [f"spurious {s[2]} “{_text(tokens, s)}”" for s in sorted(pred - gold)]
        return ItemGrade(item.id, points * f1, points, tuple(details))

    grades = grade_items(pack, task, task.items, answers, grade_one)
    totals = Counter[str]()
    by_type: dict[str, Counter[str]] = {t.id: Counter() for t in task.entity_types}
    for item in task.items:
        answer = answers.get(item.id)
        gold = _spans(item)
        pred: set[Span] = {(s.start, s.end, s.type) for s in answer.spans} if answer is not None else set()
        totals.update(tp=len(gold & pred), pred=len(pred), gold=len(gold), partial=partial_matches(gold, pred))
        for key, spans in (("gold", gold), ("pred", pred), ("tp", gold & pred)):
            for span in spans:
                by_type.setdefault(span[2], Counter())[key] += 1
    precision, recall, f1 = prf(totals["tp"], totals["pred"], totals["gold"])
    _, _, partial_f1 = prf(totals["partial"], totals["pred"], totals["gold"])
    metrics = {"precision": precision, "recall": recall, "f1": f1, "partial_f1": partial_f1}
    for type_id, counts in by_type.items():
        if counts["gold"] or counts["pred"]:
            metrics[f"f1_{type_id}"] = prf(counts["tp"], counts["pred"], counts["gold"])[2]
    return finish(task.id, task.type, grades, answers, metrics)
