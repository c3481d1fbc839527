"""The pull-based playout: what it reports as heard, on normal ends and on barge-in."""

from __future__ import annotations

import numpy as np
from livekit import rtc
from livekit.agents.voice.io import PlaybackFinishedEvent

from agent.transports.playout import Playout

RATE = 48_000


def _frame(seconds: float, value: int = 1000) -> rtc.AudioFrame:
    n = int(RATE * seconds)
    return rtc.AudioFrame(np.full(n, value, dtype=np.int16).tobytes(), RATE, 1, n)


async def test_silence_when_idle_and_audio_in_20ms_frames() -> None:
    playout = Playout(sample_rate=RATE)
    assert playout.pull() == bytes(1920) and not playout.speaking
    await playout.capture_frame(_frame(0.05))
    assert playout.speaking
    frames = [playout.pull() for _ in range(3)]
    assert [len(f) for f in frames] == [1920, 1920, 1920]
    assert frames[2][:960] != bytes(960) and frames[2][960:] == bytes(960)  # 10 ms of audio, then padding


async def test_finished_segment_reports_its_full_length_once_played() -> None:
    playout = Playout(sample_rate=RATE)
    events: list[PlaybackFinishedEvent] = []
    playout.on("playback_finished", events.append)
    await playout.capture_frame(_frame(0.1))
    playout.flush()
    for _ in range(4):
        playout.pull()
    assert events == []  # 80 ms of 100 ms played
    playout.pull()
    assert len(events) == 1 and not events[0].interrupted
    assert abs(events[0].playback_position - 0.1) < 1e-9


async def test_clear_buffer_reports_only_what_was_heard() -> None:
    playout = Playout(sample_rate=RATE)
    events: list[PlaybackFinishedEvent] = []
    playout.on("playback_finished", events.append)
    await playout.capture_frame(_frame(1.0))
    for _ in range(10):
        playout.pull()
    playout.clear_buffer()  # barge-in after 200 ms
    assert len(events) == 1 and events[0].interrupted
    assert abs(events[0].playback_position - 0.2) < 1e-9
    assert playout.pull() == bytes(1920)  # silent from the very next frame


async def test_segments_play_in_order() -> None:
    playout = Playout(sample_rate=RATE)
    events: list[PlaybackFinishedEvent] = []
    playout.on("playback_finished", events.append)
    await playout.capture_frame(_frame(0.02, 100))
    playout.flush()
    await playout.capture_frame(_frame(0.04, 200))
    playout.flush()
    values = [np.frombuffer(playout.pull(), dtype=np.int16)[0] for _ in range(3)]
    assert values == [100, 200, 200]
    assert [round(e.playback_position, 3) for e in events] == [0.02, 0.04]
