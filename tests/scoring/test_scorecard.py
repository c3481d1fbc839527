"""The scorecard: overall score, recommendation and its reasons; integrity never makes a risk; stored bytes repeat."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts.builtin import builtin_pack
from scoring.grading.attempt import grade_attempt
from scoring.integrity import Indicator, Severity
from scoring.interview import CommunicationMeasures, DimensionScore, InterviewScores, score_interview
from scoring.scorecard import (
    Reason,
    ScorecardPolicy,
    build_scorecard,
    dimension_weights_for,
    work_sample_from_results,
)
from scoring.transcript import Turn, find_quote, turns_from_dicts
from tests.scoring.test_interview import (
    AVERAGE,
    AVERAGE_DELIVERY,
    SCRIPT,
    STRONG,
    STRONG_DELIVERY,
    WEAK,
    WEAK_DELIVERY,
    interview,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
WEIGHTS = SCRIPT.dimension_weights


def _results(tasks: dict[str, tuple[float, float]], pass_score: float = 0.7) -> dict[str, Any]:
    """grade_attempt's shape from (score, max_score) per task."""
    graded = {
        task_id: {
            "type": "text_classification",
            "score": score,
            "max_score": maximum,
            "fraction": score / maximum,
            "passed": score / maximum >= pass_score,
            "metrics": {},
            "notes": [],
            "items": [],
        }
        for task_id, (score, maximum) in tasks.items()
    }
    total, maximum = sum(s for s, _ in tasks.values()), sum(m for _, m in tasks.values())
    return {
        "score": total,
        "max_score": maximum,
        "fraction": total / maximum,
        "pass_score": pass_score,
        "passed": total / maximum >= pass_score,
        "late_items": [],
        "tasks": graded,
    }


def _dimensions(**scores: tuple[float | None, float]) -> InterviewScores:
    """Interview scores with the given (score, confidence) per dimension."""
    return InterviewScores(
        scorer="embedded",
        version="1.0",
        model=None,
        prompt_version=None,
        questions=(),
        dimensions=tuple(DimensionScore(name, s, c, (), ()) for name, (s, c) in scores.items()),
        communication=CommunicationMeasures(0, None, None, None, None, None, None),
    )


def _indicator(severity: Severity, n: int = 0) -> Indicator:
    return Indicator("tab_hidden", "entities", 3, severity, f"3 tab switches (#{n})", T0 + timedelta(seconds=n))


def _scored(answers: dict[str, str], delivery: Any) -> tuple[tuple[Turn, ...], InterviewScores]:
    turns = interview(answers, delivery)
    return turns, score_interview(turns, SCRIPT)


def test_a_strong_candidate_who_passes_the_work_sample_advances() -> None:
    _, scores = _scored(STRONG, STRONG_DELIVERY)
    card = build_scorecard(scores, WEIGHTS, _results({"a": (9, 10), "b": (8, 10)}))
    assert card.recommendation == "advance"
    assert card.overall is not None and card.overall >= 85
    assert card.reasons == (
        Reason("advance", f"overall {card.overall:.0f} ≥ advance 70"),
        Reason("advance", "work sample 85% ≥ pass 70%"),
    )
    assert (card.scorer, card.scorer_version, card.model, card.prompt_version) == ("embedded", "1.0", None, None)


def test_a_weak_candidate_who_fails_the_work_sample_is_a_risk_with_every_reason() -> None:
    _, scores = _scored(WEAK, WEAK_DELIVERY)
    card = build_scorecard(scores, WEIGHTS, _results({"a": (3, 10), "b": (3, 10)}))
    assert card.recommendation == "risk"
    risks = [r.text for r in card.reasons if r.level == "risk"]
    assert "work sample 30% < pass 70%" in risks
    assert any(text.startswith("process maturity 1") and text.endswith("/5") for text in risks)
    assert card.reasons[0].level == "risk"  # the strongest reasons come first


def test_an_average_candidate_is_sent_to_review() -> None:
    _, scores = _scored(AVERAGE, AVERAGE_DELIVERY)
    card = build_scorecard(scores, WEIGHTS, _results({"a": (7, 10), "b": (6, 10)}))
    assert card.recommendation == "review"
    assert "work sample 65% < pass 70%" in [r.text for r in card.reasons]


