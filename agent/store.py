"""What a live interview persists, and the protocol the server implements to persist it.

``agent/`` never imports ``server/``: the server passes a ``SessionStore`` in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

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


class SessionStore(Protocol):
    """Persistence for one interview session; each call returns once the fact is durable."""

    async def save_turn(self, turn: TurnRecord) -> None:
        """Store a final turn (committed before returning)."""
        ...

    async def save_recordings(self, files: list[RecordedFile]) -> None:
        """Store the session's recording files."""
        ...

    async def end(self, reason: str, completed: bool) -> None:
        """Mark the session ended (completed, or incomplete with the reason)."""
        ...
