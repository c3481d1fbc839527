"""The candidate's interview page switches to the LiveKit room only when LiveKit is configured.

No LiveKit server can run on this machine: these tests check what the server renders and serves (the page's
``data-livekit`` switch, the vendored LiveKit JS client under ``/static/vendor/``); the browser side is in
``tests/e2e/test_livekit_page.py``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from pydantic import SecretStr

from server.settings import Settings
from tests.conftest import LiveServer, Tenant
from tests.e2e.conftest import _interview_token

KEY, SECRET = "APItestkey", "test-secret-that-is-long-enough-for-hs256-0123456789"
SCRIPT_TAG = '<script src="/static/vendor/livekit-client.umd.js"></script>'
VENDORED_SHA256 = "fb646f2260d84f91238d0a2dc10726c456631d6a26c7cafc43cfee5959b4d31d"  # livekit-client 2.23.0
LIVEKIT: dict[str, dict[str, Any]] = {
    "configured": {
        "livekit_url": "ws://127.0.0.1:7880",
        "livekit_api_key": KEY,
        "livekit_api_secret": SecretStr(SECRET),
    },
    "url only": {"livekit_url": "ws://127.0.0.1:7880"},
    "no secret": {"livekit_url": "ws://127.0.0.1:7880", "livekit_api_key": KEY},
    "unset": {},
}


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings with the LiveKit settings named by the test's ``settings`` parameter."""
    return settings.model_copy(update=LIVEKIT[getattr(request, "param", "unset")])


async def _interview_page(live: LiveServer, tenant: Tenant) -> str:
    _, token = await _interview_token(live, tenant)
    async with live.client() as client:
        response = await client.get(f"/c/{token}/interview")
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("settings", ["configured"], indirect=True)
async def test_page_joins_livekit_when_url_key_and_secret_are_set(live: LiveServer, tenant_a: Tenant) -> None:
    page = await _interview_page(live, tenant_a)
    assert re.search(r'<main [^>]*id="interview"[^>]* data-livekit="1"', page), page
    # The client must be loaded before interview.js, which reads LivekitClient when the candidate starts.
    assert 0 <= page.index(SCRIPT_TAG) < page.index('<script src="/static/interview.js"></script>')


@pytest.mark.parametrize("settings", ["unset", "url only", "no secret"], indirect=True)
async def test_page_keeps_the_aiortc_offer_unless_livekit_is_fully_configured(
    live: LiveServer, tenant_a: Tenant
) -> None:
    page = await _interview_page(live, tenant_a)
    assert "data-livekit" not in page
    assert "livekit-client" not in page
    assert '<script src="/static/interview.js"></script>' in page


async def test_vendored_livekit_client_is_served_as_shipped(live: LiveServer) -> None:
    async with live.client() as client:
        script = await client.get("/static/vendor/livekit-client.umd.js")
        license_text = await client.get("/static/vendor/livekit-client.LICENSE")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert hashlib.sha256(script.content).hexdigest() == VENDORED_SHA256  # vendor/README.md says how to update
    assert ".LivekitClient=" in script.text
    assert license_text.status_code == 200 and "Apache License" in license_text.text
