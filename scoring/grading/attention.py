"""Attention to detail: the fields a candidate marks as different, scored by set overlap (Jaccard)."""

from __future__ import annotations

from collections.abc import Mapping

from prompts.answers import AttentionAnswer
from prompts.taskpack import AttentionToDetailTask, TaskPack
from scoring.grading.common import finish, flag_credit, unanswered
from scoring.grading.result import ItemGrade, TaskGrade


def grade_attention(
    pack: TaskPack, task: AttentionToDetailTask, answers: Mapping[str, AttentionAnswer | None]
) -> TaskGrade:
    """Item score = points × |marked ∩ true| / |marked ∪ true| (1 when both are empty)."""
    grades: list[ItemGrade] = []
    found = total = false_marks = 0
    for item in task.items:
        points = pack.item_points(task, item)
        answer = answers.get(item.id)
        flagged = flag_credit(item, answer, points)
        if flagged is not None:
            grades.append(flagged)
            continue
        truth = set(item.ground_truth.discrepancies)
        total += len(truth)
        if answer is None:
            grades.append(unanswered(item.id, points))
            continue
        marked = set(answer.discrepancies)
        found += len(marked & truth)
        false_marks += len(marked - truth)
        union = marked | truth
        overlap = len(marked & truth) / len(union) if union else 1.0
        details = (
            [f"{len(marked & truth)} of {len(truth)} discrepancies found"]
            if truth
            else ["no discrepancies in this record"]
        )
        details += [f"missed: {name}" for name in sorted(truth - marked)]
        details += [f"marked but identical: {name}" for name in sorted(marked - truth)]
        grades.append(ItemGrade(item.id, points * overlap, points, tuple(details)))
    metrics = {"recall": found / total if total else 1.0, "false_marks": float(false_marks)}
    return finish(task.id, task.type, grades, answers, metrics)
