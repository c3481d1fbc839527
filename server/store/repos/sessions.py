"""Interview sessions of one employer: open, append transcript turns and recordings, end."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from agent.store import SessionEvent, TurnRecord, Word
from media.recorder import RecordedFile
from server.store.models import InterviewSession, Recording, SessionEventRow, TranscriptTurn
from server.store.repos.base import TenantRepo


class SessionRepo(TenantRepo):
    """Reads and writes one employer's interview sessions."""

    async def open(self, invitation_id: str, transport: str, now: datetime) -> InterviewSession:
        """A new active session for an invitation."""
        row = self._add(
            InterviewSession(), invitation_id=invitation_id, transport=transport, state="active", started_at=now
        )
        await self.session.flush()
        return row

    async def get(self, session_id: str) -> InterviewSession:
        """One session."""
        return await self._get(InterviewSession, session_id, "interview session")

    async def add_turn(self, session_id: str, turn: TurnRecord) -> TranscriptTurn:
        """Append a turn with the next sequence number."""
        last = await self.session.scalar(
            select(func.max(TranscriptTurn.seq)).where(
                TranscriptTurn.session_id == session_id, TranscriptTurn.employer_id == self.employer_id
            )
        )
        return self._add(
            TranscriptTurn(),
            session_id=session_id,
            seq=(last or 0) + 1,
            speaker=turn.speaker,
            text=turn.text,
            start_ms=turn.start_ms,
            end_ms=turn.end_ms,
            words=[asdict(w) for w in turn.words],
            interrupted=turn.interrupted,
            question_id=turn.question_id,
        )

    def add_event(self, session_id: str, event: SessionEvent) -> SessionEventRow:
        """Record a session event."""
        return self._add(
            SessionEventRow(),
            session_id=session_id,
            kind=event.kind,
            start_ms=event.start_ms,
            end_ms=event.end_ms,
            detail=dict(event.detail),
        )

    async def save_plan_state(self, session_id: str, state: dict[str, Any]) -> None:
        """Store where the interview stands (``PlanState.to_json()``)."""
        row = await self.get(session_id)
        row.plan_state = state

    async def latest_plan_state(self, invitation_id: str) -> dict[str, Any] | None:
        """The plan state the invitation's most recent session stored, or None before any was stored."""
        query = (
            self._select(InterviewSession)
            .where(InterviewSession.invitation_id == invitation_id)
            .order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
        )
        for row in await self.session.scalars(query):
            if row.plan_state:
                return row.plan_state
        return None

    async def events(self, invitation_id: str, prefix: str = "") -> list[tuple[str, SessionEvent]]:
        """(session id, event) for every stored event of an invitation's sessions whose kind starts with ``prefix``."""
        query = (
            select(SessionEventRow)
            .join(InterviewSession, InterviewSession.id == SessionEventRow.session_id)
            .where(
                InterviewSession.invitation_id == invitation_id,
                SessionEventRow.employer_id == self.employer_id,
                SessionEventRow.kind.startswith(prefix, autoescape=True),
            )
            .order_by(InterviewSession.started_at, SessionEventRow.created_at, SessionEventRow.id)
        )
        return [
            (row.session_id, SessionEvent(row.kind, row.start_ms, row.end_ms, row.detail))
            for row in await self.session.scalars(query)
        ]

    def add_recording(self, session_id: str, file: RecordedFile) -> Recording:
        """Record where a finished recording file is."""
        return self._add(
            Recording(),
            session_id=session_id,
            track=file.track,
            path=str(file.path),
            media_type=file.media_type,
            duration_ms=file.duration_ms,
            size_bytes=file.size_bytes,
            sha256=file.sha256,
        )

    async def end(self, session_id: str, reason: str, completed: bool, now: datetime) -> InterviewSession:
        """Close the session as completed or incomplete with its reason."""
        row = await self.get(session_id)
        row.state = "completed" if completed else "incomplete"
        row.end_reason = reason
        row.ended_at = now
        return row

    async def history(self, invitation_id: str) -> list[TurnRecord]:
        """Every stored turn of an invitation's earlier sessions, in the order they happened."""
        query = (
            select(TranscriptTurn)
            .join(InterviewSession, InterviewSession.id == TranscriptTurn.session_id)
            .where(InterviewSession.invitation_id == invitation_id, TranscriptTurn.employer_id == self.employer_id)
            .order_by(InterviewSession.started_at, TranscriptTurn.seq)
        )
        return [
            TurnRecord(
                t.speaker,  # type: ignore[arg-type]
                t.text,
                t.start_ms,
                t.end_ms,
                tuple(Word(**w) for w in t.words),
                interrupted=t.interrupted,
                question_id=t.question_id,
            )
            for t in await self.session.scalars(query)
        ]

    async def close_stale(self, invitation_id: str, now: datetime) -> int:
        """Mark sessions left 'active' by a dropped connection or a restarted process as incomplete."""
        rows = await self.session.scalars(
            self._select(InterviewSession).where(
                InterviewSession.invitation_id == invitation_id, InterviewSession.state == "active"
            )
        )
        count = 0
        for row in rows:
            row.state, row.end_reason, row.ended_at = "incomplete", "connection lost", now
            count += 1
        return count
