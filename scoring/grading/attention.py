"""Attention to detail: the fields a candidate marks as different, scored by set overlap (Jaccard)."""

from __future__ import annotations

from collections.abc import Mapping

from prompts.answers import AttentionAnswer
from prompts.taskpack import AttentionItem, AttentionToDetailTask, TaskPack
from scoring.grading.common import finish, grade_items
from scoring.grading.result import ItemGrade, TaskGrade


def grade_attention(
    pack: TaskPack, task: AttentionToDetailTask, answers: Mapping[str, AttentionAnswer | None]
) -> TaskGrade:
    """Item score = points × |marked ∩ true| / |marked ∪ true| (1 when both are empty)."""

    def grade_one(item: AttentionItem, answer: AttentionAnswer, points: float) -> ItemGrade:
        truth, marked = set(item.ground_truth.discrepancies), set(answer.discrepancies)
        union = marked | truth
        overlap = len(marked & truth) / len(union) if union else 1.0
        details = (
            [f"{len(marked & truth)} of {len(truth)} discrepancies found"]
            if truth
            else ["no discrepancies in this record"]
        )
        details += [f"missed: {name}" for name in sorted(truth - marked)]
        details += [f"marked but identical: {name}" for name in sorted(marked - truth)]
        return ItemGrade(item.id, points * overlap, points, tuple(details))

    grades = grade_items(pack, task, task.items, answers, grade_one)
    total = found = false_marks = 0
    for item in task.items:
        truth = set(item.ground_truth.discrepancies)
        marked = set(a.discrepancies) if (a := answers.get(item.id)) is not None else set()
        total, found, false_marks = total + len(truth), found + len(marked & truth), false_marks + len(marked - truth)
    metrics = {"recall": found / total if total else 1.0, "false_marks": float(false_marks)}
    return finish(task.id, task.type, grades, answers, metrics)
