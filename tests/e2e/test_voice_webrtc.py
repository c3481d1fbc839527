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
from server.store.models import InterviewSession, Invitation, Recording, SessionEventRow, TranscriptTurn
from tests.conftest import TINY_SCRIPT, LiveServer, Tenant
from tests.e2e.conftest import _interview_token
from tests.media.speech import heard, join, read_wav, say, silence


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


# Speech goes through Opus both ways and a tiny Whisper model: keyword checks allow one misheard word.


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
    assert second["text"] == "Thank you. How do you stay consistent?"
    await client.wait_quiet()
    assert (await client.wait_event("question", count=2))["number"] == 2

    assert client.session_id is not None
    turns = await _turns(live, client.session_id)
    speakers = [t.speaker for t in turns]
    assert speakers[:3] == ["agent", "candidate", "agent"], speakers
    assert len(heard("guess flag project lead notes", turns[1].text)) <= 1, turns[1].text
    assert turns[1].words and turns[1].start_ms <= turns[1].words[0]["start_ms"] <= turns[1].end_ms
    assert turns[0].start_ms < turns[1].start_ms < turns[2].start_ms

    await client.close()
    recordings = await _wait_rows(live, Recording, session_id=client.session_id)
    assert sorted(r.track for r in recordings) == ["agent", "candidate", "mixed"]
    for recording in recordings:
        audio = decode_mono(Path(recording.path))
        assert len(audio) / 48_000 > 3, recording.track
        assert abs(recording.duration_ms / 1000 - len(audio) / 48_000) < 0.5
    ended = await _wait_ended(live, client.session_id)
    assert ended.state == "incomplete" and ended.end_reason == "candidate left"
    # The recording was analysed for voice signals at the end (stored before the end, which scores them).
    events = await _wait_rows(live, SessionEventRow, session_id=client.session_id)
    onsets = [e for e in events if e.kind == "voice.answer_onset"]
    assert [e.detail["question_id"] for e in onsets] == ["q1"]
    assert onsets[0].start_ms <= turns[1].start_ms and 0 <= onsets[0].detail["onset_ms"] < 10_000
    assert not [e for e in events if e.kind in ("voice.second_speaker", "voice.dropout")]  # one clean voice
    assert [e.detail["reason"] for e in events if e.kind == "policy.decision"] == ["opening", "answer"]
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


async def _script_token(live: LiveServer, tenant: Tenant, script: dict[str, object]) -> tuple[str, str]:
    async with live.client(headers=tenant.bearer()) as client:
        stored = (await client.post("/api/scripts", json={"content": script})).json()
        invitation = (
            await client.post(
                "/api/invitations", json={"mode": "interview", "candidate_name": "Rae", "script_id": stored["id"]}
            )
        ).json()
    return str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]


async def test_reconnect_resumes_at_the_same_question_and_loses_nothing(
    live: LiveServer, tenant_a: Tenant, tmp_path: Path
) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
    first = VoiceClient()
    assert (await first.connect(live.url, token)).status_code == 200
    await first.wait_event("caption", speaker="agent")
    await first.wait_quiet()
    samples, rate = read_wav(say("I flag unclear items and ask the project lead.", tmp_path / "a1.wav"))
    first.mic.play(samples, rate)
    await first.wait_event("caption", count=2, speaker="agent")
    await first.wait_quiet()
    first_session = first.session_id
    await first.close()  # the connection drops before the candidate answers question 2
    ended = await _wait_ended(live, first_session)
    assert ended.state == "incomplete"

    second = VoiceClient()
    try:
        assert (await second.connect(live.url, token)).status_code == 200
        welcome = await second.wait_event("caption", speaker="agent")
        assert welcome["text"] == "Welcome back, we were on question 2 of 2: How do you stay consistent?"
        await second.wait_quiet()
        samples, rate = read_wav(say("I take short breaks and keep a log of tricky decisions.", tmp_path / "a2.wav"))
        second.mic.play(samples, rate)
        closing = await second.wait_event("caption", count=2, speaker="agent")
        assert closing["text"] == "Thank you, that is all."
        end = await second.wait_event("end")
        assert end["completed"] is True
    finally:
        await second.close()

    assert (await _wait_ended(live, second.session_id)).state == "completed"
    async with live.services.sessions() as db:
        invitation = await db.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == "completed"
    first_turns, second_turns = await _turns(live, str(first_session)), await _turns(live, str(second.session_id))
    assert [t.speaker for t in first_turns] == ["agent", "candidate", "agent"]
    assert len(heard("flag unclear project lead", first_turns[1].text)) <= 1
    assert [t.speaker for t in second_turns] == ["agent", "candidate", "agent"]
    assert len(heard("breaks log decisions", second_turns[1].text)) <= 1


