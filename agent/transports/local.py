"""A transport without a network: audio pushed in by the caller, agent audio pulled on a real-time clock.

Used by benchmarks and tests that drive the real pipeline from WAV files, and as the reference for
what a network transport must do: convert its wire format to frames, and pull ``Playout`` every 20 ms.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from livekit import rtc
from livekit.agents import utils
from livekit.agents.voice.io import AudioInput

from agent.transports.playout import Playout


class FrameInput(AudioInput):
    """Frames pushed by the owner, read by the session."""

    def __init__(self, label: str = "frames") -> None:
        super().__init__(label=label)
        self._ch = utils.aio.Chan[rtc.AudioFrame]()

    def push(self, frame: rtc.AudioFrame) -> None:
        """Queue a frame for the session."""
        self._ch.send_nowait(frame)

    def close(self) -> None:
        """No more audio."""
        self._ch.close()

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._ch.__anext__()


@dataclass
class HeardAudio:
    """What the far end received from the agent: 20 ms frames with the monotonic time each arrived."""

    frames: list[tuple[float, bytes, bool]] = field(default_factory=list)

    def first_voiced_after(self, t: float) -> float | None:
        """Arrival time of the first frame with agent speech at or after ``t``."""
        return next((at for at, _, voiced in self.frames if voiced and at >= t), None)

    def voiced_between(self, start: float, end: float) -> int:
        """How many frames carried agent speech between two times."""
        return sum(1 for at, _, voiced in self.frames if voiced and start <= at < end)


class LocalLoop:
    """Feeds 20 ms input frames and pulls 20 ms of agent audio per tick, paced by the wall clock."""

    def __init__(self, playout: Playout, frame_ms: int = 20) -> None:
        self.input = FrameInput()
        self.playout = playout
        self.heard = HeardAudio()
        self._frame_s = frame_ms / 1000
        self._queue: asyncio.Queue[rtc.AudioFrame] = asyncio.Queue()
        self._silence_rate = 16_000
        self._task: asyncio.Task[None] | None = None

    def say(self, frames: list[rtc.AudioFrame]) -> None:
        """Queue candidate audio to be sent in real time after what is already queued."""
        for frame in frames:
            self._queue.put_nowait(frame)

    @property
    def sending(self) -> bool:
        """True while queued candidate audio is still being sent."""
        return not self._queue.empty()

    def start(self) -> None:
        """Begin ticking."""
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        """Stop ticking and end the input."""
        if self._task is not None:
            await utils.aio.cancel_and_wait(self._task)
        self.input.close()

    async def _tick(self) -> None:
        next_at = time.monotonic()
        samples = int(self._silence_rate * self._frame_s)
        while True:
            frame = (
                self._queue.get_nowait()
                if not self._queue.empty()
                else rtc.AudioFrame(bytes(samples * 2), self._silence_rate, 1, samples)
            )
            self.input.push(frame)
            pcm = self.playout.pull()
            self.heard.frames.append((time.monotonic(), pcm, any(pcm)))
            next_at += self._frame_s
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
