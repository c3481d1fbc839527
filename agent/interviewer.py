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


def script_lines(script: InterviewScript) -> list[str]:
    """What the agent says, in order: opening with the first question, each next question, the closing."""
    questions = [q.prompt for q in script.questions()]
    return [f"{script.opening} {questions[0]}", *questions[1:], script.closing]


def lines_spoken(chat_ctx: llm.ChatContext) -> int:
    """How many agent lines the conversation already holds."""
    return sum(1 for item in chat_ctx.items if item.type == "message" and item.role == "assistant")


class ScriptedInterviewer(llm.LLM[Any]):
    """Returns the next scripted line; nothing once the closing line has been said."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        if not lines:
            raise ValueError("a scripted interviewer needs at least one line")
        self.lines = lines

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

    async def _run(self) -> None:
        index = lines_spoken(self.chat_ctx)
        if index >= len(self._lines):
            return
        self._event_ch.send_nowait(
            llm.ChatChunk(id=uuid.uuid4().hex[:12], delta=llm.ChoiceDelta(role="assistant", content=self._lines[index]))
        )


class InterviewAgent(Agent):
    """Speaks first: the opening line and the first question as soon as the session starts."""

    def __init__(self, instructions: str = "You are GAIA, a structured interviewer.") -> None:
        super().__init__(instructions=instructions)

    async def on_enter(self) -> None:
        self.session.generate_reply()
