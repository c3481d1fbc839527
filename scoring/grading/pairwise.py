"""LLM evaluation (pairwise A/B): the preference, the per-dimension ratings within tolerance, and the written
justification scored against its rubric points by phrase look-fors (the embedded, offline scorer)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from prompts.answers import PairAnswer
from prompts.taskpack import LlmEvaluationTask, PairItem, TaskPack
from scoring.grading.common import finish, grade_items
from scoring.grading.result import ItemGrade, TaskGrade

WEIGHTS = {"preference": 0.5, "ratings": 0.25, "justification": 0.25}


def justification_credit(item: PairItem, text: str, min_words: int) -> tuple[float, list[str]]:
    """Share of the rubric's weight the justification earns, with the quoted phrase for each point credited."""
    points = item.ground_truth.justification_points
    if not points:
        return 1.0, ["no rubric points for the justification"]
    if len(text.split()) < min_words:
        return 0.0, [f"justification has {len(text.split())} words; at least {min_words} are needed"]
    lowered = text.lower()
    earned, notes = 0.0, []
    for point in points:
        hit = next((p for p in point.phrases if re.search(rf"\b{re.escape(p.lower())}", lowered)), None)
        if hit is not None:
            earned += point.weight
            notes.append(f"credited “{point.description}” (mentions “{hit}”)")
        else:
            notes.append(f"not found: {point.description}")
    return earned / sum(p.weight for p in points), notes


def grade_pairwise(pack: TaskPack, task: LlmEvaluationTask, answers: Mapping[str, PairAnswer | None]) -> TaskGrade:
    """Item score = points × (½ preference + ¼ ratings within tolerance + ¼ justification)."""

    def grade_one(item: PairItem, answer: PairAnswer, points: float) -> ItemGrade:
        truth = item.ground_truth
        preference_ok = answer.preference == truth.preference
        details = [
            f"preferred {answer.preference}" + (" (agrees)" if preference_ok else f"; expected {truth.preference}")
        ]
        checks = []
        for side, expected, given in (
            ("A", truth.ratings_a, answer.ratings_a),
            ("B", truth.ratings_b, answer.ratings_b),
        ):
            for dim, value in expected.items():
                got = given.get(dim)
                ok = got is not None and abs(got - value) <= truth.rating_tolerance
                checks.append(ok)
                if not ok:
                    details.append(
                        f"{dim} of {side}: rated {got if got is not None else '—'}, expected {value} ± {truth.rating_tolerance}"
                    )
        ratings = sum(checks) / len(checks) if checks else 1.0
        justification, notes = justification_credit(item, answer.justification, task.min_justification_words)
        details += notes
        share = (
            WEIGHTS["preference"] * preference_ok
            + WEIGHTS["ratings"] * ratings
            + WEIGHTS["justification"] * justification
        )
        return ItemGrade(item.id, points * share, points, tuple(details))

    grades = grade_items(pack, task, task.items, answers, grade_one, is_blank=lambda a: a.preference is None)
    agree = sum(
        1
        for item in task.items
        if (a := answers.get(item.id)) is not None and a.preference == item.ground_truth.preference
    )
    return finish(task.id, task.type, grades, answers, {"preference_agreement": agree / len(task.items)})
