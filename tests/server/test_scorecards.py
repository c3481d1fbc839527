"""Scorecards from stored facts over the real service: computed when the interview ends and when the work samples
are submitted, evidence quotes found verbatim in the stored transcript, integrity only ever asking for review, and
``gaia rescore`` (a real process) reproducing the stored scorecard byte for byte."""

from __future__ import annotations

from typing import Any

from agent.store import SessionEvent, TurnRecord
from agent.store import Word as StoreWord
from prompts.builtin import builtin_pack
from scoring.grading.reference import reference_answer
from scoring.transcript import find_quote, turns_from_dicts
from server.scorecards import rescore
from server.settings import Settings
from server.store.repos.sessions import SessionRepo
from server.voice import SqlSessionStore
from tests.conftest import LiveServer, Tenant, gaia_rescore, invite, upload_builtin
from tests.scoring.test_interview import STRONG, STRONG_DELIVERY, interview

PACK = builtin_pack()


async def _interview_ends(
    live: LiveServer, tenant: Tenant, invitation_id: str, events: tuple[SessionEvent, ...] = ()
) -> None:
    """What a finished voice interview leaves behind (with ``events``, such as voice signals), written through the
    store the live session uses."""
    async with live.services.sessions() as db:
        session = await SessionRepo(db, tenant.employer_id).open(invitation_id, "webrtc", live.services.clock())
        await db.commit()
    services = live.services
    store = SqlSessionStore(
        services.sessions, tenant.employer_id, session.id, invitation_id, services.settings, services.embedder
    )
    for turn in interview(STRONG, STRONG_DELIVERY):
        words = tuple(StoreWord(w.text, w.start_ms, w.end_ms) for w in turn.words)
        await store.save_turn(TurnRecord(turn.speaker, turn.text, turn.start_ms, turn.end_ms, words))
    for event in events:
        await store.save_event(event)
    await store.end("completed", completed=True)


async def _submit_reference_answers(live: LiveServer, token: str) -> None:
    async with live.client() as client:
        await client.post(f"/api/candidate/{token}/attempt")
        for task in PACK.tasks:
            for item in task.items:
                answer = reference_answer(task, item).model_dump(mode="json")
                saved = await client.put(f"/api/candidate/{token}/answers/{task.id}/{item.id}", json={"answer": answer})
                assert saved.status_code == 200, saved.text
        assert (await client.post(f"/api/candidate/{token}/submit")).status_code == 200


async def _scorecard(live: LiveServer, tenant: Tenant, invitation_id: str) -> dict[str, Any]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.get(f"/api/invitations/{invitation_id}/scorecard")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_scorecard_follows_the_interview_and_the_work_samples_and_rescore_reproduces_it(
    live: LiveServer, settings: Settings, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "interview+assessment", "Sky Strong")
    invitation_id, token = str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]

    await _interview_ends(live, tenant_a, invitation_id)
    first = await _scorecard(live, tenant_a, invitation_id)
    assert first["version"] == 1 and first["scorer"] == "embedded"
    similarity = first["content"]["look_for_similarity"]  # the sentence embedder looked for the look-fors too
    assert first["model"] == similarity["model"] and similarity["matches"]
    assert "no work sample results" in [r["text"] for r in first["content"]["reasons"]]

    await _submit_reference_answers(live, token)
    card = await _scorecard(live, tenant_a, invitation_id)
    content = card["content"]
    assert card["version"] == 2
    assert content["look_for_similarity"] == similarity  # the same answers: reused, not recomputed
    assert content["recommendation"] == "advance", content["reasons"]
    assert content["work_sample"]["fraction"] == 1.0
    assert {d["dimension"] for d in content["dimensions"]} >= {"communication", "role_fit", "process_maturity"}

    async with live.client(headers=tenant_a.bearer()) as client:
        export = (await client.get(f"/api/invitations/{invitation_id}/export")).json()
    turns = turns_from_dicts(export["interview_sessions"][0]["turns"])
    quotes = [
        e
        for question in content["interview"]["questions"]
        for e in question["evidence"]
    ]  # fmt: skip
    assert quotes, "a strong interview has evidence"
    for quote in quotes:
        span = find_quote(turns, quote["quote"])
        assert span is not None, quote
        assert (span.start_ms, span.end_ms) == (quote["start_ms"], quote["end_ms"])

    async with live.client(headers=tenant_b.bearer()) as client:
        assert (await client.get(f"/api/invitations/{invitation_id}/scorecard")).status_code == 404
        assert (await client.post(f"/api/invitations/{invitation_id}/scorecard")).status_code == 404

    result = await gaia_rescore(settings.data_dir, invitation_id, "alpha")
    assert result.returncode == 0, result.stderr
    assert "identical" in result.stdout


