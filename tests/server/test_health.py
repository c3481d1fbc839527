"""Health and readiness, and the OpenAPI document."""

from __future__ import annotations

from media.models import ModelPaths
from tests.conftest import LiveServer


async def test_healthz_and_readyz_report_every_check(live: LiveServer) -> None:
    async with live.client() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"database": "ok", "bus": "ok", "models": "ok"}}


async def test_readyz_is_503_naming_missing_models(live: LiveServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    live.services.models = ModelPaths(stt_model_dir=tmp_path, tts_voice=tmp_path / "none.onnx")
    async with live.client() as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert "GAIA_STT_MODEL" in ready.json()["checks"]["models"]
    assert "GAIA_TTS_VOICE" in ready.json()["checks"]["models"]


async def test_openapi_lists_the_employer_and_candidate_api(live: LiveServer) -> None:
    async with live.client() as client:
        spec = (await client.get("/openapi.json")).json()
    for path in ("/api/invitations", "/api/scripts/upload", "/api/packs", "/api/candidate/{token}", "/api/audit"):
        assert path in spec["paths"]
