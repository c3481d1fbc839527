"""Grading results: per item and per task, with details an employer can read and a reviewer can check."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemGrade:
    """One item's score with the reasons, in plain language."""

    item_id: str
    score: float
    max_score: float
    details: tuple[str, ...] = ()
    answered: bool = True

    @property
    def fraction(self) -> float:
        """Score as a share of the maximum (0..1)."""
        return self.score / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class TaskGrade:
    """A task's total, its items, and task-level measures (accuracy, F1, IoU, Brier, consistency…)."""

    task_id: str
    task_type: str
    items: tuple[ItemGrade, ...]
    metrics: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        """Points earned."""
        return sum(i.score for i in self.items)

    @property
    def max_score(self) -> float:
        """Points available."""
        return sum(i.max_score for i in self.items)

    @property
    def fraction(self) -> float:
        """Score as a share of the maximum (0..1)."""
        return self.score / self.max_score if self.max_score else 0.0
