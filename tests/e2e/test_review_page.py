"""The reviewer's page in headless Chromium: sign in, open a candidate, play the recording, select an evidence
quote and the player jumps to its time, record a decision with a note; another employer's reviewer gets 404.

The interview is written through the same store the live session uses (``SqlSessionStore``) from a generated
transcript, and its recording is a real Opus/OGG file made by the recorder's writer: the voice pipeline itself has
its own end-to-end tests, this one is about what a reviewer does with what was stored."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

import numpy as np
from playwright.async_api import Page, expect

from agent.store import TurnRecord
from agent.store import Word as StoreWord
from media.recorder import OpusWriter, RecordedFile
from server.lifecycle import transition
from server.store.models import InvitationState
from server.store.repos.invitations import InvitationRepo
from server.store.repos.sessions import SessionRepo
from server.voice import SqlSessionStore
from tests.conftest import LiveServer, Tenant, invite, upload_builtin
from tests.e2e.test_pages import SHOTS
from tests.scoring.test_interview import STRONG, STRONG_DELIVERY, interview


async def _stored_interview(live: LiveServer, tenant: Tenant, invitation_id: str, folder: Path) -> None:
    turns = interview(STRONG, STRONG_DELIVERY)
    async with live.services.sessions() as db:  # what /rtc/offer does when the candidate connects
        invitation = await InvitationRepo(db, tenant.employer_id).get(invitation_id)
        transition(invitation, InvitationState.IN_PROGRESS, live.services.clock())
        session = await SessionRepo(db, tenant.employer_id).open(invitation_id, "webrtc", live.services.clock())
        await db.commit()
    store = SqlSessionStore(live.services.sessions, tenant.employer_id, session.id, invitation_id)
    for turn in turns:
        words = tuple(StoreWord(w.text, w.start_ms, w.end_ms) for w in turn.words)
        await store.save_turn(TurnRecord(turn.speaker, turn.text, turn.start_ms, turn.end_ms, words))
    duration_ms = turns[-1].end_ms + 1000
    path = folder / "mixed.ogg"
    writer = OpusWriter(path)
    t = np.arange(48 * duration_ms) / 48_000
    writer.write((1500 * np.sin(2 * np.pi * 220 * t)).astype(np.int16))  # a quiet tone as long as the interview
    writer.close()
    data = path.read_bytes()
    await store.save_recordings(
        [RecordedFile("mixed", path, duration_ms, len(data), hashlib.sha256(data).hexdigest(), "audio/ogg")]
    )
    await store.end("completed", completed=True)  # computes the scorecard, as a real interview's end does


async def _sign_in(page: Page, live: LiveServer, email: str, password: str, target: str) -> None:
    await page.goto(f"{live.url}{target}")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.keyboard.press("Enter")


async def test_reviewer_replays_evidence_and_records_a_decision(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant, page: Page, tmp_path: Path
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "interview", "Rae Review")
    await _stored_interview(live, tenant_a, str(invitation["id"]), tmp_path)
    url = f"/review/{invitation['id']}"

    await _sign_in(page, live, tenant_a.reviewer_email, tenant_a.password, url)
    await expect(page.get_by_role("heading", name="Rae Review")).to_be_visible()
    await expect(page.locator("p.rec .pill")).to_have_text(re.compile("advance|review|risk"))
    await expect(page.get_by_text("they do not replace it")).to_be_visible()
    await expect(page.locator(".charts svg[role=img]")).to_have_count(1)  # interview dimensions

    audio = page.locator("audio[data-session='0']")
    await audio.evaluate("a => { a.muted = true; return a.play(); }")
    await page.wait_for_function("() => document.querySelector('audio').currentTime > 0.2")
    await audio.evaluate("a => a.pause()")

    quote = page.locator("button.quote").last
    target_ms = int(await quote.get_attribute("data-ms") or "0")
    assert target_ms > 5000, "a late quote makes the jump visible"
    await quote.click()
    position = await audio.evaluate("a => a.currentTime")
    assert abs(position * 1000 - target_ms) < 1000, (position, target_ms)
    await expect(page.locator("ol.captions .w.now").first).to_be_visible()  # the word at that time is lit
    await page.screenshot(path=str(SHOTS / "review-evidence.png"), full_page=True)

    await page.get_by_role("button", name="Record decision").click()
    await expect(page.locator("#decide-error")).to_have_text("Choose advance, hold or reject.")
    await page.get_by_label("Hold").check()
    await page.get_by_label("Note (required: what decided it)").fill("Strong process answers; want a second listen.")
    await page.get_by_role("button", name="Record decision").click()
    await expect(page.locator("ol.decisions li").first).to_contain_text("Strong process answers")
    await expect(page.locator("ol.decisions li").first).to_contain_text("hold")

    async with page.expect_download() as pdf:
        await page.get_by_role("link", name="Download the PDF scorecard").click()
    path = await (await pdf.value).path()
    assert path is not None and (await asyncio.to_thread(Path(path).read_bytes)).startswith(b"%PDF")
    await page.goto(f"{live.url}/employer")
    async with page.expect_download() as csv:
        await page.get_by_role("link", name="Export results (CSV)").click()
    exported = await (await csv.value).path()
    assert exported is not None and "Rae Review" in await asyncio.to_thread(Path(exported).read_text, "utf-8")

    await page.context.clear_cookies()
    await _sign_in(page, live, tenant_b.reviewer_email, tenant_b.password, "/employer")
    await expect(page).to_have_url(f"{live.url}/employer")
    response = await page.goto(f"{live.url}{url}")
    assert response is not None and response.status == 404
