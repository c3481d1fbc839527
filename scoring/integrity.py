"""Integrity indicators from stored page events and voice signals: counts per kind and task (or per question), a
severity, and a sentence a person can read ("3 tab switches during task 4 (Tag named entities)", "A second voice
may be present from 3:12 to 3:40 (question 4) …"). Pure. The rule: an indicator may ask for a review; it never
rejects a candidate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any, Literal

Severity = Literal["info", "review"]


@dataclass(frozen=True)
class IntegrityRecord:
    """One stored page event."""

    kind: str
    server_at: datetime
    task_id: str | None = None
    item_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Thresholds:
    """When a count or a size asks for a review rather than being noted; employers may set their own."""

    tab_switches: int = 3
    focus_losses: int = 5
    paste_chars: int = 200
    timer_gap_ms: int = 10_000
    away_ms: int = 60_000


@dataclass(frozen=True)
class Indicator:
    """A readable summary of events of one kind on one task (or outside the tasks)."""

    kind: str
    task_id: str | None
    count: int
    severity: Severity
    sentence: str
    first_at: datetime
    items: tuple[str, ...] = ()


_NOUNS = {
    "tab_hidden": ("tab switch", "tab switches"),
    "focus_lost": ("loss of window focus", "losses of window focus"),
    "paste": ("paste", "pastes"),
    "copy": ("copy", "copies"),
    "context_menu": ("right-click", "right-clicks"),
    "small_window": ("resize to a small window", "resizes to a small window"),
    "timer_gap": ("stall of the page clock", "stalls of the page clock"),
    "asset_error": ("asset that failed to load", "assets that failed to load"),
}
"""Kinds that become indicators; consent, timing and visibility returns are context, not indicators."""

_FIELDS = {"justification": "a justification", "text": "a text answer", "note": "an ambiguity note"}


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms < 10_000 else f"{ms / 1000:.0f} s"


def _where(task_id: str | None, positions: Mapping[str, int], titles: Mapping[str, str]) -> str:
    if task_id is None:
        return "before the tasks"
    if task_id in positions:
        return f"during task {positions[task_id]} ({titles.get(task_id, task_id)})"
    return f"during {titles.get(task_id, task_id)}"


def _severity(kind: str, events: list[IntegrityRecord], limits: Thresholds, away: list[int]) -> Severity:
    if kind == "asset_error":
        return "review"  # the candidate could not see part of a task: a fairness question for a person
    if kind == "tab_hidden":
        return "review" if len(events) >= limits.tab_switches or any(a >= limits.away_ms for a in away) else "info"
    if kind == "focus_lost":
        return "review" if len(events) >= limits.focus_losses else "info"
    if kind == "paste":
        return "review" if any(int(e.detail.get("length", 0)) >= limits.paste_chars for e in events) else "info"
    if kind == "timer_gap":
        return "review" if any(int(e.detail.get("gap_ms", 0)) >= limits.timer_gap_ms for e in events) else "info"
    return "info"


def _sentence(kind: str, events: list[IntegrityRecord], where: str, away: list[int]) -> str:
    singular, plural = _NOUNS[kind]
    count = len(events)
    head = f"{count} {singular if count == 1 else plural}"
    if kind in ("paste", "copy"):
        parts = []
        for e in events:
            target = _FIELDS.get(str(e.detail.get("field")), "the page")
            parts.append(f"{int(e.detail.get('length', 0))} chars into {target}" if kind == "paste" else "")
        sizes = [p for p in parts if p]
        if kind == "paste" and sizes:
            return f"{head} ({'; '.join(sizes)}) {where}"
        return f"{head} {where}"
    if kind == "tab_hidden" and away:
        return f"{head} {where}, away {_seconds(sum(away))} in total (longest {_seconds(max(away))})"
    if kind == "asset_error":
        statuses = sorted(
            {f"HTTP {e.detail.get('status')}" if e.detail.get("status") else "no response" for e in events}
        )
        return f"{head} {where} ({', '.join(statuses)})"
    if kind == "timer_gap":
        longest = max(int(e.detail.get("gap_ms", 0)) for e in events)
        return f"{head} {where} (longest {_seconds(longest)})"
    return f"{head} {where}"


def indicators(
    records: Iterable[IntegrityRecord],
    task_order: Iterable[str] = (),
    titles: Mapping[str, str] | None = None,
    limits: Thresholds | None = None,
) -> list[Indicator]:
    """Indicators grouped by kind and task, in the order they first happened."""
    titles = titles or {}
    limits = limits or Thresholds()
    positions = {task_id: n for n, task_id in enumerate(task_order, start=1)}
    ordered = sorted(records, key=lambda r: r.server_at)
    groups: dict[tuple[str, str | None], list[IntegrityRecord]] = defaultdict(list)
    returns: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for record in ordered:
        if record.kind in _NOUNS:
            groups[(record.kind, record.task_id)].append(record)
        elif record.kind == "tab_visible":
            returns[("tab_hidden", record.task_id)].append(int(record.detail.get("away_ms", 0)))
    out = []
    for (kind, task_id), events in groups.items():
        away = returns.get((kind, task_id), [])
        out.append(
            Indicator(
                kind=kind,
                task_id=task_id,
                count=len(events),
                severity=_severity(kind, events, limits, away),
                sentence=_sentence(kind, events, _where(task_id, positions, titles), away),
                first_at=events[0].server_at,
                items=tuple(dict.fromkeys(e.item_id for e in events if e.item_id)),
            )
        )
    return sorted(out, key=lambda i: i.first_at)


def item_timing(records: Iterable[IntegrityRecord]) -> dict[str, dict[str, int]]:
    """Time spent and edits made per item (``task/item``), summed over the candidate's visits."""
    totals: dict[str, dict[str, int]] = {}
    for record in records:
        if record.kind != "item_timing" or record.item_id is None:
            continue
        entry = totals.setdefault(f"{record.task_id}/{record.item_id}", {"dwell_ms": 0, "edits": 0, "visits": 0})
        entry["dwell_ms"] += int(record.detail.get("dwell_ms", 0))
        entry["edits"] += int(record.detail.get("edits", 0))
        entry["visits"] += 1
    return totals


