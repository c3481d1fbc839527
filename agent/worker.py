"""The LiveKit transport: a livekit-agents worker job that runs one invitation's interview in its LiveKit room.

``gaia worker`` registers with a LiveKit server; the candidate's access token asks LiveKit to dispatch a job into
the room named after the invitation. The job asks an ``InterviewLoader`` (implemented by ``server/``, which opens
the interview session in the database) what to run in that room, builds the session with the same factory as the
embedded path (``agent.session.build_session``) on the room's audio pair, and persists every final turn through
the same ``SessionStore`` protocol. Nothing here imports ``server/``.

Everything a job needs crosses a process boundary (livekit-agents runs each job in a forked process), so
``InterviewWorker`` and the loader factory it holds must be picklable: module-level functions, partials of them,
or frozen dataclasses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from livekit import rtc
from livekit.agents import (
    AutoSubscribe,
    CloseEvent,
    ConversationItemAddedEvent,
    JobContext,
    JobProcess,
)
from livekit.agents.voice.io import AudioInput, AudioOutput
from livekit.agents.voice.room_io import RoomOptions
from livekit.agents.voice.room_io._input import _ParticipantAudioInputStream
from livekit.agents.voice.room_io._output import _ParticipantAudioOutput

from agent.interviewer import ScriptedInterviewer, last_step, resume_plan, script_lines, script_markers
from agent.live import RecordingAgent
from agent.session import VoiceModels, VoiceSession, build_session, load_voice_models
from agent.store import SessionStore, TurnRecord
from agent.turn import AnswerExpectation, InterviewTurnDetector
from media.models import ModelPaths
from prompts.script import InterviewScript

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
MODELS_KEY = "gaia.voice_models"


@dataclass(frozen=True)
class RoomInterview:
    """What one job runs: the invitation's script, the turns of earlier sessions, and where to persist this one."""

    invitation_id: str
    candidate_identity: str
    script: InterviewScript
    history: list[TurnRecord]
    store: SessionStore


class InterviewLoader(Protocol):
    """Opens the interview a room belongs to (``server/`` implements it on the database)."""

    async def open(self, room: str) -> RoomInterview | None:
        """Start a session for the room's invitation; None for a room that is not an open interview's."""
        ...

    async def aclose(self) -> None:
        """Release the loader's connections."""
        ...


def room_audio(room: rtc.Room) -> tuple[_ParticipantAudioInputStream, _ParticipantAudioOutput]:
    """The room's audio pair: the candidate's microphone track in, the agent's published track out.

    These are the streams livekit's own RoomIO uses; ``build_session`` takes a transport's audio pair, so the
    LiveKit transport is, like every transport, only this pair (livekit-agents is pinned exactly).
    """
    audio_in = _ParticipantAudioInputStream(
        room,
        sample_rate=SAMPLE_RATE,
        num_channels=1,
        noise_cancellation=None,
        pre_connect_audio_handler=None,
    )
    audio_out = _ParticipantAudioOutput(
        room,
        sample_rate=SAMPLE_RATE,
        num_channels=1,
        track_publish_options=rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
        track_name="gaia_interviewer",
    )
    return audio_in, audio_out


