"""Real speech for tests: espeak-ng renders text to WAV; sox makes silence and joins clips."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from livekit import rtc
from numpy.typing import NDArray


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; `make services` installs espeak-ng and sox")
    return path


def say(text: str, path: Path, words_per_minute: int = 160) -> Path:
    """Speak ``text`` into a 16 kHz mono WAV at ``path``."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run([_require("espeak-ng"), "-s", str(words_per_minute), "-w", str(raw), text], check=True)
    # Trim espeak's own leading and trailing silence so the pauses a test adds are the only ones.
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    subprocess.run([_require("sox"), str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path), *trim], check=True)
    raw.unlink()
    return path


def silence(seconds: float, path: Path) -> Path:
    """Digital silence as a 16 kHz mono WAV."""
    subprocess.run(
        [_require("sox"), "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "trim", "0", str(seconds)], check=True
    )
    return path


def join(parts: list[Path], path: Path) -> Path:
    """Concatenate WAVs of the same format."""
    subprocess.run([_require("sox"), *map(str, parts), str(path)], check=True)
    return path


def read_wav(path: Path) -> tuple[NDArray[np.int16], int]:
    """Mono int16 samples and the sample rate."""
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16), wav.getframerate()


def frames(samples: NDArray[np.int16], rate: int, frame_ms: int = 20) -> list[rtc.AudioFrame]:
    """Split samples into livekit frames, as a transport delivers them."""
    step = rate * frame_ms // 1000
    return [
        rtc.AudioFrame(samples[i : i + step].tobytes(), rate, 1, len(samples[i : i + step]))
        for i in range(0, len(samples) - step + 1, step)
    ]


def heard(expected: str, transcript: str, cutoff: float = 0.6) -> list[str]:
    """Expected words missing from a transcript, matched tolerantly (codecs and small models mishear endings)."""
    import difflib
    import re

    tokens = re.findall(r"[a-z']+", transcript.lower())
    return [w for w in expected.lower().split() if not difflib.get_close_matches(w, tokens, n=1, cutoff=cutoff)]
