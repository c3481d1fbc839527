"""A ``SessionStore`` in lists, for tests that check what a conversation persists rather than the database
(``tests/server`` and the e2e tests cover the SQL store)."""

from __future__ import annotations

from typing import Any

from agent.store import SessionEvent, TurnRecord
from media.recorder import RecordedFile


class MemoryStore:
    """Keeps every turn, plan state, event, recording and the end, in the order they were stored."""

    def __init__(self) -> None:
        self.turns: list[TurnRecord] = []
        self.plan_states: list[dict[str, Any]] = []
        self.events: list[SessionEvent] = []
        self.recordings: list[RecordedFile] = []
        self.ended: tuple[str, bool] | None = None

    async def save_turn(self, turn: TurnRecord) -> None:
        self.turns.append(turn)

    async def save_plan_state(self, state: dict[str, Any]) -> None:
        self.plan_states.append(state)

    async def save_event(self, event: SessionEvent) -> None:
        self.events.append(event)

    async def save_recordings(self, files: list[RecordedFile]) -> None:
        self.recordings.extend(files)

    async def end(self, reason: str, completed: bool) -> None:
        self.ended = (reason, completed)
