"""Bad input gets a precise 4xx naming the field at fault, never a 500, and nothing is half-stored."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, Tenant, upload_builtin


async def test_malformed_json_is_422_naming_the_body(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client(headers={**tenant_a.bearer(), "Content-Type": "application/json"}) as client:
        response = await client.post("/api/invitations", content=b'{"mode": "interview", "candidate_name": ')
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["field"].startswith("body")
    assert "not valid JSON" in detail[0]["message"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"mode": "interview", "candidate_name": "A", "script_id": "x", "salary": 1}, "body.salary", "unknown field"),
        ({"mode": "phone-screen", "candidate_name": "A"}, "body.mode", "interview"),
        ({"mode": "interview"}, "body.candidate_name", "required"),
        ({"mode": "interview", "candidate_name": ""}, "body.candidate_name", "at least 1"),
        ({"mode": "assessment", "candidate_name": "A", "candidate_email": "nope"}, "body.candidate_email", "email"),
        ({"mode": "assessment", "candidate_name": "A", "time_multiplier": 9}, "body.time_multiplier", "less than"),
        ({"mode": "assessment", "candidate_name": "A", "expires_in_days": 0}, "body.expires_in_days", "greater"),
    ],
    ids=["unknown-field", "bad-enum", "missing", "empty", "bad-email", "too-large", "zero-days"],
)
async def test_invalid_invitation_fields_are_named(
    live: LiveServer, tenant_a: Tenant, body: dict[str, object], field: str, words: str
) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/invitations", json=body)
    assert response.status_code == 422, response.text
    rows = response.json()["detail"]
    matching = [r for r in rows if r["field"] == field]
    assert matching, rows
    assert words.lower() in matching[0]["message"].lower()


async def test_mode_without_content_is_409_saying_what_is_needed(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/invitations", json={"mode": "interview", "candidate_name": "A"})
    assert response.status_code == 409
    assert "script_id" in response.json()["message"]


async def test_oversized_upload_is_413_with_the_limit(live: LiveServer, tenant_a: Tenant) -> None:
    limit = live.services.settings.max_upload_bytes
    big = b"# padding\n" * (limit // 10 + 10)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/scripts/upload", files={"file": ("big.yaml", big, "application/yaml")})
        assert response.status_code == 413
        assert response.json()["detail"][0]["field"] == "body"
        assert str(limit) in response.json()["message"]

        async def chunks():  # no Content-Length: the streamed body is counted
            for _ in range(limit // 4096 + 2):
                yield b"x" * 4096

        streamed = await client.post("/api/scripts", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert (await client.get("/api/scripts")).json() == []


async def test_invalid_script_upload_names_file_and_field(live: LiveServer, tenant_a: Tenant) -> None:
    from prompts.builtin import SCRIPT_PATHS

    text = SCRIPT_PATHS["data-annotator"].read_text().replace(" time_budget_s:", " time_budget_s: -5 #", 1)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/scripts/upload", files={"file": ("mine.yaml", text, "application/yaml")})
        assert response.status_code == 422
        body = response.json()
        assert "mine.yaml" in body["message"]
        fields = [row["field"] for row in body["detail"]]
        assert any(f.endswith(".time_budget_s") and f.startswith("sections[") for f in fields), fields
        assert (await client.get("/api/scripts")).json() == []


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"kind": "task_pack", "id": "p", "title": "P", "tasks": [{"type": "poetry"}]}, "tasks[0].type"),
        ({"kind": "interview_script", "id": "BAD ID"}, "id"),
        ({"kind": "quiz"}, "kind"),
    ],
    ids=["unknown-task-type", "bad-id", "unknown-kind"],
)
async def test_invalid_json_content_is_422_with_path(
    live: LiveServer, tenant_a: Tenant, content: dict[str, object], field: str
) -> None:
    endpoint = "/api/packs" if content.get("kind") == "task_pack" else "/api/scripts"
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post(endpoint, json={"content": content})
    assert response.status_code == 422, response.text
    assert field in [row["field"] for row in response.json()["detail"]]


async def test_script_sent_to_pack_endpoint_is_rejected_clearly(live: LiveServer, tenant_a: Tenant) -> None:
    from prompts.builtin import SCRIPT_PATHS

    path = SCRIPT_PATHS["data-annotator"]
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/packs/upload", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 422
    assert "/api/scripts" in response.json()["detail"][0]["message"]


async def test_non_yaml_upload_and_binary_are_422(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        wrong_ext = await client.post("/api/scripts/upload", files={"file": ("notes.txt", b"hello")})
        binary = await client.post("/api/scripts/upload", files={"file": ("s.yaml", b"\xff\xfe\x00bad")})
        missing = await client.post("/api/scripts/upload", data={"other": "x"})
    assert wrong_ext.status_code == 422 and ".yaml" in wrong_ext.json()["detail"][0]["message"]
    assert binary.status_code == 422 and "UTF-8" in binary.json()["detail"][0]["message"]
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "body.file"


async def test_bad_query_parameters_are_named(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.get("/api/invitations", params={"state": "lost", "limit": 0})
    assert response.status_code == 422
    fields = {row["field"] for row in response.json()["detail"]}
    assert fields == {"query.state", "query.limit"}


async def test_unknown_route_and_wrong_method_are_json_4xx(live: LiveServer, tenant_a: Tenant) -> None:
    await upload_builtin(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.get("/api/nothing-here")).status_code == 404
        assert (await client.put("/api/invitations")).status_code == 405


async def test_pack_bundle_with_escaping_path_is_refused(live: LiveServer, tenant_a: Tenant) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pack.yaml", "kind: task_pack\n")
        archive.writestr("../../evil.png", b"x")
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/packs/upload", files={"file": ("p.zip", buffer.getvalue())})
        broken = await client.post("/api/packs/upload", files={"file": ("p.zip", b"PK not really")})
    assert response.status_code == 422
    assert response.json()["detail"][0] == {"field": "../../evil.png", "message": "path leaves the bundle; remove it"}
    assert broken.status_code == 422 and "zip" in broken.json()["detail"][0]["message"]
    assert not (live.services.settings.data_dir.parent / "evil.png").exists()


async def test_pack_yaml_with_relative_assets_but_no_files_is_refused(live: LiveServer, tenant_a: Tenant) -> None:
    from prompts.builtin import PACK_PATHS

    path = PACK_PATHS["annotation-core"]
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/packs/upload", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 422
    rows = response.json()["detail"]
    assert any(r["field"].endswith(".asset.uri") and ".zip" in r["message"] for r in rows), rows
