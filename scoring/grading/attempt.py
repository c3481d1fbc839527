"""A whole attempt graded from its stored answers (and the stored justification evidence): every task, the total,
pass or fail. Pure, so any stored attempt can be graded again with the same result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from prompts.answers import Answer
from prompts.taskpack import TaskPack
from scoring.grading import TaskGrade, grade_task
from scoring.grading.justification import JustificationEvidence

_ANSWER: TypeAdapter[Any] = TypeAdapter(Answer)


def grade_attempt(
    pack: TaskPack,
    stored: dict[str, dict[str, dict[str, Any]]],
    late: set[str],
    justification_evidence: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Grades of every task from stored answers; late answers are not graded as on-time (they count as unanswered).

    ``justification_evidence`` maps "task/item" to stored ``JustificationEvidence`` (similarities, judge outputs) of
    llm_evaluation items; it is returned under "evidence", so grading again from the results reproduces them.
    """
    evidence = {
        key: JustificationEvidence.model_validate(value) for key, value in (justification_evidence or {}).items()
    }
    tasks: dict[str, Any] = {}
    total = maximum = 0.0
    for task in pack.tasks:
        answers = {
            item_id: _ANSWER.validate_python(value)
            for item_id, value in stored.get(task.id, {}).items()
            if f"{task.id}/{item_id}" not in late
        }
        by_item = {k.split("/", 1)[1]: e for k, e in evidence.items() if k.split("/", 1)[0] == task.id}
        grade: TaskGrade = grade_task(pack, task, answers, by_item)
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
    results: dict[str, Any] = {
        "score": total,
        "max_score": maximum,
        "fraction": fraction,
        "pass_score": pack.pass_score,
        "passed": fraction >= pack.pass_score,
        "late_items": sorted(late),
        "tasks": tasks,
    }
    if justification_evidence is not None:
        results["evidence"] = {key: e.model_dump(mode="json") for key, e in sorted(evidence.items())}
    return results
