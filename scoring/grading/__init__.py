"""Graders, one module per task type: pure functions from a task and the candidate's answers to a TaskGrade."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prompts.taskpack import (
    AttentionToDetailTask,
    ImageLabelsTask,
    InstructionFollowingTask,
    LlmEvaluationTask,
    NerTask,
    Task,
    TaskPack,
    TextClassificationTask,
)
from scoring.grading.attention import grade_attention
from scoring.grading.classification import grade_classification
from scoring.grading.image import grade_images
from scoring.grading.instructions import grade_instructions
from scoring.grading.justification import JustificationEvidence
from scoring.grading.ner import grade_ner
from scoring.grading.pairwise import grade_pairwise
from scoring.grading.result import ItemGrade, TaskGrade

__all__ = ["ItemGrade", "TaskGrade", "grade_task"]


def grade_task(
    pack: TaskPack,
    task: Task,
    answers: Mapping[str, Any],
    evidence: Mapping[str, JustificationEvidence] | None = None,
) -> TaskGrade:
    """Grade one task; ``answers`` maps item ids to that task type's answer model (missing = unanswered).

    ``evidence`` (item id -> stored similarities and judge verdicts) is used by the llm_evaluation grader only.
    An answer of another task type is a caller error and raises TypeError.
    """
    expected_type = task.type
    for item_id, answer in answers.items():
        if answer is not None and getattr(answer, "type", None) != expected_type:
            raise TypeError(
                f"answer for {task.id}/{item_id} is a {getattr(answer, 'type', type(answer).__name__)} answer, not {expected_type}"
            )
    if isinstance(task, TextClassificationTask):
        return grade_classification(pack, task, answers)
    if isinstance(task, NerTask):
        return grade_ner(pack, task, answers)
    if isinstance(task, ImageLabelsTask):
        return grade_images(pack, task, answers)
    if isinstance(task, AttentionToDetailTask):
        return grade_attention(pack, task, answers)
    if isinstance(task, InstructionFollowingTask):
        return grade_instructions(pack, task, answers)
    if isinstance(task, LlmEvaluationTask):
        return grade_pairwise(pack, task, answers, evidence)
    raise TypeError(f"no grader for task type {expected_type}")
