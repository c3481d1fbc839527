"""Candidate access tokens for LiveKit rooms and ``POST /rtc/livekit-token``.

No LiveKit server can run on this machine, so nothing here joins a room: the minted JWTs are decoded with
livekit-api's own ``TokenVerifier`` (and PyJWT for the raw claims), and the endpoint runs on the real app over
loopback HTTP. What a LiveKit server does with the token (admit, dispatch the worker) is documented in
infra/README.md and not tested here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from livekit.api import TokenVerifier
from pydantic import SecretStr

from agent.talk import VoiceClient
from server.cli import main
from server.livekit_tokens import (
    AGENT_NAME,
    LiveKitCredentials,
    LiveKitNotConfigured,
    candidate_token,
    invitation_for,
    room_for,
)
from server.settings import Settings
from server.store.models import Invitation
from tests.conftest import LiveServer, Tenant, invite, upload_builtin
from tests.e2e.conftest import _interview_token

KEY, SECRET = "APItestkey", "test-secret-that-is-long-enough-for-hs256-0123456789"
CREDENTIALS = LiveKitCredentials("ws://livekit.test:7880", KEY, SECRET)
INVITATION_IDS = st.from_regex(r"inv_[0-9a-f]{24}", fullmatch=True)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings with LiveKit configured; ``parametrize("settings", [False], indirect=True)`` unsets it."""
    if getattr(request, "param", True) is False:
        return settings
    return settings.model_copy(
        update={"livekit_url": CREDENTIALS.url, "livekit_api_key": KEY, "livekit_api_secret": SecretStr(SECRET)}
    )


def _mint(invitation_id: str = "inv_" + "ab" * 12, ttl: timedelta = timedelta(minutes=15)) -> str:
    return candidate_token(CREDENTIALS, invitation_id, ttl, datetime.now(UTC)).token


# --- room name ↔ invitation -------------------------------------------------------------------------------------


@given(INVITATION_IDS)
def test_room_name_round_trips_to_its_invitation(invitation_id: str) -> None:
    assert invitation_for(room_for(invitation_id)) == invitation_id


@given(st.text(max_size=80))
def test_any_room_that_maps_to_an_invitation_is_exactly_that_invitations_room(room: str) -> None:
    invitation_id = invitation_for(room)
    if invitation_id is not None:
        assert room_for(invitation_id) == room


@given(INVITATION_IDS, st.sampled_from(["\n", " ", "-2", "x", "/"]))
def test_rooms_near_an_interview_room_map_to_nothing(invitation_id: str, noise: str) -> None:
    room = room_for(invitation_id)
    assert invitation_for(room + noise) is None
    assert invitation_for(noise + room) is None
    assert invitation_for(room.upper()) is None
    assert invitation_for(room.replace("gaia-interview-", "other-app-")) is None
    assert invitation_for(invitation_id) is None


@pytest.mark.parametrize("bad", ["", "inv_", "inv_XYZ", "../inv_" + "0" * 24, "inv_" + "0" * 25, "ses_" + "0" * 24])
def test_room_for_refuses_what_is_not_an_invitation_id(bad: str) -> None:
    with pytest.raises(ValueError, match="invitation id"):
        room_for(bad)


# --- the token ---------------------------------------------------------------------------------------------------


def test_token_joins_exactly_the_invitations_room_as_its_candidate() -> None:
    invitation_id = "inv_" + "1f" * 12
    claims = TokenVerifier(KEY, SECRET).verify(_mint(invitation_id))
    assert claims.identity == f"candidate-{invitation_id}"
    assert claims.video is not None
    assert claims.video.room == f"gaia-interview-{invitation_id}"
    assert claims.video.room_join is True
    assert claims.video.can_subscribe is True and claims.video.can_publish_data is True
    assert claims.video.can_publish is True and claims.video.can_publish_sources == ["microphone"]


def test_token_grants_no_room_creation_listing_recording_or_admin() -> None:
    raw = jwt.decode(_mint(), SECRET, algorithms=["HS256"], issuer=KEY)
    video = raw["video"]
    for grant in ("roomCreate", "roomList", "roomRecord", "roomAdmin", "ingressAdmin", "hidden", "agent"):
        assert not video.get(grant), grant
    assert video.get("destinationRoom") is None
    assert "sip" not in raw and "agent" not in raw  # no SIP or agent-management grants either


def test_token_asks_livekit_to_dispatch_the_interviewer() -> None:
    claims = TokenVerifier(KEY, SECRET).verify(_mint())
    assert claims.room_config is not None
    assert [dispatch.agent_name for dispatch in claims.room_config.agents] == [AGENT_NAME]


