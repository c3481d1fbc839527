"""One live interview: the conversation every transport shares, and the embedded (WebRTC or phone) owner of it.

``Conversation`` is the AgentSession on a transport's audio pair with the interview policy in charge: it
commits each line the agent said in full to the plan (``Conductor``), persists every final turn, the plan
state after each committed line, and each decision as a session event (in order, by one writer task),
reprompts after a silence, tells the page the question number, and ends once the closing line has been heard.
``LiveInterview`` adds the transport and the recorder; the LiveKit worker uses ``Conversation`` on the room's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from livekit.agents import (
    AgentStateChangedEvent,
    CloseEvent,
    ConversationItemAddedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)
from livekit.agents.voice.io import AudioInput, AudioOutput

from agent.conductor import Conductor
from agent.interviewer import Chooser, InterviewAgent, PolicyInterviewer, history_context
from agent.plan import InterviewPlan, PlanState
from agent.policy import Decision, PolicyOptions
from agent.session import VoiceModels, VoiceSession, build_session
from agent.store import SessionEvent, SessionStore, TurnRecord
from agent.transports.playout import Playout
from agent.transports.webrtc import WebRTCTransport
from agent.turn import InterviewTurnDetector
from media.recorder import RecordedFile, SessionRecorder
from media.voice_signals import TurnSpan, load_track, voice_signals
from prompts.script import InterviewScript

logger = logging.getLogger(__name__)

# What the agent adds to the closing line when labeling tasks follow the interview (on the page, or by phone).
NEXT_STEP = "Next come a few short labeling tasks; they will open on your screen in a moment."
PHONE_NEXT_STEP = "Next come a few short labeling tasks: open your interview link in a browser to do them."

# A candidate turn that yields no transcript (noise, a cough) stops holding back the silence reprompt after this long.
OPEN_TURN_MAX_S = 30.0

Write = Callable[[SessionStore], Awaitable[None]]
SendEvent = Callable[..., None]


def _no_events(kind: str, **data: Any) -> None:
    return None


def restore_state(plan: InterviewPlan, stored: dict[str, Any] | None) -> PlanState | None:
    """The stored plan state of an earlier session, or None to start over (nothing stored, or another script)."""
    if not stored:
        return None
    try:
        return PlanState.from_json(stored, plan)
    except ValueError:
        logger.exception("the stored plan state cannot resume this interview; starting from the opening")
        return None


class Conversation:
    """An interview's AgentSession with the policy in charge, persisting through a ``SessionStore``."""

    def __init__(
        self,
        models: VoiceModels,
        script: InterviewScript,
        store: SessionStore,
        audio_in: AudioInput,
        audio_out: AudioOutput,
        *,
        history: list[TurnRecord] | None = None,
        plan_state: dict[str, Any] | None = None,
        send_event: SendEvent = _no_events,
        options: PolicyOptions | None = None,
        chooser: Chooser | None = None,
        next_step: str | None = None,
        clock_origin: float | None = None,
    ) -> None:
        plan = InterviewPlan.from_script(script)
        if next_step:
            plan = replace(plan, closing=f"{plan.closing} {next_step}")
        self.store = store
        self.send_event = send_event
        self.conductor = Conductor(plan, restore_state(plan, plan_state), options)
        self.agent = InterviewAgent(
            self.conductor, history_context([(t.speaker, t.text) for t in history or []]), clock_origin=clock_origin
        )
        self.turns: list[TurnRecord] = []  # this session's final turns, as stored
        self.voice: VoiceSession = build_session(
            models,
            PolicyInterviewer(self.conductor, chooser, self._log),
            audio_in,
            audio_out,
            InterviewTurnDetector(self.conductor.expectation),
        )
        self.done = asyncio.Event()
        self.completed = False
        self.metrics: list[dict[str, Any]] = []  # per-turn latency report of each message (ChatMessage.metrics)
        self._writes: asyncio.Queue[Write | None] = asyncio.Queue()
        self._agent_state = "initializing"
        self._user_state = "listening"
        self._quiet_since: float | None = None
        self._turn_open_since: float | None = None  # the candidate spoke; their turn is not committed yet
        self._finishing: asyncio.Task[None] | None = None  # held here: the loop keeps only weak references to tasks
        session = self.voice.session
        session.on("conversation_item_added", self._on_item)
        session.on("agent_state_changed", self._on_agent_state)
        session.on("user_state_changed", self._on_user_state)
        session.on("user_input_transcribed", self._on_transcribed)
        session.on("close", self._on_close)

    def ms(self, wall: float | None = None) -> int:
        """Milliseconds on the session clock for a wall-clock time (now by default)."""
        return max(0, int(((wall or time.time()) - self.agent.clock_origin) * 1000))

    def _log(self, kind: str, detail: dict[str, Any]) -> None:
        self.record(SessionEvent(kind, self.ms(), detail=detail))

    def record(self, event: SessionEvent) -> None:
        """Persist a session event, in order with the turns."""
        self._writes.put_nowait(lambda store: store.save_event(event))

    # --- session events -----------------------------------------------------------------------------

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if item.type != "message" or item.role not in ("user", "assistant"):
            return
        text = item.text_content or ""
        metrics = item.metrics
        self.metrics.append({"role": item.role, **metrics})
        start = self.ms(metrics.get("started_speaking_at", item.created_at))
        end = self.ms(metrics.get("stopped_speaking_at", item.created_at))
        if item.role == "user":
            self._turn_open_since = None
            words, self.agent.pending_words = tuple(self.agent.pending_words), []
            if words:
                start, end = words[0].start_ms, words[-1].end_ms
            turn = TurnRecord(
                "candidate", text, start, max(start, end), words, question_id=self.conductor.question_id()
            )
            self.turns.append(turn)
            self._writes.put_nowait(lambda store: store.save_turn(turn))
            self.send_event("caption", speaker="candidate", text=text, final=True)
            return
        decision = None if item.interrupted else self.conductor.commit(text)
        question_id = decision.question_id if decision is not None else self.conductor.question_id()
        agent_turn = TurnRecord(
            "agent", text, start, max(start, end), interrupted=item.interrupted, question_id=question_id
        )
        self.turns.append(agent_turn)
        self._writes.put_nowait(lambda store: store.save_turn(agent_turn))
        self.send_event("caption", speaker="agent", text=text, final=True)
        if decision is not None:
            self._committed(decision, start)

    def _committed(self, decision: Decision, at_ms: int) -> None:
        state = self.conductor.state.to_json()
        self._writes.put_nowait(lambda store: store.save_plan_state(state))
        detail = {"kind": decision.kind, "reason": decision.reason, "question_id": decision.question_id}
        if decision.rule:
            detail["rule"] = decision.rule
        self.record(SessionEvent("policy.decision", at_ms, detail=detail))
        number = self.conductor.question_number()
        if number is not None:
            self.send_event("question", number=number, total=len(self.conductor.plan))
        if decision.kind == "close":
            self.completed = True
            self._finishing = asyncio.get_running_loop().create_task(self._finish_after_playout())

    def _on_agent_state(self, ev: AgentStateChangedEvent) -> None:
        self._agent_state = ev.new_state
        if ev.new_state == "speaking":
            self._turn_open_since = None
        self.send_event("state", state=ev.new_state)
        self._update_quiet()

    def _on_user_state(self, ev: UserStateChangedEvent) -> None:
        self._user_state = ev.new_state
        if ev.new_state == "speaking":
            self._turn_open_since = time.monotonic()
        self._update_quiet()

    def _update_quiet(self) -> None:
        """Silence is counted while the agent listens and the candidate says nothing."""
        if self._agent_state == "listening" and self._user_state != "speaking":
            if self._quiet_since is None:
                self._quiet_since = time.monotonic()
        else:
            self._quiet_since = None

    def _on_transcribed(self, ev: UserInputTranscribedEvent) -> None:
        if not ev.is_final:
            self.send_event("caption", speaker="candidate", text=ev.transcript, final=False)

    def _on_close(self, _ev: CloseEvent) -> None:
        self.done.set()  # e.g. LiveKit's RoomIO closed the session when the candidate left the room

    async def _finish_after_playout(self) -> None:
        await self.voice.synchronizer.audio_output.wait_for_playout()
        self.done.set()

    # --- background work ----------------------------------------------------------------------------

    async def _watch_silence(self) -> None:
        """Reprompt after a silence, move on after the second (``PolicyOptions.silence_s``)."""
        while True:
            await asyncio.sleep(0.25)
            if self._quiet_since is None or self.conductor.closed:
                continue
            opened = self._turn_open_since
            if opened is not None and time.monotonic() - opened < OPEN_TURN_MAX_S:
                continue  # an answer is still being transcribed or weighed: that is not silence
            decision = self.conductor.silence(time.monotonic() - self._quiet_since)
            if decision is not None:
                self._quiet_since = None  # counted again once the agent has spoken and listens
                self.voice.session.say(decision.text)

    async def _write(self) -> None:
        while (write := await self._writes.get()) is not None:
            try:
                await write(self.store)
            except Exception:
                logger.exception("could not store a session fact")

    async def run(self, start: Callable[[], Awaitable[None]], until: list[asyncio.Future[Any]]) -> None:
        """Start the session with ``start``, run until the closing is heard or one of ``until`` finishes,
        then close the session and flush every write. The caller stores the recordings and the end."""
        writer = asyncio.create_task(self._write())
        silence = asyncio.create_task(self._watch_silence())
        done = asyncio.create_task(self.done.wait())
        try:
            await start()
            await asyncio.wait([done, *until], return_when=asyncio.FIRST_COMPLETED)
        finally:
            silence.cancel()
            done.cancel()
            with contextlib.suppress(Exception):
                await self.voice.aclose()
            self._writes.put_nowait(None)
            await writer


