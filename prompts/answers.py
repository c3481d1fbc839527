"""What a candidate may submit for an item, per task type (validated at the edge, graded in ``scoring``)."""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Label = Annotated[str, Field(min_length=1, max_length=64)]


class AnswerBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flagged_ambiguous: bool = False
    note: str | None = Field(default=None, max_length=4000)
    confidence: float | None = Field(default=None, ge=0, le=1)

    def flag_note(self) -> str:
        """The ambiguity note, trimmed; empty when there is none."""
        return (self.note or "").strip()


class ClassificationAnswer(AnswerBase):
    type: Literal["text_classification"] = "text_classification"
    label: Label | None = None


class SpanAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    type: Label

    @model_validator(mode="after")
    def _ordered(self) -> SpanAnswer:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be greater than start ({self.start})")
        return self


class NerAnswer(AnswerBase):
    type: Literal["ner"] = "ner"
    spans: list[SpanAnswer] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _no_overlap(self) -> NerAnswer:
        ordered = sorted(self.spans, key=lambda s: (s.start, s.end))
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                raise ValueError(
                    f"spans [{before.start}, {before.end}) and [{after.start}, {after.end}) overlap; a token has one entity"
                )
        return self


class BoxAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(gt=0)
    h: float = Field(gt=0)


class ImageAnswer(AnswerBase):
    type: Literal["image_labels"] = "image_labels"
    image_class: Label | None = None
    boxes: list[BoxAnswer] = Field(default_factory=list, max_length=200)


class AttentionAnswer(AnswerBase):
    type: Literal["attention_to_detail"] = "attention_to_detail"
    discrepancies: list[Label] = Field(default_factory=list, max_length=200)


class InstructionAnswer(AnswerBase):
    type: Literal["instruction_following"] = "instruction_following"
    text: str = Field(default="", max_length=20_000)


class PairAnswer(AnswerBase):
    type: Literal["llm_evaluation"] = "llm_evaluation"
    preference: Literal["A", "B", "tie"] | None = None
    ratings_a: dict[Label, int] = Field(default_factory=dict)
    ratings_b: dict[Label, int] = Field(default_factory=dict)
    justification: str = Field(default="", max_length=20_000)


Answer = Annotated[
    ClassificationAnswer | NerAnswer | ImageAnswer | AttentionAnswer | InstructionAnswer | PairAnswer,
    Field(discriminator="type"),
]