async def test_integrity_asks_for_review_and_a_recompute_keeps_a_version_only_when_it_changed(
    live: LiveServer, tenant_a: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment", "Ira Integrity")
    invitation_id, token = str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]
    await _submit_reference_answers(live, token)
    clean = await _scorecard(live, tenant_a, invitation_id)
    assert clean["content"]["recommendation"] == "advance"
    assert clean["scorer"] == "work_sample_only" and clean["content"]["interview"] is None
    assert not any("interview" in r["text"] for r in clean["content"]["reasons"])  # none was expected

    async with live.client(headers=tenant_a.bearer()) as client:
        same = (await client.post(f"/api/invitations/{invitation_id}/scorecard")).json()
        assert same["version"] == clean["version"]  # nothing changed: no new version
        async with live.client() as candidate:
            event = {"id": "evt-paste-big1", "kind": "paste", "length": 900, "field": "justification",
                     "task_id": "preferences", "item_id": "pair-tie"}  # fmt: skip
            assert (await candidate.post(f"/api/candidate/{token}/events", json={"events": [event]})).status_code == 200
        flagged = (await client.post(f"/api/invitations/{invitation_id}/scorecard")).json()
    assert flagged["version"] == clean["version"] + 1
    assert flagged["content"]["recommendation"] == "review"  # integrity asks for a person; it is never a risk
    assert "1 integrity indicator asks for review" in [r["text"] for r in flagged["content"]["reasons"]]
    assert flagged["content"]["overall"] == clean["content"]["overall"]


async def test_the_employers_voice_thresholds_decide_whether_a_second_voice_asks_for_review(
    live: LiveServer, tenant_a: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "interview+assessment", "Val Voices")
    invitation_id = str(invitation["id"])
    second_voice = SessionEvent("voice.second_speaker", 40_000, 41_500, {"question_id": "experience"})
    await _interview_ends(live, tenant_a, invitation_id, (second_voice,))
    noted = (await _scorecard(live, tenant_a, invitation_id))["content"]
    sentence = "A second voice may be present from 0:40 to 0:41 (question 1)"
    assert [(i["sentence"], i["severity"]) for i in noted["integrity"]] == [(sentence, "info")]  # 1.5 s < 2 s
    async with live.client(headers=tenant_a.bearer()) as admin:
        assert (await admin.get("/api/settings/integrity")).json()["second_voice_ms"] == 2_000
        bad = await admin.put("/api/settings/integrity", json={"second_voice_ms": 100})
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "body.second_voice_ms"
        assert (await admin.put("/api/settings/integrity", json={"second_voice_ms": 1_000})).status_code == 200
        async with live.services.sessions() as db:  # the stored card keeps the thresholds it was computed with
            assert (await rescore(db, tenant_a.employer_id, invitation_id)).identical
        flagged = (await admin.post(f"/api/invitations/{invitation_id}/scorecard")).json()["content"]
    assert [(i["sentence"], i["severity"]) for i in flagged["integrity"]] == [(sentence, "review")]
    assert "1 integrity indicator asks for review" in [r["text"] for r in flagged["reasons"]]
    assert flagged["integrity_thresholds"]["second_voice_ms"] == 1_000
