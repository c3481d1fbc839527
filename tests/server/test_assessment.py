"""The work-sample attempt over real HTTP: resume without restarting the clock, answers persisted before the OK,
idempotent retries, late answers kept but not graded as on-time, grading on submit from stored answers."""

from __future__ import annotations

import json
from datetime import timedelta

from prompts.builtin import builtin_pack
from scoring.grading.reference import reference_answer
from server.store.models import AssessmentAttempt, Invitation
from tests.conftest import LiveServer, Tenant, invite, upload_builtin

PACK = builtin_pack()


async def _token(live: LiveServer, tenant: Tenant, mode: str = "assessment") -> tuple[str, str]:
    world = await upload_builtin(live, tenant)
    invitation = await invite(live, world, mode)
    return str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]


def _answer_body(task_id: str, item_id: str, key: str | None = None) -> dict[str, object]:
    task = next(t for t in PACK.tasks if t.id == task_id)
    item = next(i for i in task.items if i.id == item_id)
    body: dict[str, object] = {"answer": reference_answer(task, item).model_dump(mode="json")}
    if key:
        body["idempotency_key"] = key
    return body


async def test_start_is_idempotent_and_the_clock_is_the_servers(live: LiveServer, tenant_a: Tenant) -> None:
    _, token = await _token(live, tenant_a)
    async with live.client() as client:
        first = (await client.post(f"/api/candidate/{token}/attempt")).json()
        again = (await client.post(f"/api/candidate/{token}/attempt")).json()
    assert first["attempt_id"] == again["attempt_id"] and first["deadline_at"] == again["deadline_at"]
    assert 0 < again["remaining_s"] <= PACK.time_limit_s
    assert first["answers"] == {} and first["state"] == "in_progress"


async def test_answers_are_saved_revised_and_deduplicated_by_key(live: LiveServer, tenant_a: Tenant) -> None:
    _, token = await _token(live, tenant_a)
    async with live.client() as client:
        await client.post(f"/api/candidate/{token}/attempt")
        url = f"/api/candidate/{token}/answers/moderation/cls-ok"
        saved = await client.put(url, json=_answer_body("moderation", "cls-ok", key="k1"))
        retried = await client.put(url, json=_answer_body("moderation", "cls-ok", key="k1"))
        revised = await client.put(
            url, json={"answer": {"type": "text_classification", "label": "spam"}, "idempotency_key": "k2"}
        )
        resumed = (await client.post(f"/api/candidate/{token}/attempt")).json()
    assert saved.status_code == retried.status_code == revised.status_code == 200
    assert saved.json()["revision"] == retried.json()["revision"] == 1
    assert revised.json()["revision"] == 2
    assert resumed["answers"] == {
        "moderation": {
            "cls-ok": {
                "type": "text_classification",
                "label": "spam",
                "flagged_ambiguous": False,
                "note": None,
                "confidence": None,
            }
        }
    }


async def test_bad_answers_are_refused_with_the_field_named(live: LiveServer, tenant_a: Tenant) -> None:
    _, token = await _token(live, tenant_a)
    async with live.client() as client:
        before = await client.put(
            f"/api/candidate/{token}/answers/moderation/cls-ok", json=_answer_body("moderation", "cls-ok")
        )
        await client.post(f"/api/candidate/{token}/attempt")
        wrong_type = await client.put(
            f"/api/candidate/{token}/answers/moderation/cls-ok", json=_answer_body("entities", "ner-hire")
        )
        unknown_item = await client.put(
            f"/api/candidate/{token}/answers/moderation/nope", json=_answer_body("moderation", "cls-ok")
        )
        extra = await client.put(
            f"/api/candidate/{token}/answers/moderation/cls-ok",
            json={"answer": {"type": "text_classification", "label": "ok", "score": 1}},
        )
        overlap = await client.put(
            f"/api/candidate/{token}/answers/entities/ner-hire",
            json={
                "answer": {
                    "type": "ner",
                    "spans": [{"start": 0, "end": 2, "type": "PERSON"}, {"start": 1, "end": 3, "type": "ORG"}],
                }
            },
        )
    assert before.status_code == 409 and "start the work samples" in before.json()["message"]
    assert wrong_type.status_code == 400 and wrong_type.json()["detail"][0]["field"] == "body.answer.type"
    assert unknown_item.status_code == 404
    assert extra.status_code == 422 and extra.json()["detail"][0]["field"] == "body.answer.score"
    assert overlap.status_code == 422 and "overlap" in overlap.json()["detail"][0]["message"]


