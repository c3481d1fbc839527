"""The LLM interviewer: an OpenAI-compatible model phrases transitions and chooses adaptive follow-ups through
function tools, while the plan stays in charge of order and time.

For each candidate *answer* (requests, silences, time cuts and the end of the time stay with the deterministic
policy) the model is asked for one tool call: ``ask_follow_up(text)``, ``next_question(transition)``,
``repeat_question()`` or ``end_interview()``. ``agent.policy.on_model_choice`` checks the call against the plan
(follow-ups and time left, the plan's next question, the end only on the last one) and the line against the
guardrails (no rubric text, English); anything refused, invalid, failing or slower than ``timeout_s`` falls back
to the deterministic reply for that turn, and the candidate hears nothing of it. Every call is logged as a session
event through ``log``. The system prompt is versioned: ``prompts/templates/interviewer_v1.md``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, get_args

from livekit.agents import llm
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from agent.conductor import Conductor
from agent.guardrails import leaks_rubric, looks_english
from agent.interviewer import Log
from agent.policy import Decision, ModelChoice, ModelTool, is_answer, on_model_choice
from prompts.script import InterviewScript

logger = logging.getLogger(__name__)

PROMPT_VERSION = "interviewer_v1"
CONVERSATION_TURNS = 8  # the latest lines of the current question shown to the model


@cache
def prompt_template() -> tuple[str, str]:
    """The versioned system prompt and user-message template shipped in ``prompts/templates``."""
    text = (files("prompts") / "templates" / f"{PROMPT_VERSION}.md").read_text(encoding="utf-8")
    system, _, user = text.partition("<!-- user -->")
    return system.strip(), user.strip()


def _function(name: str, description: str, properties: dict[str, Any] | None = None) -> ChatCompletionToolParam:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties or {},
                "required": list(properties or {}),
                "additionalProperties": False,
            },
        },
    }


TOOLS: list[ChatCompletionToolParam] = [
    _function(
        "ask_follow_up",
        "Ask one short follow-up question about the candidate's last answer.",
        {"text": {"type": "string", "description": "The follow-up question, one sentence, spoken style."}},
    ),
    _function(
        "next_question",
        "Move on to the plan's next question; the plan adds the question itself.",
        {"transition": {"type": "string", "description": "A short neutral bridge, e.g. 'Thank you.'"}},
    ),
    _function("repeat_question", "Say the current question again."),
    _function("end_interview", "End the interview after the last question has been answered."),
]
TOOL_NAMES: tuple[str, ...] = get_args(ModelTool)
TEXT_ARGUMENT = {"ask_follow_up": "text", "next_question": "transition"}


class ToolCallError(ValueError):
    """The model's reply is not exactly one known tool call with valid arguments."""