def test_reasons_read_as_plain_sentences() -> None:
    scores = _dimensions(communication=(2.0, 0.8), role_fit=(4.0, 0.8), process_maturity=(4.0, 0.8))
    indicators = [_indicator("review", 1), _indicator("review", 2), _indicator("info", 3)]
    card = build_scorecard(scores, WEIGHTS, _results({"a": (62, 100)}), indicators)
    assert [r.text for r in card.reasons] == [
        "communication 2/5",
        "work sample 62% < pass 70%",
        "2 integrity indicators ask for review",
        f"overall {card.overall:.0f} < advance 70",
    ]
    one = build_scorecard(scores, WEIGHTS, _results({"a": (62, 100)}), indicators[:1])
    assert "1 integrity indicator asks for review" in [r.text for r in one.reasons]


def test_a_percentage_keeps_a_decimal_when_rounding_would_hide_the_gap() -> None:
    card = build_scorecard(None, WEIGHTS, _results({"a": (696, 1000)}))
    assert "work sample 69.6% < pass 70%" in [r.text for r in card.reasons]


def test_a_very_low_dimension_on_thin_evidence_asks_for_review_not_risk() -> None:
    sure = _dimensions(communication=(1.5, 0.9), role_fit=(4.5, 0.9), process_maturity=(4.5, 0.9))
    unsure = _dimensions(communication=(1.5, 0.2), role_fit=(4.5, 0.9), process_maturity=(4.5, 0.9))
    work = _results({"a": (9, 10)})
    assert build_scorecard(sure, WEIGHTS, work).recommendation == "risk"
    card = build_scorecard(unsure, WEIGHTS, work)
    assert card.recommendation == "review"
    assert "communication 1.5/5 (low confidence 0.20)" in [r.text for r in card.reasons]


def test_missing_parts_ask_for_review_and_never_advance() -> None:
    _, strong = _scored(STRONG, STRONG_DELIVERY)
    no_interview = build_scorecard(None, WEIGHTS, _results({"a": (10, 10)}))
    no_work = build_scorecard(strong, WEIGHTS, None)
    assert (no_interview.recommendation, no_work.recommendation) == ("review", "review")
    assert Reason("review", "no interview scores") in no_interview.reasons
    assert Reason("review", "no work sample results") in no_work.reasons
    assert no_interview.overall == 100.0


def test_work_sample_tasks_count_equally_whatever_their_points() -> None:
    # 10 of 10 points on one task, 0 of 30 on the other: the pack's points say 25%, the two tasks average 50%.
    results = _results({"small": (10, 10), "big": (0, 30)})
    sample = work_sample_from_results(results)
    assert sample.fraction == 0.25 and sample.task_mean() == 0.5
    card = build_scorecard(None, WEIGHTS, results)
    assert card.overall == 50.0
    assert "work sample 25% < pass 70%" in [r.text for r in card.reasons]


def test_real_grade_attempt_results_feed_the_scorecard() -> None:
    pack = builtin_pack()
    results = grade_attempt(pack, {}, set())
    card = build_scorecard(None, WEIGHTS, results)
    assert card.work_sample is not None and len(card.work_sample.tasks) == len(pack.tasks)
    assert Reason("risk", f"work sample 0% < pass {pack.pass_score:.0%}") in card.reasons


def test_the_script_weights_dimensions_and_an_unweighted_custom_one_counts_as_the_average() -> None:
    weights = dimension_weights_for([*WEIGHTS, "safety_judgment"], WEIGHTS)
    assert weights["process_maturity"] == 0.4 and weights["safety_judgment"] == pytest.approx(1 / 3)
    # Only process maturity is high: its 0.4 weight shows in the interview part of the overall.
    scores = _dimensions(communication=(1.0, 1.0), role_fit=(1.0, 1.0), process_maturity=(5.0, 1.0))
    assert build_scorecard(scores, WEIGHTS, None).overall == pytest.approx(40.0)


