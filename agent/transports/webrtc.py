"""Browser transport over WebRTC with aiortc: the remote microphone track in, a paced agent track out,
and a data channel for JSON events (agent state, captions, question number, session end)."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from livekit import rtc

from agent.transports.local import FrameInput
from agent.transports.playout import Playout
from media.audio import Resampler

logger = logging.getLogger(__name__)

RATE = 48_000
PTIME = 0.020
# aiortc holds each received audio frame until 4 more have arrived (80 ms) before decoding it, a smoothing meant
# for playback. We only transcribe: a frame is released as soon as the next one is in (a missing packet is still
# waited for, as before), so the end of an answer reaches the VAD 60 ms sooner.
INBOUND_AUDIO_PREFETCH = 1
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"  # aiortc 1.16.0's private name (the version is pinned)


def release_audio_sooner(receiver: RTCRtpReceiver, prefetch: int = INBOUND_AUDIO_PREFETCH) -> bool:
    """Give an audio receiver a jitter buffer that releases frames after ``prefetch`` later ones; before its first
    packet only. False (and nothing changed) when this aiortc has no such buffer."""
    current = getattr(receiver, _JITTER_BUFFER, None)
    if not isinstance(current, JitterBuffer):
        logger.warning("aiortc's receiver has no %s: inbound audio keeps aiortc's own delay", _JITTER_BUFFER)
        return False
    setattr(receiver, _JITTER_BUFFER, JitterBuffer(capacity=current.capacity, prefetch=prefetch))
    return True


def release_track_sooner(pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
    """``release_audio_sooner`` on the receiver of a track that ``pc``'s "track" event has just announced (the
    event fires while the remote description is applied, before any packet has arrived)."""
    for receiver in pc.getReceivers():
        if receiver.track is track:
            release_audio_sooner(receiver)


class InvalidOffer(ValueError):
    """The SDP offer could not be used (malformed, or without an audio section)."""


class PlayoutTrack(MediaStreamTrack):
    """The agent's voice: one 20 ms frame per ``recv()``, paced on the wall clock like aiortc's own tracks."""

    kind = "audio"

    def __init__(self, playout: Playout) -> None:
        super().__init__()
        self._playout = playout
        self._start: float | None = None
        self._samples = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        step = int(RATE * PTIME)
        if self._start is None:
            self._start = time.time()
        else:
            self._samples += step
            await asyncio.sleep(max(0.0, self._start + self._samples / RATE - time.time()))
        pcm = np.frombuffer(self._playout.pull(), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


def ice_configuration(servers: list[str]) -> RTCConfiguration:
    """ICE servers from ``stun:``/``turn:`` URLs (``turn:user:pass@host:port`` carries credentials)."""
    ice: list[RTCIceServer] = []
    for url in servers:
        if url.startswith("turn:") and "@" in url:
            creds, host = url[len("turn:") :].rsplit("@", 1)
            user, _, password = creds.partition(":")
            ice.append(RTCIceServer(urls=f"turn:{host}", username=user, credential=password))
        else:
            ice.append(RTCIceServer(urls=url))
    return RTCConfiguration(iceServers=ice)


class WebRTCTransport:
    """One candidate's peer connection, exposing the session's audio pair and an event channel."""

    def __init__(
        self,
        ice_servers: list[str] | None = None,
        on_candidate_audio: Callable[[np.ndarray[Any, Any]], None] | None = None,
        on_agent_audio: Callable[[bytes, bool], None] | None = None,
    ) -> None:
        self.pc = RTCPeerConnection(ice_configuration(ice_servers or []))
        self.input = FrameInput(label="webrtc-in")
        self.output = Playout(sample_rate=RATE, label="webrtc-out", on_played=on_agent_audio)
        self.closed = asyncio.Event()
        self._on_candidate_audio = on_candidate_audio
        self._channel: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._outbox: list[str] = []
        self.ended_by_candidate = False  # the page's end button, rather than a lost connection
        self.pc.addTrack(PlayoutTrack(self.output))

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and self._reader is None:
                release_track_sooner(self.pc, track)
                self._reader = asyncio.create_task(self._read(track))

        @self.pc.on("datachannel")
        def _on_channel(channel: Any) -> None:
            self._channel = channel
            channel.on("message", self._on_message)
            for message in self._outbox:
                channel.send(message)
            self._outbox.clear()

        @self.pc.on("connectionstatechange")
        async def _on_state() -> None:
            if self.pc.connectionState in ("failed", "closed", "disconnected"):
                self.closed.set()

    async def answer(self, sdp: str, kind: str = "offer") -> RTCSessionDescription:
        """Apply the browser's offer and return our answer (ICE candidates gathered, no trickle)."""
        if kind != "offer":
            raise InvalidOffer(f"expected an SDP offer, got type '{kind}'")
        if "m=audio" not in sdp:
            raise InvalidOffer("the offer has no audio section (m=audio); send the microphone track")
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except (ValueError, AttributeError, IndexError, KeyError) as exc:
            raise InvalidOffer(f"malformed SDP offer: {exc}") from exc
        local = self.pc.localDescription
        assert local is not None
        return local

    def _on_message(self, message: Any) -> None:
        """The page's one message: ``{"type": "end"}`` when the candidate presses End interview."""
        try:
            kind = json.loads(message).get("type") if isinstance(message, str) else None
        except (ValueError, AttributeError):
            kind = None
        if kind == "end":
            self.ended_by_candidate = True
            self.closed.set()

    def send_event(self, kind: str, **data: Any) -> None:
        """Send a JSON event to the page (queued until its data channel opens)."""
        message = json.dumps({"type": kind, **data})
        channel = self._channel
        if channel is not None and channel.readyState == "open":
            channel.send(message)
        elif channel is None:
            self._outbox.append(message)

    async def _read(self, track: MediaStreamTrack) -> None:
        resampler = Resampler(RATE)
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                samples = frame.to_ndarray()
                interleaved = samples.reshape(-1, len(frame.layout.channels)) if frame.format.is_packed else samples.T
                mono = resampler.push(np.ascontiguousarray(interleaved, dtype=np.int16), frame.sample_rate)
                if self._on_candidate_audio is not None:
                    self._on_candidate_audio(mono)
                self.input.push(rtc.AudioFrame(mono.tobytes(), RATE, 1, len(mono)))
        except MediaStreamError:
            logger.info("candidate audio track ended")
        finally:
            self.closed.set()

    async def close(self) -> None:
        """Hang up."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.pc.close()
        self.input.close()
        self.closed.set()
