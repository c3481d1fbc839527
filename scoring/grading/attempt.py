"""A whole attempt graded from its stored answers: every task, the total, pass or fail. Pure, so any stored
attempt can be graded again with the same result."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from prompts.answers import Answer
from prompts.taskpack import TaskPack
from scoring.grading import TaskGrade, grade_task

_ANSWER: TypeAdapter[Any] = TypeAdapter(Answer)


def grade_attempt(pack: TaskPack, stored: dict[str, dict[str, dict[str, Any]]], late: set[str]) -> dict[str, Any]:
    """Grades of every task from stored answers; late answers are not graded as on-time (they count as unanswered)."""
    tasks: dict[str, Any] = {}
    total = maximum = 0.0
    for task in pack.tasks:
        answers = {
            item_id: _ANSWER.validate_python(value)
            for item_id, value in stored.get(task.id, {}).items()
            if f"{task.id}/{item_id}" not in late
        }
        grade: TaskGrade = grade_task(pack, task, answers)
        total, maximum = total + grade.score, maximum + grade.max_score
        tasks[task.id] = {
            "type": task.type,
            "score": grade.score,
            "max_score": grade.max_score,
            "fraction": grade.fraction,
            "passed": grade.fraction >= pack.pass_score,
            "metrics": grade.metrics,
            "notes": list(grade.notes),
            "items": [
                {
                    "item_id": g.item_id,
                    "score": g.score,
                    "max_score": g.max_score,
                    "answered": g.answered,
                    "details": list(g.details),
                }
                for g in grade.items
            ],
        }
    fraction = total / maximum if maximum else 0.0
    return {
        "score": total,
        "max_score": maximum,
        "fraction": fraction,
        "pass_score": pack.pass_score,
        "passed": fraction >= pack.pass_score,
        "late_items": sorted(late),
        "tasks": tasks,
    }
