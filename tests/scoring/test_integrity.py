"""Integrity indicators: readable sentences per kind and task, review only past a threshold, never a rejection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.integrity import IntegrityRecord, Thresholds, indicators, item_timing

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ORDER = ["instructions", "discrepancies", "moderation", "entities", "images", "preferences"]
TITLES = {"entities": "Tag named entities", "preferences": "Compare two AI responses", "images": "Label images"}


def _at(
    seconds: float, kind: str, task: str | None = None, item: str | None = None, **detail: object
) -> IntegrityRecord:
    return IntegrityRecord(kind, T0 + timedelta(seconds=seconds), task, item, detail)


def test_tab_switches_and_pastes_read_as_sentences_with_their_task() -> None:
    records = [
        _at(1, "consent", notice="v1"),
        *[_at(10 + i, "tab_hidden", "entities") for i in range(3)],
        *[_at(11 + i, "tab_visible", "entities", away_ms=2000 * (i + 1)) for i in range(3)],
        _at(30, "paste", "preferences", "pair-fabricated", length=412, field="justification"),
    ]
    found = indicators(records, ORDER, TITLES)
    assert [i.sentence for i in found] == [
        "3 tab switches during task 4 (Tag named entities), away 12 s in total (longest 6.0 s)",
        "1 paste (412 chars into a justification) during task 6 (Compare two AI responses)",
    ]
    assert [i.severity for i in found] == ["review", "review"]
    assert found[1].items == ("pair-fabricated",)


def test_below_the_thresholds_an_event_is_a_note_and_employers_may_move_them() -> None:
    records = [_at(1, "tab_hidden", "entities"), _at(2, "paste", "instructions", "if-json", length=40, field="text")]
    assert {i.severity for i in indicators(records, ORDER)} == {"info"}
    strict = Thresholds(tab_switches=1, paste_chars=10)
    assert {i.severity for i in indicators(records, ORDER, limits=strict)} == {"review"}


def test_an_asset_failure_asks_for_review_and_names_the_status() -> None:
    records = [_at(5, "asset_error", "images", "img-product", asset="/a/b", status=404)]
    (found,) = indicators(records, ORDER, TITLES)
    assert found.severity == "review"
    assert found.sentence == "1 asset that failed to load during task 5 (Label images) (HTTP 404)"


def test_timing_sums_visits_per_item() -> None:
    records = [
        _at(1, "item_timing", "moderation", "cls-ok", dwell_ms=4000, edits=1),
        _at(9, "item_timing", "moderation", "cls-ok", dwell_ms=1500, edits=2),
        _at(12, "item_timing", "ner", None, dwell_ms=1500, edits=2),  # no item: not timing of an item
    ]
    assert item_timing(records) == {"moderation/cls-ok": {"dwell_ms": 5500, "edits": 3, "visits": 2}}


KINDS = st.sampled_from(["tab_hidden", "focus_lost", "paste", "copy", "context_menu", "small_window", "timer_gap",
                         "asset_error", "consent", "item_timing", "page_opened", "tab_visible", "focus_returned"])  # fmt: skip


@given(st.lists(st.tuples(KINDS, st.sampled_from([None, *ORDER]), st.integers(0, 10_000)), max_size=40))
def test_indicators_only_ever_note_or_ask_for_review_and_count_every_flagged_event(
    events: list[tuple[str, str | None, int]],
) -> None:
    records = [
        _at(n, kind, task, length=size, gap_ms=size, away_ms=size, status=0, field="text")
        for n, (kind, task, size) in enumerate(events)
    ]
    found = indicators(records, ORDER, TITLES)
    assert {i.severity for i in found} <= {"info", "review"}
    counted = sum(i.count for i in found)
    flagged = sum(
        1 for k, _, _ in events if k not in {"consent", "item_timing", "page_opened", "tab_visible", "focus_returned"}
    )
    assert counted == flagged
    assert all(i.sentence.startswith(str(i.count)) for i in found)
