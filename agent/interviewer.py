"""The interviewer as AgentSession sees it: an ``llm.LLM`` whose reply is the interview policy's next line.

AgentSession will not reply without an LLM, so the deterministic interviewer is one: ``PolicyInterviewer``
answers each candidate turn with the ``Conductor``'s proposal (or, when a model is configured, with the
line a ``Chooser`` picks, which falls back to the proposal on its own). Nothing here advances the plan:
the conductor commits a line once it has been said in full, so speculative calls are harmless.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from typing import Any, Protocol

from livekit import rtc
from livekit.agents import Agent, ModelSettings, llm, stt
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from agent.conductor import Conductor
from agent.policy import Decision
from agent.store import Word
from agent.turn import current_user_text

Log = Callable[[str, dict[str, Any]], None]  # (event kind, detail): the session stamps and stores it


def _no_log(kind: str, detail: dict[str, Any]) -> None:
    return None


class Chooser(Protocol):
    """Picks the reply to a candidate turn (the LLM interviewer); must itself fall back to ``conductor.reply``."""

    @property
    def model(self) -> str: ...

    async def choose(self, conductor: Conductor, turn_text: str, chat_ctx: llm.ChatContext, log: Log) -> Decision: ...


class PolicyInterviewer(llm.LLM[Any]):
    """Replies with the conductor's (or the chooser's) next line; says nothing once the interview is closed."""

    def __init__(self, conductor: Conductor, chooser: Chooser | None = None, log: Log = _no_log) -> None:
        super().__init__()
        self.conductor = conductor
        self.chooser = chooser
        self.log = log

    @property
    def model(self) -> str:
        return self.chooser.model if self.chooser is not None else "deterministic-policy"

    @property
    def provider(self) -> str:
        return "gaia"

    async def reply(self, chat_ctx: llm.ChatContext) -> Decision | None:
        """The line to say after the candidate's latest turn."""
        if self.conductor.closed:
            return None
        text = current_user_text(chat_ctx)
        if self.chooser is not None and self.conductor.state.started:
            return await self.chooser.choose(self.conductor, text, chat_ctx, self.log)
        return self.conductor.reply(text)

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        return _ReplyStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _ReplyStream(llm.LLMStream):
    def __init__(
        self,
        interviewer: PolicyInterviewer,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(interviewer, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._interviewer = interviewer

    async def _run(self) -> None:
        decision = await self._interviewer.reply(self.chat_ctx)
        if decision is None:
            return
        self._event_ch.send_nowait(
            llm.ChatChunk(id=uuid.uuid4().hex[:12], delta=llm.ChoiceDelta(role="assistant", content=decision.text))
        )


class InterviewAgent(Agent):
    """Speaks first (the conductor's opening, or where a resumed interview stands) and keeps the word timings
    of each final transcript it hears, for the stored turns."""

    def __init__(
        self,
        conductor: Conductor,
        history: llm.ChatContext | None = None,
        instructions: str = "You are GAIA, a structured interviewer.",
        clock_origin: float | None = None,
    ) -> None:
        super().__init__(instructions=instructions, chat_ctx=history)
        self.conductor = conductor
        self.pending_words: list[Word] = []
        self.clock_origin = clock_origin if clock_origin is not None else time.time()  # the session clock's zero

    async def on_enter(self) -> None:
        self.session.say(self.conductor.opening().text)

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


def history_context(history: list[tuple[str, str]]) -> llm.ChatContext:
    """A chat context holding earlier sessions' turns (speaker, text), for a resumed interview."""
    ctx = llm.ChatContext.empty()
    for speaker, text in history:
        ctx.add_message(role="assistant" if speaker == "agent" else "user", content=text)
    return ctx
