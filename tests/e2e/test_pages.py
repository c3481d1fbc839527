"""The pages a person uses, in a real browser: sign in, invite a candidate, open the candidate link, review."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Page, expect

from server.seed import DEMO_ADMIN, DEMO_REVIEWER, seed_demo
from tests.conftest import LiveServer

SHOTS = Path(os.environ.get("GAIA_SCREENSHOTS", "test-artifacts/screenshots"))


async def _shot(page: Page, name: str) -> None:
    # Playwright creates the folder.
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def _seed(live: LiveServer) -> None:
    async with live.services.sessions() as session:
        await seed_demo(session, live.services.clock(), 14)
        await session.commit()


async def _sign_in(page: Page, live: LiveServer, email: str, password: str, target: str = "/employer") -> None:
    await page.goto(f"{live.url}{target}")
    await expect(page).to_have_url(f"{live.url}/login?next={target}")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.keyboard.press("Enter")  # keyboard submit, no mouse needed
    await expect(page).to_have_url(f"{live.url}{target}")


async def test_admin_signs_in_and_invites_a_candidate(live: LiveServer, page: Page) -> None:
    await _seed(live)
    await page.goto(f"{live.url}/login")
    await page.get_by_label("Email").fill(DEMO_ADMIN[0])
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("wrong email or password")
    await _shot(page, "login-error")

    await _sign_in(page, live, *DEMO_ADMIN)
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(3)
    await page.get_by_role("button", name="Create invitation").click()
    await expect(page.locator("#invite-error")).to_contain_text("candidate_name")
    await page.get_by_label("Candidate name").fill("Morgan Browser")
    await page.get_by_label("Mode").select_option("assessment")
    await page.get_by_role("button", name="Create invitation").click()
    await expect(rows).to_have_count(4)
    await expect(rows.first).to_contain_text("Morgan Browser")
    await _shot(page, "employer")

    link = await rows.first.locator("code.link").inner_text()
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Hello Morgan Browser")).to_be_visible()
    await expect(page.get_by_text("6 tasks, 29 items")).to_be_visible()
    await _shot(page, "candidate")


async def test_reviewer_sees_the_candidate_record_and_the_human_decision_notice(live: LiveServer, page: Page) -> None:
    await _seed(live)
    await _sign_in(page, live, *DEMO_REVIEWER)
    await expect(page.get_by_role("heading", name="Invite a candidate")).to_have_count(0)  # reviewers read only
    await page.get_by_role("link", name="Review").first.click()
    await expect(page.get_by_text("No results yet")).to_be_visible()
    await expect(page.get_by_text("they do not replace it")).to_be_visible()
    await _shot(page, "review")


async def test_revoked_link_shows_a_clear_page(live: LiveServer, page: Page) -> None:
    async with live.services.sessions() as session:
        world = await seed_demo(session, live.services.clock(), 14)
        invitation = next(iter(world.invitations.values()))
        invitation.state = "revoked"
        await session.commit()
    response = await page.goto(f"{live.url}/c/{invitation.token}")
    assert response is not None and response.status == 410
    await expect(page.get_by_role("alert")).to_contain_text("withdrawn by Demo Annotation Co.")
    await _shot(page, "candidate-revoked")
