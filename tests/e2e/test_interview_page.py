"""The candidate's interview page in headless Chromium with a fake microphone playing espeak-ng speech:
the page connects over WebRTC, the agent's and the candidate's captions appear, the end button is stored as the
candidate's, and a completed interview + assessment opens the assessment by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from server.settings import Settings
from server.store.models import InterviewSession, Invitation
from tests.conftest import TINY_SCRIPT, LiveServer, Tenant, World, invite, upload_builtin
from tests.e2e.conftest import _interview_token, page_with_microphone
from tests.e2e.test_pages import SHOTS
from tests.media.speech import heard, join, say, silence


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The fake microphone plays on a fixed timeline, whatever the agent does: a long silence allowance keeps the
    interviewer from repeating the question while the test's speech waits its turn on a busy machine."""
    return settings.model_copy(update={"interview_silence_s": 60.0})


@pytest.fixture
async def mic_page(tmp_path: Path) -> AsyncIterator[Page]:
    speech = join(
        [
            silence(12.0, tmp_path / "wait.wav"),
            say("I flag unclear items and ask the project lead before I label them.", tmp_path / "a.wav"),
            silence(20.0, tmp_path / "after.wav"),
        ],
        tmp_path / "mic.wav",
    )
    async with page_with_microphone(speech) as page:
        yield page


async def test_page_connects_and_shows_captions_of_both_sides(
    live: LiveServer, tenant_a: Tenant, mic_page: Page
) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
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
    await expect(agent.nth(1)).to_have_text("Thank you. How do you stay consistent?", timeout=60_000)
    await expect(mic_page.locator("#progress")).to_contain_text("question 2 of 2")
    await mic_page.screenshot(path=str(SHOTS / "interview.png"), full_page=True)

    await mic_page.get_by_role("button", name="End interview").click()
    await expect(mic_page.locator("#state")).to_have_text("ended")
    # The page told the agent why the call ended: stored as ended by the candidate, resumable, not a lost connection.
    session = await _ended_session(live, invitation_id)
    assert (session.state, session.end_reason) == ("incomplete", "candidate ended the interview")


async def _ended_session(live: LiveServer, invitation_id: str, timeout: float = 30) -> InterviewSession:
    deadline = time.monotonic() + timeout
    while True:
        async with live.services.sessions() as db:
            query = select(InterviewSession).where(InterviewSession.invitation_id == invitation_id)
            row = (await db.scalars(query)).first()
        if row is not None and row.state != "active":
            return row
        assert time.monotonic() < deadline, "the interview session did not end"
        await asyncio.sleep(0.2)


@pytest.fixture
async def two_answer_page(tmp_path: Path) -> AsyncIterator[Page]:
    speech = join(
        [
            silence(12.0, tmp_path / "wait.wav"),
            say("I flag unclear items and ask the project lead before I label them.", tmp_path / "a1.wav"),
            silence(15.0, tmp_path / "between.wav"),
            say("I keep a checklist of tricky cases and reread the guidelines every week.", tmp_path / "a2.wav"),
            silence(60.0, tmp_path / "after.wav"),
        ],
        tmp_path / "mic.wav",
    )
    async with page_with_microphone(speech, loop=False) as page:
        yield page


async def test_a_completed_interview_hands_off_to_the_assessment(
    live: LiveServer, tenant_a: Tenant, two_answer_page: Page
) -> None:
    page = two_answer_page
    world = await upload_builtin(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        script = (await client.post("/api/scripts", json={"content": TINY_SCRIPT})).json()
    invitation = await invite(live, World(tenant_a, script["id"], world.pack_id), "interview+assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    await page.goto(f"{live.url}/c/{token}/interview")
    await page.get_by_role("button", name="Allow microphone").click()
    await page.get_by_role("button", name="Start interview").click()

    agent = page.locator("#captions li.agent")
    await expect(agent.nth(1)).to_have_text("Thank you. How do you stay consistent?", timeout=90_000)
    await expect(agent.nth(2)).to_contain_text("Next come a few short labeling tasks", timeout=90_000)
    await expect(page.locator("#done")).to_be_visible(timeout=60_000)
    await expect(page.get_by_role("link", name="Start the labeling tasks now")).to_be_visible()
    await page.screenshot(path=str(SHOTS / "interview-handoff.png"), full_page=True)
    await expect(page).to_have_url(f"{live.url}/c/{token}/assessment", timeout=15_000)  # opened by itself
    session = await _ended_session(live, str(invitation["id"]))
    assert (session.state, session.end_reason) == ("completed", "completed")
    async with live.services.sessions() as db:
        stored = await db.get(Invitation, str(invitation["id"]))
        assert stored is not None and stored.state == "in_progress"  # the assessment is what is left
