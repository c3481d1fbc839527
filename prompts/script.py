"""Interview script schema: sections, questions, look-fors, follow-up rules and time budgets."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

BUILTIN_DIMENSIONS = ("communication", "role_fit", "process_maturity")

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LookFor(_Strict):
    """Something a strong answer mentions; scored by phrase match and, when the sentence embedding model is
    installed, by how close an answer sentence comes in meaning to one of the ``examples``; weighted."""

    id: Identifier
    description: Text
    weight: float = Field(default=1.0, gt=0, le=10)
    phrases: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    # Sentences a strong answer might contain, in a candidate's own words: a rubric, never read aloud.
    examples: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list, max_length=10)


class TooShortRule(_Strict):
    """Follow up when the answer has fewer than ``max_words`` words."""

    when: Literal["too_short"]
    max_words: int = Field(gt=0, le=500)
    text: Text


class NoConcreteExampleRule(_Strict):
    """Follow up when the answer names no number, tool or process."""

    when: Literal["no_concrete_example"]
    text: Text


class OffTopicRule(_Strict):
    """Follow up when look-for coverage is below ``min_coverage``."""

    when: Literal["off_topic"]
    min_coverage: float = Field(default=0.2, ge=0, le=1)
    text: Text


class DontKnowRule(_Strict):
    """Follow up when the candidate says they do not know."""

    when: Literal["dont_know"]
    text: Text


FollowUpRule = Annotated[
    TooShortRule | NoConcreteExampleRule | OffTopicRule | DontKnowRule, Field(discriminator="when")
]

FOLLOW_UP_KINDS: tuple[str, ...] = tuple(
    get_args(cls.model_fields["when"].annotation)[0]
    for cls in (TooShortRule, NoConcreteExampleRule, OffTopicRule, DontKnowRule)
)
"""Every follow-up rule's tag."""


class ExpectedLength(_Strict):
    """How long a complete answer usually is, in words; the turn detector uses it."""

    min_words: int = Field(default=15, ge=0)
    max_words: int = Field(default=200, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ExpectedLength:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        return self


class Question(_Strict):
    """One scripted question and how to probe it."""

    id: Identifier
    prompt: Text
    clarification: Text | None = None
    dimension: Identifier
    look_fors: list[LookFor] = Field(default_factory=list)
    follow_ups: list[FollowUpRule] = Field(default_factory=list)
    max_follow_ups: int = Field(default=1, ge=0, le=5)
    time_budget_s: int = Field(default=120, gt=0, le=1800)
    expected_length: ExpectedLength = Field(default_factory=ExpectedLength)


class Section(_Strict):
    """A group of questions with a title."""

    id: Identifier
    title: Text
    questions: list[Question] = Field(min_length=1)


class InterviewScript(_Strict):
    """A structured interview an employer runs through the GAIA agent."""

    kind: Literal["interview_script"] = "interview_script"
    id: Identifier
    title: Text
    role: Text
    language: Literal["en"] = "en"
    opening: Text
    closing: Text
    task_pack: Identifier | None = None
    total_time_budget_s: int = Field(default=1800, gt=0, le=7200)
    custom_dimensions: list[Identifier] = Field(default_factory=list)
    dimension_weights: dict[str, float] = Field(
        default_factory=lambda: {"communication": 1.0, "role_fit": 1.0, "process_maturity": 1.0}
    )
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> list[Question]:
        """Every question in script order."""
        return [q for section in self.sections for q in section.questions]

    def dimensions(self) -> list[str]:
        """Built-in plus custom dimensions, in a stable order."""
        return [*BUILTIN_DIMENSIONS, *self.custom_dimensions]
