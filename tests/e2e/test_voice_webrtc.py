"""The voice interview over real WebRTC on loopback: an aiortc client with a candidate token plays espeak-ng
answers to the server, which runs the real VAD, faster-whisper, interviewer and Piper."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.talk import VoiceClient
from media.recorder import decode_mono
from server.store.models import InterviewSession, Invitation, Recording, TranscriptTurn
from tests.conftest import LiveServer, Tenant
from tests.media.speech import heard, join, read_wav, say, silence

TINY_SCRIPT = {
    "kind": "interview_script",
    "id": "tiny-voice",
    "title": "Tiny voice interview",
    "role": "Annotator",
    "opening": "Hi, I'm GAIA.",
    "closing": "Thank you, that is all.",
    "sections": [
        {
            "id": "s",
            "title": "S",
            "questions": [
                {"id": "q1", "prompt": "How do you handle unclear items?", "dimension": "process_maturity"},
                {"id": "q2", "prompt": "How do you stay consistent?", "dimension": "role_fit"},
            ],
        }
    ],
}


async def _interview_token(live: LiveServer, tenant: Tenant) -> tuple[str, str]:
    async with live.client(headers=tenant.bearer()) as client:
        script = (await client.post("/api/scripts", json={"content": TINY_SCRIPT})).json()
        invitation = (
            await client.post(
                "/api/invitations", json={"mode": "interview", "candidate_name": "Vic Voice", "script_id": script["id"]}
            )
        ).json()
    return str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]


@pytest.fixture
async def client() -> AsyncIterator[VoiceClient]:
    voice = VoiceClient()
    yield voice
    await voice.close()


async def _turns(live: LiveServer, session_id: str) -> list[TranscriptTurn]:
    async with live.services.sessions() as db:
        return list(
            await db.scalars(
                select(TranscriptTurn).where(TranscriptTurn.session_id == session_id).order_by(TranscriptTurn.seq)
            )
        )


async def _wait_rows(live: LiveServer, model: type, timeout: float = 60, **where: object) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        async with live.services.sessions() as db:
            query = select(model).filter_by(**where)
            rows = list(await db.scalars(query))
        if rows or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_agent_greets_hears_the_answer_asks_next_and_records_both_sides(
    live: LiveServer, tenant_a: Tenant, client: VoiceClient, tmp_path: Path
) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
    response = await client.connect(live.url, token)
    assert response.status_code == 200, response.text

    greeting = await client.wait_event("caption", speaker="agent")
    assert greeting["text"].startswith("Hi, I'm GAIA.")
    await client.wait_quiet()
    assert client.voiced_between(0, time.monotonic()) > 25, "the greeting was not heard as audio"

    answer = join(
        [
            say(
                "I never guess. I flag the item and ask the project lead, then I write the answer in our notes.",
                tmp_path / "a.wav",
            ),
            silence(0.3, tmp_path / "t.wav"),
        ],
        tmp_path / "answer.wav",
    )
    samples, rate = read_wav(answer)
    client.mic.play(samples, rate)
    second = await client.wait_event("caption", count=2, speaker="agent")
    assert second["text"] == "How do you stay consistent?"
    await client.wait_quiet()
    assert (await client.wait_event("question", count=2))["number"] == 2

    assert client.session_id is not None
    turns = await _turns(live, client.session_id)
    speakers = [t.speaker for t in turns]
    assert speakers[:3] == ["agent", "candidate", "agent"], speakers
    assert heard("guess flag project lead notes", turns[1].text) == [], turns[1].text
    assert turns[1].words and turns[1].start_ms <= turns[1].words[0]["start_ms"] <= turns[1].end_ms
    assert turns[0].start_ms < turns[1].start_ms < turns[2].start_ms

    await client.close()
    recordings = await _wait_rows(live, Recording, session_id=client.session_id)
    assert sorted(r.track for r in recordings) == ["agent", "candidate", "mixed"]
    for recording in recordings:
        audio = decode_mono(Path(recording.path))
        assert len(audio) / 48_000 > 3, recording.track
        assert abs(recording.duration_ms / 1000 - len(audio) / 48_000) < 0.5
    sessions = await _wait_rows(live, InterviewSession, id=client.session_id)
    assert sessions[0].state == "incomplete" and sessions[0].end_reason == "candidate left"
    async with live.services.sessions() as db:
        invitation = await db.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == "in_progress"


async def test_bad_signalling_is_refused_clearly(live: LiveServer, tenant_a: Tenant, client: VoiceClient) -> None:
    _, token = await _interview_token(live, tenant_a)
    async with live.client() as http:
        wrong = await http.post("/rtc/offer", json={"token": "nope", "sdp": "v=0"})
        malformed = await http.post("/rtc/offer", json={"token": token, "sdp": "v=0\r\nthis is not sdp"})
        unknown_field = await http.post("/rtc/offer", json={"token": token, "sdp": "v=0", "codec": "opus"})
    assert wrong.status_code == 401
    assert malformed.status_code == 400 and malformed.json()["detail"][0]["field"] == "body.sdp"
    assert unknown_field.status_code == 422 and unknown_field.json()["detail"][0]["field"] == "body.codec"

    assert (await client.connect(live.url, token)).status_code == 200
    second = VoiceClient()
    try:
        busy = await second.connect(live.url, token)
        assert busy.status_code == 409 and "already live" in busy.json()["message"]
    finally:
        await second.close()
    await client.wait_event("caption", speaker="agent")  # the first session is unaffected


async def test_revoked_invitation_cannot_start_a_call(live: LiveServer, tenant_a: Tenant, client: VoiceClient) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as http:
        await http.post(f"/api/invitations/{invitation_id}/revoke", json={})
    response = await client.connect(live.url, token)
    assert response.status_code == 410 and response.json()["error"] == "invitation_revoked"
