"""Bulk invitations from a CSV file over real HTTP: all or nothing, each problem named by line and column."""

from __future__ import annotations

from tests.conftest import LiveServer, Tenant, signed_in, upload_builtin


def _csv(*lines: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("candidates.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}


async def _count(live: LiveServer, tenant: Tenant) -> int:
    async with live.client(headers=tenant.bearer()) as client:
        total: int = (await client.get("/api/invitations")).json()["total"]
    return total


async def test_a_csv_invites_every_line_with_the_chosen_mode(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post(
            "/api/invitations/bulk",
            files=_csv("candidate_name,candidate_email,time_multiplier", "Ana One,ana@example.org,", "Bo Two,,1.5"),
            data={"mode": "assessment", "pack_id": world.pack_id},
        )
    assert response.status_code == 201, response.text
    created = response.json()["created"]
    assert [c["candidate_name"] for c in created] == ["Ana One", "Bo Two"]
    assert [c["time_multiplier"] for c in created] == [1.0, 1.5]
    assert {c["mode"] for c in created} == {"assessment"}


async def test_one_bad_line_invites_nobody_and_names_each_problem(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post(
            "/api/invitations/bulk",
            files=_csv("candidate_name,candidate_email", "Ana One,ana@example.org", "Bo Two,not-an-email", ",x@y.org"),
            data={"mode": "assessment", "pack_id": world.pack_id},
        )
    assert response.status_code == 422
    fields = [row["field"] for row in response.json()["detail"]]
    assert fields == ["file line 3: candidate_email", "file line 4: candidate_name"]
    assert await _count(live, tenant_a) == 0


async def test_bad_files_are_refused_clearly(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    cases = [
        (_csv("name,email", "Ana,ana@example.org"), 400, "candidate_name"),
        (_csv("candidate_name,phone", "Ana,555"), 400, "unknown column"),
        (_csv("candidate_name"), 400, "no candidates"),
        ({"file": ("c.csv", "candidate_name\nJosé\n".encode("latin-1"), "text/csv")}, 400, "UTF-8"),
    ]
    async with live.client(headers=tenant_a.bearer()) as client:
        for files, status, words in cases:
            response = await client.post(
                "/api/invitations/bulk", files=files, data={"mode": "assessment", "pack_id": world.pack_id}
            )
            assert response.status_code == status, response.text
            assert words in response.json()["message"]
        missing_mode = await client.post("/api/invitations/bulk", files=_csv("candidate_name", "Ana"))
    assert missing_mode.status_code == 422 and missing_mode.json()["detail"][0]["field"] == "body.mode"


async def test_reviewers_cannot_invite(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        response = await client.post(
            "/api/invitations/bulk",
            files=_csv("candidate_name", "Ana"),
            data={"mode": "assessment", "pack_id": world.pack_id},
        )
    assert response.status_code == 403
