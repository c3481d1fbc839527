"""The LLM judge of justifications over real HTTP, through the ``openai`` client.

The endpoint is a fake OpenAI-compatible server on loopback (FastAPI + uvicorn answering POST /v1/chat/completions):
it stands in for a hosted LLM, which cannot run here, and each test scripts its replies: a verified quote, a made-up
quote, invalid JSON before a valid reply, a position-biased judge, a judge too slow to answer. Everything else is
real: the prompt template, the client, quote verification, the A/B swap, and grading at submit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from prompts.answers import PairAnswer
from prompts.builtin import builtin_pack
from prompts.taskpack import LlmEvaluationTask, PairItem
from scoring.grading.attempt import grade_attempt
from scoring.grading.judge import JudgeRecord, judge_outcome
from scoring.grading.justification import JustificationEvidence, score_justification, text_digest
from scoring.grading.reference import reference_answer
from server.judge import judge_client, judge_justification, judge_template
from server.settings import Settings
from server.store.models import Answer, AssessmentAttempt
from tests.conftest import LiveServer, Tenant, invite, upload_builtin
from tests.fake_llm import FakeLLM, Messages

PACK = builtin_pack()
TASK = next(t for t in PACK.tasks if isinstance(t, LlmEvaluationTask))
ITEM: PairItem = next(i for i in TASK.items if i.id == "pair-fabricated")
JUSTIFICATION = (
    "Response A claims a list method that isn't real, so anyone who copies it gets an error. "
    "I rated B higher because its one-line answer would run as written and keeps the first occurrence."
)
ANSWER = PairAnswer(
    preference="B",
    ratings_a={"helpfulness": 2, "accuracy": 1, "safety": 5},
    ratings_b={"helpfulness": 5, "accuracy": 5, "safety": 5},
    justification=JUSTIFICATION,
)
QUOTE = "Response A claims a list method that isn't real"
A_FIRST = '## Response 1 (the candidate\'s "A")'


def _verdict(**points: str | None) -> str:
    return json.dumps({"points": [{"id": k, "credited": v is not None, "quote": v or ""} for k, v in points.items()]})


def _user(messages: Messages) -> str:
    return str(next(m["content"] for m in messages if m["role"] == "user"))


@pytest.fixture
def settings(settings: Settings, fake_llm: FakeLLM) -> Settings:
    """The live server's settings with the judge pointed at the fake endpoint."""
    return settings.model_copy(
        update={"llm_model": "fake-judge", "openai_base_url": fake_llm.url, "judge_timeout_s": 5}
    )


async def _judge(settings: Settings, timeout_s: float = 5) -> JudgeRecord:
    async with judge_client(settings) as client:
        return await judge_justification(client, "fake-judge", judge_template(), ITEM, ANSWER, timeout_s)


async def test_verified_quote_is_credited_in_both_orders(fake_llm: FakeLLM, settings: Settings) -> None:
    fake_llm.reply = lambda _m: _verdict(**{"names-fabrication": QUOTE.upper(), "explains-b": None})
    record = await _judge(settings)
    assert len(fake_llm.requests) == 2
    assert all(r["temperature"] == 0 and r["model"] == "fake-judge" for r in fake_llm.requests)
    outcome = judge_outcome(record, ITEM, JUSTIFICATION)
    assert outcome.credited == {"names-fabrication": QUOTE.upper()} and outcome.dropped == 0
    scored = score_justification(
        ITEM, JUSTIFICATION, 20, JustificationEvidence(text_sha256=text_digest(JUSTIFICATION), judge=record)
    )
    assert scored.details[0] == (
        "credited “Names the fabricated method or claim in response A” "
        f"(LLM judge in both A/B orders, quoting “{QUOTE.upper()}”)"
    )


async def test_fabricated_quote_credit_is_dropped_and_counted(fake_llm: FakeLLM, settings: Settings) -> None:
    fake_llm.reply = lambda _m: _verdict(
        **{"names-fabrication": QUOTE, "explains-b": "B works because dict keeps insertion order"}
    )
    outcome = judge_outcome(await _judge(settings), ITEM, JUSTIFICATION)
    assert set(outcome.credited) == {"names-fabrication"}
    assert outcome.dropped == 2
    assert "LLM judge: 2 credits dropped because the quote is not in the justification" in outcome.notes


