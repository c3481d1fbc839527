"""LLM evaluation (pairwise A/B): the preference, the per-dimension ratings within tolerance, and the written
justification scored against its rubric points (phrase look-fors, plus stored sentence similarities and LLM judge
verdicts when the server computed them; see ``scoring.grading.justification``)."""

from __future__ import annotations

from collections.abc import Mapping

from prompts.answers import PairAnswer
from prompts.taskpack import LlmEvaluationTask, PairItem, TaskPack
from scoring.grading.common import finish, grade_items
from scoring.grading.justification import JustificationEvidence, score_justification
from scoring.grading.result import ItemGrade, TaskGrade

WEIGHTS = {"preference": 0.5, "ratings": 0.25, "justification": 0.25}


def justification_credit(
    item: PairItem, text: str, min_words: int, evidence: JustificationEvidence | None = None
) -> tuple[float, list[str]]:
    """Share of the rubric's weight the justification earns, with the reason for each point credited."""
    scored = score_justification(item, text, min_words, evidence)
    return scored.share, list(scored.details)


def grade_pairwise(
    pack: TaskPack,
    task: LlmEvaluationTask,
    answers: Mapping[str, PairAnswer | None],
    evidence: Mapping[str, JustificationEvidence] | None = None,
) -> TaskGrade:
    """Item score = points × (½ preference + ¼ ratings within tolerance + ¼ justification); ``evidence`` by item id."""
    stored = evidence or {}
    dropped: list[int] = []  # judge credits dropped per item, for the task metric

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
        scored = score_justification(item, answer.justification, task.min_justification_words, stored.get(item.id))
        dropped.append(scored.judge_dropped)
        details += scored.details
        share = (
            WEIGHTS["preference"] * preference_ok
            + WEIGHTS["ratings"] * ratings
            + WEIGHTS["justification"] * scored.share
        )
        return ItemGrade(item.id, points * share, points, tuple(details))

    grades = grade_items(pack, task, task.items, answers, grade_one, is_blank=lambda a: a.preference is None)
    agree = sum(
        1
        for item in task.items
        if (a := answers.get(item.id)) is not None and a.preference == item.ground_truth.preference
    )
    metrics = {"preference_agreement": agree / len(task.items)}
    if any(e.judge is not None for e in stored.values()):
        metrics["judge_unverified_quotes"] = float(sum(dropped))
    return finish(task.id, task.type, grades, answers, metrics)
