"""Calling in by phone, end to end on loopback: the TwiML webhook flow over HTTP, then Twilio's Media Streams
protocol over a real WebSocket to the real server, which runs the real VAD, faster-whisper, interviewer and Piper.

The carrier itself is the only fake: this test plays Twilio's part. It posts the form fields Twilio posts to
the webhooks, and ``Carrier`` speaks the Media Streams protocol (``connected``, ``start`` with the TwiML's
parameters, 20 ms base64 μ-law ``media`` in real time, ``mark`` echoes, ``stop``) with espeak-ng answers that
sox converts to μ-law, an encoder independent of ours.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import subprocess
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from agent.transports.phone import ulaw_decode, ulaw_encode
from media.recorder import decode_mono
from server.app import create_app
from server.phone import (
    access_code,
    assign_codes,
    check_ticket,
    issue_ticket,
    spoken_code,
    twilio_signature,
)
from server.services import secret_key
from server.store.models import InterviewSession, Invitation, Recording, SessionEventRow, TranscriptTurn
from tests.conftest import TINY_SCRIPT, LiveServer, Tenant
from tests.e2e.conftest import _interview_token
from tests.media.speech import _require, heard, say

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


# --- pieces without a call ---------------------------------------------------------------------------------------


def test_ulaw_matches_the_reference_codec() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the ITU G.711 reference in CPython (deprecated, still in 3.11/3.12)
    pcm = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(pcm) == audioop.lin2ulaw(pcm.tobytes(), 2)
    every_byte = bytes(range(256))
    assert ulaw_decode(every_byte).tobytes() == audioop.ulaw2lin(every_byte, 2)


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("123456", "123456"),
        ("123 456.", "123456"),
        ("One two three four five six.", "123456"),
        ("my code is 4 0 7, oh nine 1", "407091"),
        ("double five three triple zero", "553000"),
        ("one two three", None),
        ("1234567", None),
        ("", None),
    ],
)
def test_spoken_and_keyed_codes_are_read(said: str, code: str | None) -> None:
    assert spoken_code(said) == code


def test_codes_are_unique_and_a_new_invitation_never_moves_an_old_code() -> None:
    ids = [f"inv_{i}" for i in range(3000)]  # ~4 birthday collisions at k=0 in 10**6: all resolved
    table = assign_codes("secret", ids)
    assert len(table) == len(ids) and all(len(code) == 6 and code.isdigit() for code in table)
    grown = assign_codes("secret", [*ids, "inv_new"])
    assert {c: i for c, i in grown.items() if i != "inv_new"} == table


def test_twilio_signature_matches_twilios_documented_example() -> None:
    # The vector in Twilio's own helper libraries' RequestValidator tests (auth token 12345).
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309"}
    params |= {"To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


# --- the webhook flow ----------------------------------------------------------------------------------------------


async def _code(live: LiveServer, invitation_id: str) -> str:
    async with live.services.sessions() as db:
        code = await access_code(db, secret_key(live.services.settings), invitation_id)
    assert code is not None
    return code


def _twiml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.text)


async def test_the_voice_webhook_asks_for_a_six_digit_code_by_keys_or_voice(live: LiveServer) -> None:
    async with live.client() as http:
        root = _twiml(await http.post("/phone/voice", data={"CallSid": "CA1", "From": "+15550100"}))
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "6" and gather.get("input") == "dtmf speech"
    assert gather.get("action") == "/phone/code?attempt=1"
    assert "access code" in "".join(gather.itertext())
    assert root.findtext("Redirect") == "/phone/code?attempt=1"  # no input counts as a try


@pytest.mark.parametrize("field", ["Digits", "SpeechResult"])
async def test_a_valid_code_connects_the_stream_with_a_ticket(live: LiveServer, tenant_a: Tenant, field: str) -> None:
    invitation_id, _ = await _interview_token(live, tenant_a)
    code = await _code(live, invitation_id)
    entered = code if field == "Digits" else " ".join(WORDS[int(d)] for d in code).capitalize() + "."
    async with live.client() as http:
        root = _twiml(await http.post("/phone/code", params={"attempt": 1}, data={"CallSid": "CA1", field: entered}))
    stream = root.find("Connect/Stream")
    assert stream is not None and stream.get("url") == live.url.replace("http://", "ws://") + "/phone/stream"
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert parameters["invitation"] == invitation_id
    check_ticket(secret_key(live.services.settings), str(parameters["ticket"]), invitation_id)


async def test_a_wrong_code_is_asked_again_then_the_call_ends_politely(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, _ = await _interview_token(live, tenant_a)
    wrong = f"{(int(await _code(live, invitation_id)) + 1) % 10**6:06d}"
    async with live.client() as http:
        again = _twiml(await http.post("/phone/code", params={"attempt": 1}, data={"Digits": wrong}))
        unheard = _twiml(await http.post("/phone/code", params={"attempt": 2}, data={"SpeechResult": "hello?"}))
        last = _twiml(await http.post("/phone/code", params={"attempt": 3}, data={"Digits": wrong}))
    assert "could not find that code" in "".join(again.itertext())
    assert again.find("Gather") is not None and again.find("Gather").get("action") == "/phone/code?attempt=2"  # type: ignore[union-attr]
    assert "did not catch" in "".join(unheard.itertext()) and unheard.find("Gather") is not None
    assert last.find("Gather") is None and last.find("Hangup") is not None
    assert "call again" in "".join(last.itertext())


async def test_an_expired_or_revoked_invitation_is_told_so_and_not_connected(
    live: LiveServer, tenant_a: Tenant
) -> None:
    expired_id, _ = await _interview_token(live, tenant_a)
    revoked_id, _ = await _interview_token(live, tenant_a)
    async with live.services.sessions() as db:
        invitation = await db.get(Invitation, expired_id)
        assert invitation is not None
        invitation.expires_at = live.services.clock() - timedelta(days=1)
        await db.commit()
    async with live.client(headers=tenant_a.bearer()) as http:
        assert (await http.post(f"/api/invitations/{revoked_id}/revoke", json={})).status_code == 200
    async with live.client() as http:
        expired = _twiml(await http.post("/phone/code", data={"Digits": await _code(live, expired_id)}))
        revoked = _twiml(await http.post("/phone/code", data={"Digits": await _code(live, revoked_id)}))
    assert "expired" in "".join(expired.itertext()) and expired.find("Hangup") is not None
    assert "withdrawn" in "".join(revoked.itertext()) and revoked.find("Hangup") is not None
    assert expired.find("Connect") is None and revoked.find("Connect") is None


async def test_with_an_auth_token_only_requests_signed_by_twilio_are_answered(live: LiveServer) -> None:
    public = "https://gaia.example.org"
    settings = live.services.settings.model_copy(
        update={"twilio_auth_token": SecretStr("twilio-token"), "public_url": public}
    )
    services = dataclasses.replace(live.services, settings=settings)
    app = create_app(settings, services)
    form = {"CallSid": "CA1", "From": "+15550100"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://internal") as http:
        unsigned = await http.post("/phone/voice", data=form)
        forged = await http.post("/phone/voice", data=form, headers={"X-Twilio-Signature": "AAAA"})
        signature = twilio_signature("twilio-token", public + "/phone/voice", form)
        signed = await http.post("/phone/voice", data=form, headers={"X-Twilio-Signature": signature})
    assert unsigned.status_code == 403 and forged.status_code == 403
    assert signed.status_code == 200 and "<Gather" in signed.text


async def test_the_interview_page_shows_the_number_and_code_when_a_phone_number_is_set(
    live: LiveServer, tenant_a: Tenant
) -> None:
    invitation_id, token = await _interview_token(live, tenant_a)
    async with live.client() as http:
        without = await http.get(f"/c/{token}/interview")
    assert without.status_code == 200 and 'id="phone"' not in without.text
    settings = live.services.settings.model_copy(update={"phone_number": "+1 555 0100"})
    app = create_app(settings, dataclasses.replace(live.services, settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://internal") as http:
        page = await http.get(f"/c/{token}/interview")
    assert page.status_code == 200
    assert f"Call +1 555 0100 and enter the code <strong>{await _code(live, invitation_id)}</strong>" in page.text


# --- the media stream ----------------------------------------------------------------------------------------------


def ulaw_speech(text: str, path: Path) -> bytes:
    """espeak-ng speech as raw 8 kHz μ-law, converted by sox (not by our codec)."""
    wav = say(text, path.with_suffix(".wav"))
    out = path.with_suffix(".ul")
    subprocess.run(
        [_require("sox"), str(wav), "-r", "8000", "-c", "1", "-e", "u-law", "-t", "ul", str(out)], check=True
    )
    return out.read_bytes()


class Carrier:
    """Twilio's side of one Media Stream: line audio out every 20 ms (silence unless told to speak), agent audio in."""

    def __init__(self, ws: ClientConnection, stream_sid: str = "MZ00000000000000000000000000000001") -> None:
        self.ws = ws
        self.stream_sid = stream_sid
        self.heard: list[tuple[float, np.ndarray[Any, Any]]] = []  # (arrival, 8 kHz PCM) per agent media message
        self.marks: list[str] = []
        self.clears = 0
        self._speech = bytearray()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, parameters: dict[str, str]) -> None:
        """Open the stream as Twilio does and begin the real-time line."""
        await self.ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "streamSid": self.stream_sid,
            "accountSid": "AC0",
            "callSid": "CA0",
            "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await self.ws.send(
            json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": self.stream_sid})
        )
        self._tasks = [asyncio.create_task(self._line()), asyncio.create_task(self._listen())]

    def speak(self, ulaw: bytes) -> float:
        """Queue caller speech after what is queued; returns its duration in seconds."""
        self._speech += ulaw
        return len(ulaw) / 8000

    @property
    def speaking(self) -> bool:
        """True while queued caller speech is still being sent."""
        return bool(self._speech)

    def voiced_after(self, t: float) -> int:
        """Agent media messages carrying speech that arrived after ``t``."""
        return sum(1 for at, pcm in self.heard if at >= t and np.abs(pcm).max() > 500)

    async def _line(self) -> None:
        chunk, seq, next_at = 0, 1, time.monotonic()
        while True:
            payload = bytes(self._speech[:160]).ljust(160, b"\xff")  # 0xFF is μ-law silence
            del self._speech[:160]
            chunk, seq = chunk + 1, seq + 1
            media = {"track": "inbound", "chunk": str(chunk), "timestamp": str(chunk * 20)}
            media["payload"] = base64.b64encode(payload).decode()
            message = {"event": "media", "sequenceNumber": str(seq), "media": media, "streamSid": self.stream_sid}
            await self.ws.send(json.dumps(message))
            next_at += 0.02
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _listen(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            assert message["streamSid"] == self.stream_sid, message
            if message["event"] == "media":
                self.heard.append((time.monotonic(), ulaw_decode(base64.b64decode(message["media"]["payload"]))))
            elif message["event"] == "mark":  # Twilio echoes a mark once the audio before it has played
                self.marks.append(message["mark"]["name"])
                await self.ws.send(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": message["mark"]}))
            elif message["event"] == "clear":
                self.clears += 1

    async def hang_up(self) -> None:
        """Send ``stop`` and stop the line."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await task
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(json.dumps({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": "CA0"}}))


async def _connect_parameters(live: LiveServer, invitation_id: str) -> tuple[str, dict[str, str]]:
    async with live.client() as http:
        root = _twiml(await http.post("/phone/code", data={"Digits": await _code(live, invitation_id)}))
    stream = root.find("Connect/Stream")
    assert stream is not None
    return str(stream.get("url")), {str(p.get("name")): str(p.get("value")) for p in stream.findall("Parameter")}


@pytest.fixture
async def carriers() -> AsyncIterator[list[Carrier]]:
    made: list[Carrier] = []
    yield made
    for carrier in made:
        await carrier.hang_up()
        await carrier.ws.close()


async def _agent_turns(live: LiveServer, invitation_id: str, count: int, timeout: float = 120) -> list[TranscriptTurn]:
    """The phone session's turns once ``count`` agent turns are stored (an agent turn is stored once played)."""
    deadline = time.monotonic() + timeout
    while True:
        async with live.services.sessions() as db:
            turns = list(
                await db.scalars(
                    select(TranscriptTurn)
                    .join(InterviewSession, InterviewSession.id == TranscriptTurn.session_id)
                    .where(InterviewSession.invitation_id == invitation_id)
                    .order_by(TranscriptTurn.seq)
                )
            )
        if sum(t.speaker == "agent" for t in turns) >= count:
            return turns
        assert time.monotonic() < deadline, f"no {count} agent turns within {timeout} s: {[t.text for t in turns]}"
        await asyncio.sleep(0.2)


async def _session(live: LiveServer, invitation_id: str, ended: bool = False, timeout: float = 60) -> InterviewSession:
    deadline = time.monotonic() + timeout
    while True:
        async with live.services.sessions() as db:
            row = await db.scalar(select(InterviewSession).where(InterviewSession.invitation_id == invitation_id))
        if row is not None and (not ended or row.state != "active"):
            return row
        assert time.monotonic() < deadline, "the phone session was not stored"
        await asyncio.sleep(0.2)


async def test_a_phone_call_answers_two_questions_and_is_stored_like_a_browser_session(
    live: LiveServer, tenant_a: Tenant, carriers: list[Carrier], tmp_path: Path
) -> None:
    invitation_id, _ = await _interview_token(live, tenant_a)
    url, parameters = await _connect_parameters(live, invitation_id)
    first = ulaw_speech(
        "When an item is unclear, I ask the project lead and write the answer in our notes.", tmp_path / "a1"
    )
    second = ulaw_speech("I keep a checklist and I review the guidelines every morning.", tmp_path / "a2")

    async with connect(url) as ws:
        carrier = Carrier(ws)
        carriers.append(carrier)
        await carrier.start(parameters)
        assert (await _session(live, invitation_id)).transport == "phone"

        turns = await _agent_turns(live, invitation_id, 1)
        assert turns[0].speaker == "agent" and turns[0].text.startswith("Hi, I'm GAIA."), turns[0].text
        greeting = np.concatenate([pcm for _, pcm in carrier.heard])
        assert np.sqrt(np.mean(greeting.astype(np.float64) ** 2)) > 300, "the greeting arrived as silence"
        assert carrier.voiced_after(0) > 25, "the greeting was not heard as audio"

        carrier.speak(first)
        turns = await _agent_turns(live, invitation_id, 2)
        assert turns[2].text == "Thank you. How do you stay consistent?", [t.text for t in turns]
        carrier.speak(second)
        turns = await _agent_turns(live, invitation_id, 3)
        assert turns[-1].text == "Thank you, that is all."
        await asyncio.wait_for(ws.wait_closed(), 60)  # the server hangs up once the closing line has been heard
        assert ws.close_code == 1000 and ws.close_reason == "interview ended"
        assert carrier.marks, "no mark was sent to confirm the agent's audio was played"

    speakers = [t.speaker for t in turns]
    assert speakers == ["agent", "candidate", "agent", "candidate", "agent"], [t.text for t in turns]
    assert len(heard("unclear ask project lead notes", turns[1].text)) <= 1, turns[1].text
    assert len(heard("checklist review guidelines morning", turns[3].text)) <= 1, turns[3].text
    assert turns[1].words and turns[1].start_ms <= turns[1].words[0]["start_ms"] <= turns[1].end_ms

    session = await _session(live, invitation_id, ended=True)
    assert session.state == "completed" and session.transport == "phone"
    async with live.services.sessions() as db:
        invitation = await db.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == "completed"
        recordings = list(await db.scalars(select(Recording).where(Recording.session_id == session.id)))
        events = list(await db.scalars(select(SessionEventRow).where(SessionEventRow.session_id == session.id)))
    assert sorted(r.track for r in recordings) == ["agent", "candidate", "mixed"]
    # The same session events as a browser session: the policy's decisions and the voice signals of the recording.
    assert [e.detail["reason"] for e in events if e.kind == "policy.decision"] == ["opening", "answer", "answer"]
    assert sorted(e.detail["question_id"] for e in events if e.kind == "voice.answer_onset") == ["q1", "q2"]
    for recording in recordings:
        assert len(decode_mono(Path(recording.path))) / 48_000 > 3, recording.track


LONG_OPENING = {
    **TINY_SCRIPT,
    "id": "long-opening-phone",
    "opening": (
        "Hi, I'm GAIA, an AI interviewer. This conversation is recorded so that a person on the hiring team "
        "can review it later, and there are no trick questions, so please take your time with each answer."
    ),
}


async def test_barge_in_clears_the_carriers_buffer_and_keeps_only_what_was_sent(
    live: LiveServer, tenant_a: Tenant, carriers: list[Carrier], tmp_path: Path
) -> None:
    async with live.client(headers=tenant_a.bearer()) as http:
        script = (await http.post("/api/scripts", json={"content": LONG_OPENING})).json()
        body = {"mode": "interview", "candidate_name": "Pat Phone", "script_id": script["id"]}
        invitation_id = str((await http.post("/api/invitations", json=body)).json()["id"])
    url, parameters = await _connect_parameters(live, invitation_id)
    interruption = ulaw_speech(
        "Sorry, I think I missed that, could you please say it again a little more slowly?", tmp_path / "b"
    )
    async with connect(url) as ws:
        carrier = Carrier(ws)
        carriers.append(carrier)
        await carrier.start(parameters)
        deadline = time.monotonic() + 120
        while carrier.voiced_after(0) == 0:
            assert time.monotonic() < deadline, "the agent never started speaking"
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # a few words of the opening are heard
        speaking_at = time.monotonic()
        duration = carrier.speak(interruption)
        await asyncio.sleep(duration)
        assert carrier.clears >= 1, "the carrier was not told to drop the agent audio it buffered"
        assert carrier.voiced_after(speaking_at + 1.5) == 0, "the agent kept talking over the caller"
        turns = await _agent_turns(live, invitation_id, 1)
    assert turns[0].speaker == "agent" and turns[0].interrupted
    assert turns[0].text.startswith("Hi") and "take your time" not in turns[0].text, turns[0].text


async def test_a_stream_without_a_valid_ticket_is_closed_with_the_reason(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, _ = await _interview_token(live, tenant_a)
    other_id, _ = await _interview_token(live, tenant_a)
    url = live.url.replace("http://", "ws://") + "/phone/stream"
    secret = secret_key(live.services.settings)
    cases = {
        "not valid": {"invitation": invitation_id, "ticket": "forged.ticket"},
        "another invitation": {"invitation": invitation_id, "ticket": issue_ticket(secret, other_id)},
        "not valid; call in": {"invitation": invitation_id},
    }
    for reason, parameters in cases.items():
        async with connect(url) as ws:
            carrier = Carrier(ws)
            await carrier.start(parameters)
            await asyncio.wait_for(ws.wait_closed(), 30)
            await carrier.hang_up()
            assert ws.close_code == 1008 and reason in (ws.close_reason or ""), (ws.close_code, ws.close_reason)
    async with connect(url) as ws:
        await ws.send(json.dumps({"event": "media", "media": {"payload": ""}}))
        await asyncio.wait_for(ws.wait_closed(), 30)
        assert ws.close_code == 1008 and "start" in (ws.close_reason or "")
    async with live.services.sessions() as db:
        assert await db.scalar(select(InterviewSession).where(InterviewSession.invitation_id == invitation_id)) is None