def parse_tool_call(message: Any) -> tuple[ModelChoice, dict[str, Any]]:
    """The model's one tool call as a choice, with its raw arguments (for the log)."""
    calls = getattr(message, "tool_calls", None) or []
    if len(calls) != 1:
        raise ToolCallError(f"expected exactly one tool call, got {len(calls)}")
    function = calls[0].function
    name = function.name
    if name not in TOOL_NAMES:
        raise ToolCallError(f"unknown tool {name!r}")
    try:
        arguments = json.loads(function.arguments or "{}")
    except json.JSONDecodeError as exc:
        raise ToolCallError(f"arguments of {name} are not JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise ToolCallError(f"arguments of {name} must be an object")
    key = TEXT_ARGUMENT.get(name)
    text = arguments.get(key, "") if key else ""
    if not isinstance(text, str) or (name == "ask_follow_up" and not text.strip()):
        raise ToolCallError(f"{name} needs a non-empty string {key!r}")
    return ModelChoice(name, text), arguments  # type: ignore[arg-type]


def conversation_lines(chat_ctx: llm.ChatContext, limit: int = CONVERSATION_TURNS) -> str:
    """The latest turns as "Interviewer: …" / "Candidate: …" lines."""
    lines: list[str] = []
    for item in chat_ctx.items:
        if item.type == "message" and item.role in ("assistant", "user") and item.text_content:
            who = "Interviewer" if item.role == "assistant" else "Candidate"
            lines.append(f"{who}: {item.text_content.strip()}")
    return "\n".join(lines[-limit:]) or "(nothing yet)"


def build_messages(conductor: Conductor, chat_ctx: llm.ChatContext, turn_text: str) -> list[ChatCompletionMessageParam]:
    """The system prompt and the plan's context for the current question."""
    system, user = prompt_template()
    plan, state = conductor.plan, conductor.state
    q = state.question(plan)
    assert q is not None, "the model is asked only while a question is open"
    spent = state.spent_s[q.index]
    asked = "".join(f"\n  - {text}" for text in state.follow_ups_asked)
    conversation = conversation_lines(chat_ctx)
    if turn_text and not conversation.endswith(turn_text.strip()):
        conversation += f"\nCandidate: {turn_text.strip()}"
    content = user.format(
        number=q.index + 1,
        total=len(plan),
        section=q.section_title,
        question=q.prompt,
        follow_ups_used=state.follow_ups_used,
        follow_ups_allowed=q.model_follow_ups,
        follow_ups_asked=asked,
        question_left_s=max(0, round(q.time_budget_s - spent)),
        interview_left_s=max(0, round(plan.total_budget_s - state.total_spent_s)),
        look_fors="; ".join(lf.description for lf in q.look_fors) or "(no notes)",
        conversation=conversation,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


@dataclass
class LLMChooser:
    """Asks the model for the reply to an answer; falls back to the deterministic one on any failure."""

    client: AsyncOpenAI
    model_name: str
    script: InterviewScript
    timeout_s: float = 4.0

    @property
    def model(self) -> str:
        return self.model_name

    async def choose(self, conductor: Conductor, turn_text: str, chat_ctx: llm.ChatContext, log: Log) -> Decision:
        """The model's reply to the candidate's answer when the plan and guardrails accept it, else the fallback."""
        fallback = conductor.reply(turn_text)  # proposed too: it is what is said if the model's line is refused
        state, now = conductor.state, conductor.now()
        if not is_answer(conductor.plan, state, turn_text, now, conductor.options):
            return fallback  # not an answer (a request, a silence, a time cut): the policy's own reply
        try:
            choice, arguments = await asyncio.wait_for(self._ask(conductor, chat_ctx, turn_text), self.timeout_s)
        except TimeoutError:
            log("llm.fallback", {"reason": "timeout", "timeout_s": self.timeout_s, "used": fallback.kind})
            return fallback
        except Exception as exc:  # the endpoint is down, refuses, or answers nonsense: the turn goes on without it
            log("llm.fallback", {"reason": type(exc).__name__, "error": str(exc)[:300], "used": fallback.kind})
            return fallback
        detail: dict[str, Any] = {"tool": choice.tool, "arguments": arguments, "model": self.model_name}
        outcome = on_model_choice(conductor.plan, state, turn_text, now, choice, conductor.options)
        if outcome is None:
            log("llm.tool_call", {**detail, "accepted": False, "reason": "not allowed by the plan now"})
            return fallback
        decision, after = outcome
        problems = leaks_rubric(decision.text, self.script)
        if problems or not looks_english(decision.text):
            reason = f"rubric text: {problems}" if problems else "not English"
            log("llm.tool_call", {**detail, "accepted": False, "reason": reason})
            return fallback
        log("llm.tool_call", {**detail, "accepted": True})
        return conductor.propose(decision, after)

    async def _ask(
        self, conductor: Conductor, chat_ctx: llm.ChatContext, turn_text: str
    ) -> tuple[ModelChoice, dict[str, Any]]:
        response = await self.client.chat.completions.create(
            model=self.model_name,
            messages=build_messages(conductor, chat_ctx, turn_text),
            tools=TOOLS,
            tool_choice="required",
            temperature=0,
        )
        if not response.choices:
            raise ToolCallError("the reply has no choices")
        return parse_tool_call(response.choices[0].message)
