"""Everything recorded for one invitation: sessions, transcript, recordings, answers, events, scorecards, decisions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import DeclarativeBase

from server.store.models import (
    Answer,
    AssessmentAttempt,
    Decision,
    IntegrityEvent,
    InterviewSession,
    Recording,
    Scorecard,
    TranscriptTurn,
)
from server.store.repos.base import TenantRepo


def row_dict(row: DeclarativeBase) -> dict[str, Any]:
    """A row's columns as JSON-ready values (datetimes as ISO 8601)."""
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        out[column.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


class ResultsRepo(TenantRepo):
    """Read-only access to an invitation's recorded facts, scoped to the employer."""

    async def sessions(self, invitation_id: str) -> list[InterviewSession]:
        """Interview sessions, oldest first."""
        query = self._select(InterviewSession).where(InterviewSession.invitation_id == invitation_id)
        return list(await self.session.scalars(query.order_by(InterviewSession.started_at)))

    async def turns(self, session_id: str) -> list[TranscriptTurn]:
        """Transcript turns of one session in order."""
        query = self._select(TranscriptTurn).where(TranscriptTurn.session_id == session_id)
        return list(await self.session.scalars(query.order_by(TranscriptTurn.seq)))

    async def recordings(self, session_id: str) -> list[Recording]:
        """Recordings of one session."""
        query = self._select(Recording).where(Recording.session_id == session_id)
        return list(await self.session.scalars(query.order_by(Recording.created_at)))

    async def attempt(self, invitation_id: str) -> AssessmentAttempt | None:
        """The assessment attempt, if one was started."""
        query = self._select(AssessmentAttempt).where(AssessmentAttempt.invitation_id == invitation_id)
        return await self.session.scalar(query)

    async def answers(self, attempt_id: str) -> list[Answer]:
        """Answers of an attempt, by task and item."""
        query = self._select(Answer).where(Answer.attempt_id == attempt_id)
        return list(await self.session.scalars(query.order_by(Answer.task_id, Answer.item_id)))

    async def integrity_events(self, invitation_id: str) -> list[IntegrityEvent]:
        """Integrity events in server-time order."""
        query = self._select(IntegrityEvent).where(IntegrityEvent.invitation_id == invitation_id)
        return list(await self.session.scalars(query.order_by(IntegrityEvent.server_at)))

    async def scorecards(self, invitation_id: str) -> list[Scorecard]:
        """Scorecard versions, oldest first."""
        query = self._select(Scorecard).where(Scorecard.invitation_id == invitation_id)
        return list(await self.session.scalars(query.order_by(Scorecard.version)))

    async def decisions(self, invitation_id: str) -> list[Decision]:
        """Human decisions, oldest first."""
        query = self._select(Decision).where(Decision.invitation_id == invitation_id)
        return list(await self.session.scalars(query.order_by(Decision.created_at)))

    async def latest_scorecards(self, invitation_ids: list[str]) -> dict[str, Scorecard]:
        """The newest scorecard of each listed invitation that has one."""
        query = self._select(Scorecard).where(Scorecard.invitation_id.in_(invitation_ids)).order_by(Scorecard.version)
        return {row.invitation_id: row for row in await self.session.scalars(query)}

    async def latest_decisions(self, invitation_ids: list[str]) -> dict[str, Decision]:
        """The decision in force (the newest) of each listed invitation that has one."""
        query = self._select(Decision).where(Decision.invitation_id.in_(invitation_ids)).order_by(Decision.created_at)
        return {row.invitation_id: row for row in await self.session.scalars(query)}