def voice_events(files: list[RecordedFile], turns: list[TurnRecord]) -> list[SessionEvent]:
    """Voice integrity signals (``media.voice_signals``) of the candidate's recorded track, as session events.

    Recorded for the reviewer and the scorecard's integrity indicators; never acted on during the interview.
    """
    track = next((f for f in files if f.track == "candidate"), None)
    if track is None or not any(t.speaker == "candidate" for t in turns):
        return []
    pcm, rate = load_track(track.path)
    spans = [
        TurnSpan(t.speaker, t.start_ms, t.end_ms, tuple((w.text, w.start_ms, w.end_ms) for w in t.words), t.question_id)
        for t in turns
    ]
    return [SessionEvent(s.kind, s.start_ms, s.end_ms, s.detail) for s in voice_signals(pcm, rate, spans)]


class Transport(Protocol):
    """What a live interview needs of a transport: the session's audio pair, an event channel, and hang-up."""

    @property
    def input(self) -> AudioInput: ...

    @property
    def output(self) -> Playout: ...

    @property
    def closed(self) -> asyncio.Event: ...

    def send_event(self, kind: str, **data: Any) -> None: ...

    async def close(self) -> None: ...


# Builds a transport given the recorder's taps: candidate audio (48 kHz mono int16) and agent audio (bytes, voiced).
TransportFactory = Callable[[Callable[[np.ndarray[Any, Any]], None], Callable[[bytes, bool], None]], Transport]


