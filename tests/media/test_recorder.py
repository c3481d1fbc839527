"""Session recordings: both sides on one clock, decodable Opus/OGG, and a mix of the two."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from media.recorder import RATE, SessionRecorder, decode_mono


def _tone(seconds: float, freq: float) -> np.ndarray:  # type: ignore[type-arg]
    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)


def test_tracks_line_up_on_the_session_clock_and_mix(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path, started_at=100.0)
    recorder.write("agent", _tone(1.0, 440), now=100.0)
    recorder.write("candidate", _tone(0.5, 220), now=101.5)  # the candidate starts 1.5 s into the session
    files = {f.track: f for f in recorder.close()}
    assert set(files) == {"agent", "candidate", "mixed"}
    candidate = decode_mono(files["candidate"].path)
    assert abs(len(candidate) / RATE - 2.0) < 0.05
    assert np.abs(candidate[: int(RATE * 1.4)]).max() < 200  # silence before the candidate spoke
    assert np.abs(candidate[int(RATE * 1.6) : int(RATE * 1.9)]).max() > 3000
    mixed = decode_mono(files["mixed"].path)
    assert abs(len(mixed) / RATE - 2.0) < 0.05
    for file in files.values():
        assert file.size_bytes > 0 and len(file.sha256) == 64 and file.duration_ms > 900


def test_a_side_that_never_spoke_still_gets_a_valid_file_and_close_twice_is_harmless(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path)
    recorder.write("agent", _tone(0.1, 440))
    files = {f.track: f for f in recorder.close()}
    assert len(files) == 3
    assert len(decode_mono(files["candidate"].path)) > 0
    assert recorder.close() == []
    recorder.write("agent", _tone(0.1, 440))  # late audio after close is ignored
