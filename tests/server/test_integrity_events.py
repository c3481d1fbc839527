"""Integrity events over real HTTP: validated per kind, stored with the server's time and their item before the OK,
a retried batch stored once, and nothing here ever blocks the candidate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.store.models import Invitation
from tests.conftest import LiveServer, Tenant, invite, upload_builtin


async def _token(live: LiveServer, tenant: Tenant) -> tuple[str, str]:
    world = await upload_builtin(live, tenant)
    invitation = await invite(live, world, "assessment")
    return str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]


async def _export(live: LiveServer, tenant: Tenant, invitation_id: str) -> dict[str, Any]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.get(f"/api/invitations/{invitation_id}/export")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


BATCH = [
    {"id": "evt-consent-1", "kind": "consent", "notice": "integrity-notice-v1"},
    {"id": "evt-paste-0001", "kind": "paste", "length": 412, "field": "justification", "task_id": "preferences",
     "item_id": "pair-fabricated", "at": "2026-11-25T10:00:00Z"},
    {"id": "evt-hidden-001", "kind": "tab_hidden", "task_id": "entities"},
    {"id": "evt-visible-01", "kind": "tab_visible", "away_ms": 8200, "task_id": "entities"},
    {"id": "evt-asset-0001", "kind": "asset_error", "asset": "/api/candidate/x/assets/images/img-product",
     "status": 404, "task_id": "images", "item_id": "img-product"},
]  # fmt: skip


async def test_events_are_stored_with_server_time_and_a_retry_stores_nothing_twice(
    live: LiveServer, tenant_a: Tenant
) -> None:
    invitation_id, token = await _token(live, tenant_a)
    async with live.client() as client:
        first = await client.post(f"/api/candidate/{token}/events", json={"events": BATCH})
        retry = await client.post(
            f"/api/candidate/{token}/events", json={"events": [*BATCH, BATCH[0] | {"id": "evt-new-00001"}]}
        )
    assert first.status_code == retry.status_code == 200
    assert (first.json()["stored"], first.json()["duplicates"]) == (5, 0)
    assert (retry.json()["stored"], retry.json()["duplicates"]) == (1, 5)
    events = (await _export(live, tenant_a, invitation_id))["integrity_events"]
    assert [e["kind"] for e in events].count("paste") == 1 and len(events) == 6
    paste = next(e for e in events if e["kind"] == "paste")
    assert (paste["task_id"], paste["item_id"]) == ("preferences", "pair-fabricated")
    assert paste["detail"] == {"length": 412, "field": "justification"}
    assert paste["client_at"].startswith("2026-11-25T10:00:00") and paste["server_at"]
    async with live.client(headers=tenant_a.bearer()) as client:
        audit = (await client.get("/api/audit")).json()
    assert sum(e["action"] == "assessment.consent" for e in audit) == 2  # the original consent and the new id


async def test_bad_events_get_a_4xx_naming_the_field_and_store_nothing(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, token = await _token(live, tenant_a)
    good = {"id": "evt-good-0001", "kind": "focus_lost"}
    cases = [
        ({"events": [good, {"id": "evt-x-000001", "kind": "keylogger"}]}, 422, "body.events[1]"),
        ({"events": [{"id": "evt-x-000002", "kind": "paste", "field": "text"}]}, 422, "body.events[0].length"),
        ({"events": [{"id": "evt-x-000003", "kind": "paste", "length": -1, "field": "text"}]}, 422, "length"),
        ({"events": [good | {"text": "pasted secret"}]}, 422, "text"),
        ({"events": []}, 422, "body.events"),
        ({"events": [good, good | {"id": "evt-x-4", "task_id": "nope"}]}, 422, "body.events[1].id"),
        ({"events": [good, good | {"id": "evt-x-000005", "task_id": "nope"}]}, 400, "body.events[1].task_id"),
        ({"events": [good | {"id": "evt-x-000006", "item_id": "cls-ok"}]}, 400, "body.events[0].task_id"),
        ({"events": [good | {"id": "evt-x-000007", "task_id": "moderation", "item_id": "ner-hire"}]}, 400, "item_id"),
    ]
    async with live.client() as client:
        for body, status, field in cases:
            response = await client.post(f"/api/candidate/{token}/events", json=body)
            assert response.status_code == status, (body, response.text)
            fields = [row["field"] for row in response.json()["detail"]]
            assert any(field in f for f in fields), (field, fields)
    assert (await _export(live, tenant_a, invitation_id))["integrity_events"] == []


async def test_unknown_and_expired_tokens_are_refused(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, token = await _token(live, tenant_a)
    body = {"events": [{"id": "evt-focus-001", "kind": "focus_lost"}]}
    async with live.client() as client:
        assert (await client.post("/api/candidate/not-a-token/events", json=body)).status_code == 404
        async with live.services.sessions() as session:
            row = await session.get(Invitation, invitation_id)
            assert row is not None
            row.expires_at = live.services.clock() - timedelta(minutes=1)
            await session.commit()
        expired = await client.post(f"/api/candidate/{token}/events", json=body)
    assert expired.status_code == 410 and expired.json()["error"] == "invitation_expired"


async def test_events_after_submit_are_still_kept(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, token = await _token(live, tenant_a)
    async with live.client() as client:
        await client.post(f"/api/candidate/{token}/attempt")
        assert (await client.post(f"/api/candidate/{token}/submit")).status_code == 200
        late = await client.post(
            f"/api/candidate/{token}/events", json={"events": [{"id": "evt-after-001", "kind": "tab_hidden"}]}
        )
    assert late.status_code == 200 and late.json()["stored"] == 1
    assert [e["kind"] for e in (await _export(live, tenant_a, invitation_id))["integrity_events"]] == ["tab_hidden"]
