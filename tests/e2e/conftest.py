"""Headless Chromium (Debian's package) driven by Playwright, against the live server fixture."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

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
