"""One live interview: a transport, the AgentSession on it, the recorder on both sides, and the store.

Every final turn is written to the store as it happens (in order, by one writer task); the page
gets agent state, captions and the question number over the transport's event channel; when the
closing line has been heard, or the candidate leaves, recordings are finished and the session ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from livekit import rtc
from livekit.agents import (
    Agent,
    AgentStateChangedEvent,
    ConversationItemAddedEvent,
    ModelSettings,
    UserInputTranscribedEvent,
    llm,
    stt,
)
from livekit.agents.voice.io import AudioInput

from agent.interviewer import InterviewAgent, ScriptedInterviewer, last_step, resume_plan, script_lines, script_markers
from agent.session import VoiceModels, build_session
from agent.store import SessionStore, TurnRecord, Word
from agent.transports.playout import Playout
from agent.transports.webrtc import WebRTCTransport
from agent.turn import AnswerExpectation, InterviewTurnDetector
from media.recorder import SessionRecorder
from prompts.script import InterviewScript

logger = logging.getLogger(__name__)


class RecordingAgent(InterviewAgent):
    """The interviewer agent, also keeping the word timings of each final transcript it hears."""

    def __init__(self, resume: str | None = None, history: llm.ChatContext | None = None) -> None:
        super().__init__(resume=resume, history=history)
        self.pending_words: list[Word] = []
        self.clock_origin = time.time()

    async def stt_node(  # type: ignore[override]
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> AsyncGenerator[stt.SpeechEvent, None]:
        async for event in Agent.default.stt_node(self, audio, model_settings):
            if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives:
                self._remember_words(event)
            yield event

    def _remember_words(self, event: stt.SpeechEvent) -> None:
        data = event.alternatives[0]
        # Our STT stream gives the utterance's wall-clock start; word times are relative to it.
        utterance_start = data.start_time
        for word in data.words or []:
            start = float(word.start_time) if isinstance(word.start_time, float) else 0.0
            end = float(word.end_time) if isinstance(word.end_time, float) else start
            self.pending_words.append(
                Word(
                    str(word),
                    int((utterance_start + start - self.clock_origin) * 1000),
                    int((utterance_start + end - self.clock_origin) * 1000),
                )
            )


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
    ) -> None:
        self.models = models
        self.script = script
        self.lines = script_lines(script)
        self.markers = script_markers(script)
        self.started = time.monotonic()
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
        ctx, resume = resume_plan([(t.speaker, t.text) for t in history or []], self.lines, self.markers)
        self.agent = RecordingAgent(resume=resume, history=ctx)
        self._step = last_step(ctx, self.markers)
        self.done = asyncio.Event()
        self._turns: asyncio.Queue[TurnRecord | None] = asyncio.Queue()
        self.metrics: list[dict[str, Any]] = []  # per-turn latency report of each message (ChatMessage.metrics)
        self.end_reason = "candidate left"
        self.completed = False

    def expectation(self) -> AnswerExpectation:
        """How long an answer to the question the candidate is on usually is (from the script)."""
        questions = self.script.questions()
        length = questions[min(max(self._step, 0), len(questions) - 1)].expected_length
        return AnswerExpectation(length.min_words, length.max_words)

    def _ms(self, wall: float | None) -> int:
        return max(0, int(((wall or time.time()) - self.agent.clock_origin) * 1000))

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if item.type != "message" or item.role not in ("user", "assistant"):
            return
        text = item.text_content or ""
        metrics = item.metrics
        self.metrics.append({"role": item.role, **metrics})
        start = self._ms(metrics.get("started_speaking_at", item.created_at))
        end = self._ms(metrics.get("stopped_speaking_at", item.created_at))
        if item.role == "user":
            words, self.agent.pending_words = tuple(self.agent.pending_words), []
            if words:
                start, end = words[0].start_ms, words[-1].end_ms
            self._turns.put_nowait(TurnRecord("candidate", text, start, max(start, end), words))
            self.transport.send_event("caption", speaker="candidate", text=text, final=True)
            return
        self._turns.put_nowait(TurnRecord("agent", text, start, max(start, end), interrupted=item.interrupted))
        self.transport.send_event("caption", speaker="agent", text=text, final=True)
        self._step = max([self._step, *(i for i, marker in enumerate(self.markers) if marker in text)])
        step, total = self._step, len(self.markers) - 1
        if 0 <= step < total:
            self.transport.send_event("question", number=step + 1, total=total)
        if step == total and not item.interrupted:
            self.end_reason, self.completed = "completed", True
            asyncio.get_running_loop().create_task(self._finish_after_playout())

    async def _finish_after_playout(self) -> None:
        await self.transport.output.wait_for_playout()
        self.done.set()

    async def _write_turns(self, store: SessionStore) -> None:
        while (turn := await self._turns.get()) is not None:
            try:
                await store.save_turn(turn)
            except Exception:
                logger.exception("could not store a transcript turn")

    async def run(self, store: SessionStore) -> None:
        """Run until the interview completes or the candidate leaves, then store recordings and the end."""
        voice = build_session(
            self.models,
            ScriptedInterviewer(self.lines, self.markers),
            self.transport.input,
            self.transport.output,
            InterviewTurnDetector(self.expectation),
        )
        session = voice.session
        session.on("conversation_item_added", self._on_item)

        @session.on("agent_state_changed")
        def _state(ev: AgentStateChangedEvent) -> None:
            self.transport.send_event("state", state=ev.new_state)

        @session.on("user_input_transcribed")
        def _caption(ev: UserInputTranscribedEvent) -> None:
            if not ev.is_final:
                self.transport.send_event("caption", speaker="candidate", text=ev.transcript, final=False)

        writer = asyncio.create_task(self._write_turns(store))
        closed = asyncio.create_task(self.transport.closed.wait())
        done = asyncio.create_task(self.done.wait())
        try:
            await session.start(self.agent)
            await asyncio.wait([closed, done], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.transport.send_event("end", completed=self.completed, reason=self.end_reason)
            with contextlib.suppress(Exception):
                await voice.aclose()
            await self.transport.close()
            for task in (closed, done):
                task.cancel()
            self._turns.put_nowait(None)
            await writer
            try:
                files = await asyncio.to_thread(self.recorder.close)
                await store.save_recordings(files)
            except Exception:  # the session's end is still recorded; the turns already are
                logger.exception("could not finish the recordings")
            await store.end(self.end_reason, self.completed)