# --- voice signals ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceSignalRecord:
    """One stored voice signal of an interview session (``media.voice_signals.VoiceSignal`` as a session event);
    the span is on the session clock, in milliseconds."""

    kind: str
    start_ms: int
    end_ms: int
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VoiceThresholds:
    """When a voice signal asks for a review rather than being noted; set per employer with ``Thresholds``
    (``server.api.schemas.IntegrityThresholds`` holds both, and a field added here must be added there)."""

    second_voice_ms: int = 2_000  # a second voice over a span this long asks for review; a shorter one is noted
    read_aloud_pause_ms: int = 6_000  # a read-aloud pattern after a pause this long asks for review
    dropout_ms: int = 3_000  # audio lost on one question adding up to this asks for review


SECOND_SPEAKER = "voice.second_speaker"
READ_ALOUD = "voice.read_aloud"
ANSWER_ONSET = "voice.answer_onset"
DROPOUT = "voice.dropout"


def _clock(ms: int) -> str:
    """A time on the session clock as a person reads it off a player: 3:12, or 1:02:05 past an hour."""
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _question(question_id: object, positions: Mapping[str, int]) -> str | None:
    return None if question_id is None else f"question {positions.get(str(question_id), question_id)}"


def _on(question: str | None) -> str:
    return f"on {question}" if question else "between questions"


def _number(detail: Mapping[str, Any], key: str) -> float:
    value = detail.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _voice_indicator(
    kind: str, count: int, severity: Severity, sentence: str, started_at: datetime, at_ms: int, question: object
) -> Indicator:
    return Indicator(
        kind=kind,
        task_id=None,
        count=count,
        severity=severity,
        sentence=sentence,
        first_at=started_at + timedelta(milliseconds=at_ms),
        items=(str(question),) if question is not None else (),
    )


def voice_indicators(
    signals: Iterable[VoiceSignalRecord],
    thresholds: VoiceThresholds | None = None,
    *,
    started_at: datetime,
    question_order: Iterable[str] = (),
) -> list[Indicator]:
    """Indicators from one session's voice signals, in the order they happened (``started_at`` is the wall-clock
    time of the session clock's zero): one per second voice and per read-aloud answer, one per question with
    dropouts, and one note that sums up how soon answers began."""
    limits = thresholds or VoiceThresholds()
    positions = {question_id: n for n, question_id in enumerate(question_order, start=1)}
    ordered = sorted(signals, key=lambda s: (s.start_ms, s.end_ms))
    out = [_second_voice(s, limits, started_at, positions) for s in ordered if s.kind == SECOND_SPEAKER]
    out += [_read_aloud(s, limits, started_at, positions) for s in ordered if s.kind == READ_ALOUD]
    out += _dropouts([s for s in ordered if s.kind == DROPOUT], limits, started_at, positions)
    onset = _onsets([s for s in ordered if s.kind == ANSWER_ONSET], started_at, positions)
    if onset is not None:
        out.append(onset)
    return sorted(out, key=lambda i: i.first_at)


