"""Invitations: modes, pinned content versions, filters, revocation and the audit trail."""

from __future__ import annotations

import asyncio

import yaml

from prompts.builtin import SCRIPT_PATHS
from tests.conftest import LiveServer, Tenant, invite, upload_builtin


async def test_each_mode_pins_what_it_needs(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    interview = await invite(live, world, "interview")
    both = await invite(live, world, "interview+assessment")
    assessment = await invite(live, world, "assessment")
    assert interview["script_version_id"] and interview["pack_version_id"] is None
    assert both["script_version_id"] and both["pack_version_id"]
    assert assessment["script_version_id"] is None and assessment["pack_version_id"]
    for inv in (interview, both, assessment):
        assert inv["state"] == "created"
        assert str(inv["candidate_url"]).startswith(f"{live.url}/c/")


async def test_interview_plus_assessment_uses_the_pack_the_script_links(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post(
            "/api/invitations",
            json={"mode": "interview+assessment", "candidate_name": "A", "script_id": world.script_id},
        )
        pack = (await client.get(f"/api/packs/{world.pack_id}")).json()
    assert response.status_code == 201
    assert response.json()["pack_version_id"] == pack["version"]["id"]


async def test_invitation_keeps_the_version_it_was_sent_with(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    before = await invite(live, world, "interview")
    data = yaml.safe_load(SCRIPT_PATHS["data-annotator"].read_text())
    data["title"] = "Data annotator interview, revised"
    async with live.client(headers=tenant_a.bearer()) as client:
        same = await client.post(
            "/api/scripts", json={"content": yaml.safe_load(SCRIPT_PATHS["data-annotator"].read_text())}
        )
        assert same.status_code == 201 and same.json()["created"] is False
        revised = await client.post("/api/scripts", json={"content": data})
        assert revised.json()["latest_version"] == 2 and revised.json()["created"] is True
        assert [v["version"] for v in revised.json()["versions"]] == [1, 2]
        after = await invite(live, world, "interview")
        old = (await client.get(f"/api/invitations/{before['id']}")).json()
    assert old["script_version_id"] == before["script_version_id"]
    assert after["script_version_id"] != before["script_version_id"]
    assert after["script_version_id"] == revised.json()["version"]["id"]


async def test_list_filters_by_state_mode_and_text(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    ada = await invite(live, world, "interview", name="Ada Lovelace")
    await invite(live, world, "assessment", name="Grace Hopper")
    async with live.client(headers=tenant_a.bearer()) as client:
        await client.post(f"/api/invitations/{ada['id']}/revoke", json={})
        by_mode = (await client.get("/api/invitations", params={"mode": "assessment"})).json()
        by_state = (await client.get("/api/invitations", params={"state": "revoked"})).json()
        by_text = (await client.get("/api/invitations", params={"q": "hopp"})).json()
        paged = (await client.get("/api/invitations", params={"limit": 1, "offset": 1})).json()
    assert [i["candidate_name"] for i in by_mode["items"]] == ["Grace Hopper"]
    assert [i["candidate_name"] for i in by_state["items"]] == ["Ada Lovelace"]
    assert [i["candidate_name"] for i in by_text["items"]] == ["Grace Hopper"]
    assert paged["total"] == 2 and len(paged["items"]) == 1


async def test_revoking_twice_is_fine_but_revoking_completed_is_409(live: LiveServer, tenant_a: Tenant) -> None:
    from server.store.models import Invitation

    world = await upload_builtin(live, tenant_a)
    first = await invite(live, world, "interview")
    done = await invite(live, world, "interview")
    async with live.services.sessions() as session:
        row = await session.get(Invitation, str(done["id"]))
        assert row is not None
        row.state = "completed"
        await session.commit()
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.post(f"/api/invitations/{first['id']}/revoke", json={})).status_code == 200
        assert (await client.post(f"/api/invitations/{first['id']}/revoke", json={})).status_code == 200
        response = await client.post(f"/api/invitations/{done['id']}/revoke", json={})
    assert response.status_code == 409
    assert "completed" in response.json()["message"]


async def test_audit_log_records_who_did_what(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment")
    async with live.client(headers=tenant_a.bearer()) as client:
        await client.post(f"/api/invitations/{invitation['id']}/revoke", json={"reason": "duplicate"})
        entries = (await client.get("/api/audit")).json()
        older = (await client.get("/api/audit", params={"before": entries[0]["id"], "limit": 1})).json()
    actions = [e["action"] for e in entries]
    assert actions[:2] == ["invitation.revoked", "invitation.created"]
    assert {"script.version_created", "pack.version_created"} <= set(actions)
    assert entries[0]["detail"] == {"reason": "duplicate"}
    assert all(e["actor"].startswith("api_key:") for e in entries)
    assert older == entries[1:2]


async def test_archived_script_leaves_lists_but_stays_readable(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.delete(f"/api/scripts/{world.script_id}")).status_code == 204
        assert (await client.get("/api/scripts")).json() == []
        assert (await client.get(f"/api/scripts/{world.script_id}")).json()["archived"] is True


async def test_the_same_script_posted_concurrently_is_stored_once_and_every_request_succeeds(
    live: LiveServer, tenant_a: Tenant
) -> None:
    """Four requests store one new script at the same moment (a deploy script retried, two admins): each reads
    "no such script" and one insert wins the unique key; the others start over and find it, so none gets a 500."""
    content = yaml.safe_load(SCRIPT_PATHS["data-annotator"].read_text())
    revised = [{**content, "title": f"Revision {n}"} for n in range(3)]
    async with live.client(headers=tenant_a.bearer()) as client:
        same = await asyncio.gather(*(client.post("/api/scripts", json={"content": content}) for _ in range(4)))
        assert [r.status_code for r in same] == [201] * 4, [r.text for r in same]
        assert sorted(r.json()["created"] for r in same) == [False, False, False, True]
        assert len({r.json()["id"] for r in same}) == 1
        changed = await asyncio.gather(*(client.post("/api/scripts", json={"content": c}) for c in revised))
        assert [r.status_code for r in changed] == [201] * 3, [r.text for r in changed]
        detail = (await client.get(f"/api/scripts/{same[0].json()['id']}")).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2, 3, 4]
    assert sorted(r.json()["version"]["version"] for r in changed) == [2, 3, 4]
