"""Candidate tokens: one token opens one invitation, shows no answers, and ends clearly."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from prompts.builtin import builtin_pack, builtin_script
from prompts.taskpack import ClassificationItem, InstructionItem, PairItem
from server.store.models import Invitation
from tests.conftest import LiveServer, Tenant, invite, upload_builtin

FORBIDDEN_KEYS = (
    "ground_truth",
    "look_fors",
    "phrases",
    "rationale",
    "reference_answer",
    "justification_points",
    "discrepancies",
    "boxes",
    "checks",
    "follow_ups",
    "dimension_weights",
    "ratings_a",
    "ratings_b",
    "sha256",
)


def _secret_strings() -> set[str]:
    """Every ground-truth, rubric and look-for text of the built-in content that is not also shown by design."""
    secrets: set[str] = set()
    for question in builtin_script().questions():
        for look_for in question.look_fors:
            secrets.add(look_for.description)
            secrets.update(p for p in look_for.phrases if " " in p and len(p) > 15)
        for rule in question.follow_ups:
            secrets.add(rule.text)
    for task in builtin_pack().tasks:
        for item in task.items:
            if isinstance(item, ClassificationItem) and item.ground_truth.rationale:
                secrets.add(item.ground_truth.rationale)
            elif isinstance(item, InstructionItem):
                if item.ground_truth.reference_answer:
                    secrets.add(item.ground_truth.reference_answer)
                for check in item.ground_truth.checks:
                    if check.check == "format":
                        secrets.add(check.pattern)
            elif isinstance(item, PairItem):
                for point in item.ground_truth.justification_points:
                    secrets.add(point.description)
    # Short strings ("4", "ok") occur in public text by chance; the key check above covers their fields.
    return {s for s in secrets if len(s) >= 8}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_candidate_payload_never_contains_ground_truth_rubric_or_look_fors(
    live: LiveServer, tenant_a: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "interview+assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    base = f"/api/candidate/{token}"
    async with live.client() as client:
        api = await client.get(base)
        pages = [await client.get(f"/c/{token}{suffix}") for suffix in ("", "/interview", "/assessment")]
        # Every response a candidate's page receives during the work samples, up to and after the submit.
        flow = [
            await client.post(f"{base}/attempt"),
            await client.put(
                f"{base}/answers/moderation/cls-ok", json={"answer": {"type": "text_classification", "label": "spam"}}
            ),
            await client.post(f"{base}/events", json={"events": [{"id": "evt-00000001", "kind": "focus_lost"}]}),
            await client.post(f"{base}/submit"),
            await client.get(f"{base}/attempt"),
        ]
        script = await client.get("/static/assessment.js")
    assert api.status_code == 200 and all(p.status_code == 200 for p in pages + flow), [p.text for p in pages + flow]
    payload = api.json()
    assert payload["assessment"]["task_count"] == 6
    assert not _keys(payload) & set(FORBIDDEN_KEYS)
    assert not any(_keys(r.json()) & set(FORBIDDEN_KEYS) for r in flow)
    serialized = json.dumps(payload) + "".join(p.text for p in pages + flow) + script.text
    leaked = [s for s in _secret_strings() if s in serialized]
    assert leaked == []


async def test_token_opens_exactly_its_own_invitation(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    first = await invite(live, world, "interview", name="First Person")
    second = await invite(live, world, "assessment", name="Second Person")
    async with live.client() as client:
        for invitation in (first, second):
            token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
            view = (await client.get(f"/api/candidate/{token}")).json()
            assert view["candidate_name"] == invitation["candidate_name"]
            assert view["mode"] == invitation["mode"]
        assert (await client.get("/api/candidate/not-a-real-token")).status_code == 404
        # A token is not an employer credential.
        token = str(first["candidate_url"]).rsplit("/", 1)[1]
        assert (await client.get("/api/invitations", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_first_open_marks_invitation_opened_and_audits_it(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client() as client:
        assert (await client.get(f"/api/candidate/{token}")).json()["state"] == "opened"
    async with live.client(headers=tenant_a.bearer()) as client:
        stored = (await client.get(f"/api/invitations/{invitation['id']}")).json()
        audit = (await client.get("/api/audit")).json()
    assert stored["state"] == "opened" and stored["opened_at"] is not None
    assert any(e["action"] == "invitation.opened" and e["actor"] == "candidate" for e in audit)


async def test_revoked_token_gets_410_with_clear_message(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "interview")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client(headers=tenant_a.bearer()) as client:
        revoked = await client.post(f"/api/invitations/{invitation['id']}/revoke", json={"reason": "role filled"})
        assert revoked.json()["state"] == "revoked"
    async with live.client() as client:
        api = await client.get(f"/api/candidate/{token}")
        page = await client.get(f"/c/{token}")
    assert api.status_code == 410
    assert api.json()["error"] == "invitation_revoked"
    assert "withdrawn by Alpha Inc." in api.json()["message"]
    assert page.status_code == 410 and "withdrawn by Alpha Inc." in page.text


async def test_expired_token_gets_410_with_reason(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.services.sessions() as session:
        row = await session.get(Invitation, str(invitation["id"]))
        assert row is not None
        row.expires_at = live.services.clock() - timedelta(minutes=1)
        await session.commit()
    async with live.client() as client:
        api = await client.get(f"/api/candidate/{token}")
        page = await client.get(f"/c/{token}")
    assert api.status_code == 410
    assert api.json()["error"] == "invitation_expired"
    assert "expired on" in api.json()["message"] and "ask Alpha Inc. for a new link" in api.json()["message"]
    assert page.status_code == 410 and "expired on" in page.text
    async with live.client(headers=tenant_a.bearer()) as client:
        listed = (await client.get("/api/invitations", params={"state": "expired"})).json()
    assert [i["id"] for i in listed["items"]] == [invitation["id"]]


async def test_candidate_can_fetch_item_images_only_through_their_token(live: LiveServer, tenant_a: Tenant) -> None:
    from server.seed import seed_demo

    async with live.services.sessions() as session:
        world = await seed_demo(session, live.services.clock(), 14)
        await session.commit()
    invitation = next(i for i in world.invitations.values() if i.pack_version_id)
    async with live.client() as client:
        view = (await client.get(f"/api/candidate/{invitation.token}")).json()
        image_task = next(t for t in view["assessment"]["tasks"] if t["type"] == "image_labels")
        url = image_task["items"][0]["asset"]["url"]
        image = await client.get(url)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        other = await client.get(url.replace(invitation.token, "someone-elses-token"))
        assert other.status_code == 404
