"""Phone transport in Twilio's Media Streams format: JSON messages of base64 μ-law 8 kHz audio on a WebSocket.

The carrier opens the WebSocket after the TwiML webhook connected the call (``<Connect><Stream>``) and
sends ``connected``, ``start`` (stream id and the custom parameters we set), then ``media`` every 20 ms,
``mark`` echoes and finally ``stop``. We answer with ``media`` (the agent's voice), ``mark`` (after each
agent utterance, echoed once the caller heard it) and ``clear`` (barge-in: drop what the carrier buffered).

The session sees the same thing as over WebRTC: 48 kHz mono frames in, a 48 kHz ``Playout`` out, pulled
every 20 ms and recorded; only the wire format differs. The transport knows no WebSocket library: the
server authenticates the ``start`` message and hands over the socket's ``receive``/``send`` functions.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import utils
from numpy.typing import NDArray

from agent.transports.local import FrameInput
from agent.transports.playout import Playout
from media.audio import Resampler

logger = logging.getLogger(__name__)

RATE = 48_000  # what the session hears and the recorder stores, as on the WebRTC transport
PHONE_RATE = 8_000
FRAME_S = 0.020
PHONE_FRAME_BYTES = int(PHONE_RATE * FRAME_S)  # μ-law: one byte per sample
MARK_WAIT_S = 2.0  # at hang-up, how long the closing words may take to reach the caller

_BIAS = 0x84


def ulaw_decode(data: bytes) -> NDArray[np.int16]:
    """G.711 μ-law bytes to int16 PCM."""
    u = ~np.frombuffer(data, dtype=np.uint8)
    exponent = ((u >> 4) & 0x07).astype(np.int32)
    mantissa = (u & 0x0F).astype(np.int32)
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def ulaw_encode(samples: NDArray[np.int16]) -> bytes:
    """int16 PCM to G.711 μ-law bytes (on the 14-bit scale of the ITU reference, so it matches other codecs)."""
    v = samples.astype(np.int32) >> 2
    negative = v < 0
    v = np.minimum(np.abs(v), 8159) + (_BIAS >> 2)
    segment = np.floor(np.log2(v)).astype(np.int32) - 5
    code = np.where(segment > 7, 0x7F, (np.minimum(segment, 7) << 4) | ((v >> (np.minimum(segment, 7) + 1)) & 0x0F))
    return (code ^ np.where(negative, 0x7F, 0xFF)).astype(np.uint8).tobytes()


class ProtocolError(ValueError):
    """A carrier message that does not follow the Media Streams format."""


def parse_message(text: str) -> dict[str, Any]:
    """One Media Streams message: a JSON object with an ``event``."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise ProtocolError("expected a JSON object with an 'event' field")
    return message


@dataclass(frozen=True)
class StreamStart:
    """The ``start`` message: which stream and call, and the ``<Parameter>`` values set in the TwiML."""

    stream_sid: str
    call_sid: str = ""
    parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, message: dict[str, Any]) -> StreamStart:
        """Read a parsed ``start`` message; ProtocolError names what is missing."""
        if message.get("event") != "start":
            raise ProtocolError(f"expected a 'start' message, got '{message.get('event')}'")
        start = message.get("start")
        sid = message.get("streamSid") or (start.get("streamSid") if isinstance(start, dict) else None)
        if not isinstance(start, dict) or not isinstance(sid, str) or not sid:
            raise ProtocolError("the 'start' message has no start.streamSid")
        media = start.get("mediaFormat") or {}
        if media and (media.get("encoding") != "audio/x-mulaw" or str(media.get("sampleRate", PHONE_RATE)) != "8000"):
            raise ProtocolError(f"start.mediaFormat must be audio/x-mulaw at 8000 Hz (got {media})")
        raw = start.get("customParameters") or {}
        parameters = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        return cls(sid, str(start.get("callSid", "")), parameters)


class PhonePlayout(Playout):
    """The shared playout, remembering a barge-in so the sender can tell the carrier to drop its buffer too."""

    def __init__(self, on_played: Callable[[bytes, bool], None]) -> None:
        super().__init__(sample_rate=RATE, label="phone-out", on_played=on_played)
        self.cleared = False

    def clear_buffer(self) -> None:
        super().clear_buffer()
        self.cleared = True


