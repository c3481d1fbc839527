"""Per-invitation order of tasks, items and options, reproducible from a stored seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from prompts.taskpack import ImageLabelsTask, TaskPack, TextClassificationTask


@dataclass(frozen=True)
class TaskOrder:
    """The order one task is shown in: its items and, for choice tasks, its options."""

    task_id: str
    item_ids: tuple[str, ...]
    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class PackOrder:
    """The materialized order of a whole pack for one invitation."""

    seed: int
    tasks: tuple[TaskOrder, ...]

    def task_ids(self) -> list[str]:
        """Task ids in presentation order."""
        return [t.task_id for t in self.tasks]


def _options(task: object) -> list[str]:
    if isinstance(task, TextClassificationTask):
        return [label.id for label in task.labels]
    if isinstance(task, ImageLabelsTask):
        return [c.id for c in task.classes]
    return []


def materialize(pack: TaskPack, seed: int) -> PackOrder:
    """Shuffle what the pack's randomization asks for; the same seed always gives the same order."""
    rng = random.Random(f"{pack.id}:{seed}")
    tasks = list(pack.tasks)
    if pack.randomization.shuffle_tasks:
        rng.shuffle(tasks)
    orders = []
    for task in tasks:
        items = [item.id for item in task.items]
        options = _options(task)
        # Each task gets its own stream so adding a task does not reshuffle the others.
        task_rng = random.Random(f"{pack.id}:{seed}:{task.id}")
        if pack.randomization.shuffle_items:
            task_rng.shuffle(items)
        if pack.randomization.shuffle_options:
            task_rng.shuffle(options)
        orders.append(TaskOrder(task.id, tuple(items), tuple(options)))
    return PackOrder(seed, tuple(orders))
