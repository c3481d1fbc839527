"""Plain-text renderings of a candidate's answer and of an item's ground truth, side by side on the reviewer's
page. Staff-only: nothing here is ever sent to a candidate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from prompts.answers import (
    Answer,
    AttentionAnswer,
    ClassificationAnswer,
    ImageAnswer,
    InstructionAnswer,
    NerAnswer,
    PairAnswer,
)
from prompts.taskpack import (
    AttentionItem,
    ClassificationItem,
    ImageItem,
    InstructionItem,
    NerItem,
    PairItem,
    Task,
    TaskItem,
)

_ANSWER: TypeAdapter[Any] = TypeAdapter(Answer)


def _spans(tokens: Sequence[str], spans: Sequence[Any]) -> str:
    ordered = sorted(spans, key=lambda s: s.start)
    return "; ".join(f"{' '.join(tokens[s.start : s.end])} = {s.type}" for s in ordered) or "no entities"


def _boxes(boxes: Sequence[Any]) -> str:
    return "; ".join(f"{b.label} at ({b.x:.0f}, {b.y:.0f}) {b.w:.0f}×{b.h:.0f}" for b in boxes) or "no boxes"


def _ratings(ratings: dict[str, int]) -> str:
    return ", ".join(f"{dim} {value}" for dim, value in ratings.items()) or "not rated"


def truth_text(item: TaskItem) -> str:
    """The item's ground truth in one line."""
    if isinstance(item, ClassificationItem):
        truth = item.ground_truth
        return f"{truth.label}" + (f" (clause {truth.clause})" if truth.clause else "")
    if isinstance(item, NerItem):
        return _spans(item.tokens(), item.ground_truth.spans)
    if isinstance(item, ImageItem):
        return f"class {item.ground_truth.image_class}; {_boxes(item.ground_truth.boxes)}"
    if isinstance(item, AttentionItem):
        return ", ".join(item.ground_truth.discrepancies) or "nothing differs"
    if isinstance(item, InstructionItem):
        return item.ground_truth.reference_answer or "(checks only)"
    assert isinstance(item, PairItem)
    pair = item.ground_truth
    return f"prefers {pair.preference}; A: {_ratings(pair.ratings_a)}; B: {_ratings(pair.ratings_b)}"


def answer_text(item: TaskItem, value: dict[str, Any] | None) -> str:
    """The candidate's stored answer in one line (what they flagged and how sure they were included)."""
    if value is None:
        return "—"
    try:
        answer = _ANSWER.validate_python(value)
    except ValidationError:
        return f"unreadable answer: {value}"
    if isinstance(answer, ClassificationAnswer):
        text = answer.label or "no label"
    elif isinstance(answer, NerAnswer) and isinstance(item, NerItem):
        text = _spans(item.tokens(), answer.spans)
    elif isinstance(answer, ImageAnswer):
        text = f"class {answer.image_class or '—'}; {_boxes(answer.boxes)}"
    elif isinstance(answer, AttentionAnswer):
        text = ", ".join(answer.discrepancies) or "nothing differs"
    elif isinstance(answer, InstructionAnswer):
        text = answer.text or "(empty)"
    elif isinstance(answer, PairAnswer):
        text = (
            f"prefers {answer.preference or '—'}; A: {_ratings(answer.ratings_a)}; B: {_ratings(answer.ratings_b)}; "
            f"justification: “{answer.justification.strip()}”"
        )
    else:
        text = str(value)
    if answer.flagged_ambiguous:
        text += f" · flagged ambiguous: “{answer.flag_note()}”"
    if answer.confidence is not None:
        text += f" · {answer.confidence:.0%} sure"
    return text


def item_rows(task: Task, stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """For each item of a task: its answer and its ground truth as text."""
    return {
        item.id: {"answer": answer_text(item, stored.get(item.id)), "truth": truth_text(item)} for item in task.items
    }
