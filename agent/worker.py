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
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from livekit import rtc
from livekit.agents import (
    AutoSubscribe,
    JobContext,
    JobProcess,
)
from livekit.agents.voice.io import AudioInput, AudioOutput
from livekit.agents.voice.room_io import RoomOptions
from livekit.agents.voice.room_io._input import _ParticipantAudioInputStream
from livekit.agents.voice.room_io._output import _ParticipantAudioOutput

from agent.interviewer import Chooser
from agent.live import NEXT_STEP, Conversation
from agent.policy import PolicyOptions
from agent.session import VoiceModels, load_voice_models
from agent.store import SessionStore, TurnRecord
from media.models import ModelPaths
from prompts.script import InterviewScript

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
MODELS_KEY = "gaia.voice_models"
EVENT_TOPIC = "gaia"  # data packets to the candidate page: state, caption, question, handoff, end


@dataclass(frozen=True)
class RoomInterview:
    """What one job runs: the invitation's script, the turns of earlier sessions, and where to persist this one."""

    invitation_id: str
    candidate_identity: str
    script: InterviewScript
    history: list[TurnRecord]
    store: SessionStore
    plan_state: dict[str, Any] | None = None
    handoff_url: str | None = None
    chooser: Chooser | None = None  # the LLM interviewer, when a model is configured
    options: PolicyOptions | None = None  # the deterministic interviewer's timings


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
    """One interview in a room: the shared ``Conversation`` on the room's audio, its end stored when it stops."""

    def __init__(self, models: VoiceModels, interview: RoomInterview, audio_in: AudioInput, audio_out: AudioOutput):
        self.interview = interview
        self.room: rtc.Room | None = None
        self._sending: set[asyncio.Task[None]] = set()  # event publishes in flight (the loop keeps weak refs only)
        self.conversation = Conversation(
            models,
            interview.script,
            interview.store,
            audio_in,
            audio_out,
            history=interview.history,
            plan_state=interview.plan_state,
            send_event=self.send_event,
            next_step=NEXT_STEP if interview.handoff_url else None,
            chooser=interview.chooser,
            options=interview.options,
        )

    def send_event(self, kind: str, **data: Any) -> None:
        """Publish a page event (the same JSON as the WebRTC data channel) on the room's ``gaia`` topic."""
        room = self.room
        if room is None or not room.isconnected():
            return
        payload = json.dumps({"type": kind, **data})
        task = asyncio.get_running_loop().create_task(
            room.local_participant.publish_data(payload, reliable=True, topic=EVENT_TOPIC)
        )
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("could not publish a page event: %s", task.exception())

    async def run(self, room: rtc.Room | None) -> None:
        """Run until the interview completes or the candidate leaves; then store the session's end.

        With a room, livekit's RoomIO links the candidate, closes the session when they leave and publishes the
        agent's state; audio and captions already go through the pair and synchronizer ``build_session`` wired,
        so without a room (tests on local audio) the conversation is the same.
        """
        self.room = room
        conversation = self.conversation
        session, agent = conversation.voice.session, conversation.agent

        async def start() -> None:
            if room is None:
                await session.start(agent)
            else:
                options = RoomOptions(participant_identity=self.interview.candidate_identity)
                await session.start(agent, room=room, room_options=options)

        try:
            await conversation.run(start, [])
        finally:
            completed = conversation.completed
            if completed and self.interview.handoff_url:
                self.send_event("handoff", url=self.interview.handoff_url)
            self.send_event("end", completed=completed, reason="completed" if completed else "candidate left")
            await self.interview.store.end("completed" if completed else "candidate left", completed)


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
