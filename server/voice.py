"""Live interviews in this process: the shared voice models, the running sessions, and their store."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.store import SessionEvent, TurnRecord
from media.recorder import RecordedFile
from server.embeddings import LazyEmbedder
from server.lifecycle import transition
from server.scorecards import store_scorecard
from server.settings import Settings
from server.store.models import InterviewSession, Invitation, InvitationMode, InvitationState, utcnow
from server.store.repos.audit import AuditRepo
from server.store.repos.content import ScriptRepo, script_content
from server.store.repos.invitations import InvitationRepo
from server.store.repos.sessions import SessionRepo
from server.webhooks import INVITATION_COMPLETED, enqueue, invitation_completed

if TYPE_CHECKING:
    from agent.live import LiveInterview
    from agent.llm_interviewer import LLMChooser
    from agent.policy import PolicyOptions
    from agent.session import VoiceModels
    from media.models import ModelPaths
    from prompts.script import InterviewScript

logger = logging.getLogger(__name__)


class SqlSessionStore:
    """``agent.store.SessionStore`` on the database: each fact is committed before the call returns."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        employer_id: str,
        session_id: str,
        invitation_id: str,
        settings: Settings | None = None,
        embedder: LazyEmbedder | None = None,
    ) -> None:
        self._sessions = sessions
        self.employer_id = employer_id
        self.session_id = session_id
        self.invitation_id = invitation_id
        self.settings = settings  # the LLM scorer's settings, when one is configured
        self.embedder = embedder  # finds the script's look-fors by meaning when the scorecard is computed

    async def save_turn(self, turn: TurnRecord) -> None:
        async with self._sessions() as db:
            await SessionRepo(db, self.employer_id).add_turn(self.session_id, turn)
            await db.commit()

    async def save_plan_state(self, state: dict[str, Any]) -> None:
        async with self._sessions() as db:
            await SessionRepo(db, self.employer_id).save_plan_state(self.session_id, state)
            await db.commit()

    async def save_event(self, event: SessionEvent) -> None:
        async with self._sessions() as db:
            SessionRepo(db, self.employer_id).add_event(self.session_id, event)
            await db.commit()

    async def save_recordings(self, files: list[RecordedFile]) -> None:
        async with self._sessions() as db:
            repo = SessionRepo(db, self.employer_id)
            for file in files:
                repo.add_recording(self.session_id, file)
            await db.commit()

    async def end(self, reason: str, completed: bool) -> None:
        async with self._sessions() as db:
            now = utcnow()
            await SessionRepo(db, self.employer_id).end(self.session_id, reason, completed, now)
            invitation = await InvitationRepo(db, self.employer_id).get(self.invitation_id)
            if completed and invitation.mode == InvitationMode.INTERVIEW.value:
                transition(invitation, InvitationState.COMPLETED, now)
                await enqueue(db, self.employer_id, INVITATION_COMPLETED, invitation_completed(invitation))
            AuditRepo(db, self.employer_id).record(
                "agent",
                "interview.ended",
                "interview_session",
                self.session_id,
                {"reason": reason, "completed": completed},
            )
            await db.commit()  # the end stands before scoring, which may wait on an LLM: hold no write lock then
            await store_scorecard(db, self.employer_id, self.invitation_id, "system", self.settings, self.embedder)
            await db.commit()


@dataclass(frozen=True)
class InterviewInputs:
    """What a live interview of an invitation starts from: its script version, earlier turns, the stored plan
    state (where a resumed interview stands) and, for interview + assessment, the assessment the page opens."""

    script: InterviewScript
    history: list[TurnRecord]
    plan_state: dict[str, Any] | None
    handoff_url: str | None

    @property
    def resumed(self) -> bool:
        """An earlier session got somewhere."""
        return bool(self.history) or bool(self.plan_state)


def interview_chooser(settings: Settings | None, script: InterviewScript) -> LLMChooser | None:
    """The LLM interviewer for a script when a model is configured (and not turned off), else None."""
    from agent.llm_interviewer import LLMChooser
    from server.judge import judge_client, judge_configured

    if settings is None or not settings.interviewer_llm or not judge_configured(settings):
        return None
    assert settings.llm_model is not None
    return LLMChooser(judge_client(settings), settings.llm_model, script, settings.interviewer_timeout_s)