@given(st.integers(min_value=30, max_value=3600))
def test_token_expires_after_its_ttl(seconds: int) -> None:
    before = int(datetime.now(UTC).timestamp())
    minted = candidate_token(CREDENTIALS, "inv_" + "0" * 24, timedelta(seconds=seconds), datetime.now(UTC))
    raw = jwt.decode(minted.token, SECRET, algorithms=["HS256"], issuer=KEY)
    assert raw["exp"] - raw["nbf"] == seconds
    assert before <= raw["nbf"] <= before + 2
    assert abs(raw["exp"] - minted.expires_at.timestamp()) <= 2


def test_expired_or_foreign_signed_tokens_do_not_verify() -> None:
    expired = _mint(ttl=timedelta(seconds=-120))
    with pytest.raises(jwt.ExpiredSignatureError):
        TokenVerifier(KEY, SECRET, leeway=timedelta(0)).verify(expired)
    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(KEY, "another-secret-that-is-long-enough-0123456789").verify(_mint())


def test_missing_livekit_settings_are_named() -> None:
    partial = Settings(livekit_url="ws://x:7880", livekit_api_key=None, livekit_api_secret=None)
    with pytest.raises(LiveKitNotConfigured, match="set LIVEKIT_API_KEY, LIVEKIT_API_SECRET"):
        LiveKitCredentials.from_settings(partial)


# --- POST /rtc/livekit-token ------------------------------------------------------------------------------------


async def _post(live: LiveServer, token: str, **extra: object) -> tuple[int, dict[str, object]]:
    async with live.client() as client:
        response = await client.post("/rtc/livekit-token", json={"token": token, **extra})
    body: dict[str, object] = response.json()
    return response.status_code, body


async def test_candidate_gets_a_token_for_their_invitations_room(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
    status, body = await _post(live, token)
    assert status == 200, body
    assert body["url"] == CREDENTIALS.url
    assert body["room"] == room_for(invitation_id)
    claims = TokenVerifier(KEY, SECRET).verify(str(body["token"]))
    assert claims.identity == f"candidate-{invitation_id}"
    assert claims.video is not None and claims.video.room == room_for(invitation_id)
    expires = datetime.fromisoformat(str(body["expires_at"]))
    expected = live.services.clock() + timedelta(seconds=live.services.settings.livekit_token_ttl_s)
    assert abs((expires - expected).total_seconds()) < 5


async def test_unknown_link_gets_401(live: LiveServer) -> None:
    status, body = await _post(live, "not-a-real-token")
    assert status == 401 and "not valid" in str(body["message"])


async def test_revoked_or_expired_invitation_gets_410_with_reason(live: LiveServer, tenant_a: Tenant) -> None:
    revoked_id, revoked = await _interview_token(live, tenant_a)
    expired_id, expired = await _interview_token(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.post(f"/api/invitations/{revoked_id}/revoke", json={"reason": "filled"})).is_success
    async with live.services.sessions() as db:
        row = await db.get(Invitation, expired_id)
        assert row is not None
        row.expires_at = live.services.clock() - timedelta(minutes=1)
        await db.commit()
    for token, reason in ((revoked, "invitation_revoked"), (expired, "invitation_expired")):
        status, body = await _post(live, token)
        assert (status, body["error"]) == (410, reason)


async def test_invitation_without_interview_or_already_completed_gets_409(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    assessment_token = str((await invite(live, world, "assessment"))["candidate_url"]).rsplit("/", 1)[1]
    status, body = await _post(live, assessment_token)
    assert status == 409 and "no interview" in str(body["message"])

    done_id, done = await _interview_token(live, tenant_a)
    async with live.services.sessions() as db:
        row = await db.get(Invitation, done_id)
        assert row is not None
        row.state = "completed"
        await db.commit()
    status, body = await _post(live, done)
    assert status == 409 and "already completed" in str(body["message"])


@pytest.fixture
async def webrtc_client() -> AsyncIterator[VoiceClient]:
    client = VoiceClient()
    try:
        yield client
    finally:
        await client.close()


async def test_interview_live_over_webrtc_gets_409_except_for_its_own_page(
    live: LiveServer, tenant_a: Tenant, webrtc_client: VoiceClient
) -> None:
    _, token = await _interview_token(live, tenant_a)
    assert (await webrtc_client.connect(live.url, token, client_id="page-1")).status_code == 200
    status, body = await _post(live, token, client_id="page-2")
    assert status == 409 and "already live" in str(body["message"])
    assert (await _post(live, token, client_id="page-1"))[0] == 200


@pytest.mark.parametrize("settings", [False], indirect=True)
async def test_without_livekit_url_the_endpoint_is_404_saying_so(live: LiveServer, tenant_a: Tenant) -> None:
    _, token = await _interview_token(live, tenant_a)
    status, body = await _post(live, token)
    assert status == 404
    assert "LiveKit is not configured" in str(body["message"]) and "LIVEKIT_URL" in str(body["message"])


def test_gaia_worker_refuses_to_start_without_livekit_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"GAIA_{name}", raising=False)
    assert main(["worker"]) == 2
    assert "LiveKit is not configured: set LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET" in capsys.readouterr().err
