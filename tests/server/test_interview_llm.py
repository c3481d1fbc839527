"""The LLM interview scorer over the real service and real HTTP, through the ``openai`` client.

The endpoint is a fake OpenAI-compatible server on loopback (FastAPI + uvicorn answering POST
/v1/chat/completions): it stands in for a hosted LLM, which cannot run here, and each test scripts its replies: a
reply with one fabricated quote, invalid JSON before a valid reply, or no server at all. Everything else is real:
the interview stored through the voice session store, the prompt template, the client, quote verification, the
stored scorecard, and ``rescore`` (in process and as ``gaia rescore``) reusing the stored reply."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prompts.builtin import builtin_script
from scoring.interview_llm import PROMPT_VERSION
from scoring.transcript import find_quote, turns_from_dicts
from server.scorecards import rescore
from server.settings import Settings
from tests.conftest import LiveServer, Tenant, gaia_rescore, invite, upload_builtin
from tests.fake_llm import FakeLLM
from tests.scoring.test_interview import STRONG
from tests.server.test_scorecards import _interview_ends as store_finished_interview

SCRIPT = builtin_script()
MODEL = "fake-scorer"
FABRICATED = "I personally rewrote the whole guideline for the client"


def _scores_reply(fabricate_in: str | None = None) -> str:
    """Every question scored 4 with a claim quoting the first words of the strong answer; one made-up claim added."""
    questions = []
    for q in SCRIPT.questions():
        claims = [{"claim": "answers concretely", "quote": " ".join(STRONG[q.id].split()[:9]), "supports": "specific"}]
        if q.id == fabricate_in:
            claims.append({"claim": "rewrote the guideline", "quote": FABRICATED, "supports": "specific"})
        questions.append({"question_id": q.id, "score": 4, "claims": claims})
    return json.dumps({"questions": questions})


@pytest.fixture
def settings(settings: Settings, fake_llm: FakeLLM) -> Settings:
    """The live server's settings with the LLM pointed at the fake endpoint."""
    update = {"llm_model": MODEL, "openai_base_url": fake_llm.url, "interview_scorer_timeout_s": 5}
    return settings.model_copy(update=update)


async def _interview_ends(live: LiveServer, tenant: Tenant) -> str:
    """An invitation whose finished interview is stored through the voice session store."""
    world = await upload_builtin(live, tenant)
    invitation_id = str((await invite(live, world, "interview+assessment", "Sky Strong"))["id"])
    await store_finished_interview(live, tenant, invitation_id)
    return invitation_id


async def _recompute(live: LiveServer, tenant: Tenant, invitation_id: str) -> dict[str, Any]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.post(f"/api/invitations/{invitation_id}/scorecard")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rescore_identical(live: LiveServer, tenant: Tenant, invitation_id: str) -> bool:
    async with live.services.sessions() as db:
        return (await rescore(db, tenant.employer_id, invitation_id)).identical


async def test_fabricated_claim_is_dropped_and_counted_and_rescore_reuses_the_stored_reply(
    live: LiveServer, settings: Settings, fake_llm: FakeLLM, tenant_a: Tenant
) -> None:
    fake_llm.reply = lambda _m: _scores_reply(fabricate_in="guideline-disagreement")
    invitation_id = await _interview_ends(live, tenant_a)
    card = await _recompute(live, tenant_a, invitation_id)
    assert len(fake_llm.requests) == 1
    [request] = fake_llm.requests
    assert request["temperature"] == 0 and request["model"] == MODEL
    assert (card["scorer"], card["model"], card["prompt_version"]) == ("llm", MODEL, PROMPT_VERSION)

    content = card["content"]
    assert content["llm_scoring"]["dropped_claims"] == 1
    assert content["llm_scoring"]["dropped_by_question"] == {"guideline-disagreement": 1}
    assert content["llm_scoring"]["dropped"][0]["quote"] == FABRICATED
    assert content["llm_reply"]["outputs"] == [fake_llm.reply([])] and content["llm_reply"]["error"] is None
    assert "scorer_note" not in content
    questions = {q["question_id"]: q for q in content["interview"]["questions"]}
    assert all(q["score"] == 4.0 for q in questions.values())  # one verified claim still backs that question

    async with live.client(headers=tenant_a.bearer()) as client:
        export = (await client.get(f"/api/invitations/{invitation_id}/export")).json()
    turns = turns_from_dicts(export["interview_sessions"][0]["turns"])
    quotes = [e for q in questions.values() for e in q["evidence"]]
    assert quotes and all(e["quote"] != FABRICATED for e in quotes)
    for quote in quotes:
        span = find_quote(turns, quote["quote"], speaker="candidate")
        assert span is not None and (span.start_ms, span.end_ms) == (quote["start_ms"], quote["end_ms"]), quote

    # Recomputing reuses the stored reply: same version, same bytes, and the model is not asked again.
    assert (await _recompute(live, tenant_a, invitation_id))["version"] == card["version"]
    assert await _rescore_identical(live, tenant_a, invitation_id)
    result = await gaia_rescore(settings.data_dir, invitation_id, "alpha")
    assert result.returncode == 0, result.stderr
    assert "identical" in result.stdout
    assert len(fake_llm.requests) == 1


async def test_invalid_json_is_retried_once_with_a_correction(
    live: LiveServer, fake_llm: FakeLLM, tenant_a: Tenant
) -> None:
    fake_llm.reply = lambda m: "Sure! This candidate is great." if len(m) == 2 else _scores_reply()
    invitation_id = await _interview_ends(live, tenant_a)
    card = await _recompute(live, tenant_a, invitation_id)
    assert len(fake_llm.requests) == 2
    retry = fake_llm.requests[1]["messages"]
    assert retry[2] == {"role": "assistant", "content": "Sure! This candidate is great."}
    assert "not JSON" in retry[3]["content"]
    assert card["scorer"] == "llm" and card["content"]["llm_scoring"]["dropped_claims"] == 0
    assert len(card["content"]["llm_reply"]["outputs"]) == 2
    assert await _rescore_identical(live, tenant_a, invitation_id)
    assert len(fake_llm.requests) == 2


async def test_an_unreachable_llm_leaves_the_embedded_scorer_and_says_why(
    live: LiveServer, fake_llm: FakeLLM, tenant_a: Tenant
) -> None:
    invitation_id = await _interview_ends(live, tenant_a)
    await fake_llm.stop()
    card = await _recompute(live, tenant_a, invitation_id)
    assert card["scorer"] == "embedded"
    assert card["model"] == card["content"]["look_for_similarity"]["model"]  # the sentence embedder, not the LLM
    note = card["content"]["scorer_note"]
    assert note.startswith("LLM interview scorer gave no usable reply (APIConnectionError") and "embedded" in note
    assert card["content"]["llm_reply"]["outputs"] == []
    assert await _rescore_identical(live, tenant_a, invitation_id)  # the stored failure is reproduced, not retried
