"""Transcript records for scoring: built from stored rows, and quotes found verbatim with their word times."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.store import Word as StoredWord
from scoring.transcript import QuoteSpan, Turn, Word, compact, find_quote, turn_from_dict, turns_from_dicts


def _turn(seq: int, speaker: str, text: str, start: int = 0, step: int = 400) -> Turn:
    words = tuple(Word(w, start + i * step, start + i * step + step - 100) for i, w in enumerate(text.split()))
    return turn_from_dict(
        {
            "seq": seq,
            "speaker": speaker,
            "text": text,
            "start_ms": start,
            "end_ms": words[-1].end_ms,
            "words": [asdict(w) for w in words],
        }
    )


def test_a_stored_row_with_agent_words_becomes_a_turn() -> None:
    stored_words = [StoredWord("Hello,", 1000, 1300), StoredWord("there.", 1350, 1700)]
    row = {
        "seq": 3,
        "speaker": "candidate",
        "text": "Hello, there.",
        "start_ms": 1000,
        "end_ms": 1700,
        "words": [asdict(w) for w in stored_words],
        "interrupted": True,
        "question_id": "experience",
    }
    assert turn_from_dict(row) == Turn(
        3, "candidate", "Hello, there.", 1000, 1700, (Word("Hello,", 1000, 1300), Word("there.", 1350, 1700)),
        "experience", True,
    )  # fmt: skip


def test_rows_come_back_in_seq_order_and_missing_optional_columns_default() -> None:
    rows = [
        {"seq": 2, "speaker": "candidate", "text": "b", "start_ms": 5, "end_ms": 6},
        {"seq": 1, "speaker": "agent", "text": "a", "start_ms": 0, "end_ms": 4, "words": None},
    ]
    turns = turns_from_dicts(rows)
    assert [t.seq for t in turns] == [1, 2]
    assert turns[0].words == () and turns[0].question_id is None and turns[0].interrupted is False


def test_a_bad_row_names_the_turn_and_the_field() -> None:
    with pytest.raises(ValueError, match=r"turn 4\.speaker: must be 'agent' or 'candidate' \(got 'bot'\)"):
        turn_from_dict({"seq": 4, "speaker": "bot", "text": "x", "start_ms": 0, "end_ms": 1})
    with pytest.raises(ValueError, match=r"turn 4\.words\[1\]\.end_ms: must be a number"):
        turn_from_dict(
            {
                "seq": 4,
                "speaker": "agent",
                "text": "x y",
                "start_ms": 0,
                "end_ms": 1,
                "words": [{"text": "x", "start_ms": 0, "end_ms": 1}, {"text": "y", "start_ms": 1}],
            }
        )


def test_a_quote_is_found_ignoring_case_punctuation_and_spacing_with_its_word_times() -> None:
    turns = (
        _turn(1, "agent", "Tell me about a hard item."),
        _turn(2, "candidate", "Well, I flagged it. Then I asked the project lead!", start=10_000),
    )
    # words: Well,@10000 I@10400 flagged@10800 it.@11200 Then@11600 I@12000 asked@12400 the@12800 project@13200
    assert find_quote(turns, "i FLAGGED it then   i asked") == QuoteSpan(2, 10_400, 12_700)
    assert find_quote(turns, "project lead") == QuoteSpan(2, 13_200, 13_900)


def test_a_quote_must_cover_whole_words_and_exist() -> None:
    turns = (_turn(1, "candidate", "I concatenate the files"),)
    assert find_quote(turns, "cat") is None
    assert find_quote(turns, "concatenate the") == QuoteSpan(1, 400, 1100)
    assert find_quote(turns, "the files were") is None
    assert find_quote(turns, " ... ") is None


def test_the_speaker_filter_skips_what_the_agent_said() -> None:
    turns = (_turn(1, "agent", "the guideline changed"), _turn(2, "candidate", "so the guideline changed", 5000))
    assert find_quote(turns, "the guideline changed") == QuoteSpan(1, 0, 1100)
    assert find_quote(turns, "the guideline changed", speaker="candidate") == QuoteSpan(2, 5400, 6500)


def test_a_turn_stored_without_word_times_answers_with_the_turn_span() -> None:
    turn = Turn(7, "agent", "Thanks, next question.", 2000, 4000)
    assert find_quote([turn], "next question") == QuoteSpan(7, 2000, 4000)


def test_compact_folds_case_width_and_punctuation() -> None:
    assert compact("Don't  Stop—ＮＯＷ, 42!") == "dontstopnow42"


_WORD = st.text(alphabet="abcdeXYZ019", min_size=1, max_size=6)
_DRESS = st.sampled_from(["{}", "{},", "{}.", '"{}"', "({})", "{}!"])


@given(
    words=st.lists(_WORD, min_size=1, max_size=12),
    dressing=st.data(),
    bounds=st.tuples(st.integers(0, 11), st.integers(0, 11)),
)
def test_any_slice_of_words_is_found_where_a_brute_force_search_finds_it_first(
    words: list[str], dressing: st.DataObject, bounds: tuple[int, int]
) -> None:
    first, last = sorted(b % len(words) for b in bounds)
    dressed = [dressing.draw(_DRESS).format(w) for w in words]
    timed = tuple(Word(w, 1000 * i, 1000 * i + 600) for i, w in enumerate(dressed))
    turn = Turn(1, "candidate", " ".join(dressed), 0, timed[-1].end_ms, timed)
    quote = " ".join(w.upper() for w in words[first : last + 1])
    # Oracle: the earliest word range whose letters equal the quote's; a later range may equal it too.
    needle = compact(quote)
    expected = next(
        QuoteSpan(1, timed[i].start_ms, timed[j].end_ms)
        for i in range(len(words))
        for j in range(i, len(words))
        if compact("".join(words[i : j + 1])) == needle
    )
    assert find_quote([turn], quote) == expected