async def _wait_ended(live: LiveServer, session_id: str | None, timeout: float = 30) -> InterviewSession:
    deadline = time.monotonic() + timeout
    while True:
        async with live.services.sessions() as db:
            row = await db.get(InterviewSession, session_id)
        if row is not None and row.state != "active":
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"session {session_id} did not end")
        await asyncio.sleep(0.2)


LONG_OPENING = {
    **TINY_SCRIPT,
    "id": "long-opening",
    "opening": (
        "Hi, I'm GAIA, an AI interviewer. This conversation is recorded so that a person on the hiring team "
        "can review it later, and there are no trick questions, so please take your time with each answer."
    ),
}


async def test_barge_in_stops_the_agent_and_keeps_only_what_was_heard(
    live: LiveServer, tenant_a: Tenant, client: VoiceClient, tmp_path: Path
) -> None:
    _, token = await _script_token(live, tenant_a, LONG_OPENING)
    assert (await client.connect(live.url, token)).status_code == 200
    deadline = time.monotonic() + 60
    while client.last_voiced() is None:
        assert time.monotonic() < deadline, "the agent never started speaking"
        await asyncio.sleep(0.05)
    await asyncio.sleep(2.0)  # a few words of the opening are heard
    samples, rate = read_wav(
        say("Sorry, I think I missed that, could you please say it again a little more slowly?", tmp_path / "b.wav")
    )
    speaking_at = time.monotonic()
    duration = client.mic.play(samples, rate)
    await asyncio.sleep(duration)

    assert client.voiced_between(speaking_at + 1.5, speaking_at + duration) == 0, (
        "the agent kept talking over the candidate"
    )
    assert client.session_id is not None
    turns = await _turns(live, client.session_id)
    assert turns[0].speaker == "agent" and turns[0].interrupted
    full = "Hi, I'm GAIA, an AI interviewer."
    assert turns[0].text.startswith("Hi") and len(turns[0].text) < len(str(LONG_OPENING["opening"])), turns[0].text
    assert "take your time" not in turns[0].text, "text the candidate never heard was stored"
    assert full.split(",")[0] in turns[0].text


async def test_the_same_page_can_take_over_its_own_dropped_session(live: LiveServer, tenant_a: Tenant) -> None:
    _, token = await _interview_token(live, tenant_a)
    first, again, other = VoiceClient(), VoiceClient(), VoiceClient()
    try:
        assert (await first.connect(live.url, token, client_id="page-1")).status_code == 200
        await first.wait_event("caption", speaker="agent")
        refused = await other.connect(live.url, token, client_id="page-2")
        assert refused.status_code == 409
        taken = await again.connect(live.url, token, client_id="page-1")  # e.g. the network changed under the page
        assert taken.status_code == 200, taken.text
        assert (await _wait_ended(live, first.session_id)).end_reason == "candidate left"
        await again.wait_event("caption", speaker="agent")
    finally:
        for client in (first, again, other):
            await client.close()


async def test_a_thinking_pause_keeps_one_stored_candidate_turn(
    live: LiveServer, tenant_a: Tenant, client: VoiceClient, tmp_path: Path
) -> None:
    _, token = await _interview_token(live, tenant_a)
    assert (await client.connect(live.url, token)).status_code == 200
    await client.wait_event("caption", speaker="agent")
    await client.wait_quiet()
    answer = join(
        [
            say("I do not guess.", tmp_path / "p1.wav"),
            silence(1.0, tmp_path / "pause.wav"),
            say("I mark the item as unclear and post it in the project channel with its id.", tmp_path / "p2.wav"),
        ],
        tmp_path / "paused.wav",
    )
    samples, rate = read_wav(answer)
    started = time.monotonic()
    duration = client.mic.play(samples, rate)
    await client.wait_event("caption", count=2, speaker="agent")
    assert client.voiced_between(started, started + duration) == 0, "the agent spoke during the pause"
    assert client.session_id is not None
    turns = await _turns(live, client.session_id)
    candidate = [t for t in turns if t.speaker == "candidate"]
    assert len(candidate) == 1, [t.text for t in candidate]
    assert len(heard("guess unclear project channel", candidate[0].text)) <= 1
