"""What a live interview persists, and the protocol the server implements to persist it.

``agent/`` never imports ``server/``: the server passes a ``SessionStore`` in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from media.recorder import RecordedFile

Speaker = Literal["agent", "candidate"]


@dataclass(frozen=True)
class Word:
    """A word with its time in the session, in milliseconds."""

    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class TurnRecord:
    """One final turn of the conversation, timed on the session clock."""

    speaker: Speaker
    text: str
    start_ms: int
    end_ms: int
    words: tuple[Word, ...] = ()
    interrupted: bool = False
    question_id: str | None = None  # the question the turn asks or answers; None for the opening and closing


@dataclass(frozen=True)
class SessionEvent:
    """Something the session did or noticed, for the record: a policy decision, a model's tool call, a fallback,
    a voice signal. ``kind`` is dotted (``policy.decision``, ``llm.tool_call``, ``voice.dropout``)."""

    kind: str
    start_ms: int
    end_ms: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class SessionStore(Protocol):
    """Persistence for one interview session; each call returns once the fact is durable."""

    async def save_turn(self, turn: TurnRecord) -> None:
        """Store a final turn (committed before returning)."""
        ...

    async def save_plan_state(self, state: dict[str, Any]) -> None:
        """Store where the interview stands (``PlanState.to_json()``) so a new session resumes there."""
        ...

    async def save_event(self, event: SessionEvent) -> None:
        """Store a session event (committed before returning)."""
        ...

    async def save_recordings(self, files: list[RecordedFile]) -> None:
        """Store the session's recording files."""
        ...

    async def end(self, reason: str, completed: bool) -> None:
        """Mark the session ended (completed, or incomplete with the reason)."""
        ...
