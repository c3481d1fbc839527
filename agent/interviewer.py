"""The minimal scripted interviewer: greets, asks the script's questions in order, closes.

It is an ``llm.LLM`` because AgentSession will not reply without one. It is stateless on purpose:
the next line follows from how many lines the agent has already said in the chat context, so a
speculative (preemptive) call that the session discards changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from livekit.agents import Agent, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from prompts.script import InterviewScript


def script_markers(script: InterviewScript) -> list[str]:
    """The text that identifies each step: every question in order, then the closing line."""
    return [*(q.prompt for q in script.questions()), script.closing]


def script_lines(script: InterviewScript) -> list[str]:
    """What the agent says, in order: opening with the first question, each next question, the closing."""
    markers = script_markers(script)
    return [f"{script.opening} {markers[0]}", *markers[1:]]


def last_step(chat_ctx: llm.ChatContext, markers: list[str]) -> int:
    """Index of the furthest step the agent has said in full, or -1 before the first."""
    reached = -1
    for item in chat_ctx.items:
        if item.type == "message" and item.role == "assistant":
            text = item.text_content or ""
            reached = max([reached, *(i for i, marker in enumerate(markers) if marker in text)])
    return reached


class ScriptedInterviewer(llm.LLM[Any]):
    """Returns the next scripted line; nothing once the closing line has been said."""

    def __init__(self, lines: list[str], markers: list[str] | None = None) -> None:
        super().__init__()
        if not lines:
            raise ValueError("a scripted interviewer needs at least one line")
        self.lines = lines
        self.markers = markers or lines

    @property
    def model(self) -> str:
        return "scripted"

    @property
    def provider(self) -> str:
        return "gaia"

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
        return _LineStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _LineStream(llm.LLMStream):
    def __init__(
        self,
        interviewer: ScriptedInterviewer,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(interviewer, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._lines = interviewer.lines
        self._markers = interviewer.markers

    async def _run(self) -> None:
        # A line cut off by the candidate does not count as said, so it comes again.
        index = last_step(self.chat_ctx, self._markers) + 1
        if index >= len(self._lines):
            return
        self._event_ch.send_nowait(
            llm.ChatChunk(id=uuid.uuid4().hex[:12], delta=llm.ChoiceDelta(role="assistant", content=self._lines[index]))
        )


class InterviewAgent(Agent):
    """Speaks first: the opening and the first question, or, when resuming, the question the candidate was on."""

    def __init__(
        self,
        resume: str | None = None,
        history: llm.ChatContext | None = None,
        instructions: str = "You are GAIA, a structured interviewer.",
    ) -> None:
        super().__init__(instructions=instructions, chat_ctx=history)
        self._resume = resume

    async def on_enter(self) -> None:
        if self._resume is not None:
            self.session.say(self._resume)
        else:
            self.session.generate_reply()


def resume_plan(
    history: list[tuple[str, str]], lines: list[str], markers: list[str]
) -> tuple[llm.ChatContext, str | None]:
    """Chat context from earlier turns (speaker, text), and what to say first when the last question went unanswered."""
    ctx = llm.ChatContext.empty()
    for speaker, text in history:
        ctx.add_message(role="assistant" if speaker == "agent" else "user", content=text)
    if not history or history[-1][0] != "agent":
        return ctx, None  # nothing said yet, or the last answer is in: the next line follows as usual
    step = last_step(ctx, markers)
    if step < 0:
        return ctx, None
    question = markers[step]
    # Re-asking the open question; its marker keeps the step count right for the interviewer.
    return ctx, f"Welcome back. We were on question {step + 1}. {question}" if step < len(markers) - 1 else None
