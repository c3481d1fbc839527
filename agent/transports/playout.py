"""Agent audio for a transport that pulls fixed-size frames at its own real-time pace.

livekit-agents pushes synthesized audio faster than real time; a transport (an aiortc track's
``recv``, a phone media stream, a test clock) pulls one 20 ms frame at a time. The buffer knows
what has really been played, so an interrupted turn reports only the audio the candidate heard,
and ``clear_buffer`` (barge-in) silences the agent from the very next frame.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from livekit import rtc
from livekit.agents.voice.io import AudioOutput, AudioOutputCapabilities


@dataclass
class _Segment:
    pcm: bytearray = field(default_factory=bytearray)
    read: int = 0
    flushed: bool = False
    started: bool = False


class Playout(AudioOutput):
    """An AudioOutput whose frames are taken by ``pull()``; silence when the agent is not speaking."""

    def __init__(
        self,
        *,
        sample_rate: int = 48_000,
        frame_ms: int = 20,
        label: str = "playout",
        on_played: Callable[[bytes, bool], None] | None = None,
    ) -> None:
        super().__init__(label=label, capabilities=AudioOutputCapabilities(pause=False), sample_rate=sample_rate)
        self.rate = sample_rate
        self.frame_bytes = sample_rate * frame_ms // 1000 * 2
        self._segments: deque[_Segment] = deque()
        self._capturing: _Segment | None = None
        self._on_played = on_played

    @property
    def speaking(self) -> bool:
        """True while agent audio is queued."""
        return any(len(s.pcm) > s.read for s in self._segments)

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if frame.num_channels != 1 or frame.sample_rate != self.rate:
            raise ValueError(
                f"playout takes mono {self.rate} Hz frames (got {frame.num_channels} ch {frame.sample_rate} Hz)"
            )
        if self._capturing is None:
            self._capturing = _Segment()
            self._segments.append(self._capturing)
        self._capturing.pcm.extend(frame.data.tobytes())

    def flush(self) -> None:
        super().flush()
        if self._capturing is not None:
            self._capturing.flushed = True
            self._capturing = None
        self._finish_drained()

    def clear_buffer(self) -> None:
        interrupted = list(self._segments)
        self._segments.clear()
        self._capturing = None
        for segment in interrupted:
            self.on_playback_finished(playback_position=self._seconds(segment.read), interrupted=True)

    def pull(self) -> bytes:
        """The next frame of agent audio (zero-padded), or silence; advances what counts as heard."""
        self._finish_drained()
        if not self._segments:
            frame = bytes(self.frame_bytes)
            if self._on_played is not None:
                self._on_played(frame, False)
            return frame
        segment = self._segments[0]
        if not segment.started:
            segment.started = True
            self.on_playback_started(created_at=time.time())
        chunk = bytes(segment.pcm[segment.read : segment.read + self.frame_bytes])
        segment.read += len(chunk)
        frame = chunk + bytes(self.frame_bytes - len(chunk))
        if self._on_played is not None:
            self._on_played(frame, bool(chunk))
        self._finish_drained()
        return frame

    def _finish_drained(self) -> None:
        while self._segments and self._segments[0].flushed and self._segments[0].read >= len(self._segments[0].pcm):
            segment = self._segments.popleft()
            self.on_playback_finished(playback_position=self._seconds(segment.read), interrupted=False)

    def _seconds(self, nbytes: int) -> float:
        return nbytes / 2 / self.rate
