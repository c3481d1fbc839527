"""The ``gaia worker`` job (agent/worker.py) and the database loader it is wired to (server/livekit_tokens.py).

No LiveKit server can run on this machine, so no job is dispatched and no room is joined: the room here is an
unconnected ``rtc.Room`` (enough to build its audio pair), the conversation test runs the worker's session on
local audio (the same pipeline, without RoomIO), and the job context of the entrypoint test is a stand-in that
only knows the room's name. Models, database and store are the real ones.
"""

from __future__ import annotations

import asyncio
import functools
import pickle
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from livekit import rtc
from livekit.agents import JobContext
from sqlalchemy import select

from agent.interviewer import PolicyInterviewer
from agent.live import Conversation
from agent.session import VoiceModels, load_voice_models
from agent.store import TurnRecord
from agent.transports.local import FrameInput, LocalLoop
from agent.transports.playout import Playout
from agent.turn import InterviewTurnDetector
from agent.worker import InterviewRun, InterviewWorker, RoomInterview, room_audio
from media.models import resolve_models
from prompts.script import InterviewScript
from server.livekit_tokens import SqlInterviewLoader, room_for, sql_interview_loader
from server.store.models import AuditLog, InterviewSession, Invitation
from tests.agent.memory_store import MemoryStore
from tests.conftest import TINY_SCRIPT, LiveServer, Tenant
from tests.e2e.conftest import _interview_token

SCRIPT = InterviewScript.model_validate(TINY_SCRIPT)


@pytest.fixture(scope="module")
def models() -> VoiceModels:
    return load_voice_models(resolve_models())


def _interview(store: MemoryStore, history: list[TurnRecord] | None = None) -> RoomInterview:
    return RoomInterview("inv_" + "0" * 24, "candidate-inv_" + "0" * 24, SCRIPT, history or [], store)


async def test_worker_session_is_the_embedded_factorys_on_the_rooms_audio(models: VoiceModels) -> None:
    room = rtc.Room()  # never connected
    audio_in, audio_out = room_audio(room)
    run = InterviewRun(models, _interview(MemoryStore()), audio_in, audio_out)
    embedded = Conversation(models, SCRIPT, MemoryStore(), FrameInput(), Playout(sample_rate=48_000)).voice
    try:
        session = run.conversation.voice.session
        # The process's shared models, our interviewer and turn detector: nothing rebuilt or swapped.
        assert session.vad is models.vad and session.stt is models.stt and session.tts is models.tts
        assert isinstance(session.llm, PolicyInterviewer)
        assert isinstance(session.turn_detection, InterviewTurnDetector)
        assert session.options.endpointing == embedded.session.options.endpointing
        assert session.options.interruption == embedded.session.options.interruption
        # The room is the transport: its microphone stream in, its published track behind the synchronizer.
        assert session.input.audio is audio_in
        assert session.output.audio is run.conversation.voice.synchronizer.audio_output
        chain, sink = [], run.conversation.voice.synchronizer.audio_output.next_in_chain
        while sink is not None:
            chain.append(sink)
            sink = sink.next_in_chain
        assert chain[-1] is audio_out, chain
    finally:
        await run.conversation.voice.aclose()
        await embedded.aclose()
        await audio_in.aclose()
        await audio_out.aclose()


async def test_worker_persists_each_turn_and_the_end_through_the_session_store(models: VoiceModels) -> None:
    store = MemoryStore()
    playout = Playout(sample_rate=48_000)
    loop = LocalLoop(playout)
    run = InterviewRun(models, _interview(store), loop.input, playout)
    loop.start()
    job = asyncio.create_task(run.run(room=None))
    try:
        deadline = time.monotonic() + 60
        while not store.turns:
            assert time.monotonic() < deadline, "the agent never greeted"
            assert not job.done(), job
            await asyncio.sleep(0.05)
        await run.conversation.voice.session.aclose()  # the candidate left: RoomIO closes the session the same way
        await asyncio.wait_for(job, 30)
    finally:
        job.cancel()
        await loop.stop()
    first = store.turns[0]
    assert first.speaker == "agent" and first.text.startswith("Hi, I'm GAIA.") and "unclear items" in first.text
    assert first.question_id == "q1"
    # The greeting was heard in full, so the plan stands on question 1 and a new job would resume there.
    assert store.plan_states[-1]["current"] == 0 and store.plan_states[-1]["questions"][0]["status"] == "asked"
    assert [(e.kind, e.detail["reason"]) for e in store.events] == [("policy.decision", "opening")]
    assert store.ended == ("candidate left", False)


