"""The pages a person uses, in a real browser: sign in, invite a candidate, open the candidate link, review."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from playwright.async_api import Page, expect

from prompts.builtin import builtin_pack
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
    await expect(rows).to_have_count(6)  # one per mode and the three demo interviewees
    await page.get_by_role("button", name="Create invitation").click()
    await expect(page.locator("#invite-error")).to_contain_text("candidate_name")
    await page.get_by_label("Candidate name").fill("Morgan Browser")
    await page.get_by_label("Mode").select_option("assessment")
    await page.get_by_label("Extra time (accommodation)").select_option("1.5")
    await page.get_by_role("button", name="Create invitation").click()
    await expect(rows).to_have_count(7)
    await expect(rows.first).to_contain_text("Morgan Browser")
    await _shot(page, "employer")

    link = await rows.first.locator("code.link").inner_text()

    await page.get_by_text("Invite many candidates from a CSV file").click()
    csv = b"candidate_name,candidate_email\nKim Csv,kim@example.org\nLou Csv,\n"
    await page.get_by_label("CSV file").set_input_files(
        files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    await page.get_by_role("button", name="Invite from file").click()
    await expect(rows).to_have_count(9)
    await page.get_by_label("Search").fill("csv")
    await expect(page.locator("#shown")).to_have_text("2 of 9 shown")
    await expect(page.locator("tbody tr:visible")).to_have_count(2)
    await page.get_by_label("Search").fill("")
    await page.get_by_role("button", name="Candidate").click()  # sort by name, A to Z
    await expect(rows.first).to_contain_text("Dana Rivera")
    await _shot(page, "employer-dashboard")
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Hello Morgan Browser")).to_be_visible()
    await expect(page.get_by_text("6 tasks, 29 items, 60 minutes in total")).to_be_visible()  # 40 min × 1.5
    await _shot(page, "candidate")


async def test_reviewer_sees_the_candidate_record_and_the_human_decision_notice(live: LiveServer, page: Page) -> None:
    await _seed(live)
    await _sign_in(page, live, *DEMO_REVIEWER)
    await expect(page.get_by_role("heading", name="Invite a candidate")).to_have_count(0)  # reviewers read only
    await page.get_by_role("link", name="Review").first.click()
    await expect(page.get_by_text("No interview yet.")).to_be_visible()
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


async def test_reviewer_sees_transcript_recording_and_graded_work_samples(
    live: LiveServer, page: Page, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Work samples go through the candidate API; the transcript and recording rows are written with the
    store the live interview uses (the voice path itself is covered by test_voice_webrtc.py)."""
    from agent.store import TurnRecord
    from media.recorder import SessionRecorder
    from scoring.grading.reference import reference_answer
    from server.store.models import InvitationMode
    from server.store.repos.sessions import SessionRepo
    from server.voice import SqlSessionStore

    async with live.services.sessions() as session:
        world = await seed_demo(session, live.services.clock(), 14)
        await session.commit()
    invitation = world.invitations[InvitationMode.INTERVIEW_ASSESSMENT]
    pack = builtin_pack()
    async with live.client() as client:
        await client.post(f"/api/candidate/{invitation.token}/attempt")
        for task in pack.tasks[:3]:
            for item in task.items:
                body = {"answer": reference_answer(task, item).model_dump(mode="json")}
                assert (
                    await client.put(f"/api/candidate/{invitation.token}/answers/{task.id}/{item.id}", json=body)
                ).status_code == 200
        await client.post(f"/api/candidate/{invitation.token}/submit")
    async with live.services.sessions() as db:
        row = await SessionRepo(db, invitation.employer_id).open(invitation.id, "webrtc", live.services.clock())
        await db.commit()
    store = SqlSessionStore(live.services.sessions, invitation.employer_id, row.id, invitation.id)
    await store.save_turn(TurnRecord("agent", "How do you handle unclear items?", 0, 2500))
    await store.save_turn(TurnRecord("candidate", "I flag them and ask the project lead.", 3100, 6200))
    recorder = SessionRecorder(tmp_path / "rec")
    recorder.write("agent", np.zeros(48_000, dtype=np.int16))
    await store.save_recordings(recorder.close())
    await store.end("candidate left", completed=False)

    await _sign_in(page, live, *DEMO_REVIEWER, target=f"/review/{invitation.id}")
    await expect(page.get_by_text("I flag them and ask the project lead.")).to_be_visible()
    assert "Candidate: " in await page.locator("ol.captions li.candidate").first.evaluate(
        'e => getComputedStyle(e, "::before").content'
    )
    await expect(page.get_by_text("0:03")).to_be_visible()
    audio = page.locator("audio")
    await expect(audio).to_have_count(1)
    src = await audio.get_attribute("src")
    assert src is not None
    assert (await page.request.get(f"{live.url}{src}")).status == 200
    await expect(page.get_by_text("pass score 70%")).to_be_visible()
    await expect(page.get_by_role("cell", name="Follow the instruction exactly")).to_be_visible()
    await _shot(page, "review-results")