class InterviewRun:
    """One interview in a room: the session on the room's audio, turns persisted in order, completion detected."""

    def __init__(self, models: VoiceModels, interview: RoomInterview, audio_in: AudioInput, audio_out: AudioOutput):
        self.interview = interview
        self.lines = script_lines(interview.script)
        self.markers = script_markers(interview.script)
        ctx, resume = resume_plan([(t.speaker, t.text) for t in interview.history], self.lines, self.markers)
        self.agent = RecordingAgent(resume=resume, history=ctx)
        self._step = last_step(ctx, self.markers)
        self.voice: VoiceSession = build_session(
            models,
            ScriptedInterviewer(self.lines, self.markers),
            audio_in,
            audio_out,
            InterviewTurnDetector(self.expectation),
        )
        self.done = asyncio.Event()
        self.completed = False
        self.end_reason = "candidate left"
        self._turns: asyncio.Queue[TurnRecord | None] = asyncio.Queue()
        self.voice.session.on("conversation_item_added", self._on_item)
        self.voice.session.on("close", self._on_close)

    def expectation(self) -> AnswerExpectation:
        """How long an answer to the current question usually is (from the script)."""
        questions = self.interview.script.questions()
        length = questions[min(max(self._step, 0), len(questions) - 1)].expected_length
        return AnswerExpectation(length.min_words, length.max_words)

    def _ms(self, wall: float | None) -> int:
        return max(0, int(((wall or time.time()) - self.agent.clock_origin) * 1000))

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if item.type != "message" or item.role not in ("user", "assistant"):
            return
        text, metrics = item.text_content or "", item.metrics
        start = self._ms(metrics.get("started_speaking_at", item.created_at))
        end = self._ms(metrics.get("stopped_speaking_at", item.created_at))
        if item.role == "user":
            words, self.agent.pending_words = tuple(self.agent.pending_words), []
            if words:
                start, end = words[0].start_ms, words[-1].end_ms
            self._turns.put_nowait(TurnRecord("candidate", text, start, max(start, end), words))
            return
        self._turns.put_nowait(TurnRecord("agent", text, start, max(start, end), interrupted=item.interrupted))
        self._step = max([self._step, *(i for i, marker in enumerate(self.markers) if marker in text)])
        if self._step == len(self.markers) - 1 and not item.interrupted:
            self.end_reason, self.completed = "completed", True
            asyncio.get_running_loop().create_task(self._finish_after_playout())

    def _on_close(self, _ev: CloseEvent) -> None:
        self.done.set()  # the candidate left the room (RoomIO closes the session) or the job is shutting down

    async def _finish_after_playout(self) -> None:
        await self.voice.synchronizer.audio_output.wait_for_playout()
        self.done.set()

    async def _write_turns(self) -> None:
        while (turn := await self._turns.get()) is not None:
            try:
                await self.interview.store.save_turn(turn)
            except Exception:
                logger.exception("could not store a transcript turn")

    async def run(self, room: rtc.Room | None) -> None:
        """Run until the interview completes or the candidate leaves; then store the session's end.

        With a room, livekit's RoomIO links the candidate, closes the session when they leave and publishes the
        agent's state; audio and captions already go through the pair and synchronizer ``build_session`` wired,
        so without a room (tests on local audio) the conversation is the same.
        """
        session = self.voice.session
        writer = asyncio.create_task(self._write_turns())
        try:
            if room is None:
                await session.start(self.agent)
            else:
                options = RoomOptions(participant_identity=self.interview.candidate_identity)
                await session.start(self.agent, room=room, room_options=options)
            await self.done.wait()
        finally:
            with contextlib.suppress(Exception):
                await self.voice.aclose()
            self._turns.put_nowait(None)
            await writer
            await self.interview.store.end(self.end_reason, self.completed)


@dataclass(frozen=True)
class InterviewWorker:
    """The worker's job functions: load the models once per process, run one interview per dispatched room."""

    open_loader: Callable[[], InterviewLoader]
    model_paths: ModelPaths

    def prewarm(self, proc: JobProcess) -> None:
        """Load VAD/STT/TTS before the process takes a job (they take seconds to load)."""
        proc.userdata[MODELS_KEY] = load_voice_models(self.model_paths)

    async def entrypoint(self, ctx: JobContext) -> None:
        """Run the interview of the room the job was dispatched into; leave rooms that are not an interview's."""
        loader = self.open_loader()
        try:
            interview = await loader.open(ctx.room.name)
            if interview is None:
                logger.warning("room %r is not an open interview's; leaving it", ctx.room.name)
                ctx.shutdown(reason="not an interview room")
                return
            warm = ctx.proc.userdata.get(MODELS_KEY)
            models = (
                warm if isinstance(warm, VoiceModels) else await asyncio.to_thread(load_voice_models, self.model_paths)
            )
            try:
                await ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY)
            except Exception:
                await interview.store.end("the worker could not join the room", False)  # the next join resumes
                raise
            audio_in, audio_out = room_audio(ctx.room)
            run = InterviewRun(models, interview, audio_in, audio_out)
            starting = asyncio.create_task(_attach(ctx, interview.candidate_identity, audio_in, audio_out))
            try:
                await run.run(ctx.room)
            finally:
                starting.cancel()
                with contextlib.suppress(Exception):
                    await audio_in.aclose()
                    await audio_out.aclose()
        finally:
            await loader.aclose()


async def _attach(
    ctx: JobContext, identity: str, audio_in: _ParticipantAudioInputStream, audio_out: _ParticipantAudioOutput
) -> None:
    """Subscribe to the candidate's microphone once they are in the room, and publish the agent's track."""
    participant = await ctx.wait_for_participant(identity=identity)
    audio_in.set_participant(participant.identity)
    await audio_out.start()
