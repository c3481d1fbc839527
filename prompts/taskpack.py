"""Task pack schema: six work-sample task types with items, ground truth, timing and randomization.

Ground truth lives on each item under ``ground_truth`` and nowhere else; candidate payloads are
built from :mod:`prompts.public`, which copies public fields explicitly.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Label = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=20000)]

_TOKEN = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split text into the tokens NER spans index into (words, hyphenated words, punctuation)."""
    return _TOKEN.findall(text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Asset(_Strict):
    """A file an item shows; ``uri`` is relative to the pack file or an https URL."""

    uri: Annotated[str, Field(min_length=1, max_length=2000)]
    media_type: Literal["image/png", "image/jpeg", "image/webp", "audio/wav", "audio/mpeg", "text/plain"]
    size_bytes: int = Field(gt=0, le=50 * 1024 * 1024)
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)
    alt: str | None = None


class GuidelineClause(_Strict):
    """A numbered rule in a task's guideline; ground truth may cite the clause that decides it."""

    id: Identifier
    text: Text


class ItemBase(_Strict):
    id: Identifier
    points: float | None = Field(default=None, gt=0, le=100)
    may_flag_ambiguous: bool = False
    duplicate_of: Identifier | None = None


class TaskBase(_Strict):
    id: Identifier
    title: Text
    guideline: Text
    clauses: list[GuidelineClause] = Field(default_factory=list)
    points_per_item: float = Field(default=1.0, gt=0, le=100)
    time_limit_s: int | None = Field(default=None, gt=0)


# --- instruction following -------------------------------------------------------------------------


class FormatCheck(_Strict):
    """The answer must match a regular expression."""

    check: Literal["format"]
    pattern: Annotated[str, Field(min_length=1)]
    description: Text


class RequiredFieldsCheck(_Strict):
    """The answer must contain each ``name:`` line."""

    check: Literal["required_fields"]
    fields: list[Label] = Field(min_length=1)


class LengthCheck(_Strict):
    """The answer's word count must be within bounds."""

    check: Literal["length"]
    min_words: int = Field(default=0, ge=0)
    max_words: int = Field(gt=0)


class ForbiddenCheck(_Strict):
    """The answer must not contain any of the phrases (case-insensitive)."""

    check: Literal["forbidden"]
    phrases: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


InstructionCheck = Annotated[
    FormatCheck | RequiredFieldsCheck | LengthCheck | ForbiddenCheck, Field(discriminator="check")
]


class InstructionTruth(_Strict):
    """Checks the answer must pass plus an optional reference answer."""

    checks: list[InstructionCheck] = Field(default_factory=list)
    reference_answer: str | None = None
    required_values: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)


class InstructionItem(ItemBase):
    """Do what the instruction says to the input; answered with free text."""

    instruction: Text
    input: Text | None = None
    ground_truth: InstructionTruth


class InstructionFollowingTask(TaskBase):
    type: Literal["instruction_following"]
    items: list[InstructionItem] = Field(min_length=1)


# --- attention to detail ---------------------------------------------------------------------------


class RecordField(_Strict):
    """One field shown side by side: the source value and the transcribed copy."""

    name: Label
    source: str
    copy_value: str = Field(alias="copy")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DiscrepancyTruth(_Strict):
    discrepancies: list[Label]


class AttentionItem(ItemBase):
    """Find the fields where the copy differs from the source."""

    prompt: Text
    fields: list[RecordField] = Field(min_length=2)
    ground_truth: DiscrepancyTruth


class AttentionToDetailTask(TaskBase):
    type: Literal["attention_to_detail"]
    items: list[AttentionItem] = Field(min_length=1)


# --- text classification ---------------------------------------------------------------------------


class LabelOption(_Strict):
    id: Label
    description: Text


class ClassificationTruth(_Strict):
    label: Label
    clause: Identifier | None = None
    rationale: str | None = None


class ClassificationItem(ItemBase):
    text: Text
    ground_truth: ClassificationTruth


class TextClassificationTask(TaskBase):
    type: Literal["text_classification"]
    labels: list[LabelOption] = Field(min_length=2)
    items: list[ClassificationItem] = Field(min_length=1)


