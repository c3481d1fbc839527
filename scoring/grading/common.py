"""What every grader shares: credit for a justified ambiguity flag, consistency over duplicates, calibration."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from prompts.answers import AnswerBase
from prompts.taskpack import ItemBase, TaskBase, TaskPack
from scoring.grading.result import ItemGrade, TaskGrade

A = TypeVar("A", bound=AnswerBase)
I = TypeVar("I", bound=ItemBase)  # noqa: E741


def flag_credit(item: ItemBase, answer: AnswerBase | None, points: float) -> ItemGrade | None:
    """Full credit when the item may be flagged and the candidate flagged it with a note; else None."""
    if answer is None or not answer.flagged_ambiguous:
        return None
    if not item.may_flag_ambiguous:
        return None
    if not answer.flag_note():
        return ItemGrade(item.id, 0.0, points, ("flagged as ambiguous without a note: a flag needs its reason",))
    return ItemGrade(
        item.id, points, points, (f"flagged as ambiguous with a note, which this item allows: “{answer.flag_note()}”",)
    )


def unanswered(item_id: str, points: float) -> ItemGrade:
    """No answer: zero, and said so."""
    return ItemGrade(item_id, 0.0, points, ("not answered",), answered=False)


def grade_items(
    pack: TaskPack,
    task: TaskBase,
    items: Sequence[I],
    answers: Mapping[str, A | None],
    grade_one: Callable[[I, A, float], ItemGrade],
    is_blank: Callable[[A], bool] = lambda _answer: False,
) -> list[ItemGrade]:
    """Every item's grade: credit for a justified ambiguity flag, 'not answered' for a missing or blank
    answer, and ``grade_one(item, answer, points)`` for the rest."""
    grades = []
    for item in items:
        points = pack.item_points(task, item)
        answer = answers.get(item.id)
        flagged = flag_credit(item, answer, points)
        if flagged is not None:
            grades.append(flagged)
        elif answer is None or is_blank(answer):
            grades.append(unanswered(item.id, points))
        else:
            grades.append(grade_one(item, answer, points))
    return grades


def consistency(
    items: Sequence[ItemBase], answers: Mapping[str, Any], key: Callable[[Any], object]
) -> tuple[float | None, list[str]]:
    """Share of near-duplicate pairs answered the same way, with a note per inconsistent pair."""
    pairs = [(item.duplicate_of, item.id) for item in items if item.duplicate_of is not None]
    checked, same, notes = 0, 0, []
    for original, duplicate in pairs:
        first, second = answers.get(original), answers.get(duplicate)
        if first is None or second is None:
            continue
        checked += 1
        if key(first) == key(second):
            same += 1
        else:
            notes.append(f"items {original} and {duplicate} say the same thing but were answered differently")
    return (same / checked if checked else None), notes


def brier(grades: Sequence[ItemGrade], answers: Mapping[str, AnswerBase | None]) -> float | None:
    """Brier score of stated confidence against full correctness (0 is perfect calibration, 1 the worst)."""
    pairs = [
        (answer.confidence, 1.0 if grade.score >= grade.max_score else 0.0)
        for grade in grades
        if (answer := answers.get(grade.item_id)) is not None and answer.confidence is not None
    ]
    if not pairs:
        return None
    return sum((confidence - outcome) ** 2 for confidence, outcome in pairs) / len(pairs)


def finish(
    task_id: str,
    task_type: str,
    grades: list[ItemGrade],
    answers: Mapping[str, AnswerBase | None],
    metrics: dict[str, float],
    consistency_result: tuple[float | None, list[str]] = (None, []),
) -> TaskGrade:
    """Attach the cross-cutting measures and build the task grade."""
    all_metrics = dict(metrics)
    calibration = brier(grades, answers)
    if calibration is not None:
        all_metrics["brier"] = calibration
    share, notes = consistency_result
    if share is not None:
        all_metrics["consistency"] = share
    return TaskGrade(task_id, task_type, tuple(grades), all_metrics, tuple(notes))
