"""Employer fairness settings over real HTTP: integrity thresholds that only move review/note, self-reported groups
that admins record and reviewers never see, and the adverse-impact report (selection rates, four-fifths)."""

from __future__ import annotations

from tests.conftest import LiveServer, Tenant, invite, signed_in, upload_builtin


async def test_integrity_thresholds_are_the_employers_and_only_admins_set_them(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment", "Tess Tab")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client() as candidate:
        await candidate.post(f"/api/candidate/{token}/attempt")
        event = {"id": "evt-tab-000001", "kind": "tab_hidden", "task_id": "entities"}
        assert (await candidate.post(f"/api/candidate/{token}/events", json={"events": [event]})).status_code == 200
        assert (await candidate.post(f"/api/candidate/{token}/submit")).status_code == 200
    async with live.client(headers=tenant_a.bearer()) as admin:
        defaults = (await admin.get("/api/settings/integrity")).json()
        assert defaults["tab_switches"] == 3
        before = (await admin.get(f"/api/invitations/{invitation['id']}/scorecard")).json()["content"]
        assert not any("integrity" in r["text"] for r in before["reasons"])  # one switch is a note by default
        bad = await admin.put("/api/settings/integrity", json={"tab_switches": 0})
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "body.tab_switches"
        assert (await admin.put("/api/settings/integrity", json={"tab_switches": 1})).status_code == 200
        after = (await admin.post(f"/api/invitations/{invitation['id']}/scorecard")).json()["content"]
    assert "1 integrity indicator asks for review" in [r["text"] for r in after["reasons"]]
    assert after["recommendation"] in ("review", "risk") and after["overall"] == before["overall"]
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        assert (await reviewer.put("/api/settings/integrity", json={"tab_switches": 9})).status_code == 403
    async with live.client(headers=tenant_b.bearer()) as other:
        assert (await other.get("/api/settings/integrity")).json()["tab_switches"] == 3  # A's setting stays A's


async def test_adverse_impact_from_self_reported_groups_that_reviewers_never_see(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    plan = (
        [("Group X", "advance")] * 4
        + [("Group X", "reject")]
        + [("Group Y", "advance")] * 2
        + [("Group Y", "hold")] * 3
    )
    ids = []
    async with live.client(headers=tenant_a.bearer()) as admin:
        for n, (group, _) in enumerate(plan):
            invitation = await invite(live, world, "assessment", f"Person {n}")
            ids.append(str(invitation["id"]))
            response = await admin.put(f"/api/invitations/{invitation['id']}/demographics", json={"group": group})
            assert response.status_code == 204, response.text
        blank = await admin.put(f"/api/invitations/{ids[0]}/demographics", json={"group": "  "})
        assert blank.status_code == 422 and blank.json()["detail"][0]["field"] == "body.group"
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        for invitation_id, (_, outcome) in zip(ids, plan, strict=True):
            decided = await reviewer.post(
                f"/api/invitations/{invitation_id}/decisions", json={"outcome": outcome, "note": "test decision"}
            )
            assert decided.status_code == 201, decided.text
        assert (await reviewer.get("/api/reports/adverse-impact")).status_code == 403
        assert (await reviewer.put(f"/api/invitations/{ids[0]}/demographics", json={"group": "Z"})).status_code == 403
        page = await reviewer.get(f"/review/{ids[0]}")
        export = await reviewer.get(f"/api/invitations/{ids[0]}/export")
    assert page.status_code == 200 and "Group X" not in page.text
    assert export.status_code == 200 and "Group X" not in export.text

    async with live.client(headers=tenant_a.bearer()) as admin:
        report = (await admin.get("/api/reports/adverse-impact")).json()
    groups = {g["group"]: g for g in report["groups"]}
    assert report["candidates"] == 10
    assert (groups["Group X"]["selected"], groups["Group X"]["total"]) == (4, 5)
    assert (groups["Group Y"]["selected"], groups["Group Y"]["total"]) == (2, 5)
    assert groups["Group X"]["impact_ratio"] == 1.0
    assert groups["Group Y"]["impact_ratio"] == 0.5 and groups["Group Y"]["below_four_fifths"]
    async with live.client(headers=tenant_b.bearer()) as other:
        assert (await other.get("/api/reports/adverse-impact")).json()["candidates"] == 0
        assert (await other.put(f"/api/invitations/{ids[0]}/demographics", json={"group": "Q"})).status_code == 404
