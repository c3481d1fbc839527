"""The LLM interviewer over real WebRTC: espeak-ng answers, the real pipeline and server, and an OpenAI-compatible
fake_llm server on loopback standing in for the hosted model (which cannot run here). The fake_llm scripts the tool calls:
a follow-up that must be spoken, a follow-up that reads a look-for aloud and must be blocked, and a hang that must
fall back to the deterministic reply within the configured timeout."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.talk import VoiceClient
from server.settings import Settings
from server.store.models import SessionEventRow
from tests.conftest import LiveServer, Tenant
from tests.fake_llm import FakeLLM, Messages, tool_call
from tests.media.speech import read_wav, say

LOOK_FOR = "Names a concrete escalation channel such as the project lead or the guideline forum"
LLM_SCRIPT: dict[str, Any] = {
    "kind": "interview_script",
    "id": "llm-voice",
    "title": "LLM voice interview",
    "role": "Annotator",
    "opening": "Hi, I'm GAIA.",
    "closing": "Thank you, that is all.",
    "sections": [
        {
            "id": "s",
            "title": "S",
            "questions": [
                {
                    "id": "q1",
                    "prompt": "How do you handle unclear items?",
                    "dimension": "process_maturity",
                    "max_follow_ups": 2,
                    "look_fors": [{"id": "escalate", "description": LOOK_FOR, "phrases": ["project lead", "forum"]}],
                },
                {"id": "q2", "prompt": "How do you stay consistent?", "dimension": "role_fit"},
            ],
        }
    ],
}
FOLLOW_UP = "What happened the last time you did that?"
LEAK = f"Tell me more. A strong answer {LOOK_FOR.lower()}."


@pytest.fixture
def settings(settings: Settings, fake_llm: FakeLLM) -> Settings:
    update = {"llm_model": "fake-interviewer", "openai_base_url": fake_llm.url, "interviewer_timeout_s": 1.5}
    return settings.model_copy(update=update)


def script_the_model(fake_llm: FakeLLM) -> None:
    """Question 1: a real follow-up first, then one that reads the look-for; question 2: the model hangs."""

    def reply(messages: Messages) -> str | dict[str, Any]:
        user = messages[-1]["content"]
        if "Question 1 of 2" in user:
            used = int(re.search(r"Follow-ups asked on this question: (\d+)", user).group(1))  # type: ignore[union-attr]
            return tool_call("ask_follow_up", text=FOLLOW_UP if used == 0 else LEAK)
        return tool_call("end_interview")

    fake_llm.reply = reply


async def _answer(client: VoiceClient, text: str, path: Path) -> dict[str, Any]:
    """Say ``text`` once the agent is quiet; return the agent's next caption."""
    await client.wait_quiet()
    said = sum(1 for e in client.events if e.get("type") == "caption" and e.get("speaker") == "agent")
    samples, rate = read_wav(say(text, path))
    client.mic.play(samples, rate)
    return await client.wait_event("caption", count=said + 1, speaker="agent", timeout=120)


async def test_model_follow_ups_are_spoken_leaks_blocked_and_a_hang_falls_back(
    live: LiveServer, tenant_a: Tenant, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    script_the_model(fake_llm)
    async with live.client(headers=tenant_a.bearer()) as http:
        script = (await http.post("/api/scripts", json={"content": LLM_SCRIPT})).json()
        body = {"mode": "interview", "candidate_name": "Lou Model", "script_id": script["id"]}
        invitation = (await http.post("/api/invitations", json=body)).json()
    client = VoiceClient()
    try:
        assert (await client.connect(live.url, invitation["candidate_url"].rsplit("/", 1)[1])).status_code == 200
        opening = await client.wait_event("caption", speaker="agent")
        assert opening["text"] == "Hi, I'm GAIA. How do you handle unclear items?"

        first = "I never guess. I post the item in the guideline forum and ask the project lead before I label it."
        follow_up = await _answer(client, first, tmp_path / "a1.wav")
        assert follow_up["text"] == FOLLOW_UP  # the model's own follow-up, spoken

        second = "Last week the lead answered within an hour and we added the case to the guidelines for everyone."
        moved_on = await _answer(client, second, tmp_path / "a2.wav")
        # The model's second follow-up read the look-for: blocked, and the plan's own reply was said instead.
        assert moved_on["text"] == "Thank you. How do you stay consistent?"

        fake_llm.delay_s = 8  # the model now hangs far beyond the 1.5 s timeout
        third = "I keep a personal checklist of tricky cases and I reread the guidelines every Monday morning."
        asked_at = time.monotonic()
        closing = await _answer(client, third, tmp_path / "a3.wav")
        assert closing["text"] == "Thank you, that is all."
        assert time.monotonic() - asked_at < 8 + 20  # answered without waiting for the model (loose: speech + STT)
        assert (await client.wait_event("end"))["completed"] is True
    finally:
        await client.close()

    said = [e["text"] for e in client.events if e.get("type") == "caption" and e.get("speaker") == "agent"]
    assert not any(LOOK_FOR.lower() in text.lower() for text in said)
    async with live.services.sessions() as db:
        events = (await db.scalars(select(SessionEventRow).order_by(SessionEventRow.created_at))).all()
    calls = [e.detail for e in events if e.kind == "llm.tool_call"]
    assert any(c["accepted"] and c["arguments"] == {"text": FOLLOW_UP} for c in calls)
    assert any(not c["accepted"] and "rubric text" in c["reason"] for c in calls)
    assert any(e.kind == "llm.fallback" and e.detail["reason"] == "timeout" for e in events)
    decisions = [e.detail["reason"] for e in events if e.kind == "policy.decision"]
    assert decisions[:3] == ["opening", "model_follow_up", "answer"], decisions
