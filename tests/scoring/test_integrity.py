"""Integrity indicators: readable sentences per kind and task (or question), review only past a threshold, never a
rejection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.integrity import (
    IntegrityRecord,
    Thresholds,
    VoiceSignalRecord,
    VoiceThresholds,
    indicators,
    item_timing,
    voice_indicators,
)

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


QUESTIONS = ["intro", "experience", "disagreement", "quality", "tools", "edge-cases"]


def _voice(kind: str, start_ms: int, end_ms: int, **detail: object) -> VoiceSignalRecord:
    return VoiceSignalRecord(f"voice.{kind}", start_ms, end_ms, detail)


def test_voice_signals_read_as_sentences_on_the_session_clock_with_their_question() -> None:
    signals = [
        _voice("answer_onset", 4_000, 5_200, question_id="intro", onset_ms=1_200),
        _voice("answer_onset", 60_000, 61_000, question_id="experience", onset_ms=1_000),
        _voice("answer_onset", 180_000, 189_000, question_id="disagreement", onset_ms=9_000),
        _voice("dropout", 70_000, 72_000, question_id="experience", duration_ms=2_000, past_track_end_ms=0),
        _voice(
            "read_aloud",
            180_000,
            215_000,
            question_id="disagreement",
            onset_ms=9_000,
            rate_wpm=208,
            baseline_rate_wpm=117,
        ),
        _voice("second_speaker", 192_000, 220_400, question_id="quality", median_hz=214.2, baseline_hz=104.7),
    ]
    found = voice_indicators(signals, started_at=T0, question_order=QUESTIONS)
    assert [(i.kind, i.severity, i.sentence) for i in found] == [
        ("voice.answer_onset", "info", "3 answers began a median 1.2 s after the question (slowest 9.0 s, on question 3)"),
        ("voice.dropout", "info", "1 audio dropout of 2.0 s on question 2, from 1:10 to 1:12"),
        ("voice.read_aloud", "review",
         "Long pause (9.0 s) then fast, even delivery on question 3 — possibly read aloud (208 words a minute "
         "against the candidate's usual 117)"),
        ("voice.second_speaker", "review",
         "A second voice may be present from 3:12 to 3:40 (question 4): a pitch near 214 Hz against the candidate's "
         "usual 105 Hz"),
    ]  # fmt: skip
    assert [i.first_at for i in found] == [T0 + timedelta(seconds=s) for s in (4, 70, 180, 192)]
    assert found[1].items == ("experience",) and found[0].items == ()
    assert {i.task_id for i in found} == {None}


def test_a_short_second_voice_or_a_short_dropout_is_a_note_and_employers_may_move_them() -> None:
    signals = [
        _voice("second_speaker", 10_000, 11_500, question_id="intro"),
        _voice("dropout", 30_000, 31_200, question_id="experience"),
        _voice("dropout", 33_000, 34_500, question_id="experience", past_track_end_ms=0),
        _voice("dropout", 50_000, 51_000, question_id="quality", past_track_end_ms=1_000),
    ]
    found = voice_indicators(signals, started_at=T0, question_order=QUESTIONS)
    assert [(i.severity, i.count) for i in found] == [("info", 1), ("info", 2), ("info", 1)]
    assert found[1].sentence == "2 audio dropouts on question 2, 2.7 s in total (longest 1.5 s, first at 0:30)"
    assert found[2].sentence.endswith("; the recording ends before the answer does")
    strict = VoiceThresholds(second_voice_ms=1_000, dropout_ms=2_500)
    assert [i.severity for i in voice_indicators(signals, strict, started_at=T0)] == ["review", "review", "info"]


def test_voice_signals_name_unknown_questions_by_id_and_late_times_with_hours() -> None:
    signals = [_voice("second_speaker", 3_725_000, 3_731_000, question_id="bonus"), _voice("dropout", 0, 1_000)]
    first, second = voice_indicators(signals, started_at=T0, question_order=QUESTIONS)
    assert first.sentence == "1 audio dropout of 1.0 s between questions, from 0:00 to 0:01"
    assert second.sentence == "A second voice may be present from 1:02:05 to 1:02:11 (question bonus)"


VOICE_KINDS = st.sampled_from(["second_speaker", "read_aloud", "answer_onset", "dropout", "unknown"])


@settings(deadline=None)  # a shared, loaded machine must not turn a slow example into a failure
@given(
    st.lists(
        st.tuples(VOICE_KINDS, st.integers(0, 3_600_000), st.integers(0, 60_000), st.sampled_from([None, *QUESTIONS])),
        max_size=30,
    )
)
def test_voice_indicators_only_ever_note_or_ask_for_review_and_onsets_are_only_notes(
    events: list[tuple[str, int, int, str | None]],
) -> None:
    signals = [
        _voice(kind, start, start + length, question_id=question, onset_ms=length, median_hz=length)
        for kind, start, length, question in events
    ]
    found = voice_indicators(signals, started_at=T0, question_order=QUESTIONS)
    assert {i.severity for i in found} <= {"info", "review"}
    assert all(i.severity == "info" for i in found if i.kind == "voice.answer_onset")
    assert sum(1 for i in found if i.kind == "voice.answer_onset") == min(
        1, sum(k == "answer_onset" for k, *_ in events)
    )
    assert sum(i.count for i in found if i.kind != "voice.answer_onset") == sum(
        k in {"second_speaker", "read_aloud", "dropout"} for k, *_ in events
    )
    assert [i.first_at for i in found] == sorted(i.first_at for i in found)
