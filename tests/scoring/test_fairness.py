"""Selection rates, the four-fifths rule and recommendation/decision agreement, against hand-computed cases and
generated ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.fairness import (
    RECOMMENDATION_TO_DECISION,
    GroupRate,
    four_fifths,
    recommendation_agreement,
    selection_rates,
)

GROUPS = st.sampled_from(["a", "b", "c", "d"])
RECOMMENDATIONS = st.sampled_from(["advance", "review", "risk"])
DECISIONS = st.sampled_from(["advance", "hold", "reject"])


def _rows(group: str, selected: int, total: int) -> list[tuple[str, bool]]:
    return [(group, i < selected) for i in range(total)]


def test_selection_rates_count_each_group_in_name_order() -> None:
    rows = _rows("women", 12, 40) + _rows("men", 48, 80)
    rates = selection_rates(rows)
    assert rates == (GroupRate("men", 48, 80), GroupRate("women", 12, 40))
    assert [r.rate for r in rates] == [0.6, 0.3]


def test_selection_rates_of_nobody_is_empty() -> None:
    assert selection_rates([]) == ()
    assert four_fifths(()) == ()


def test_four_fifths_flags_the_eeoc_example() -> None:
    # The Uniform Guidelines' example: 48 of 80 (60%) against 12 of 40 (30%) gives 0.30 / 0.60 = 0.5 < 0.8.
    by_group = {r.group: r for r in four_fifths(selection_rates(_rows("x", 48, 80) + _rows("y", 12, 40)))}
    assert by_group["x"].ratio == 1.0 and not by_group["x"].below_four_fifths
    assert by_group["y"].ratio == 0.5 and by_group["y"].below_four_fifths
    assert "0.50 of the highest rate (60%, x)" in by_group["y"].sentence
    assert "below four fifths" in by_group["y"].sentence
    assert by_group["y"].note is None and not by_group["y"].small_group


def test_exactly_four_fifths_is_not_below() -> None:
    # 56% against 70%: exactly 0.8, which float division would make 0.8000000000000002 or 0.7999…
    by_group = {r.group: r for r in four_fifths([GroupRate("top", 70, 100), GroupRate("edge", 14, 25)])}
    assert by_group["edge"].ratio == pytest.approx(0.8)
    assert not by_group["edge"].below_four_fifths
    assert "at or above four fifths" in by_group["edge"].sentence


def test_small_group_gets_a_note_that_its_ratio_is_unstable() -> None:
    by_group = {r.group: r for r in four_fifths([GroupRate("big", 10, 20), GroupRate("few", 1, 4)])}
    few = by_group["few"]
    assert few.small_group and few.note is not None and "only 4 people in few" in few.note
    assert few.ratio == 0.5 and few.below_four_fifths
    assert not by_group["big"].small_group


def test_nobody_selected_gives_no_ratio_and_says_why() -> None:
    ratios = four_fifths([GroupRate("a", 0, 6), GroupRate("b", 0, 9)])
    assert [r.ratio for r in ratios] == [None, None]
    assert not any(r.below_four_fifths for r in ratios)
    assert all("nobody in any group was selected" in r.sentence for r in ratios)


@given(st.lists(st.tuples(GROUPS, st.booleans()), min_size=1, max_size=60))
def test_ratios_are_between_0_and_1_and_the_top_group_has_1(rows: list[tuple[str, bool]]) -> None:
    rates = selection_rates(rows)
    assert sum(r.total for r in rates) == len(rows)
    assert sum(r.selected for r in rates) == sum(1 for _, chosen in rows if chosen)
    ratios = four_fifths(rates)
    assert [r.group for r in ratios] == [r.group for r in rates]
    if not any(chosen for _, chosen in rows):
        assert all(r.ratio is None for r in ratios)
        return
    values = [r.ratio for r in ratios]
    assert all(v is not None and 0.0 <= v <= 1.0 for v in values)
    best = max(rates, key=lambda r: r.rate)
    assert {r.group: r.ratio for r in ratios}[best.group] == 1.0
    assert all(r.below_four_fifths == (r.ratio is not None and r.ratio < 0.8 - 1e-12) for r in ratios)


def test_kappa_of_the_textbook_two_by_two() -> None:
    # 50 pairs: 20 both advance, 5 advance/reject, 10 risk/advance, 15 both risk-reject.
    # p_o = 35/50 = 0.7; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    pairs = (
        [("advance", "advance")] * 20
        + [("advance", "reject")] * 5
        + [("risk", "advance")] * 10
        + [("risk", "reject")] * 15
    )
    agreement = recommendation_agreement(pairs)
    assert (agreement.n, agreement.agreed) == (50, 35)
    assert agreement.raw_agreement == pytest.approx(0.7)
    assert agreement.kappa == pytest.approx(0.4)
    assert agreement.reason is None


def test_kappa_of_three_categories_maps_review_to_hold_and_risk_to_reject() -> None:
    # p_o = 4/6; marginals recommendation (2, 2, 2), decision (3, 2, 1): p_e = (6 + 4 + 2) / 36 = 1/3; κ = 0.5.
    pairs = [
        ("advance", "advance"),
        ("advance", "advance"),
        ("review", "hold"),
        ("review", "advance"),
        ("risk", "reject"),
        ("risk", "hold"),
    ]
    agreement = recommendation_agreement(pairs)
    assert (agreement.n, agreement.agreed) == (6, 4)
    assert agreement.kappa == pytest.approx(0.5)


def test_no_pairs_gives_no_kappa_and_a_reason() -> None:
    agreement = recommendation_agreement([])
    assert (agreement.n, agreement.kappa, agreement.raw_agreement) == (0, None, None)
    assert agreement.reason is not None and "no candidate" in agreement.reason


def test_one_category_only_gives_no_kappa_and_a_reason() -> None:
    agreement = recommendation_agreement([("review", "hold")] * 3)
    assert agreement.kappa is None
    assert agreement.raw_agreement == 1.0 and agreement.agreed == 3
    assert agreement.reason is not None and "only one category" in agreement.reason


def test_constant_but_opposite_raters_have_kappa_zero() -> None:
    agreement = recommendation_agreement([("advance", "reject")] * 4)
    assert agreement.kappa == pytest.approx(0.0)
    assert agreement.raw_agreement == 0.0


def test_unknown_labels_are_named() -> None:
    with pytest.raises(ValueError, match=r"pairs\[1\]: decision must be one of advance, hold, reject \(got 'maybe'\)"):
        recommendation_agreement([("advance", "advance"), ("risk", "maybe")])
    with pytest.raises(ValueError, match=r"pairs\[0\]: recommendation must be one of"):
        recommendation_agreement([("hold", "hold")])


@given(st.lists(RECOMMENDATIONS, min_size=1, max_size=40))
def test_identical_labels_with_two_or_more_categories_have_kappa_1(recommendations: list[str]) -> None:
    pairs = [(r, RECOMMENDATION_TO_DECISION[r]) for r in recommendations]
    agreement = recommendation_agreement(pairs)
    assert agreement.raw_agreement == 1.0
    if len(set(recommendations)) >= 2:
        assert agreement.kappa == pytest.approx(1.0)
    else:
        assert agreement.kappa is None and agreement.reason is not None


@given(st.lists(st.tuples(RECOMMENDATIONS, DECISIONS), max_size=40))
def test_agreement_never_crashes_and_kappa_is_at_most_1(pairs: list[tuple[str, str]]) -> None:
    agreement = recommendation_agreement(pairs)
    assert agreement.n == len(pairs)
    assert (agreement.kappa is None) == (agreement.reason is not None)
    if agreement.kappa is not None:
        assert -1.0 - 1e-9 <= agreement.kappa <= 1.0 + 1e-9
