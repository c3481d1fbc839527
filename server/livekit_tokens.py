"""LiveKit rooms for invitations: the room name ↔ invitation mapping, candidate access tokens, and opening an
invitation's interview when a ``gaia worker`` job is dispatched into its room (``agent.worker.InterviewLoader``).

One room per invitation, named ``gaia-interview-{invitation_id}``; the candidate joins it as
``candidate-{invitation_id}`` with a short-lived token that may only join that room and publish a microphone,
and that asks LiveKit to dispatch the ``gaia-interviewer`` agent into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from livekit.api import AccessToken, RoomAgentDispatch, RoomConfiguration, VideoGrants
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.embeddings import LazyEmbedder
from server.lifecycle import effective_state
from server.settings import Settings
from server.store.db import create_engine, session_factory
from server.store.models import Invitation, InvitationMode, InvitationState, utcnow
from server.voice import begin_session, interview_chooser, interview_inputs, policy_options

if TYPE_CHECKING:
    from agent.worker import RoomInterview  # imports livekit-agents: only the worker process needs it

ROOM_PREFIX = "gaia-interview-"
AGENT_NAME = "gaia-interviewer"
"""The name ``gaia worker`` registers under; explicit dispatch, so workers join only rooms whose token asks."""

_INVITATION_ID = re.compile(r"inv_[0-9a-f]{24}")
_ROOM = re.compile(re.escape(ROOM_PREFIX) + r"(inv_[0-9a-f]{24})")


class LiveKitNotConfigured(RuntimeError):
    """LIVEKIT_URL, LIVEKIT_API_KEY or LIVEKIT_API_SECRET is unset."""


@dataclass(frozen=True)
class LiveKitCredentials:
    """Where the LiveKit server is and the key pair that signs its tokens."""

    url: str
    api_key: str
    api_secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveKitCredentials:
        """The configured credentials; raises ``LiveKitNotConfigured`` naming what is missing."""
        missing = [
            name
            for name, value in (
                ("LIVEKIT_URL", settings.livekit_url),
                ("LIVEKIT_API_KEY", settings.livekit_api_key),
                ("LIVEKIT_API_SECRET", settings.livekit_api_secret),
            )
            if not value
        ]
        if missing:
            raise LiveKitNotConfigured(f"LiveKit is not configured: set {', '.join(missing)}")
        assert settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret
        return cls(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())


def room_for(invitation_id: str) -> str:
    """The LiveKit room of an invitation's interview."""
    if not _INVITATION_ID.fullmatch(invitation_id):
        raise ValueError(f"invitation id: expected inv_ and 24 hex digits (got {invitation_id!r})")
    return ROOM_PREFIX + invitation_id


def invitation_for(room: str) -> str | None:
    """The invitation id a room was named after; None for any other room."""
    match = _ROOM.fullmatch(room)
    return match.group(1) if match else None


def candidate_identity(invitation_id: str) -> str:
    """The candidate's participant identity in the room (opaque: no name or email reaches LiveKit)."""
    return f"candidate-{invitation_id}"


@dataclass(frozen=True)
class CandidateToken:
    """A signed join token and when it stops admitting a first join."""

    room: str
    token: str
    expires_at: datetime


def candidate_token(
    credentials: LiveKitCredentials, invitation_id: str, ttl: timedelta, now: datetime
) -> CandidateToken:
    """A token that joins exactly the invitation's room as its candidate, with a microphone and no admin rights.

    The room configuration asks LiveKit to dispatch the interviewer agent when the room is created by this join.
    """
    room = room_for(invitation_id)
    grants = VideoGrants(
        room_join=True,
        room=room,
        can_publish=True,
        can_publish_sources=["microphone"],
        can_subscribe=True,
        can_publish_data=True,
        room_create=False,
        room_admin=False,
        room_list=False,
        room_record=False,
    )
    token = (
        AccessToken(credentials.api_key, credentials.api_secret)
        .with_identity(candidate_identity(invitation_id))
        .with_kind("standard")
        .with_grants(grants)
        .with_ttl(ttl)
        .with_room_config(RoomConfiguration(agents=[RoomAgentDispatch(agent_name=AGENT_NAME)]))
        .to_jwt()
    )
    # AccessToken stamps exp from its own clock, whole seconds; report the same instant.
    return CandidateToken(room, token, now.replace(microsecond=0) + ttl)


class SqlInterviewLoader:
    """``agent.worker.InterviewLoader`` on the database: opens a ``livekit`` session for the room's invitation."""

    def __init__(
        self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], settings: Settings | None = None
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._settings = settings
        self._embedder = LazyEmbedder()  # one per worker process, loaded when its first scorecard is computed

    async def open(self, room: str) -> RoomInterview | None:
        """Start a session for the room's invitation, resuming its earlier turns; None when it has no interview to run."""
        from agent.worker import RoomInterview

        invitation_id = invitation_for(room)
        if invitation_id is None:
            return None
        async with self._sessions() as db:
            invitation = await db.get(Invitation, invitation_id)
            now = utcnow()
            if (
                invitation is None
                or invitation.script_version_id is None
                or invitation.mode == InvitationMode.ASSESSMENT.value
                or effective_state(invitation, now)
                in (InvitationState.EXPIRED, InvitationState.REVOKED, InvitationState.COMPLETED)
            ):
                return None
            inputs = await interview_inputs(db, invitation)
            _session, store = await begin_session(
                db, self._sessions, self._settings, invitation, "livekit", inputs.resumed, now, self._embedder
            )
            return RoomInterview(
                invitation.id,
                candidate_identity(invitation.id),
                inputs.script,
                inputs.history,
                store,
                plan_state=inputs.plan_state,
                handoff_url=inputs.handoff_url,
                chooser=interview_chooser(self._settings, inputs.script),
                options=policy_options(self._settings) if self._settings is not None else None,
            )

    async def aclose(self) -> None:
        """Close the loader's database connections."""
        await self._engine.dispose()


def sql_interview_loader(settings: Settings) -> SqlInterviewLoader:
    """A loader on the configured database (one per job: each job runs in its own process and event loop)."""
    engine = create_engine(settings.resolved_database_url())
    return SqlInterviewLoader(engine, session_factory(engine), settings)