async def test_submit_grades_stored_answers_and_late_ones_do_not_count(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, token = await _token(live, tenant_a)
    async with live.client() as client:
        await client.post(f"/api/candidate/{token}/attempt")
        for task in PACK.tasks:
            if task.id == "moderation":
                continue
            for item in task.items:
                response = await client.put(
                    f"/api/candidate/{token}/answers/{task.id}/{item.id}", json=_answer_body(task.id, item.id)
                )
                assert response.status_code == 200 and response.json()["late"] is False
        real_clock = live.services.clock
        live.services.clock = lambda: real_clock() + timedelta(seconds=PACK.time_limit_s + 60)
        try:
            late = await client.put(
                f"/api/candidate/{token}/answers/moderation/cls-ok", json=_answer_body("moderation", "cls-ok")
            )
            assert late.status_code == 200 and late.json()["late"] is True
            submitted = await client.post(f"/api/candidate/{token}/submit")
            again = await client.post(f"/api/candidate/{token}/submit")
            locked = await client.put(
                f"/api/candidate/{token}/answers/moderation/cls-ok", json=_answer_body("moderation", "cls-ok")
            )
        finally:
            live.services.clock = real_clock
    assert submitted.status_code == 200 and again.json() == submitted.json()
    assert locked.status_code == 409
    assert set(submitted.json()) == {"submitted_at"}  # the candidate gets no grades
    async with live.services.sessions() as db:
        invitation = await db.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == "completed"
        from sqlalchemy import select

        attempt = await db.scalar(select(AssessmentAttempt).where(AssessmentAttempt.invitation_id == invitation_id))
    assert attempt is not None and attempt.results is not None
    results = attempt.results
    assert results["late_items"] == ["moderation/cls-ok"]
    for task in PACK.tasks:
        expected = 0.0 if task.id == "moderation" else 1.0
        assert results["tasks"][task.id]["fraction"] == expected, (task.id, results["tasks"][task.id])
    late_item = next(i for i in results["tasks"]["moderation"]["items"] if i["item_id"] == "cls-ok")
    assert late_item["answered"] is False
    assert results["passed"] is True and results["fraction"] > PACK.pass_score


async def test_attempt_payload_never_contains_ground_truth(live: LiveServer, tenant_a: Tenant) -> None:
    _, token = await _token(live, tenant_a, mode="interview+assessment")
    async with live.client() as client:
        body = (await client.post(f"/api/candidate/{token}/attempt")).json()
    text = json.dumps(body)
    for word in ("ground_truth", "rationale", "reference_answer", "justification_points"):
        assert word not in text


async def test_employer_export_carries_answers_and_grades_and_stays_in_its_tenant(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    invitation_id, token = await _token(live, tenant_a)
    async with live.client() as client:
        await client.post(f"/api/candidate/{token}/attempt")
        await client.put(f"/api/candidate/{token}/answers/moderation/cls-ok", json=_answer_body("moderation", "cls-ok"))
        await client.post(f"/api/candidate/{token}/submit")
    async with live.client(headers=tenant_a.bearer()) as client:
        doc = (await client.get(f"/api/invitations/{invitation_id}/export")).json()
    assert doc["format"] == "gaia.export/1" and "token" not in doc["invitation"]
    assert [a["item_id"] for a in doc["answers"]] == ["cls-ok"]
    assert doc["assessment_attempt"]["results"]["tasks"]["moderation"]["score"] == 1.0
    async with live.client(headers=tenant_b.bearer()) as client:
        assert (await client.get(f"/api/invitations/{invitation_id}/export")).status_code == 404
