"""The two outside parties ``voice_latency.py`` plays on loopback, because neither can run here: a hosted LLM
(an OpenAI-compatible chat-completions endpoint that answers at once) and a phone carrier (Twilio's side of a
Media Stream). They are the bench's only fakes; everything between them and the candidate's ear is the real
service. Not a benchmark itself: ``make bench`` runs it as a script, which does nothing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import uvicorn
from numpy.typing import NDArray
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from agent.transports.phone import PHONE_FRAME_BYTES, PHONE_RATE, ulaw_decode, ulaw_encode

TRANSITION = "Thank you."  # what the deterministic interviewer says before the next question, so lines match
# agent.talk's rules, so both transports call the same frames speech: a sent frame with a peak over 300 is
# candidate speech; a received frame with an RMS over 300 is agent speech
VOICED_PEAK = 300
VOICED_RMS = 300
MULAW_SILENCE = b"\xff"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def agent_voiced(pcm: NDArray[np.int16]) -> bool:
    """A received 20 ms frame carries agent speech."""
    return bool(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > VOICED_RMS)


# --- the hosted LLM ------------------------------------------------------------------------------------------------


@dataclass
class InstantInterviewerModel:
    """Counts what it was asked; its reply takes no time, so what the bench measures is our own overhead."""

    url: str
    tool_requests: int = 0
    other_requests: int = 0


def _completion(model: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


@asynccontextmanager
async def instant_interviewer_model() -> AsyncIterator[InstantInterviewerModel]:
    """Serve the model on loopback for the block: every request offering the interviewer's tools gets
    ``next_question(transition="Thank you.")``; anything else (the interview scorer) gets an empty reply,
    which its caller treats as a failure and scores without the model."""
    port = free_port()
    model = InstantInterviewerModel(url=f"http://127.0.0.1:{port}/v1")

    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        offered = {tool["function"]["name"] for tool in body.get("tools") or []}
        if "next_question" in offered:
            model.tool_requests += 1
            call = {"name": "next_question", "arguments": json.dumps({"transition": TRANSITION})}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": call}],
            }
        else:
            model.other_requests += 1
            message = {"role": "assistant", "content": ""}
        return JSONResponse(_completion(str(body.get("model", "")), message))

    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield model
    finally:
        server.should_exit = True
        await task


# --- the phone carrier ---------------------------------------------------------------------------------------------


class PhoneLine:
    """Twilio's side of one Media Stream: a ``media`` message of μ-law every 20 ms in real time (line silence
    unless speech is queued), agent ``media`` timestamped on arrival, ``mark`` echoed as if played."""

    def __init__(self, ws: ClientConnection, stream_sid: str = "MZbench0000000000000000000000000001") -> None:
        self.ws = ws
        self.stream_sid = stream_sid
        self.heard: list[tuple[float, bool]] = []  # (arrival, carries speech) per agent media message
        self.last_voiced_sent: float | None = None
        self._queue: deque[tuple[bytes, bool]] = deque()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, parameters: dict[str, str]) -> None:
        """``connected`` and ``start`` (with the TwiML's stream parameters), then the real-time line."""
        await self.ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "streamSid": self.stream_sid,
            "accountSid": "ACbench",
            "callSid": "CAbench",
            "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": PHONE_RATE, "channels": 1},
        }
        await self.ws.send(
            json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": self.stream_sid})
        )
        self._tasks = [asyncio.create_task(self._line()), asyncio.create_task(self._listen())]

    def speak(self, pcm: NDArray[np.int16]) -> float:
        """Queue 8 kHz caller speech (μ-law encoded here, 20 ms per message); returns its duration in seconds."""
        for i in range(0, len(pcm), PHONE_FRAME_BYTES):
            chunk = pcm[i : i + PHONE_FRAME_BYTES]
            speech = bool(np.abs(chunk.astype(np.int32)).max() > VOICED_PEAK)
            self._queue.append((ulaw_encode(chunk).ljust(PHONE_FRAME_BYTES, MULAW_SILENCE), speech))
        return float(len(pcm) / PHONE_RATE)

    @property
    def speaking(self) -> bool:
        """True while queued caller speech is still being sent."""
        return bool(self._queue)

    def voiced_between(self, start: float, end: float) -> int:
        """Agent media messages carrying speech that arrived between two monotonic times."""
        return sum(1 for at, speech in self.heard if speech and start <= at < end)

    def last_voiced(self) -> float | None:
        """When agent speech last arrived."""
        return next((at for at, speech in reversed(self.heard) if speech), None)

    async def wait_quiet(self, quiet_s: float, timeout: float = 90) -> None:
        """Until the agent has spoken and then been silent for ``quiet_s``."""
        deadline = time.monotonic() + timeout
        while True:
            last = self.last_voiced()
            if last is not None and time.monotonic() - last >= quiet_s:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the agent did not finish speaking on the phone line")
            await asyncio.sleep(0.05)

    async def _line(self) -> None:
        sequence, next_at = 1, time.monotonic()
        while True:
            payload, speech = self._queue.popleft() if self._queue else (MULAW_SILENCE * PHONE_FRAME_BYTES, False)
            sequence += 1
            media = {"track": "inbound", "chunk": str(sequence - 1), "timestamp": str((sequence - 1) * 20)}
            media["payload"] = base64.b64encode(payload).decode()
            if speech:
                self.last_voiced_sent = time.monotonic()
            await self.ws.send(
                json.dumps(
                    {"event": "media", "sequenceNumber": str(sequence), "media": media, "streamSid": self.stream_sid}
                )
            )
            next_at += 0.02
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _listen(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["event"] == "media":
                pcm = ulaw_decode(base64.b64decode(message["media"]["payload"]))
                self.heard.append((time.monotonic(), agent_voiced(pcm)))
            elif message["event"] == "mark":
                await self.ws.send(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": message["mark"]}))

    async def hang_up(self) -> None:
        """Stop the line and send ``stop``."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await task
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(
                json.dumps({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": "CAbench"}})
            )
