"""Adverse-impact and agreement measures, pure: selection rates per self-reported group, the four-fifths rule, and
Cohen's kappa between the scorecard's recommendation and the human decision.

Ratios are computed with exact fractions so a group exactly at four fifths is never called "below" by float noise.
Small groups and single-category samples get a plain note instead of a misleading number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from sklearn.metrics import cohen_kappa_score

FOUR_FIFTHS: Final = Fraction(4, 5)
"""The EEOC's rule of thumb: a group selected at under 80% of the highest group's rate shows possible adverse impact."""

SMALL_GROUP: Final = 5
"""Groups with fewer people than this get a note: one person more or less moves their ratio a lot."""

RECOMMENDATION_TO_DECISION: Final = {"advance": "advance", "review": "hold", "risk": "reject"}
"""How a recommendation lines up with a human outcome when counting agreement."""


@dataclass(frozen=True)
class GroupRate:
    """How many people of one group were selected, out of how many."""

    group: str
    selected: int
    total: int

    @property
    def rate(self) -> float:
        """The selection rate, 0 to 1 (0 for an empty group)."""
        return self.selected / self.total if self.total else 0.0

    @property
    def exact(self) -> Fraction:
        """The selection rate as an exact fraction."""
        return Fraction(self.selected, self.total) if self.total else Fraction(0)


@dataclass(frozen=True)
class ImpactRatio:
    """One group's selection rate against the highest group's, under the four-fifths rule."""

    group: str
    selected: int
    total: int
    rate: float
    ratio: float | None  # None when nobody in any group was selected: there is no rate to compare with
    below_four_fifths: bool
    small_group: bool
    sentence: str
    note: str | None


@dataclass(frozen=True)
class Agreement:
    """Agreement between recommendations and human decisions; ``kappa`` is None with a ``reason`` when undefined."""

    n: int
    agreed: int
    raw_agreement: float | None
    kappa: float | None
    reason: str | None


def selection_rates(rows: Sequence[tuple[str, bool]]) -> tuple[GroupRate, ...]:
    """Selected and total per group, groups in name order; ``rows`` are (group, selected) per person."""
    selected: dict[str, int] = {}
    total: dict[str, int] = {}
    for group, chosen in rows:
        total[group] = total.get(group, 0) + 1
        selected[group] = selected.get(group, 0) + (1 if chosen else 0)
    return tuple(GroupRate(group, selected[group], total[group]) for group in sorted(total))


def _percent(rate: float) -> str:
    return f"{100 * rate:.0f}%"


def four_fifths(rates: Sequence[GroupRate], min_group: int = SMALL_GROUP) -> tuple[ImpactRatio, ...]:
    """Each group's impact ratio against the highest-rate group, whether it is under 0.8, and a sentence saying so."""
    counted = [r for r in rates if r.total > 0]
    if not counted:
        return ()
    top = max(counted, key=lambda r: (r.exact, r.total))
    out: list[ImpactRatio] = []
    for r in counted:
        small = r.total < min_group
        note = (
            f"only {r.total} {'person' if r.total == 1 else 'people'} in {r.group}: "
            f"one selection more or less moves this ratio a lot, so read it with care"
            if small
            else None
        )
        share = f"{r.group}: {_percent(r.rate)} selected ({r.selected} of {r.total})"
        if top.exact == 0:
            sentence = f"{share}; nobody in any group was selected, so there is no ratio to compare."
            out.append(ImpactRatio(r.group, r.selected, r.total, r.rate, None, False, small, sentence, note))
            continue
        ratio = r.exact / top.exact
        below = ratio < FOUR_FIFTHS
        if r.group == top.group:
            sentence = f"{share}, the highest selection rate; the others are compared with it."
        elif below:
            sentence = (
                f"{share}, {float(ratio):.2f} of the highest rate ({_percent(top.rate)}, {top.group}): "
                f"below four fifths (0.8), a possible adverse impact to look into."
            )
        else:
            sentence = (
                f"{share}, {float(ratio):.2f} of the highest rate ({_percent(top.rate)}, {top.group}): "
                f"at or above four fifths (0.8)."
            )
        out.append(ImpactRatio(r.group, r.selected, r.total, r.rate, float(ratio), below, small, sentence, note))
    return tuple(out)


def recommendation_agreement(pairs: Sequence[tuple[str, str]]) -> Agreement:
    """Cohen's kappa and raw agreement between recommendations (advance, review, risk) and decisions (advance,
    hold, reject), matched advance↔advance, review↔hold, risk↔reject; undefined cases say why instead of failing."""
    decisions = set(RECOMMENDATION_TO_DECISION.values())
    mapped: list[str] = []
    actual: list[str] = []
    for i, (recommendation, decision) in enumerate(pairs):
        if recommendation not in RECOMMENDATION_TO_DECISION:
            raise ValueError(
                f"pairs[{i}]: recommendation must be one of advance, review, risk (got {recommendation!r})"
            )
        if decision not in decisions:
            raise ValueError(f"pairs[{i}]: decision must be one of advance, hold, reject (got {decision!r})")
        mapped.append(RECOMMENDATION_TO_DECISION[recommendation])
        actual.append(decision)
    n = len(mapped)
    if n == 0:
        return Agreement(0, 0, None, None, "no candidate has both a scorecard recommendation and a decision yet")
    agreed = sum(1 for a, b in zip(mapped, actual, strict=True) if a == b)
    raw = agreed / n
    used = set(mapped) | set(actual)
    if len(used) < 2:
        (only,) = used
        reason = (
            f"all {n} recommendations and decisions are '{only}': kappa is undefined when only one category "
            f"occurs (raw agreement is {raw:.0%})"
        )
        return Agreement(n, agreed, raw, None, reason)
    labels = [label for label in ("advance", "hold", "reject") if label in used]
    kappa = float(cohen_kappa_score(mapped, actual, labels=labels))
    if not math.isfinite(kappa):  # chance agreement of 1; unreachable with two categories, kept as a guard
        return Agreement(n, agreed, raw, None, "kappa is undefined: agreement by chance alone is certain")
    return Agreement(n, agreed, raw, kappa, None)
