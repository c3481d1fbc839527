"""The deterministic interviewer end to end over real WebRTC: the built-in 10-question ``data-annotator`` script, the
real pipeline and server, espeak-ng answers. A short answer gets the script's follow-up, "could you repeat that"
gets the same line again, and the whole interview completes and hands off to the assessment of an
interview + assessment invitation. Every line the agent said is checked against the rubric guardrail."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.guardrails import leaks_rubric
from agent.live import NEXT_STEP
from agent.policy import REPEAT
from agent.talk import VoiceClient
from prompts.builtin import builtin_script
from server.demo_answers import INTERVIEW_SHEETS
from server.store.models import InterviewSession, Invitation, SessionEventRow, TranscriptTurn
from tests.conftest import LiveServer, Tenant, invite, upload_builtin
from tests.media.speech import read_wav, say

SCRIPT = builtin_script()
QUESTIONS = SCRIPT.questions()
SHEET = INTERVIEW_SHEETS["strong"]


def _agent_lines(client: VoiceClient) -> list[str]:
    return [e["text"] for e in client.events if e.get("type") == "caption" and e.get("speaker") == "agent"]


async def _say(client: VoiceClient, text: str, path: Path) -> str:
    """Answer once the agent is quiet; return the agent's next line."""
    await client.wait_quiet(quiet_s=0.8, timeout=120)
    before = len(_agent_lines(client))
    samples, rate = read_wav(say(text, path))
    client.mic.play(samples, rate)
    event = await client.wait_event("caption", count=before + 1, speaker="agent", timeout=120)
    return str(event["text"])


def _question_number(client: VoiceClient) -> int:
    numbers = [e["number"] for e in client.events if e.get("type") == "question"]
    return int(numbers[-1]) if numbers else 0


async def test_follow_up_repeat_and_a_full_interview_that_hands_off_to_the_assessment(
    live: LiveServer, tenant_a: Tenant, tmp_path: Path
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation: dict[str, Any] = await invite(live, world, "interview+assessment", "Robin Rater")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    client = VoiceClient()
    try:
        assert (await client.connect(live.url, token)).status_code == 200
        opening = await client.wait_event("caption", speaker="agent", timeout=120)
        assert opening["text"].endswith(QUESTIONS[0].prompt)

        # Too short: the script's follow-up for the first question.
        follow_up = await _say(client, "I labeled some text.", tmp_path / "short.wav")
        too_short = next(rule for rule in QUESTIONS[0].follow_ups if rule.when == "too_short")
        assert follow_up == too_short.text

        # "Could you repeat that?": the open line again, word for word.
        again = await _say(client, "Sorry, could you repeat that?", tmp_path / "repeat.wav")
        assert again == REPEAT.format(prompt=too_short.text)

        # Then the full answers; a follow-up on the same question gets the sheet's follow-up answer.
        answered: dict[int, int] = {}
        text, n = SHEET[QUESTIONS[0].id].main, 0
        started = time.monotonic()
        while not any(e.get("type") == "end" for e in client.events):
            assert time.monotonic() - started < 900, "the interview did not finish"
            await _say(client, text, tmp_path / f"answer-{n}.wav")
            n += 1
            await client.wait_quiet(quiet_s=0.8, timeout=120)
            await asyncio.sleep(0.3)
            if any(e.get("type") == "end" for e in client.events) or NEXT_STEP in _agent_lines(client)[-1]:
                break
            number = _question_number(client)
            answered[number] = answered.get(number, 0) + 1
            sheet = SHEET[QUESTIONS[number - 1].id]
            text = sheet.main if answered[number] == 1 else sheet.follow_up
        end = await client.wait_event("end", timeout=120)
        assert end["completed"] is True
        handoff = await client.wait_event("handoff")
        assert handoff["url"] == f"/c/{token}/assessment"
    finally:
        await client.close()

    said = _agent_lines(client)
    assert said[-1].endswith(NEXT_STEP) and said[-1].startswith(SCRIPT.closing.split(".")[0])
    for line in said:
        assert leaks_rubric(line, SCRIPT) == [], line
    for number in range(1, len(QUESTIONS) + 1):  # every question was asked, in order
        assert any(QUESTIONS[number - 1].prompt in line for line in said), number

    deadline = time.monotonic() + 120  # the end is stored after the recording's voice analysis
    while True:
        async with live.services.sessions() as db:
            stored = await db.get(Invitation, str(invitation["id"]))
            session = (await db.scalars(select(InterviewSession))).one()
        if session.state != "active" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    async with live.services.sessions() as db:
        turns = (await db.scalars(select(TranscriptTurn).order_by(TranscriptTurn.seq))).all()
        events = (await db.scalars(select(SessionEventRow))).all()
    assert stored is not None and stored.state == "in_progress"  # the assessment is what is left
    assert (session.state, session.end_reason) == ("completed", "completed")
    assert session.plan_state["closed"] is True
    assert all(status in ("answered", "timed_out") for status in [q["status"] for q in session.plan_state["questions"]])
    # Candidate turns carry the question they answer, so the scorer needs no guessing.
    assert {t.question_id for t in turns if t.speaker == "candidate"} == {q.id for q in QUESTIONS}
    decisions = [e.detail for e in events if e.kind == "policy.decision"]
    assert decisions[1] == {
        "kind": "ask_follow_up",
        "reason": "too_short",
        "question_id": "experience",
        "rule": "too_short",
    }
    assert decisions[2]["kind"] == "repeat_question" and decisions[-1]["kind"] == "close"