class LiveInterview:
    """Owns one candidate's live session from the SDP offer (or phone stream) to the stored recordings."""

    def __init__(
        self,
        models: VoiceModels,
        script: InterviewScript,
        recordings: Path,
        ice_servers: list[str] | None = None,
        history: list[TurnRecord] | None = None,
        transport: TransportFactory | None = None,
        *,
        plan_state: dict[str, Any] | None = None,
        handoff_url: str | None = None,
        next_step: str | None = None,
        options: PolicyOptions | None = None,
        chooser: Chooser | None = None,
    ) -> None:
        self.models = models
        self.script = script
        self.history = history or []
        self.plan_state = plan_state
        self.handoff_url = handoff_url  # the assessment, opened by the page once the interview is complete
        self.next_step = next_step  # said after the script's closing line
        self.options = options
        self.chooser = chooser
        self.started = time.monotonic()
        self.wall_started = time.time()  # the same instant on the wall clock: turns and recordings share one clock
        self.recorder = SessionRecorder(recordings, started_at=self.started)

        def on_candidate(pcm: np.ndarray[Any, Any]) -> None:
            self.recorder.write("candidate", pcm)

        def on_agent(pcm: bytes, _voiced: bool) -> None:
            self.recorder.write("agent", np.frombuffer(pcm, dtype=np.int16))

        self.transport: Transport = (
            transport(on_candidate, on_agent)
            if transport is not None
            else WebRTCTransport(ice_servers, on_candidate_audio=on_candidate, on_agent_audio=on_agent)
        )
        self.conversation: Conversation | None = None
        self.end_reason = "candidate left"
        self.completed = False

    @property
    def metrics(self) -> list[dict[str, Any]]:
        """Per-message latency reports of the running (or last) conversation."""
        return self.conversation.metrics if self.conversation is not None else []

    async def run(self, store: SessionStore) -> None:
        """Run until the interview completes or the candidate leaves, then store recordings and the end."""
        conversation = self.conversation = Conversation(
            self.models,
            self.script,
            store,
            self.transport.input,
            self.transport.output,
            history=self.history,
            plan_state=self.plan_state,
            send_event=self.transport.send_event,
            options=self.options,
            chooser=self.chooser,
            next_step=self.next_step,
            clock_origin=self.wall_started,
        )
        closed = asyncio.create_task(self.transport.closed.wait())
        try:
            await conversation.run(lambda: conversation.voice.session.start(conversation.agent), [closed])
        finally:
            closed.cancel()
            self.completed = conversation.completed
            if self.completed:
                self.end_reason = "completed"
            elif getattr(self.transport, "ended_by_candidate", False):
                self.end_reason = "candidate ended the interview"
            if self.completed and self.handoff_url:
                self.transport.send_event("handoff", url=self.handoff_url)
            self.transport.send_event("end", completed=self.completed, reason=self.end_reason)
            await self.transport.close()
            try:
                files = await asyncio.to_thread(self.recorder.close)
                await store.save_recordings(files)
            except Exception:  # the session's end is still recorded; the turns already are
                logger.exception("could not finish the recordings")
                files = []
            try:  # before the end, which scores the interview: the voice signals are among its inputs
                for event in await asyncio.to_thread(voice_events, files, conversation.turns):
                    await store.save_event(event)
            except Exception:
                logger.exception("could not analyse the candidate's recording for voice signals")
            await store.end(self.end_reason, self.completed)