class PhoneTransport:
    """One call's media stream as the session's audio pair; start it inside a running event loop.

    ``receive``/``send`` are the WebSocket's text functions (``receive`` raises when the socket closes).
    Media arrives in real time from the carrier; the agent's voice leaves on our own 20 ms clock.
    """

    def __init__(
        self,
        start: StreamStart,
        receive: Callable[[], Awaitable[str]],
        send: Callable[[str], Awaitable[None]],
        on_candidate_audio: Callable[[NDArray[np.int16]], None] | None = None,
        on_agent_audio: Callable[[bytes, bool], None] | None = None,
    ) -> None:
        self.start = start
        self.input = FrameInput(label="phone-in")
        self.output = PhonePlayout(on_played=self._played)
        self.closed = asyncio.Event()
        self.marks_sent = 0
        self.marks_heard = 0
        self.frames_in = 0
        self._receive = receive
        self._send = send
        self._on_candidate_audio = on_candidate_audio
        self._on_agent_audio = on_agent_audio
        self._up = Resampler(RATE)
        self._down = Resampler(PHONE_RATE)
        self._voiced = False
        self._speaking = False  # agent audio sent since the last mark
        self._pending = bytearray()  # μ-law not yet sent as a whole 20 ms message
        self._mark_heard = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._sender = asyncio.create_task(self._send_loop())

    def send_event(self, kind: str, **data: Any) -> None:
        """A phone has no data channel: events are only logged."""
        logger.debug("phone stream %s: %s %s", self.start.stream_sid, kind, data)

    async def close(self) -> None:
        """Stop the stream; while the caller is still there, first let the last agent words reach them."""
        await utils.aio.cancel_and_wait(self._sender)
        if not self.closed.is_set():
            with contextlib.suppress(Exception):
                await self._end_utterance()
                await self._wait_marks(MARK_WAIT_S)
        await utils.aio.cancel_and_wait(self._reader)
        self.input.close()
        self.closed.set()

    async def _read(self) -> None:
        try:
            while True:
                try:
                    message = parse_message(await self._receive())
                except ProtocolError as exc:
                    logger.warning("phone stream %s: ignored a message: %s", self.start.stream_sid, exc)
                    continue
                event = message["event"]
                if event == "media":
                    self._hear(message)
                elif event == "mark":
                    self.marks_heard += 1
                    self._mark_heard.set()
                elif event == "stop":
                    logger.info("phone stream %s stopped by the carrier", self.start.stream_sid)
                    return
                elif event == "dtmf":
                    logger.info("phone stream %s: key %s", self.start.stream_sid, message.get("dtmf"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket closed under us: the caller hung up
            logger.info("phone stream %s ended: %r", self.start.stream_sid, exc)
        finally:
            self.closed.set()

    def _hear(self, message: dict[str, Any]) -> None:
        media = message.get("media")
        if not isinstance(media, dict) or media.get("track", "inbound") != "inbound":
            return
        try:
            ulaw = base64.b64decode(str(media.get("payload", "")), validate=True)
        except (binascii.Error, ValueError):
            logger.warning("phone stream %s: media payload is not base64", self.start.stream_sid)
            return
        pcm = self._up.push(ulaw_decode(ulaw), PHONE_RATE)
        if len(pcm) == 0:
            return
        self.frames_in += 1
        if self._on_candidate_audio is not None:
            self._on_candidate_audio(pcm)
        self.input.push(rtc.AudioFrame(pcm.tobytes(), RATE, 1, len(pcm)))

    def _played(self, pcm: bytes, voiced: bool) -> None:
        self._voiced = voiced
        if self._on_agent_audio is not None:
            self._on_agent_audio(pcm, voiced)

    async def _send_loop(self) -> None:
        next_at = time.monotonic()
        sid = self.start.stream_sid
        try:
            while True:
                if self.output.cleared:
                    self.output.cleared = False
                    self._pending.clear()
                    if self._speaking or self.marks_heard < self.marks_sent:
                        await self._send(json.dumps({"event": "clear", "streamSid": sid}))
                    self._speaking = False
                pcm = self.output.pull()
                if self._voiced:
                    self._speaking = True
                    self._pending += ulaw_encode(self._down.push(np.frombuffer(pcm, dtype=np.int16), RATE))
                    while len(self._pending) >= PHONE_FRAME_BYTES:
                        await self._send_media(bytes(self._pending[:PHONE_FRAME_BYTES]))
                        del self._pending[:PHONE_FRAME_BYTES]
                elif self._speaking:
                    await self._end_utterance()
                next_at += FRAME_S
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # sending failed: the socket is gone
            logger.info("phone stream %s: cannot send: %r", sid, exc)
            self.closed.set()

    async def _send_media(self, ulaw: bytes) -> None:
        payload = base64.b64encode(ulaw).decode("ascii")
        await self._send(
            json.dumps({"event": "media", "streamSid": self.start.stream_sid, "media": {"payload": payload}})
        )

    async def _end_utterance(self) -> None:
        """Send the utterance's last partial frame (padded with μ-law silence) and a mark to be echoed."""
        if not self._speaking:
            return
        if self._pending:
            await self._send_media(bytes(self._pending) + b"\xff" * (PHONE_FRAME_BYTES - len(self._pending)))
            self._pending.clear()
        self._speaking = False
        self.marks_sent += 1
        mark = {"event": "mark", "streamSid": self.start.stream_sid, "mark": {"name": f"agent-{self.marks_sent}"}}
        await self._send(json.dumps(mark))

    async def _wait_marks(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.marks_heard < self.marks_sent and not self.closed.is_set():
            self._mark_heard.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._mark_heard.wait(), remaining)
