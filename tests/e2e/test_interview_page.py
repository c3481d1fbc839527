"""The candidate's interview page in headless Chromium with a fake microphone playing espeak-ng speech:
the page connects over WebRTC, the agent's and the candidate's captions appear."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.conftest import LiveServer, Tenant
from tests.e2e.conftest import CHROMIUM_FLAGS, _interview_token, chromium_path
from tests.e2e.test_pages import SHOTS
from tests.media.speech import heard, join, say, silence


@pytest.fixture
async def mic_page(tmp_path: Path) -> AsyncIterator[Page]:
    speech = join(
        [
            silence(6.0, tmp_path / "wait.wav"),
            say("I flag unclear items and ask the project lead before I label them.", tmp_path / "a.wav"),
            silence(20.0, tmp_path / "after.wav"),
        ],
        tmp_path / "mic.wav",
    )
    flags = [
        *CHROMIUM_FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=flags)
        context = await browser.new_context(viewport={"width": 900, "height": 1000})
        yield await context.new_page()
        await browser.close()


async def test_page_connects_and_shows_captions_of_both_sides(
    live: LiveServer, tenant_a: Tenant, mic_page: Page
) -> None:
    _, token = await _interview_token(live, tenant_a)
    await mic_page.goto(f"{live.url}/c/{token}")
    await mic_page.get_by_role("link", name="Start the voice interview").click()
    await expect(mic_page.get_by_text("The audio and a transcript are recorded")).to_be_visible()
    await mic_page.get_by_role("button", name="Allow microphone").click()
    await expect(mic_page.get_by_text("Microphone on")).to_be_visible()
    await mic_page.get_by_role("button", name="Start interview").click()

    agent = mic_page.locator("#captions li.agent")
    await expect(agent.first).to_contain_text("Hi, I'm GAIA.", timeout=60_000)
    candidate = mic_page.locator("#captions li.candidate")
    await expect(candidate.first).to_be_visible(timeout=60_000)
    # The browser's own echo cancellation and noise suppression sit in this path: allow one misheard word.
    caption = await candidate.first.inner_text()
    assert len(heard("flag unclear project lead", caption)) <= 1, caption
    await expect(agent.nth(1)).to_have_text("How do you stay consistent?", timeout=60_000)
    await expect(mic_page.locator("#progress")).to_contain_text("question 2 of 2")
    await mic_page.screenshot(path=str(SHOTS / "interview.png"), full_page=True)

    await mic_page.get_by_role("button", name="End interview").click()
    await expect(mic_page.locator("#state")).to_have_text("ended")
