"""Reference answers built from ground truth: a perfect sheet, for demos, benchmarks and grader tests."""

from __future__ import annotations

from typing import Any

from prompts.answers import (
    AttentionAnswer,
    BoxAnswer,
    ClassificationAnswer,
    ImageAnswer,
    InstructionAnswer,
    NerAnswer,
    PairAnswer,
    SpanAnswer,
)
from prompts.taskpack import (
    AttentionToDetailTask,
    ImageLabelsTask,
    InstructionFollowingTask,
    LlmEvaluationTask,
    NerTask,
    Task,
    TextClassificationTask,
)


def reference_answer(task: Task, item: Any) -> Any:
    """The answer that matches an item's ground truth exactly (a justification that makes every rubric point)."""
    truth = item.ground_truth
    if isinstance(task, TextClassificationTask):
        return ClassificationAnswer(label=truth.label)
    if isinstance(task, NerTask):
        return NerAnswer(spans=[SpanAnswer(start=s.start, end=s.end, type=s.type) for s in truth.spans])
    if isinstance(task, ImageLabelsTask):
        return ImageAnswer(image_class=truth.image_class, boxes=[BoxAnswer(**b.model_dump()) for b in truth.boxes])
    if isinstance(task, AttentionToDetailTask):
        return AttentionAnswer(discrepancies=truth.discrepancies)
    if isinstance(task, InstructionFollowingTask):
        return InstructionAnswer(text=truth.reference_answer or "")
    assert isinstance(task, LlmEvaluationTask)
    phrases = " ".join(p.phrases[0] for p in truth.justification_points)
    return PairAnswer(
        preference=truth.preference,
        ratings_a=truth.ratings_a,
        ratings_b=truth.ratings_b,
        justification=f"I chose this because {phrases}; "
        + "the reasoning is checked against each claim carefully. " * 3,
    )
