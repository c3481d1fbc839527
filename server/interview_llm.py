"""The LLM interview scorer's I/O: send the versioned prompt for one transcript to the configured OpenAI-compatible
endpoint at temperature 0, ask once more with a correction after an invalid reply, and return everything that
came back as an ``LlmReply`` record. Scoring that record is pure (``scoring.interview_llm``); the server stores it
with the scorecard so a recompute never calls the model again."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from openai import AsyncOpenAI

from prompts.script import InterviewScript
from scoring.grading.judge import ChatMessage
from scoring.interview_llm import (
    PROMPT_VERSION,
    InterviewReplyError,
    LlmReply,
    build_messages,
    corrective_message,
    messages_digest,
    parse_reply,
)
from scoring.transcript import Turn
from server.judge import ask_with_correction, judge_client, judge_configured
from server.settings import Settings


def scorer_template() -> str:
    """The versioned interview scorer prompt shipped in ``prompts/templates``."""
    return (files("prompts") / "templates" / f"{PROMPT_VERSION}.md").read_text(encoding="utf-8")


def interview_scorer_configured(settings: Settings | None) -> bool:
    """The LLM scores interviews when a model and an endpoint are configured (the same rule as the judge)."""
    return settings is not None and judge_configured(settings)


def scorer_messages(turns: Sequence[Turn], script: InterviewScript) -> tuple[ChatMessage, ...]:
    """The messages for one interview, from the shipped template."""
    return build_messages(scorer_template(), turns, script)


async def _ask(client: AsyncOpenAI, model: str, messages: tuple[ChatMessage, ...], timeout_s: float) -> LlmReply:
    outputs, error = await ask_with_correction(
        client, model, messages, timeout_s, parse_reply, InterviewReplyError, corrective_message
    )
    return LlmReply(model=model, input_sha256=messages_digest(messages), outputs=outputs, error=error)


async def request_reply(settings: Settings, messages: tuple[ChatMessage, ...]) -> LlmReply:
    """Ask the configured model to score one interview; errors come back in the record, never raised."""
    if settings.llm_model is None:
        raise ValueError(
            "request_reply: settings.llm_model must be set (GAIA_LLM_MODEL); check interview_scorer_configured first"
        )
    async with judge_client(settings) as client:
        return await _ask(client, settings.llm_model, messages, settings.interview_scorer_timeout_s)