def _floats(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return [value] if isinstance(value, float) else []


def test_a_recomputation_from_stored_rows_is_byte_identical() -> None:
    turns, _ = _scored(AVERAGE, AVERAGE_DELIVERY)
    # What the server stores: rows as JSON, read back later.
    stored = json.dumps([{**asdict(t), "words": [asdict(w) for w in t.words]} for t in turns])
    results = json.dumps(_results({"a": (7, 10), "b": (2, 3)}))
    cards = [
        build_scorecard(
            score_interview(turns_from_dicts(json.loads(stored)), SCRIPT),
            WEIGHTS,
            json.loads(results),
            [_indicator("review", 1)],
        )
        for _ in range(2)
    ]
    assert cards[0].to_json() == cards[1].to_json()
    assert json.dumps(cards[0].to_dict()) == json.dumps(cards[1].to_dict())  # sorted without sort_keys
    assert list(cards[0].to_dict()) == sorted(cards[0].to_dict())
    assert json.loads(cards[0].to_json()) == cards[0].to_dict()
    assert all(round(f, 4) == f for f in _floats(cards[0].to_dict()))
    assert cards[0].to_dict()["integrity"][0]["first_at"] == "2026-11-25T10:00:01+00:00"


def test_every_evidence_quote_in_a_stored_scorecard_is_in_its_transcript() -> None:
    for answers, delivery in ((STRONG, STRONG_DELIVERY), (AVERAGE, AVERAGE_DELIVERY), (WEAK, WEAK_DELIVERY)):
        turns, scores = _scored(answers, delivery)
        stored = json.loads(build_scorecard(scores, WEIGHTS, _results({"a": (5, 10)})).to_json())
        quotes = [e for d in stored["interview"]["dimensions"] for e in d["evidence"]]
        quotes += [e for q in stored["interview"]["questions"] for e in q["evidence"]]
        assert quotes
        for e in quotes:
            assert find_quote(turns, e["quote"], speaker="candidate") == (e["seq"], e["start_ms"], e["end_ms"])


def test_a_tuned_policy_is_a_new_version() -> None:
    card = build_scorecard(None, WEIGHTS, _results({"a": (9, 10)}), policy=ScorecardPolicy(advance_at=90))
    assert card.version.startswith("1.0+policy.")
    assert build_scorecard(None, WEIGHTS, _results({"a": (9, 10)})).version == "1.0"


_SCORE = st.one_of(st.none(), st.floats(1.0, 5.0))
_CONF = st.floats(0.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(
    dims=st.one_of(st.none(), st.tuples(_SCORE, _CONF, _SCORE, _CONF, _SCORE, _CONF)),
    work=st.one_of(st.none(), st.lists(st.tuples(st.integers(0, 10), st.integers(1, 10)), min_size=1, max_size=6)),
    severities=st.lists(st.sampled_from(list(get_args(Severity))), min_size=1, max_size=8),
)
def test_integrity_indicators_alone_never_make_a_risk_nor_move_the_score(
    dims: tuple[Any, ...] | None, work: list[tuple[int, int]] | None, severities: list[Severity]
) -> None:
    scores = None
    if dims is not None:
        scores = _dimensions(
            communication=(dims[0], dims[1]), role_fit=(dims[2], dims[3]), process_maturity=(dims[4], dims[5])
        )
    results = None
    if work is not None:
        results = _results({f"t{n}": (min(s, m), m) for n, (s, m) in enumerate(work)})
    indicators = [_indicator(severity, n) for n, severity in enumerate(severities)]
    clean = build_scorecard(scores, WEIGHTS, results)
    flagged = build_scorecard(scores, WEIGHTS, results, indicators)
    assert flagged.overall == clean.overall
    assert [r for r in flagged.reasons if r.level == "risk"] == [r for r in clean.reasons if r.level == "risk"]
    assert (flagged.recommendation == "risk") == (clean.recommendation == "risk")
    if "review" in severities and clean.recommendation == "advance":
        assert flagged.recommendation == "review"
    if "review" not in severities:
        assert flagged.recommendation == clean.recommendation