def _second_voice(
    signal: VoiceSignalRecord, limits: VoiceThresholds, started_at: datetime, positions: Mapping[str, int]
) -> Indicator:
    question = signal.detail.get("question_id")
    where = _question(question, positions) or "between questions"
    sentence = f"A second voice may be present from {_clock(signal.start_ms)} to {_clock(signal.end_ms)} ({where})"
    heard, usual = _number(signal.detail, "median_hz"), _number(signal.detail, "baseline_hz")
    if heard and usual:
        sentence += f": a pitch near {heard:.0f} Hz against the candidate's usual {usual:.0f} Hz"
    severity: Severity = "review" if signal.end_ms - signal.start_ms >= limits.second_voice_ms else "info"
    return _voice_indicator(SECOND_SPEAKER, 1, severity, sentence, started_at, signal.start_ms, question)


def _read_aloud(
    signal: VoiceSignalRecord, limits: VoiceThresholds, started_at: datetime, positions: Mapping[str, int]
) -> Indicator:
    question = signal.detail.get("question_id")
    pause = int(_number(signal.detail, "onset_ms"))
    where = _on(_question(question, positions))
    sentence = f"Long pause ({_seconds(pause)}) then fast, even delivery {where} — possibly read aloud"
    rate, usual = _number(signal.detail, "rate_wpm"), _number(signal.detail, "baseline_rate_wpm")
    if rate and usual:
        sentence += f" ({rate:.0f} words a minute against the candidate's usual {usual:.0f})"
    severity: Severity = "review" if pause >= limits.read_aloud_pause_ms else "info"
    return _voice_indicator(READ_ALOUD, 1, severity, sentence, started_at, signal.start_ms, question)


def _dropouts(
    signals: list[VoiceSignalRecord], limits: VoiceThresholds, started_at: datetime, positions: Mapping[str, int]
) -> list[Indicator]:
    """One indicator per question: how much audio was lost, and whether the recording ended under an answer."""
    groups: dict[object, list[VoiceSignalRecord]] = defaultdict(list)
    for s in signals:
        groups[s.detail.get("question_id")].append(s)
    out = []
    for question, found in groups.items():
        lengths = [s.end_ms - s.start_ms for s in found]
        total = sum(lengths)
        where = _on(_question(question, positions))
        if len(found) == 1:
            sentence = (
                f"1 audio dropout of {_seconds(total)} {where}, "
                f"from {_clock(found[0].start_ms)} to {_clock(found[0].end_ms)}"
            )
        else:
            sentence = (
                f"{len(found)} audio dropouts {where}, {_seconds(total)} in total "
                f"(longest {_seconds(max(lengths))}, first at {_clock(found[0].start_ms)})"
            )
        if any(_number(s.detail, "past_track_end_ms") > 0 for s in found):
            sentence += "; the recording ends before the answer does"
        severity: Severity = "review" if total >= limits.dropout_ms else "info"
        out.append(_voice_indicator(DROPOUT, len(found), severity, sentence, started_at, found[0].start_ms, question))
    return out


def _onsets(signals: list[VoiceSignalRecord], started_at: datetime, positions: Mapping[str, int]) -> Indicator | None:
    """A note, never a review: how soon answers began is context for the other indicators (a candidate who always
    thinks for eight seconds is not reading on the one answer they think for nine), not a finding of its own."""
    if not signals:
        return None
    onsets = [int(_number(s.detail, "onset_ms")) for s in signals]
    slowest = max(range(len(signals)), key=lambda n: onsets[n])  # the first of equals
    where = _on(_question(signals[slowest].detail.get("question_id"), positions))
    count = len(signals)
    sentence = (
        f"{count} answer{'' if count == 1 else 's'} began a median {_seconds(median(onsets))} after the question "
        f"(slowest {_seconds(onsets[slowest])}, {where})"
    )
    return _voice_indicator(ANSWER_ONSET, count, "info", sentence, started_at, signals[0].start_ms, None)
