"""A candidate's side of the WebRTC interview, in Python: ``gaia talk``, the benchmarks and the end-to-end
tests use it. A microphone that plays WAV samples on cue (or a live sound card), and a receiver that
timestamps every 20 ms frame of agent audio it hears."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import av
import httpx
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

from agent.transports.webrtc import release_track_sooner
from media.audio import Resampler

RATE = 48_000
STEP = 960


class ScriptedMic(MediaStreamTrack):
    """Sends silence until ``play`` queues samples; paced at real time like a microphone."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[NDArray[np.int16]] = deque()
        self._start: float | None = None
        self._sent = 0
        self.last_voiced_sent: float | None = None

    def play(self, samples: NDArray[np.int16], rate: int) -> float:
        """Queue speech; returns its duration in seconds."""
        pcm = Resampler(RATE).push(samples, rate)
        for i in range(0, len(pcm), STEP):
            chunk = pcm[i : i + STEP]
            self._queue.append(np.pad(chunk, (0, STEP - len(chunk))))
        return len(pcm) / RATE

    @property
    def playing(self) -> bool:
        return bool(self._queue)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            await asyncio.sleep(max(0.0, self._start + self._sent / RATE - time.time()))
        chunk = self._queue.popleft() if self._queue else np.zeros(STEP, dtype=np.int16)
        if np.abs(chunk).max() > 300:
            self.last_voiced_sent = time.monotonic()
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, RATE)
        self._sent += STEP
        return frame


@dataclass
class VoiceClient:
    """One candidate on a real peer connection to the server."""

    pc: RTCPeerConnection = field(default_factory=RTCPeerConnection)
    mic: ScriptedMic = field(default_factory=ScriptedMic)
    heard: list[tuple[float, bool]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    session_id: str | None = None
    _reader: asyncio.Task[None] | None = None

    async def connect(self, base_url: str, token: str, client_id: str | None = None) -> httpx.Response:
        """Offer, post it with the token, apply the answer; returns the signalling response."""
        self.pc.addTrack(self.mic)
        channel = self.pc.createDataChannel("gaia")
        channel.on("message", lambda message: self.events.append(json.loads(message)))

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            # This client plays nothing: a frame counts as heard once decoded, without aiortc's 80 ms playback
            # hold (the same one-frame release as the server's receiver).
            release_track_sooner(self.pc, track)
            self._reader = asyncio.create_task(self._listen(track))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        local = self.pc.localDescription
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            body = {"token": token, "sdp": local.sdp, "type": local.type, "client_id": client_id}
            response = await http.post("/rtc/offer", json=body)
        if response.status_code == 200:
            answer = response.json()
            self.session_id = answer["session_id"]
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        return response

    async def _listen(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                samples = frame.to_ndarray().astype(np.float64)
                self.heard.append((time.monotonic(), float(np.sqrt(np.mean(samples**2))) > 300))
        except MediaStreamError:
            return

    def voiced_between(self, start: float, end: float) -> int:
        """Frames of agent speech received between two monotonic times."""
        return sum(1 for at, voiced in self.heard if voiced and start <= at < end)

    def last_voiced(self) -> float | None:
        """When agent speech was last received."""
        return next((at for at, voiced in reversed(self.heard) if voiced), None)

    async def wait_event(self, kind: str, count: int = 1, timeout: float = 90, **match: Any) -> dict[str, Any]:
        """The ``count``-th data-channel event of a kind whose fields match."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events if e.get("type") == kind and all(e.get(k) == v for k, v in match.items())]
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count}x {kind} {match} within {timeout} s; events: {self.events}")
            await asyncio.sleep(0.05)

    async def wait_quiet(self, quiet_s: float = 0.6, timeout: float = 60) -> None:
        """Until the agent has been silent for ``quiet_s`` after speaking."""
        deadline = time.monotonic() + timeout
        while True:
            last = self.last_voiced()
            if last is not None and time.monotonic() - last >= quiet_s:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the agent did not finish speaking")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Hang up."""
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()


def split_link(link: str) -> tuple[str, str]:
    """``http://host:port/c/TOKEN`` → (``http://host:port``, ``TOKEN``)."""
    base, sep, token = link.rstrip("/").rpartition("/c/")
    if not sep or not token or not base.startswith(("http://", "https://")):
        raise ValueError(f"not a candidate link: {link!r} (expected http(s)://HOST/c/TOKEN)")
    return base, token


class _MicrophoneFeed:
    """Live sound-card input pushed into the scripted mic (PortAudio through sounddevice)."""

    def __init__(self, mic: ScriptedMic) -> None:
        import sounddevice  # PortAudio is loaded here; a clear error follows if it is missing

        self._mic = mic
        self._stream = sounddevice.InputStream(
            samplerate=RATE, channels=1, dtype="int16", blocksize=STEP, callback=self._on_audio
        )

    def _on_audio(self, data: Any, frames: int, _time: Any, _status: Any) -> None:
        self._mic.play(np.asarray(data, dtype=np.int16).reshape(-1), RATE)

    def __enter__(self) -> _MicrophoneFeed:
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()


def read_wav_file(path: str) -> tuple[NDArray[np.int16], int]:
    """Mono int16 samples of any audio file PyAV can read, with its rate."""
    with av.open(path) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=stream.rate)
        parts = [o.to_ndarray().reshape(-1) for f in container.decode(stream) for o in resampler.resample(f)]
        return np.concatenate(parts).astype(np.int16), int(stream.rate)


async def talk(link: str, wavs: list[str], out: Any = print) -> int:
    """Join an interview from the terminal: answer with each WAV in turn (or the microphone); print captions.

    Returns a process exit code: 0 after a normal hang-up, 1 when the server refused the call.
    """
    base, token = split_link(link)
    client = VoiceClient()
    response = await client.connect(base, token)
    if response.status_code != 200:
        body = response.json()
        out(f"gaia talk: {response.status_code} {body.get('message', response.text)}")
        await client.close()
        return 1
    out(f"connected (session {client.session_id}); the agent speaks first")
    printed = 0

    def show_new() -> None:
        nonlocal printed
        for event in client.events[printed:]:
            if event.get("type") == "caption" and event.get("final"):
                out(f"{event['speaker']:>9}: {event['text']}")
            elif event.get("type") == "end":
                out(f"session ended ({event.get('reason')})")
        printed = len(client.events)

    try:
        if wavs:
            for path in wavs:
                await client.wait_quiet()
                show_new()
                samples, rate = read_wav_file(path)
                agent_lines = sum(
                    1 for e in client.events if e.get("type") == "caption" and e.get("speaker") == "agent"
                )
                client.mic.play(samples, rate)
                await client.wait_event("caption", count=agent_lines + 1, speaker="agent")
            await client.wait_quiet()
            show_new()
        else:
            with _MicrophoneFeed(client.mic):
                out("speak into the microphone; Ctrl+C hangs up")
                while not any(e.get("type") == "end" for e in client.events):
                    show_new()
                    await asyncio.sleep(0.2)
        show_new()
    finally:
        await client.close()
    return 0
