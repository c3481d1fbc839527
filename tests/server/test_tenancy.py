"""Tenant isolation: one employer never sees, changes or even confirms another employer's ids."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer, Tenant, invite, signed_in, upload_builtin


async def _b_ids(live: LiveServer, tenant_b: Tenant) -> dict[str, str]:
    world = await upload_builtin(live, tenant_b)
    invitation = await invite(live, world, "interview+assessment")
    async with live.client(headers=tenant_b.bearer()) as client:
        key = await client.post("/api/api-keys", json={"name": "b-integration"})
    return {
        "script": world.script_id,
        "pack": world.pack_id,
        "invitation": str(invitation["id"]),
        "api_key": key.json()["id"],
    }


def _requests(ids: dict[str, str]) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", f"/api/scripts/{ids['script']}", None),
        ("DELETE", f"/api/scripts/{ids['script']}", None),
        ("GET", f"/api/packs/{ids['pack']}", None),
        ("DELETE", f"/api/packs/{ids['pack']}", None),
        ("GET", f"/api/invitations/{ids['invitation']}", None),
        ("GET", f"/api/invitations/{ids['invitation']}/export", None),
        ("POST", f"/api/invitations/{ids['invitation']}/revoke", {"reason": "not mine"}),
        ("DELETE", f"/api/api-keys/{ids['api_key']}", None),
        ("POST", "/api/invitations", {"mode": "interview", "candidate_name": "X", "script_id": ids["script"]}),
        ("POST", "/api/invitations", {"mode": "assessment", "candidate_name": "X", "pack_id": ids["pack"]}),
    ]


async def _assert_all_404(client: httpx.AsyncClient, ids: dict[str, str]) -> None:
    for method, path, body in _requests(ids):
        response = await client.request(method, path, json=body)
        assert response.status_code == 404, f"{method} {path} -> {response.status_code} {response.text}"
        assert response.json()["error"] == "not_found"


async def _assert_lists_exclude(client: httpx.AsyncClient, ids: dict[str, str]) -> None:
    listed = " ".join(
        [
            (await client.get("/api/scripts")).text,
            (await client.get("/api/packs")).text,
            (await client.get("/api/invitations")).text,
            (await client.get("/api/audit")).text,
        ]
    )
    for ident in ids.values():
        assert ident not in listed


async def test_employer_a_gets_404_for_every_id_of_b_by_api_key(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    ids = await _b_ids(live, tenant_b)
    async with live.client(headers=tenant_a.bearer()) as client:
        await _assert_all_404(client, ids)
        await _assert_lists_exclude(client, ids)


async def test_employer_a_gets_404_for_every_id_of_b_by_cookie(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    ids = await _b_ids(live, tenant_b)
    async with signed_in(live, tenant_a.admin_email, tenant_a.password) as client:
        await _assert_all_404(client, ids)
        await _assert_lists_exclude(client, ids)
        page = await client.get(f"/review/{ids['invitation']}")
        assert page.status_code == 404


async def test_b_still_has_everything_after_a_tried(live: LiveServer, tenant_a: Tenant, tenant_b: Tenant) -> None:
    ids = await _b_ids(live, tenant_b)
    async with live.client(headers=tenant_a.bearer()) as client:
        await _assert_all_404(client, ids)
    async with live.client(headers=tenant_b.bearer()) as client:
        invitation = (await client.get(f"/api/invitations/{ids['invitation']}")).json()
        assert invitation["state"] == "created"
        assert (await client.get(f"/api/scripts/{ids['script']}")).json()["archived"] is False
        keys = (await client.get("/api/api-keys")).json()
        assert all(k["revoked_at"] is None for k in keys)


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer gaia_000000000000_wrong", "Basic abc", "Bearer"])
async def test_bad_credentials_get_401(live: LiveServer, tenant_a: Tenant, header: str) -> None:
    async with live.client(headers={"Authorization": header}) as client:
        response = await client.get("/api/invitations")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["message"]


async def test_no_credentials_get_401_and_pages_redirect_to_login(live: LiveServer) -> None:
    async with live.client() as client:
        assert (await client.get("/api/invitations")).status_code == 401
        page = await client.get("/employer")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/employer"


async def test_reviewer_can_read_but_not_change(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as client:
        assert (await client.get("/api/invitations")).status_code == 200
        response = await client.post(
            "/api/invitations", json={"mode": "interview", "candidate_name": "X", "script_id": world.script_id}
        )
        assert response.status_code == 403
        assert "admin" in response.json()["message"]


async def test_revoked_api_key_stops_working(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        issued = (await client.post("/api/api-keys", json={"name": "temp"})).json()
        async with live.client(headers={"Authorization": f"Bearer {issued['secret']}"}) as temp:
            assert (await temp.get("/api/invitations")).status_code == 200
            assert (await client.delete(f"/api/api-keys/{issued['id']}")).status_code == 204
            assert (await temp.get("/api/invitations")).status_code == 401


async def test_wrong_password_is_401_and_logout_ends_session(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client() as client:
        bad = await client.post("/api/auth/login", json={"email": tenant_a.admin_email, "password": "nope"})
        assert bad.status_code == 401
    async with signed_in(live, tenant_a.admin_email, tenant_a.password) as client:
        assert (await client.get("/api/auth/me")).json()["email"] == tenant_a.admin_email
        assert (await client.post("/api/auth/logout")).status_code == 204
        assert (await client.get("/api/auth/me")).status_code == 401
