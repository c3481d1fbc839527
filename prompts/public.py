"""What a candidate may see of a script or a pack: explicit public models, never ground truth.

Every field is copied by name; nothing is dumped from the authoring models, so a field added to
them later stays server-side until it is added here on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from prompts.randomize import PackOrder
from prompts.script import InterviewScript
from prompts.taskpack import (
    AttentionItem,
    ClassificationItem,
    ImageItem,
    ImageLabelsTask,
    InstructionItem,
    LlmEvaluationTask,
    NerItem,
    NerTask,
    Task,
    TaskItem,
    TaskPack,
    TextClassificationTask,
)

AssetUrl = Callable[[str, str], str]


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class PublicOption(_Public):
    id: str
    description: str


class PublicField(_Public):
    name: str
    source: str
    copy_value: str


class PublicAsset(_Public):
    url: str
    media_type: str
    width: int | None
    height: int | None
    alt: str | None


class PublicItem(_Public):
    """One item with only what the candidate needs to answer it."""

    id: str
    points: float
    may_flag_ambiguous: bool
    instruction: str | None = None
    input: str | None = None
    prompt: str | None = None
    text: str | None = None
    tokens: list[str] | None = None
    fields: list[PublicField] | None = None
    asset: PublicAsset | None = None
    response_a: str | None = None
    response_b: str | None = None


class PublicTask(_Public):
    id: str
    type: Literal[
        "instruction_following",
        "attention_to_detail",
        "text_classification",
        "ner",
        "image_labels",
        "llm_evaluation",
    ]
    title: str
    guideline: str
    clauses: list[PublicOption]
    time_limit_s: int | None
    options: list[PublicOption] = []
    entity_types: list[PublicOption] = []
    box_labels: list[str] = []
    dimensions: list[str] = []
    rating_scale: int | None = None
    min_justification_words: int | None = None
    items: list[PublicItem]


class PublicPack(_Public):
    id: str
    title: str
    description: str | None
    time_limit_s: int
    task_count: int
    item_count: int
    tasks: list[PublicTask]


class PublicScript(_Public):
    """An interview's shape without its questions' look-fors, rules or weights."""

    title: str
    role: str
    question_count: int
    estimated_minutes: int
    opening: str


def public_script(script: InterviewScript) -> PublicScript:
    """Summary a candidate sees before the interview starts."""
    return PublicScript(
        title=script.title,
        role=script.role,
        question_count=len(script.questions()),
        estimated_minutes=max(1, round(script.total_time_budget_s / 60)),
        opening=script.opening,
    )


def _public_item(task: Task, item: TaskItem, points: float, asset_url: AssetUrl) -> PublicItem:
    common = PublicItem(id=item.id, points=points, may_flag_ambiguous=item.may_flag_ambiguous)
    if isinstance(item, InstructionItem):
        return common.model_copy(update={"instruction": item.instruction, "input": item.input})
    if isinstance(item, AttentionItem):
        fields = [PublicField(name=f.name, source=f.source, copy_value=f.copy_value) for f in item.fields]
        return common.model_copy(update={"prompt": item.prompt, "fields": fields})
    if isinstance(item, ClassificationItem):
        return common.model_copy(update={"text": item.text})
    if isinstance(item, NerItem):
        return common.model_copy(update={"text": item.text, "tokens": item.tokens()})
    if isinstance(item, ImageItem):
        asset = PublicAsset(
            url=asset_url(task.id, item.id),
            media_type=item.asset.media_type,
            width=item.asset.width,
            height=item.asset.height,
            alt=item.asset.alt,
        )
        return common.model_copy(update={"prompt": item.prompt, "asset": asset})
    return common.model_copy(
        update={"prompt": item.prompt, "response_a": item.response_a, "response_b": item.response_b}
    )


def _public_items(task: Task, pack: TaskPack, item_order: tuple[str, ...], asset_url: AssetUrl) -> list[PublicItem]:
    by_id: dict[str, TaskItem] = {item.id: item for item in task.items}
    return [
        _public_item(task, by_id[item_id], pack.item_points(task, by_id[item_id]), asset_url) for item_id in item_order
    ]


def public_pack(pack: TaskPack, order: PackOrder, asset_url: AssetUrl) -> PublicPack:
    """The pack as this candidate sees it: their order, public fields only."""
    by_id = {task.id: task for task in pack.tasks}
    tasks: list[PublicTask] = []
    for task_order in order.tasks:
        task = by_id[task_order.task_id]
        options: list[PublicOption] = []
        if isinstance(task, TextClassificationTask | ImageLabelsTask):
            source = task.labels if isinstance(task, TextClassificationTask) else task.classes
            by_option = {o.id: o for o in source}
            options = [PublicOption(id=o, description=by_option[o].description) for o in task_order.option_ids]
        tasks.append(
            PublicTask(
                id=task.id,
                type=task.type,
                title=task.title,
                guideline=task.guideline,
                clauses=[PublicOption(id=c.id, description=c.text) for c in task.clauses],
                time_limit_s=task.time_limit_s,
                options=options,
                entity_types=(
                    [PublicOption(id=e.id, description=e.description) for e in task.entity_types]
                    if isinstance(task, NerTask)
                    else []
                ),
                box_labels=list(task.box_labels) if isinstance(task, ImageLabelsTask) else [],
                dimensions=list(task.dimensions) if isinstance(task, LlmEvaluationTask) else [],
                rating_scale=task.rating_scale if isinstance(task, LlmEvaluationTask) else None,
                min_justification_words=(task.min_justification_words if isinstance(task, LlmEvaluationTask) else None),
                items=_public_items(task, pack, task_order.item_ids, asset_url),
            )
        )
    return PublicPack(
        id=pack.id,
        title=pack.title,
        description=pack.description,
        time_limit_s=pack.time_limit_s,
        task_count=len(tasks),
        item_count=sum(len(t.items) for t in tasks),
        tasks=tasks,
    )
