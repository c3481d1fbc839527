"""The transcript as scoring sees it: timed words and speaker turns built from stored rows, and quote lookup.

A quote is evidence only if it exists verbatim in what was said; ``find_quote`` is the one place that decides
this and maps the quote to the times of its first and last word, so a reviewer can jump to it in the recording.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast

Speaker = Literal["agent", "candidate"]
SPEAKERS: tuple[Speaker, ...] = ("agent", "candidate")


@dataclass(frozen=True)
class Word:
    """A spoken word with its time in the session, in milliseconds."""

    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Turn:
    """One final turn of the conversation; ``seq`` is its stored order in the session."""

    seq: int
    speaker: Speaker
    text: str
    start_ms: int
    end_ms: int
    words: tuple[Word, ...] = ()
    question_id: str | None = None
    interrupted: bool = False


class QuoteSpan(NamedTuple):
    """Where a quote was said: the turn and the times of its first and last word."""

    seq: int
    start_ms: int
    end_ms: int


def _int(row: Mapping[str, Any], key: str, where: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}.{key}: must be a number of milliseconds (got {value!r})")
    return int(value)


def word_from_dict(row: Mapping[str, Any], where: str = "word") -> Word:
    """A word from its stored shape ``{"text", "start_ms", "end_ms"}`` (``agent.store.Word`` as a dict)."""
    text = row.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{where}.text: must be a string (got {text!r})")
    return Word(text, _int(row, "start_ms", where), _int(row, "end_ms", where))


def turn_from_dict(row: Mapping[str, Any]) -> Turn:
    """A turn from a stored transcript row's columns (seq, speaker, text, start_ms, end_ms, words, …)."""
    seq = _int(row, "seq", "turn")
    where = f"turn {seq}"
    speaker = row.get("speaker")
    if speaker not in SPEAKERS:
        raise ValueError(f"{where}.speaker: must be 'agent' or 'candidate' (got {speaker!r})")
    words = tuple(
        word_from_dict(w, f"{where}.words[{n}]") for n, w in enumerate(cast(Iterable[Any], row.get("words") or ()))
    )
    question_id = row.get("question_id")
    return Turn(
        seq=seq,
        speaker=cast(Speaker, speaker),
        text=str(row.get("text") or ""),
        start_ms=_int(row, "start_ms", where),
        end_ms=_int(row, "end_ms", where),
        words=words,
        question_id=str(question_id) if question_id is not None else None,
        interrupted=bool(row.get("interrupted", False)),
    )


def turns_from_dicts(rows: Iterable[Mapping[str, Any]]) -> tuple[Turn, ...]:
    """Turns from stored rows, in session order (by ``seq``)."""
    return tuple(sorted((turn_from_dict(r) for r in rows), key=lambda t: t.seq))


def timed_words(turn: Turn) -> tuple[Word, ...]:
    """The turn's words; a turn stored without word times gets its text's words, each timed as the whole turn."""
    if turn.words:
        return turn.words
    return tuple(Word(token, turn.start_ms, turn.end_ms) for token in turn.text.split())


def compact(text: str) -> str:
    """Text reduced to its lowercase letters and digits: what two renderings of the same words share."""
    # NFKC folds look-alike forms (ligatures, full-width digits) so they compare equal after casefold.
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _find_in_turn(turn: Turn, needle: str) -> QuoteSpan | None:
    words = timed_words(turn)
    pieces = [compact(w.text) for w in words]
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    offset = 0
    for index, piece in enumerate(pieces):
        if not piece:
            continue  # a word of punctuation only: it can neither start nor end a quote
        starts.setdefault(offset, index)
        offset += len(piece)
        ends[offset] = index
    haystack = "".join(pieces)
    position = haystack.find(needle)
    while position >= 0:
        # Match whole words only: "cat" must not be found inside "concatenate".
        first, last = starts.get(position), ends.get(position + len(needle))
        if first is not None and last is not None:
            return QuoteSpan(turn.seq, words[first].start_ms, words[last].end_ms)
        position = haystack.find(needle, position + 1)
    return None


def find_quote(turns: Sequence[Turn], quote: str, speaker: Speaker | None = None) -> QuoteSpan | None:
    """The first place ``quote`` was said verbatim (ignoring case, whitespace and punctuation), or None."""
    needle = compact(quote)
    if not needle:
        return None
    for turn in turns:
        if speaker is not None and turn.speaker != speaker:
            continue
        found = _find_in_turn(turn, needle)
        if found is not None:
            return found
    return None
