"""The candidate's side of ``voice_latency.py``: answer an interview's questions with WAV clips over real WebRTC
and time end of speech → first agent audio heard.

``voice_latency.py`` calls ``answer`` in its own process for the single-session paths, and runs this file as a
separate process per candidate for the concurrency figures, so that N candidates' Opus encoding and decoding
(which real candidates do in their own browsers) does not share the server's event loop:

    python bench/voice_clients.py BASE_URL TOKEN CLIP.wav [CLIP.wav ...]

prints ``{"latencies": [seconds, ...], "cut_offs": n}`` on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import numpy as np

from agent.talk import VoiceClient, read_wav_file

Answered = tuple[list[float], int]  # latencies (s), cut-offs


async def answer(base: str, token: str, clips: list[tuple[np.ndarray[Any, Any], int]]) -> Answered:
    """Answer each clip after the agent finishes; latencies from end of speech to first agent audio, and cut-offs
    (agent audio heard while the clip was still playing)."""
    client = VoiceClient()
    await client.connect(base, token)
    latencies, cutoffs = [], 0
    try:
        for index, (samples, rate) in enumerate(clips):
            await client.wait_event("caption", count=index + 1, speaker="agent")
            await client.wait_quiet(0.5)
            started = time.monotonic()
            client.mic.play(samples, rate)
            await client.wait_event("caption", count=index + 2, speaker="agent")
            while client.mic.playing:  # noqa: ASYNC110 (the mic track exposes only a flag)
                await asyncio.sleep(0.02)
            end_of_speech = client.mic.last_voiced_sent or time.monotonic()
            if client.voiced_between(started, end_of_speech):
                cutoffs += 1
                continue
            deadline = time.monotonic() + 10
            while client.last_voiced() is None or (client.last_voiced() or 0) < end_of_speech:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.01)
            first = next((at for at, voiced in client.heard if voiced and at >= end_of_speech), None)
            if first is not None:
                latencies.append(first - end_of_speech)
    finally:
        await client.close()
    return latencies, cutoffs


async def _main(base: str, token: str, wavs: list[str]) -> None:
    latencies, cutoffs = await answer(base, token, [read_wav_file(path) for path in wavs])
    print(json.dumps({"latencies": latencies, "cut_offs": cutoffs}))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3:]))
