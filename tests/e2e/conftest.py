"""Headless Chromium (Debian's package) driven by Playwright, against the live server fixture."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import TINY_SCRIPT, LiveServer, Tenant

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@asynccontextmanager
async def page_with_microphone(speech: Path | None = None, loop: bool = True) -> AsyncIterator[Page]:
    """A page in headless Chromium whose fake microphone plays ``speech`` (a WAV; looped unless ``loop`` is
    false), or a tone when none is given; permission prompts are granted and audio may autoplay."""
    flags = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if speech is not None:
        flags.append(f"--use-file-for-fake-audio-capture={speech}{'' if loop else '%noloop'}")
        flags.append("--autoplay-policy=no-user-gesture-required")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=flags)
        context = await browser.new_context(viewport={"width": 900, "height": 1000})
        try:
            yield await context.new_page()
        finally:
            await browser.close()


def chromium_path() -> str:
    """Debian's chromium; CI installs it (make services), elsewhere a missing browser skips the test."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make services` should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    yield await context.new_page()
    await context.close()


async def _interview_token(live: LiveServer, tenant: Tenant) -> tuple[str, str]:
    async with live.client(headers=tenant.bearer()) as client:
        script = (await client.post("/api/scripts", json={"content": TINY_SCRIPT})).json()
        invitation = (
            await client.post(
                "/api/invitations", json={"mode": "interview", "candidate_name": "Vic Voice", "script_id": script["id"]}
            )
        ).json()
    return str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]
