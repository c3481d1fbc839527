"""A candidate takes the whole built-in ``annotation-core`` pack in headless Chromium: every widget (text, field
checks, choices with an ambiguity flag, NER spans by mouse and by keyboard, image class and boxes drawn and
resized on the canvas, pairwise ratings with a justification), a real clipboard paste, a reload that resumes with
answers intact, a tab switch, then submit. The test then reads what the server stored: answers, integrity events
and grades (and grades the stored answers again to show they reproduce).

Headless Chromium never hides a page when another tab comes to the front (Playwright issue #2286), so the tab
switch is emulated inside the page: ``document.visibilityState`` reports hidden and the browser's own
``visibilitychange``/``blur`` events are dispatched, which is exactly what a real switch delivers to the page."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Locator, Page, expect

from prompts.answers import PairAnswer
from prompts.builtin import builtin_pack
from prompts.taskpack import Task
from scoring.grading.attempt import grade_attempt
from scoring.grading.reference import reference_answer
from tests.conftest import LiveServer, Tenant, invite, upload_builtin
from tests.e2e.test_pages import SHOTS

PACK = builtin_pack()
TASKS = {task.id: task for task in PACK.tasks}
PASTED_ITEM = "if-rewrite"
TRAP_MISSED = "cls-pii-priority"  # answered "abusive": the trap clause c1 says pii
FLAGGED = "cls-ambiguous"  # answered "ok" but flagged with a note, which this item allows
KEYBOARD_NER = "ner-homonym"
RESIZED_BOX = "img-street-cars"

TAB_SWITCH = """hidden => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => hidden ? "hidden" : "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
  window.dispatchEvent(new Event(hidden ? "blur" : "focus"));
}"""


def _item(page: Page, item_id: str) -> Locator:
    return page.locator(f'article[data-item="{item_id}"]')


async def _saved(page: Page, item_id: str) -> None:
    await expect(_item(page, item_id).locator(".item-status")).to_have_text("saved")


async def _instructions(page: Page, task: Task) -> None:
    for item in task.items:
        text = reference_answer(task, item).text
        area = _item(page, item.id).get_by_label("Your answer")
        if item.id == PASTED_ITEM:  # a real clipboard paste: the page reports its length, never its text
            await page.evaluate("text => navigator.clipboard.writeText(text)", text)
            await area.focus()
            await page.keyboard.press("Control+V")
        else:
            await area.fill(text)
        await _saved(page, item.id)


async def _discrepancies(page: Page, task: Task) -> None:
    for item in task.items:
        found = item.ground_truth.discrepancies  # type: ignore[union-attr]
        box = _item(page, item.id)
        if not found:
            await box.get_by_label("Nothing differs in this record").check()
        for name in found:
            await box.get_by_label(f"{name} differs").check()
        await _saved(page, item.id)


async def _moderation(page: Page, task: Task) -> None:
    for item in task.items:
        box = _item(page, item.id)
        label = {TRAP_MISSED: "abusive", FLAGGED: "ok"}.get(item.id, item.ground_truth.label)  # type: ignore[union-attr]
        await box.locator(f'input[type="radio"][value="{label}"]').check()
        if item.id == FLAGGED:
            await box.get_by_label("Ambiguous: flag this item with a note").check()
            await box.get_by_label("Why is this item ambiguous?").fill("A threat or a frustrated complaint: both fit.")
        await _saved(page, item.id)


async def _entities(page: Page, task: Task) -> None:
    types = [t.id for t in task.entity_types]  # type: ignore[union-attr]
    for item in task.items:
        box = _item(page, item.id)
        strip = box.locator(".tokens")
        spans = item.ground_truth.spans  # type: ignore[union-attr]
        for span in spans:
            if item.id == KEYBOARD_NER:  # arrows to the start, Shift+arrows to the end, the type's number
                await strip.focus()
                await strip.press("Home")
                for _ in range(span.start):
                    await strip.press("ArrowRight")
                for _ in range(span.end - span.start - 1):
                    await strip.press("Shift+ArrowRight")
                await strip.press(str(types.index(span.type) + 1))
            else:  # drag across the words, then click the type
                await strip.locator(f'[data-i="{span.start}"]').hover()
                await page.mouse.down()
                await strip.locator(f'[data-i="{span.end - 1}"]').hover()
                await page.mouse.up()
                await box.locator(".tag-button", has_text=re.compile(rf"\b{span.type}$")).click()
        await expect(box.locator("ul.entities li")).to_have_count(len(spans))
        await _saved(page, item.id)


async def _images(page: Page, task: Task) -> None:
    for item in task.items:
        box = _item(page, item.id)
        truth = item.ground_truth  # type: ignore[union-attr]
        await box.locator(f'input[type="radio"][value="{truth.image_class}"]').check()
        canvas = box.locator("canvas")
        await canvas.scroll_into_view_if_needed()
        bounds = await canvas.bounding_box()
        assert bounds is not None
        scale = bounds["width"] / item.asset.width  # type: ignore[union-attr,operator]

        def at(x: float, y: float, b: dict[str, float] = bounds, s: float = scale) -> tuple[float, float]:
            return b["x"] + x * s, b["y"] + y * s

        for n, gt in enumerate(truth.boxes):
            await box.get_by_label("Label for new boxes").select_option(gt.label)
            shrink = 10 if (item.id == RESIZED_BOX and n == 0) else 0
            await page.mouse.move(*at(gt.x, gt.y))
            await page.mouse.down()
            await page.mouse.move(*at(gt.x + gt.w - shrink, gt.y + gt.h - shrink), steps=4)
            await page.mouse.up()
            if shrink:  # drag the corner handle out to the object's edge
                await page.mouse.move(*at(gt.x + gt.w - shrink, gt.y + gt.h - shrink))
                await page.mouse.down()
                await page.mouse.move(*at(gt.x + gt.w, gt.y + gt.h), steps=4)
                await page.mouse.up()
        await expect(box.locator("ul.box-list li select")).to_have_count(len(truth.boxes))
        await _saved(page, item.id)


async def _preferences(page: Page, task: Task) -> None:
    for n, item in enumerate(task.items):
        box = _item(page, item.id)
        reference = reference_answer(task, item)
        assert isinstance(reference, PairAnswer)
        for side, ratings in (("A", reference.ratings_a), ("B", reference.ratings_b)):
            for dim, value in ratings.items():
                await box.get_by_label(f"{dim} of response {side}").select_option(str(value))
        await box.locator(f'input[type="radio"][value="{reference.preference}"]').check()
        await box.get_by_label(re.compile("^Justification")).fill(reference.justification)
        if n == 0:
            await box.get_by_label("How sure are you? (optional)").select_option("0.9")
        await _saved(page, item.id)


async def _stored(live: LiveServer, tenant: Tenant, invitation_id: str) -> dict[str, Any]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.get(f"/api/invitations/{invitation_id}/export")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


async def test_candidate_completes_the_whole_pack_in_the_browser(
    live: LiveServer, tenant_a: Tenant, page: Page
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment", "Pat Playwright")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    await page.goto(f"{live.url}/c/{token}/assessment")

    begin = page.get_by_role("button", name="Start the work samples")
    await expect(begin).to_be_disabled()  # the notice of what is recorded comes first
    await page.get_by_label("I have read what is recorded and I agree.").check()
    await begin.click()
    await expect(page.get_by_role("heading", name="Task 1 of 6: Follow the instruction exactly")).to_be_visible()

    await _instructions(page, TASKS["instructions"])
    await page.get_by_role("button", name="Next task").click()
    await _discrepancies(page, TASKS["discrepancies"])
    await page.get_by_role("button", name="Next task").click()
    await _moderation(page, TASKS["moderation"])
    await expect(page.locator("#progress")).to_have_text("Task 3 of 6 · 15 of 29 items answered")

    await page.reload()  # resumes the same attempt with every answer in place
    await expect(page.get_by_role("heading", name="Task 1 of 6: Follow the instruction exactly")).to_be_visible()
    await expect(page.locator("#progress")).to_have_text("Task 1 of 6 · 15 of 29 items answered")
    if_json = TASKS["instructions"].items[0]
    await expect(_item(page, if_json.id).get_by_label("Your answer")).to_have_value(
        reference_answer(TASKS["instructions"], if_json).text
    )
    for _ in range(2):
        await page.keyboard.press("]")  # keyboard navigation between tasks
    await expect(page.get_by_role("heading", name="Task 3 of 6: Route user messages")).to_be_visible()
    await expect(_item(page, FLAGGED).get_by_label("Why is this item ambiguous?")).to_have_value(
        "A threat or a frustrated complaint: both fit."
    )
    await expect(_item(page, TRAP_MISSED).locator('input[value="abusive"]')).to_be_checked()
    await page.keyboard.press("]")

    await _entities(page, TASKS["entities"])
    await page.get_by_role("button", name="Next task").click()
    await _images(page, TASKS["images"])
    await _item(page, RESIZED_BOX).scroll_into_view_if_needed()
    await _item(page, RESIZED_BOX).screenshot(path=str(SHOTS / "assessment-image-boxes.png"))
    await page.get_by_role("button", name="Next task").click()
    await page.evaluate(TAB_SWITCH, True)
    await page.wait_for_timeout(300)
    await page.evaluate(TAB_SWITCH, False)
    await _preferences(page, TASKS["preferences"])
    await expect(page.locator("#progress")).to_have_text("Task 6 of 6 · 29 of 29 items answered")
    # A viewport screenshot: a full-page one resizes the viewport, which can swallow the next click.
    await page.screenshot(path=str(SHOTS / "assessment-pairwise.png"))

    await page.get_by_role("button", name="Submit work samples").click()
    await expect(page.locator("#confirm-text")).to_have_text("All 29 items have an answer.")
    await page.get_by_role("button", name="Submit now").click()
    await expect(page.get_by_role("heading", name="Submitted")).to_be_visible(timeout=60_000)  # grading runs first
    await page.screenshot(path=str(SHOTS / "assessment-submitted.png"))

    doc = await _stored(live, tenant_a, str(invitation["id"]))
    stored = {(a["task_id"], a["item_id"]): a["value"] for a in doc["answers"]}
    assert len(stored) == 29 and not any(a["late"] for a in doc["answers"])
    for task in PACK.tasks:
        for item in task.items:
            value = stored[(task.id, item.id)]
            expected = reference_answer(task, item).model_dump(mode="json")
            if item.id == TRAP_MISSED:
                expected["label"] = "abusive"
            if item.id == FLAGGED:
                expected |= {
                    "label": "ok",
                    "flagged_ambiguous": True,
                    "note": "A threat or a frustrated complaint: both fit.",
                }
            if task.id == "entities":  # order of spans is the candidate's
                value["spans"] = sorted(value["spans"], key=lambda s: s["start"])
            if item.id == TASKS["preferences"].items[0].id:
                expected["confidence"] = 0.9
            assert value == expected, (task.id, item.id)

    events = doc["integrity_events"]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "consent" and events[0]["detail"] == {"notice": "integrity-notice-v1"}
    paste = next(e for e in events if e["kind"] == "paste")
    pasted = reference_answer(
        TASKS["instructions"], next(i for i in TASKS["instructions"].items if i.id == PASTED_ITEM)
    )
    assert (paste["task_id"], paste["item_id"]) == ("instructions", PASTED_ITEM)
    assert paste["detail"] == {"length": len(pasted.text), "field": "text"}
    hidden = next(e for e in events if e["kind"] == "tab_hidden")
    assert hidden["task_id"] == "preferences"
    visible = next(e for e in events if e["kind"] == "tab_visible")
    assert 200 <= visible["detail"]["away_ms"] < 10_000
    opened = [e["detail"]["resumed"] for e in events if e["kind"] == "page_opened"]
    assert opened == [False, True]
    timed = {e["item_id"] for e in events if e["kind"] == "item_timing"}
    assert {PASTED_ITEM, KEYBOARD_NER, RESIZED_BOX} <= timed
    assert all(e["server_at"] for e in events)

    results = doc["assessment_attempt"]["results"]
    fractions = {task_id: task["fraction"] for task_id, task in results["tasks"].items()}
    assert fractions == {
        "instructions": 1.0,
        "discrepancies": 1.0,
        "moderation": 5 / 6,
        "entities": 1.0,
        "images": 1.0,
        "preferences": 1.0,
    }
    trap = next(i for i in results["tasks"]["moderation"]["items"] if i["item_id"] == TRAP_MISSED)
    assert trap["score"] == 0 and any("c1" in d for d in trap["details"])
    answers = {task_id: {} for task_id in TASKS}  # type: dict[str, dict[str, Any]]
    for (task_id, item_id), value in stored.items():
        answers[task_id][item_id] = value
    regraded = grade_attempt(PACK, answers, set(), results.get("evidence"))
    assert regraded["tasks"] == results["tasks"] and regraded["score"] == results["score"]

    # The reviewer sees the same facts: indicators as sentences, each answer beside its ground truth.
    await page.goto(f"{live.url}/review/{invitation['id']}")
    await page.get_by_label("Email").fill(tenant_a.reviewer_email)
    await page.get_by_label("Password").fill(tenant_a.password)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Pat Playwright")).to_be_visible()
    indicators = page.locator("ul.indicators li")
    await expect(indicators.filter(has_text="1 paste")).to_contain_text(
        f"{len(pasted.text)} chars into a text answer) during task 1 (Follow the instruction exactly)"
    )
    await expect(indicators.filter(has_text="1 tab switch")).to_contain_text("during task 6 (Compare two AI responses)")
    await page.locator("tr", has_text="Route user messages").locator("summary").first.click()
    trap_row = page.locator("table.items tr", has=page.locator(f"code:text-is('{TRAP_MISSED}')"))
    await expect(trap_row).to_contain_text("abusive")
    await expect(trap_row).to_contain_text("pii (clause c1)")
    await page.screenshot(path=str(SHOTS / "review-work-samples.png"), full_page=True)


async def test_answers_given_offline_survive_a_closed_tab_and_are_sent_once(
    live: LiveServer, tenant_a: Tenant, page: Page
) -> None:
    """Offline is Playwright's network emulation (the page's fetches fail as on a dropped connection)."""
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment", "Olu Offline")
    url = f"{live.url}/c/{str(invitation['candidate_url']).rsplit('/', 1)[1]}/assessment"
    await page.goto(url)
    await page.get_by_label("I have read what is recorded and I agree.").check()
    await page.get_by_role("button", name="Start the work samples").click()
    await expect(page.get_by_role("heading", name="Task 1 of 6: Follow the instruction exactly")).to_be_visible()
    await page.keyboard.press("]")
    await page.keyboard.press("]")
    await _item(page, "cls-spam").locator('input[value="spam"]').check()
    await _saved(page, "cls-spam")

    await page.context.set_offline(True)
    await _item(page, "cls-ok").locator('input[value="ok"]').check()
    await _item(page, "cls-spam").locator('input[value="ok"]').check()  # a revision, made offline
    await expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    await expect(_item(page, "cls-ok").locator(".item-status")).to_have_text("saving…")
    await page.close()  # the tab is closed before the network comes back

    await page.context.set_offline(False)
    again = await page.context.new_page()
    await again.goto(url)
    await expect(again.locator("#save-status")).to_have_text("All changes saved")
    await expect(again.get_by_role("heading", name="Task 1 of 6: Follow the instruction exactly")).to_be_visible()
    await again.keyboard.press("]")
    await again.keyboard.press("]")
    await expect(_item(again, "cls-spam").locator('input[value="ok"]')).to_be_checked()

    doc = await _stored(live, tenant_a, str(invitation["id"]))
    rows = {a["item_id"]: a for a in doc["answers"]}
    assert set(rows) == {"cls-ok", "cls-spam"}
    assert rows["cls-ok"]["value"]["label"] == "ok" and rows["cls-ok"]["revision"] == 1
    assert rows["cls-spam"]["value"]["label"] == "ok" and rows["cls-spam"]["revision"] == 2
