"""Session recordings: each side as its own Opus/OGG track written as audio arrives, plus a mix at the end.

Tracks are written incrementally (OGG pages land on disk as the session goes), so a crash keeps
everything up to the last page. Both tracks share the session clock: a track that starts late is
padded with silence so the candidate and agent line up when mixed or replayed side by side.
"""

from __future__ import annotations

import fractions
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

RATE = 48_000
FRAME = 960  # 20 ms, what Opus wants


@dataclass(frozen=True)
class RecordedFile:
    """A finished recording file and what the store needs to know about it."""

    track: str
    path: Path
    duration_ms: int
    size_bytes: int
    sha256: str
    media_type: str = "audio/ogg"


class OpusWriter:
    """Mono 48 kHz int16 in, Opus in OGG out, encoded frame by frame."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._container = av.open(str(path), "w", format="ogg")
        self._stream = self._container.add_stream("libopus", rate=RATE, layout="mono")  # type: ignore[call-overload]
        self._pending = np.zeros(0, dtype=np.int16)
        self.samples = 0

    def write(self, pcm: NDArray[np.int16]) -> None:
        """Append samples; whole 20 ms frames are encoded now, the rest waits for more."""
        self._pending = np.concatenate([self._pending, pcm])
        while len(self._pending) >= FRAME:
            chunk, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            self._encode(chunk)

    def _encode(self, chunk: NDArray[np.int16]) -> None:
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, RATE)
        self.samples += len(chunk)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        """Encode what is left (zero-padded to a frame) and finish the file."""
        if len(self._pending) or self.samples == 0:  # a silent side still gets a valid (20 ms) file
            self._encode(np.concatenate([self._pending, np.zeros(FRAME - len(self._pending), dtype=np.int16)]))
            self._pending = np.zeros(0, dtype=np.int16)
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()


def decode_mono(path: Path) -> NDArray[np.int16]:
    """All samples of an audio file as mono int16 at 48 kHz."""
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        parts = [
            out.to_ndarray().reshape(-1) for frame in container.decode(audio=0) for out in resampler.resample(frame)
        ]
        parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return np.concatenate(parts).astype(np.int16) if parts else np.zeros(0, dtype=np.int16)


def _describe(track: str, path: Path, samples: int) -> RecordedFile:
    data = path.read_bytes()
    return RecordedFile(track, path, samples * 1000 // RATE, len(data), hashlib.sha256(data).hexdigest())


class SessionRecorder:
    """Writes ``candidate.ogg`` and ``agent.ogg`` on one clock, and ``mixed.ogg`` when closed."""

    def __init__(self, folder: Path, started_at: float | None = None) -> None:
        self.folder = folder
        self.started_at = time.monotonic() if started_at is None else started_at
        self._writers = {"candidate": OpusWriter(folder / "candidate.ogg"), "agent": OpusWriter(folder / "agent.ogg")}
        self._closed = False

    def write(self, track: str, pcm: NDArray[np.int16], now: float | None = None) -> None:
        """Append 48 kHz mono samples to a track, padding with silence if the track fell behind the clock."""
        if self._closed:
            return
        writer = self._writers[track]
        at = (time.monotonic() if now is None else now) - self.started_at
        gap = int(at * RATE) - writer.samples - len(writer._pending)
        if gap > FRAME:  # more than a frame late: the track was silent (not yet started, or paused)
            writer.write(np.zeros(gap, dtype=np.int16))
        writer.write(pcm)

    def close(self) -> list[RecordedFile]:
        """Finish both tracks, mix them, and describe the three files."""
        if self._closed:
            return []
        self._closed = True
        for writer in self._writers.values():
            writer.close()
        files = [_describe(track, w.path, w.samples) for track, w in self._writers.items()]
        candidate = decode_mono(self._writers["candidate"].path)
        agent = decode_mono(self._writers["agent"].path)
        length = max(len(candidate), len(agent))
        mixed = np.zeros(length, dtype=np.int32)
        mixed[: len(candidate)] += candidate
        mixed[: len(agent)] += agent
        mixer = OpusWriter(self.folder / "mixed.ogg")
        mixer.write(np.clip(mixed, -32768, 32767).astype(np.int16))
        mixer.close()
        files.append(_describe("mixed", mixer.path, mixer.samples))
        return files
