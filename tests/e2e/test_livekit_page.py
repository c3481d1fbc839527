"""The candidate's interview page on the LiveKit path, in headless Chromium with a fake microphone.

No LiveKit server can run on this machine, so the server is configured with a ``LIVEKIT_URL`` on a closed loopback
port: the page fetches its room token from the real server and loads the vendored LiveKit JS client, whose join
then fails; the candidate sees a readable error and can try again. Joining a real room, the worker's audio and its
events are not tested here (infra/README.md says how to run them for real).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Page, Request, expect
from pydantic import SecretStr

from server.livekit_tokens import room_for
from server.settings import Settings
from tests.conftest import LiveServer, Tenant, free_port
from tests.e2e.conftest import _interview_token, page_with_microphone
from tests.e2e.test_pages import SHOTS

CLOSED_PORT = free_port()  # nothing listens here: the LiveKit server the page is sent to is unreachable


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with LiveKit configured at a loopback port nobody listens on."""
    return settings.model_copy(
        update={
            "livekit_url": f"ws://127.0.0.1:{CLOSED_PORT}",
            "livekit_api_key": "APItestkey",
            "livekit_api_secret": SecretStr("test-secret-that-is-long-enough-for-hs256-0123456789"),
        }
    )


@pytest.fixture
async def mic_page() -> AsyncIterator[Page]:
    async with page_with_microphone() as page:
        yield page


async def test_unreachable_livekit_server_shows_a_readable_error_after_fetching_the_room_token(
    live: LiveServer, tenant_a: Tenant, mic_page: Page
) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
    uncaught: list[str] = []
    mic_page.on("pageerror", lambda error: uncaught.append(str(error)))
    rtc_requests: list[Request] = []
    ours = f"{live.url}/rtc/"  # the LiveKit client also asks the (closed) LiveKit port for /rtc/… paths
    mic_page.on("request", lambda request: rtc_requests.append(request) if request.url.startswith(ours) else None)
    sockets: list[str] = []
    mic_page.on("websocket", lambda socket: sockets.append(socket.url))

    await mic_page.goto(f"{live.url}/c/{token}/interview")
    assert await mic_page.evaluate("typeof LivekitClient.Room") == "function"
    await mic_page.get_by_role("button", name="Allow microphone").click()
    await expect(mic_page.get_by_text("Microphone on")).to_be_visible()
    async with mic_page.expect_response(lambda r: r.url.endswith("/rtc/livekit-token")) as minted:
        await mic_page.get_by_role("button", name="Start interview").click()

    response = await minted.value
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    assert body["room"] == room_for(invitation_id)
    assert body["url"] == f"ws://127.0.0.1:{CLOSED_PORT}"
    sent: dict[str, Any] = response.request.post_data_json or {}
    assert sent["token"] == token and sent["client_id"]

    error = mic_page.locator("#error")
    await expect(error).to_contain_text("Could not reach the interview server (LiveKit): ", timeout=30_000)
    await expect(mic_page.locator("#state")).to_have_text("not started")
    await expect(mic_page.get_by_role("button", name="Start interview")).to_be_enabled()
    await expect(mic_page.get_by_role("button", name="End interview")).to_be_disabled()
    await mic_page.screenshot(path=str(SHOTS / "interview-livekit-unreachable.png"), full_page=True)

    assert [r.url.removeprefix(ours) for r in rtc_requests] == ["livekit-token"]  # never the aiortc offer
    assert any(url.startswith(f"ws://127.0.0.1:{CLOSED_PORT}/rtc") for url in sockets), sockets
    assert uncaught == []


# The real client's Room with only its network side replaced: connect/disconnect record their calls, and the test
# emits the room events a LiveKit server would cause (data packets, reconnecting, reconnected).
JOINED_ROOM = """() => {
  class JoinedRoom extends LivekitClient.Room {
    constructor(...args) {
      super(...args);
      window.joined = this;
      // Room defines these as instance fields, so they are replaced here rather than overridden as methods.
      this.connect = async (url, token) => { this.joinedWith = url; };
      this.disconnect = async () => { this.left = true; };
      this.localParticipant.setMicrophoneEnabled = async (on, options) => { this.microphone = options; };
    }
  }
  window.LivekitClient = {...LivekitClient, Room: JoinedRoom};
}"""


async def _packet(page: Page, topic: str, event: dict[str, Any]) -> None:
    await page.evaluate(
        "([topic, event]) => joined.emit('dataReceived', new TextEncoder().encode(JSON.stringify(event)), undefined,"
        " undefined, topic)",
        [topic, event],
    )


async def test_room_data_packets_on_the_gaia_topic_drive_the_page_like_the_data_channel(
    live: LiveServer, tenant_a: Tenant, mic_page: Page
) -> None:
    _, token = await _interview_token(live, tenant_a)
    uncaught: list[str] = []
    mic_page.on("pageerror", lambda error: uncaught.append(str(error)))
    await mic_page.goto(f"{live.url}/c/{token}/interview")
    await mic_page.evaluate(JOINED_ROOM)
    await mic_page.get_by_role("button", name="Allow microphone").click()
    await mic_page.get_by_role("button", name="Start interview").click()
    await expect(mic_page.get_by_role("button", name="End interview")).to_be_enabled()
    assert await mic_page.evaluate("joined.joinedWith") == f"ws://127.0.0.1:{CLOSED_PORT}"
    assert await mic_page.evaluate("joined.microphone") == {"echoCancellation": True, "noiseSuppression": True}

    await _packet(mic_page, "gaia", {"type": "state", "state": "speaking"})
    await _packet(mic_page, "gaia", {"type": "caption", "speaker": "agent", "text": "Hi, I'm GAIA.", "final": True})
    await _packet(mic_page, "gaia", {"type": "question", "number": 1, "total": 2})
    await _packet(mic_page, "lk.other", {"type": "caption", "speaker": "agent", "text": "not ours", "final": True})
    await expect(mic_page.locator("#state")).to_have_text("speaking")
    await expect(mic_page.locator("#captions li.agent")).to_have_text(["Hi, I'm GAIA."])
    await expect(mic_page.locator("#progress")).to_have_text("question 1 of 2")

    await mic_page.evaluate("joined.emit('reconnecting')")
    await expect(mic_page.locator("#error")).to_have_text("Connection lost. Reconnecting…")
    await expect(mic_page.locator("#state")).to_have_text("reconnecting")
    await mic_page.evaluate("joined.emit('reconnected')")
    await expect(mic_page.locator("#error")).to_have_text("")

    # LiveKit gave up resuming: the page leaves that room and joins again with a fresh token, like the aiortc path.
    dropped = await mic_page.evaluate_handle("joined")
    async with mic_page.expect_response(lambda r: r.url.endswith("/rtc/livekit-token")) as minted:
        await mic_page.evaluate("joined.emit('disconnected')")
        await expect(mic_page.locator("#error")).to_have_text("Connection lost. Reconnecting (attempt 1 of 5)…")
    assert (await minted.value).status == 200
    await expect(mic_page.locator("#error")).to_have_text("")
    assert await dropped.evaluate("(room) => room.left && room !== joined") is True

    await _packet(mic_page, "gaia", {"type": "end", "completed": True, "reason": "completed"})
    await expect(mic_page.locator("#state")).to_have_text("ended")
    await expect(mic_page.locator("#captions li.system")).to_have_text("The interview is complete. Thank you!")
    assert await mic_page.evaluate("joined.left") is True
    assert uncaught == []