async def test_worker_job_functions_survive_the_trip_to_a_job_process(live: LiveServer, tenant_a: Tenant) -> None:
    # livekit-agents pickles the entrypoint and prewarm into each forked job process.
    worker = InterviewWorker(functools.partial(sql_interview_loader, live.services.settings), resolve_models())
    entrypoint = pickle.loads(pickle.dumps(worker.entrypoint))
    assert pickle.loads(pickle.dumps(worker.prewarm)).__self__.model_paths == worker.model_paths
    invitation_id, _ = await _interview_token(live, tenant_a)
    loader = entrypoint.__self__.open_loader()
    try:
        assert isinstance(loader, SqlInterviewLoader)
        interview = await loader.open(room_for(invitation_id))
        assert interview is not None and interview.invitation_id == invitation_id
    finally:
        await loader.aclose()


@pytest.fixture
async def loader(live: LiveServer) -> AsyncIterator[SqlInterviewLoader]:
    opened = sql_interview_loader(live.services.settings)
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_database_loader_opens_a_livekit_session_for_the_rooms_invitation(
    live: LiveServer, tenant_a: Tenant, loader: SqlInterviewLoader
) -> None:
    invitation_id, _ = await _interview_token(live, tenant_a)
    interview = await loader.open(room_for(invitation_id))
    assert interview is not None
    assert interview.candidate_identity == f"candidate-{invitation_id}"
    assert interview.script.id == TINY_SCRIPT["id"] and interview.history == []
    await interview.store.save_turn(TurnRecord("agent", "Hi, I'm GAIA.", 0, 900))
    await interview.store.end("candidate left", False)

    async with live.services.sessions() as db:
        invitation = await db.get(Invitation, invitation_id)
        sessions = (
            await db.scalars(select(InterviewSession).where(InterviewSession.invitation_id == invitation_id))
        ).all()
        audit = (await db.scalars(select(AuditLog).where(AuditLog.action == "interview.started"))).all()
    assert invitation is not None and invitation.state == "in_progress"
    assert [(s.transport, s.state, s.end_reason) for s in sessions] == [("livekit", "incomplete", "candidate left")]
    assert [a.detail["transport"] for a in audit] == ["livekit"]

    again = await loader.open(room_for(invitation_id))  # a new job for the same room resumes the stored turns
    assert again is not None and [t.text for t in again.history] == ["Hi, I'm GAIA."]


async def test_database_loader_opens_nothing_for_foreign_unknown_or_closed_rooms(
    live: LiveServer, tenant_a: Tenant, loader: SqlInterviewLoader
) -> None:
    revoked_id, _ = await _interview_token(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.post(f"/api/invitations/{revoked_id}/revoke", json={"reason": "filled"})).is_success
    for room in ("lobby", f"gaia-interview-{revoked_id}x", room_for("inv_" + "f" * 24), room_for(revoked_id)):
        assert await loader.open(room) is None, room
    async with live.services.sessions() as db:
        assert (await db.scalars(select(InterviewSession))).all() == []


class NotAnInterviewRoom:
    """Stands in for a JobContext dispatched into a room: only its name is read before the job decides."""

    def __init__(self, name: str) -> None:
        self.room = type("RoomName", (), {"name": name})()
        self.shutdown_reasons: list[str] = []

    def shutdown(self, reason: str = "") -> None:
        self.shutdown_reasons.append(reason)

    async def connect(self, **_: Any) -> None:
        raise AssertionError("the job joined a room that is not an interview's")


async def test_entrypoint_leaves_a_room_that_is_not_an_interview(live: LiveServer) -> None:
    worker = InterviewWorker(functools.partial(sql_interview_loader, live.services.settings), resolve_models())
    ctx = NotAnInterviewRoom("someone-elses-room")
    await worker.entrypoint(cast(JobContext, ctx))
    assert ctx.shutdown_reasons == ["not an interview room"]