async def test_invalid_json_is_retried_once_with_a_correction(fake_llm: FakeLLM, settings: Settings) -> None:
    fake_llm.reply = lambda m: (
        "Sure! Response A is clearly fabricated." if len(m) == 2 else _verdict(**{"names-fabrication": QUOTE})
    )
    record = await _judge(settings)
    assert len(fake_llm.requests) == 4
    assert [len(run.outputs) for run in record.runs] == [2, 2] and all(run.error is None for run in record.runs)
    retry = next(r["messages"] for r in fake_llm.requests if len(r["messages"]) == 4)
    assert retry[2] == {"role": "assistant", "content": "Sure! Response A is clearly fabricated."}
    assert "not JSON" in retry[3]["content"]
    assert set(judge_outcome(record, ITEM, JUSTIFICATION).credited) == {"names-fabrication"}


async def test_invalid_json_twice_fails_the_judge_and_says_so(fake_llm: FakeLLM, settings: Settings) -> None:
    fake_llm.reply = lambda _m: '{"points": "all of them"}'
    record = await _judge(settings)
    assert len(fake_llm.requests) == 4
    assert all(run.error and run.error.startswith("invalid verdict after a corrective retry") for run in record.runs)
    outcome = judge_outcome(record, ITEM, JUSTIFICATION)
    assert outcome.failed and outcome.credited == {}
    assert "phrase look-fors and similarity stand alone" in outcome.notes[0]


async def test_position_biased_judge_is_cancelled_by_the_swap(fake_llm: FakeLLM, settings: Settings) -> None:
    # This judge credits every point it can quote, but only when response A is shown first.
    def biased(messages: Messages) -> str:
        credit = A_FIRST in _user(messages)
        return _verdict(**{"names-fabrication": QUOTE if credit else None, "accuracy-over-fluency": None})

    fake_llm.reply = biased
    record = await _judge(settings)
    shown_first = sorted(A_FIRST in _user(r["messages"]) for r in fake_llm.requests)
    assert shown_first == [False, True]  # one run per order
    outcome = judge_outcome(record, ITEM, JUSTIFICATION)
    assert outcome.credited == {}
    assert outcome.notes == (
        "LLM judge credited “Names the fabricated method or claim in response A” only with the responses in A/B order: not counted",
    )


async def test_a_judge_that_times_out_leaves_the_embedded_scorer_alone(fake_llm: FakeLLM, settings: Settings) -> None:
    fake_llm.delay_s = 2.0
    fake_llm.reply = lambda _m: _verdict(**{"names-fabrication": QUOTE})
    record = await _judge(settings, timeout_s=0.3)
    assert [run.error for run in record.runs] == ["no reply within 0.3 s"] * 2
    assert judge_outcome(record, ITEM, JUSTIFICATION).failed


async def test_submit_stores_the_evidence_and_regrading_reproduces_the_results(
    live: LiveServer, tenant_a: Tenant, fake_llm: FakeLLM
) -> None:
    fake_llm.reply = lambda m: _verdict(**{"names-fabrication": QUOTE}) if JUSTIFICATION in _user(m) else _verdict()
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client() as client:
        await client.post(f"/api/candidate/{token}/attempt")
        for task in PACK.tasks:
            for item in task.items:
                answer = ANSWER if item.id == ITEM.id else reference_answer(task, item)
                response = await client.put(
                    f"/api/candidate/{token}/answers/{task.id}/{item.id}",
                    json={"answer": answer.model_dump(mode="json")},
                )
                assert response.status_code == 200, response.text
        assert (await client.post(f"/api/candidate/{token}/submit")).status_code == 200
    async with live.services.sessions() as db:
        attempt = await db.scalar(select(AssessmentAttempt).where(AssessmentAttempt.invitation_id == invitation["id"]))
        assert attempt is not None and attempt.results is not None
        rows = list(await db.scalars(select(Answer).where(Answer.attempt_id == attempt.id)))
    results = attempt.results
    key = f"{TASK.id}/{ITEM.id}"
    assert set(results["evidence"]) == {f"{TASK.id}/{i.id}" for i in TASK.items}
    evidence = JustificationEvidence.model_validate(results["evidence"][key])
    assert evidence.judge is not None and evidence.similarity is not None
    assert len(fake_llm.requests) == 2 * len(TASK.items)
    item = next(i for i in results["tasks"][TASK.id]["items"] if i["item_id"] == ITEM.id)
    assert any("LLM judge in both A/B orders" in d for d in item["details"])
    stored: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        stored.setdefault(row.task_id, {})[row.item_id] = row.value
    assert grade_attempt(PACK, stored, set(results["late_items"]), results["evidence"]) == results