# --- named entities --------------------------------------------------------------------------------


class GoldSpan(_Strict):
    """Tokens ``[start, end)`` of the item's text form an entity of ``type``; ``text`` double-checks."""

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    type: Label
    text: str | None = None


class NerTruth(_Strict):
    spans: list[GoldSpan]


class NerItem(ItemBase):
    text: Text
    ground_truth: NerTruth

    def tokens(self) -> list[str]:
        """The item's tokens; spans index into this list."""
        return tokenize(self.text)


class EntityType(_Strict):
    id: Label
    description: Text


class NerTask(TaskBase):
    type: Literal["ner"]
    entity_types: list[EntityType] = Field(min_length=1)
    items: list[NerItem] = Field(min_length=1)


# --- image labels ----------------------------------------------------------------------------------


class Box(_Strict):
    """An axis-aligned box in image pixels."""

    label: Label
    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(gt=0)
    h: float = Field(gt=0)


class ImageTruth(_Strict):
    image_class: Label
    boxes: list[Box] = Field(default_factory=list)


class ImageItem(ItemBase):
    prompt: Text
    asset: Asset
    ground_truth: ImageTruth


class ImageLabelsTask(TaskBase):
    type: Literal["image_labels"]
    classes: list[LabelOption] = Field(min_length=2)
    box_labels: list[Label] = Field(default_factory=list)
    iou_threshold: float = Field(default=0.5, gt=0, le=1)
    items: list[ImageItem] = Field(min_length=1)


# --- LLM evaluation (pairwise preference) ----------------------------------------------------------


class JustificationPoint(_Strict):
    """A point a good justification makes; credited when any phrase (or a paraphrase) appears."""

    id: Identifier
    description: Text
    phrases: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)


class PairTruth(_Strict):
    preference: Literal["A", "B", "tie"]
    ratings_a: dict[Label, int] = Field(default_factory=dict)
    ratings_b: dict[Label, int] = Field(default_factory=dict)
    rating_tolerance: int = Field(default=1, ge=0, le=4)
    justification_points: list[JustificationPoint] = Field(default_factory=list)


class PairItem(ItemBase):
    prompt: Text
    response_a: Text
    response_b: Text
    ground_truth: PairTruth


class LlmEvaluationTask(TaskBase):
    type: Literal["llm_evaluation"]
    dimensions: list[Label] = Field(default_factory=lambda: ["helpfulness", "accuracy", "safety"])
    rating_scale: int = Field(default=5, ge=2, le=10)
    min_justification_words: int = Field(default=20, ge=0)
    items: list[PairItem] = Field(min_length=1)


Task = Annotated[
    InstructionFollowingTask
    | AttentionToDetailTask
    | TextClassificationTask
    | NerTask
    | ImageLabelsTask
    | LlmEvaluationTask,
    Field(discriminator="type"),
]

TASK_TYPES: tuple[str, ...] = tuple(
    get_args(cls.model_fields["type"].annotation)[0]
    for cls in (
        InstructionFollowingTask,
        AttentionToDetailTask,
        TextClassificationTask,
        NerTask,
        ImageLabelsTask,
        LlmEvaluationTask,
    )
)
"""Every task type's tag, in the order the union lists them."""

TaskItem = InstructionItem | AttentionItem | ClassificationItem | NerItem | ImageItem | PairItem


class Randomization(_Strict):
    """What to shuffle; the order is reproducible from the invitation's stored seed."""

    shuffle_tasks: bool = False
    shuffle_items: bool = True
    shuffle_options: bool = True


class TaskPack(_Strict):
    """A set of work samples with timing, pass score and randomization."""

    kind: Literal["task_pack"] = "task_pack"
    id: Identifier
    title: Text
    description: Text | None = None
    time_limit_s: int = Field(default=3600, gt=0, le=6 * 3600)
    pass_score: float = Field(default=0.7, ge=0, le=1)
    randomization: Randomization = Field(default_factory=Randomization)
    tasks: list[Task] = Field(min_length=1)

    def item_points(self, task: TaskBase, item: ItemBase) -> float:
        """Points an item is worth: its own, else the task's default."""
        return item.points if item.points is not None else task.points_per_item