def policy_options(settings: Settings) -> PolicyOptions:
    """The deterministic interviewer's timings from the settings."""
    from agent.policy import PolicyOptions

    return PolicyOptions(silence_s=settings.interview_silence_s)


async def interview_inputs(db: AsyncSession, invitation: Invitation) -> InterviewInputs:
    """Load what a (re)started interview of ``invitation`` needs; it must have a script version."""
    assert invitation.script_version_id is not None
    script = script_content(await ScriptRepo(db, invitation.employer_id).version(invitation.script_version_id))
    sessions = SessionRepo(db, invitation.employer_id)
    handoff = (
        f"/c/{invitation.token}/assessment" if invitation.mode == InvitationMode.INTERVIEW_ASSESSMENT.value else None
    )
    return InterviewInputs(
        script, await sessions.history(invitation.id), await sessions.latest_plan_state(invitation.id), handoff
    )


async def begin_session(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings | None,
    invitation: Invitation,
    transport: str,
    resumed: bool,
    now: datetime,
    embedder: LazyEmbedder | None = None,
) -> tuple[InterviewSession, SqlSessionStore]:
    """Record that a live interview starts (stale sessions closed, a new session, the invitation in progress,
    audited) and commit it; returns the session and the store the live interview writes through."""
    repo = SessionRepo(db, invitation.employer_id)
    await repo.close_stale(invitation.id, now)
    session = await repo.open(invitation.id, transport, now)
    transition(invitation, InvitationState.IN_PROGRESS, now)
    AuditRepo(db, invitation.employer_id).record(
        "candidate", "interview.started", "interview_session", session.id, {"transport": transport, "resumed": resumed}
    )
    await db.commit()
    return session, SqlSessionStore(sessions, invitation.employer_id, session.id, invitation.id, settings, embedder)


@dataclass
class VoiceService:
    """Loads the voice models on first use and tracks one live interview per invitation."""

    paths: ModelPaths
    live: dict[str, LiveInterview] = field(default_factory=dict)
    clients: dict[str, str | None] = field(default_factory=dict)
    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _models: VoiceModels | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def models(self) -> VoiceModels:
        """The shared VAD/STT/TTS, loaded once (in a thread: it takes seconds)."""
        from agent.session import load_voice_models

        async with self._lock:
            if self._models is None:
                self._models = await asyncio.to_thread(load_voice_models, self.paths)
            return self._models

    def is_live(self, invitation: Invitation) -> bool:
        """True while an interview for this invitation is running in this process."""
        running = self.live.get(invitation.id)
        return running is not None and not running.transport.closed.is_set()

    def is_reconnect(self, invitation: Invitation, client_id: str | None) -> bool:
        """True when the live interview belongs to the same page (it reconnects), not to a second tab."""
        return client_id is not None and self.clients.get(invitation.id) == client_id

    async def stop(self, invitation_id: str) -> None:
        """Hang up an invitation's live interview and wait until its turns, recordings and end are stored."""
        interview, task = self.live.get(invitation_id), self.running.get(invitation_id)
        if interview is not None:
            await interview.transport.close()
        if task is not None:
            await asyncio.wait([task], timeout=30)

    def run(
        self, invitation_id: str, interview: LiveInterview, store: SqlSessionStore, client_id: str | None = None
    ) -> None:
        """Run an interview in the background until it ends."""
        self.live[invitation_id] = interview
        self.clients[invitation_id] = client_id

        async def _run() -> None:
            try:
                await interview.run(store)
            except Exception:
                logger.exception("interview for invitation %s failed", invitation_id)
            finally:
                if self.live.get(invitation_id) is interview:
                    del self.live[invitation_id]
                    self.clients.pop(invitation_id, None)
                    self.running.pop(invitation_id, None)

        task = asyncio.create_task(_run())
        self.running[invitation_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Hang up every live interview (their recordings and ends are still stored)."""
        for interview in list(self.live.values()):
            await interview.transport.close()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)
