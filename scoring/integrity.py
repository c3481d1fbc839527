"""Integrity indicators from stored page events: counts per kind and task, a severity, and a sentence a person
can read ("3 tab switches during task 4 (Tag named entities)"). Pure. The rule: an indicator may ask for a
review; it never rejects a candidate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
