"""The human decision API over real HTTP: who may decide, what a decision needs, and who may see it."""

from __future__ import annotations

from tests.conftest import LiveServer, Tenant, invite, signed_in, upload_builtin


async def _invitation_of(live: LiveServer, tenant: Tenant) -> str:
    world = await upload_builtin(live, tenant)
    return str((await invite(live, world, "interview+assessment"))["id"])


async def test_reviewer_records_a_decision_and_it_is_listed_with_their_name(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    path = f"/api/invitations/{invitation_id}/decisions"
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        created = await client.post(path, json={"outcome": "advance", "note": "  Strong NER work, clear answers.  "})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["outcome"] == "advance"
        assert body["note"] == "Strong NER work, clear answers."
        assert body["decided_by"]["name"] == "Reviewer"
        assert body["decided_by"]["email"] == tenant_a.reviewer_email
        assert body["decided_by"]["user_id"].startswith("usr_")
        assert body["superseded"] is False

        listed = await client.get(path)
        assert listed.status_code == 200, listed.text
        assert [d["id"] for d in listed.json()] == [body["id"]]
        assert listed.json()[0]["decided_by"]["name"] == "Reviewer"


async def test_a_later_decision_supersedes_and_the_earlier_stays_visible(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    path = f"/api/invitations/{invitation_id}/decisions"
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        first = await reviewer.post(path, json={"outcome": "hold", "note": "Wait for the second work sample."})
        assert first.status_code == 201, first.text
    async with signed_in(live, tenant_a.admin_email, tenant_a.password) as admin:
        second = await admin.post(path, json={"outcome": "reject", "note": "Guideline misses on every task."})
        assert second.status_code == 201, second.text
        listed = (await admin.get(path)).json()
    assert [(d["outcome"], d["decided_by"]["name"], d["superseded"]) for d in listed] == [
        ("hold", "Reviewer", True),
        ("reject", "Admin", False),
    ]


async def test_missing_or_short_note_gets_422_naming_body_note(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    path = f"/api/invitations/{invitation_id}/decisions"
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        for body in ({"outcome": "advance"}, {"outcome": "advance", "note": "  ok  "}, {"outcome": "hold", "note": ""}):
            response = await client.post(path, json=body)
            assert response.status_code == 422, response.text
            assert [row["field"] for row in response.json()["detail"]] == ["body.note"], response.text
        too_long = await client.post(path, json={"outcome": "hold", "note": "x" * 4001})
        assert too_long.status_code == 422
        assert too_long.json()["detail"][0]["field"] == "body.note"
        bad_outcome = await client.post(path, json={"outcome": "maybe", "note": "Not sure yet."})
        assert bad_outcome.status_code == 422
        assert bad_outcome.json()["detail"][0]["field"] == "body.outcome"
        assert (await client.get(path)).json() == []


async def test_other_tenants_reviewer_gets_404_for_the_invitation(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    path = f"/api/invitations/{invitation_id}/decisions"
    async with signed_in(live, tenant_b.reviewer_email, tenant_b.password) as client:
        posted = await client.post(path, json={"outcome": "reject", "note": "Not my candidate."})
        assert posted.status_code == 404, posted.text
        assert posted.json()["error"] == "not_found"
        listed = await client.get(path)
        assert listed.status_code == 404, listed.text
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        assert (await client.get(path)).json() == []


async def test_unknown_invitation_gets_the_same_404_as_another_tenants(live: LiveServer, tenant_a: Tenant) -> None:
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        response = await client.post("/api/invitations/inv_nope/decisions", json={"outcome": "hold", "note": "Why?"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_api_key_gets_403_saying_a_person_must_decide(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    path = f"/api/invitations/{invitation_id}/decisions"
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post(path, json={"outcome": "advance", "note": "Automated advance."})
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden"
        assert "person signed in" in response.json()["message"]
        listed = await client.get(path)
        assert listed.status_code == 200
        assert listed.json() == []


async def test_anonymous_gets_401(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    path = f"/api/invitations/{invitation_id}/decisions"
    async with live.client() as client:
        posted = await client.post(path, json={"outcome": "advance", "note": "Who am I?"})
        assert posted.status_code == 401
        assert (await client.get(path)).status_code == 401


async def test_decision_is_in_the_audit_log_with_its_outcome(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id = await _invitation_of(live, tenant_a)
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        created = await client.post(
            f"/api/invitations/{invitation_id}/decisions", json={"outcome": "reject", "note": "Missed entity spans."}
        )
        assert created.status_code == 201, created.text
        decision = created.json()
        entries = [e for e in (await client.get("/api/audit")).json() if e["action"] == "decision.recorded"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["actor"] == f"user:{decision['decided_by']['user_id']}"
    assert entry["target_type"] == "invitation"
    assert entry["target_id"] == invitation_id
    assert entry["detail"] == {"outcome": "reject", "decision_id": decision["id"]}
