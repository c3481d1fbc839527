"""Voice integrity signals on real audio: espeak-ng answers over a microphone noise floor, through the recorder's
Opus/OGG and back, with the transcript's turn times; read-aloud and onsets from word timings alone."""

from __future__ import annotations

import fractions
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from media.audio import Resampler
from media.recorder import OpusWriter
from media.voice_signals import (
    ANSWER_ONSET,
    DROPOUT,
    READ_ALOUD,
    SECOND_SPEAKER,
    TurnSpan,
    VoiceSignal,
    Word,
    answer_onsets,
    estimate_f0,
    load_track,
    read_aloud,
    voice_signals,
)
from tests.media.speech import _require, read_wav, say

RATE = 16_000
NOISE = 30  # LSB of Gaussian noise, about -61 dBFS: a quiet room through a laptop microphone

ANSWERS = [
    "I labelled product images for an online shop for about a year, mostly clothing and shoes.",
    "When two of us disagreed we wrote the case down and asked the team lead to settle it.",
    "I check my own work by going back over the first ten items after I finish a batch.",
    "The hardest part was deciding whether a blurry picture was still good enough to keep.",
    "I used a spreadsheet to track which guidelines changed and when they changed.",
    "I would ask for an example of the edge case before guessing what the rule should be.",
]


def _speak(text: str, path: Path, voice: str | None = None) -> NDArray[np.int16]:
    """16 kHz speech in the default espeak voice (``say``), or with espeak options (``"-v en+f3"``, ``"-p 80"``)
    that make another person's voice."""
    if voice is None:
        return read_wav(say(text, path))[0]
    # `say` has no voice parameter; this is its two commands with `-v`, trimmed the same way.
    raw = path.with_suffix(".raw.wav")
    subprocess.run([_require("espeak-ng"), *voice.split(), "-s", "160", "-w", str(raw), text], check=True)
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    subprocess.run([_require("sox"), str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path), *trim], check=True)
    return read_wav(path)[0]


@dataclass
class Session:
    """A candidate track (16 kHz, sample 0 at session time 0) and the transcript of both speakers."""

    pcm: NDArray[np.int16]
    turns: list[TurnSpan]
    parts: dict[tuple[str, int], tuple[int, int]]  # (question, part) → when that part of the answer was spoken

    def candidate_turn(self, question_id: str) -> TurnSpan:
        asked = next(n for n, t in enumerate(self.turns) if t.question_id == question_id)
        return self.turns[asked + 1]


def _session(
    tmp_path: Path, answers: list[list[tuple[str, str | None]]], question_ms: int = 2500, onset_ms: int = 900
) -> Session:
    """Question ``q<n>`` by the agent (not on the candidate's track), then the candidate's answer ``n``: its parts
    spoken one after the other with 400 ms between them; a noise floor under everything."""
    pieces: list[NDArray[np.int16]] = []
    turns: list[TurnSpan] = []
    spoken: dict[tuple[str, int], tuple[int, int]] = {}
    at = 0

    def pause(ms: int) -> None:
        nonlocal at
        pieces.append(np.zeros(ms * RATE // 1000, dtype=np.int16))
        at += ms

    for n, parts in enumerate(answers, start=1):
        turns.append(TurnSpan("agent", at, at + question_ms, question_id=f"q{n}"))
        pause(question_ms + onset_ms)
        start = at
        for k, (text, voice) in enumerate(parts):
            if k:
                pause(400)
            clip = _speak(text, tmp_path / f"a{n}-{k}.wav", voice)
            ms = len(clip) * 1000 // RATE
            pieces.append(clip[: ms * RATE // 1000])  # whole milliseconds keep `at` exact
            spoken[(f"q{n}", k)] = (at, at + ms)
            at += ms
        turns.append(TurnSpan("candidate", start, at))
        pause(700)
    pcm = np.concatenate(pieces).astype(np.int32)
    pcm += np.random.default_rng(7).normal(0, NOISE, len(pcm)).astype(np.int32)
    return Session(np.clip(pcm, -32768, 32767).astype(np.int16), turns, spoken)


def _recorded(pcm: NDArray[np.int16], path: Path) -> NDArray[np.int16]:
    """The track as the recorder stores it (48 kHz Opus in OGG) and as ``load_track`` reads it back."""
    resampler = Resampler(48_000)
    writer = OpusWriter(path)
    writer.write(np.concatenate([resampler.push(pcm, RATE), resampler.flush()]))
    writer.close()
    samples, rate = load_track(path)
    assert rate == RATE
    return samples


def _of(kind: str, signals: list[VoiceSignal]) -> list[VoiceSignal]:
    return [s for s in signals if s.kind == kind]


@pytest.mark.parametrize("hz", [65.0, 98.0, 147.0, 220.0, 390.0])
def test_f0_of_a_harmonic_tone_is_its_fundamental(hz: float) -> None:
    t = np.arange(RATE) / RATE
    tone = sum(np.sin(2 * np.pi * hz * k * t + k) / k for k in range(1, 9))
    f0 = estimate_f0((tone / np.abs(tone).max() * 8000).astype(np.int16), RATE)
    assert not np.isnan(f0).any()
    assert np.abs(f0 / hz - 1).max() < 0.01


def test_noise_and_silence_have_no_pitch() -> None:
    noise = np.random.default_rng(1).normal(0, 3000, RATE).astype(np.int16)
    assert np.isnan(estimate_f0(noise, RATE)).mean() > 0.95
    assert np.isnan(estimate_f0(np.zeros(RATE, dtype=np.int16), RATE)).all()


def test_a_turn_spoken_by_another_voice_is_the_only_second_speaker(tmp_path: Path) -> None:
    answers: list[list[tuple[str, str | None]]] = [[(text, None)] for text in ANSWERS]
    answers[3] = [(ANSWERS[3], "-v en+f3")]
    session = _session(tmp_path, answers)
    signals = voice_signals(_recorded(session.pcm, tmp_path / "candidate.ogg"), RATE, session.turns)
    (found,) = _of(SECOND_SPEAKER, signals)
    turn = session.candidate_turn("q4")
    assert turn.start_ms - 50 <= found.start_ms < turn.start_ms + 500
    assert turn.end_ms - 500 < found.end_ms <= turn.end_ms + 50
    assert found.detail["question_id"] == "q4"
    assert 85 < found.detail["baseline_hz"] < 120 and found.detail["median_hz"] > 170
    assert found.detail["shift_semitones"] > 8


def test_another_voice_inside_a_turn_is_found_with_its_own_span(tmp_path: Path) -> None:
    answers: list[list[tuple[str, str | None]]] = [[(text, None)] for text in ANSWERS]
    prompt = "Say that you used a spreadsheet to track the changes."
    answers[2] = [(ANSWERS[2], None), (prompt, "-p 80"), (ANSWERS[0], None)]  # about 5 semitones higher
    # en+m1 speaks about 1.5 semitones under the default voice: that close, two voices are not told apart
    answers[4] = [(ANSWERS[4], None), (prompt, "-v en+m1"), (ANSWERS[1], None)]
    session = _session(tmp_path, answers)
    signals = voice_signals(_recorded(session.pcm, tmp_path / "candidate.ogg"), RATE, session.turns)
    (found,) = _of(SECOND_SPEAKER, signals)
    start, end = session.parts[("q3", 1)]
    assert abs(found.start_ms - start) < 300 and abs(found.end_ms - end) < 300
    assert found.detail["question_id"] == "q3" and found.detail["shift_semitones"] > 4


def test_two_seconds_of_zeros_inside_an_answer_is_a_dropout_with_its_span(tmp_path: Path) -> None:
    session = _session(tmp_path, [[(text, None)] for text in ANSWERS[:4]])
    pcm = session.pcm.copy()
    turn = session.candidate_turn("q2")
    lost = turn.start_ms + 1200
    pcm[lost * RATE // 1000 : (lost + 2000) * RATE // 1000] = 0
    short = session.candidate_turn("q3").start_ms + 1000
    pcm[short * RATE // 1000 : (short + 600) * RATE // 1000] = 0  # shorter than a second: a codec hiccup
    agent = session.turns[4]
    pcm[agent.start_ms * RATE // 1000 : agent.end_ms * RATE // 1000] = 0  # the candidate's mic muted during a question
    signals = voice_signals(_recorded(pcm, tmp_path / "candidate.ogg"), RATE, session.turns)
    (found,) = _of(DROPOUT, signals)
    # Opus fades into a cut over a few frames: the edges are a few 10 ms frames late, never more than that
    assert abs(found.start_ms - lost) <= 80 and abs(found.end_ms - (lost + 2000)) <= 80
    assert found.detail["question_id"] == "q2" and found.detail["past_track_end_ms"] == 0
    assert not _of(SECOND_SPEAKER, signals)


def test_a_track_that_stops_before_the_answer_ends_is_a_dropout_to_its_end(tmp_path: Path) -> None:
    session = _session(tmp_path, [[(text, None)] for text in ANSWERS[:3]])
    turn = session.candidate_turn("q3")
    cut = turn.start_ms + 1000
    signals = voice_signals(session.pcm[: cut * RATE // 1000], RATE, session.turns)
    (found,) = _of(DROPOUT, signals)
    assert (found.start_ms, found.end_ms) == (cut, turn.end_ms)
    assert found.detail["past_track_end_ms"] == turn.end_ms - cut


def test_a_gap_in_the_recorded_timestamps_loads_as_silence_on_the_session_clock(tmp_path: Path) -> None:
    path = tmp_path / "gap.ogg"
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000, layout="mono")  # type: ignore[call-overload]
        t = np.arange(960) / 48_000
        pts = 0
        for n in range(100):  # 1 s of tone, 2 s with no packets at all, 1 s of tone
            pts += 96_000 if n == 50 else 0
            tone = (np.sin(2 * np.pi * 200 * (t + pts / 48_000)) * 8000).astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 48_000, pts, fractions.Fraction(1, 48_000)
            pts += 960
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    pcm, rate = load_track(path)
    assert rate == RATE and abs(len(pcm) - 4 * RATE) < RATE // 50
    assert np.abs(pcm[int(1.05 * RATE) : int(2.95 * RATE)]).max() == 0
    assert np.abs(pcm[int(3.1 * RATE) : int(3.9 * RATE)]).max() > 4000  # the tone is back, on time
    turns = [TurnSpan("agent", 0, 0, question_id="q1"), TurnSpan("candidate", 100, 3_900)]
    (found,) = _of(DROPOUT, voice_signals(pcm, rate, turns))
    assert abs(found.start_ms - 1000) <= 40 and abs(found.end_ms - 3000) <= 40


def test_a_normal_session_has_onsets_and_nothing_else(tmp_path: Path) -> None:
    # One person is not a metronome: their pitch drifts a semitone or two from answer to answer, so does loudness.
    manner = [None, "-p 42", "-p 58 -a 120", "-p 45 -a 70", "-p 56", None]
    answers: list[list[tuple[str, str | None]]] = [[(text, how)] for text, how in zip(ANSWERS, manner, strict=True)]
    answers[1] += [("Is that what you wanted to know?", "-p 42")]  # a rising question
    answers[5] += [(ANSWERS[0], None)]
    session = _session(tmp_path, answers)
    signals = voice_signals(_recorded(session.pcm, tmp_path / "candidate.ogg"), RATE, session.turns)
    assert [s.kind for s in signals] == [ANSWER_ONSET] * len(ANSWERS)
    assert [s.detail["onset_ms"] for s in signals] == [900] * len(ANSWERS)
    assert signals == voice_signals(_recorded(session.pcm, tmp_path / "again.ogg"), RATE, session.turns)


# --- from the transcript alone -------------------------------------------------------------------------------------


def test_onset_runs_from_the_end_of_the_question_to_the_first_word() -> None:
    turns = [
        TurnSpan("agent", 0, 2_000, question_id="q1"),
        TurnSpan("agent", 2_300, 4_000, question_id="q1"),  # the question goes on after a breath
        TurnSpan("candidate", 5_000, 8_000, (("Well", 5_400, 5_600), ("yes", 5_700, 6_000))),
        TurnSpan("agent", 8_500, 9_500, question_id="q1"),  # a follow-up: not a new question
        TurnSpan("candidate", 9_700, 11_000, (("Sure", 9_800, 10_100),)),
        TurnSpan("agent", 12_000, 14_000, question_id="q2"),
        TurnSpan("agent", 22_000, 23_000, question_id="q2"),  # a reprompt after a silence
        TurnSpan("candidate", 23_500, 26_000, (("I", 23_600, 23_700),)),
        TurnSpan("agent", 27_000, 29_000, question_id="q3"),  # never answered
        TurnSpan("agent", 30_000, 32_000, question_id="q4"),
        TurnSpan("candidate", 31_500, 33_000, (("Yes", 31_600, 31_900),)),  # barged in before the end
    ]
    found = answer_onsets(list(reversed(turns)))
    assert [(s.detail["question_id"], s.detail["onset_ms"], s.detail["reprompted"]) for s in found] == [
        ("q1", 1_400, False),
        ("q2", 9_600, True),
        ("q4", 0, False),
    ]
    assert [(s.start_ms, s.end_ms) for s in found] == [(4_000, 5_400), (14_000, 23_600), (32_000, 32_000)]


def _spoken(count: int, word_ms: int, gap_ms: int, pause_every: int = 0, filler_every: int = 0) -> tuple[Word, ...]:
    """Word timings: ``count`` words of ``word_ms`` with ``gap_ms`` between them, a 900 ms pause every
    ``pause_every`` words and an "um" every ``filler_every`` words."""
    words = []
    at = 0
    for n in range(1, count + 1):
        text = "um" if filler_every and n % filler_every == 0 else f"word{n}"
        words.append((text, at, at + word_ms))
        at += word_ms + (900 if pause_every and n % pause_every == 0 else gap_ms)
    return tuple(words)


def _interview(deliveries: list[tuple[int, tuple[Word, ...]]]) -> list[TurnSpan]:
    """Questions of 3 s, each answered ``onset`` ms after it ends with ``words`` (timed from 0) placed from there."""
    turns = []
    at = 0
    for n, (onset, words) in enumerate(deliveries, start=1):
        turns.append(TurnSpan("agent", at, at + 3_000, question_id=f"q{n}"))
        start = at + 3_000 + onset
        placed = tuple((text, start + s, start + e) for text, s, e in words)
        turns.append(TurnSpan("candidate", start, placed[-1][2], placed))
        at = placed[-1][2] + 1_000
    return turns


THINKING = _spoken(40, 280, 120, pause_every=6, filler_every=9)  # ~117 wpm, pauses and fillers
READING = _spoken(40, 230, 60)  # ~208 wpm, even, no fillers
HURRIED = _spoken(40, 200, 60, pause_every=6, filler_every=9)  # ~156 wpm, but pausing and hesitating as usual


def test_a_long_silence_then_fast_even_delivery_reads_as_read_aloud() -> None:
    turns = _interview([(800, THINKING), (1_200, THINKING), (9_000, READING), (700, THINKING)])
    (found,) = read_aloud(turns)
    assert found.kind == READ_ALOUD and found.detail["question_id"] == "q3"
    assert found.detail["onset_ms"] == 9_000
    assert found.detail["changes"] == ["faster", "fewer_pauses", "fewer_fillers"]
    assert found.detail["rate_wpm"] > 1.25 * found.detail["baseline_rate_wpm"]
    asked = turns[4]
    assert (found.start_ms, found.end_ms) == (asked.end_ms, turns[5].end_ms)


def test_a_fast_answer_without_the_silence_or_a_slow_thinker_is_not_read_aloud() -> None:
    assert read_aloud(_interview([(800, THINKING), (1_200, THINKING), (900, READING), (700, THINKING)])) == []
    assert read_aloud(_interview([(800, THINKING), (1_200, THINKING), (9_000, THINKING), (700, THINKING)])) == []
    assert read_aloud(_interview([(800, THINKING), (1_200, THINKING), (9_000, HURRIED), (700, THINKING)])) == []
    assert read_aloud(_interview([(800, THINKING), (9_000, READING)])) == []  # no baseline to compare with


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["agent", "candidate"]), st.sampled_from([None, "q1", "q2", "q3"]), st.integers(0, 5_000)
        ),
        max_size=12,
    )
)
def test_at_most_one_onset_per_question_and_never_negative(events: list[tuple[str, str | None, int]]) -> None:
    turns = []
    at = 0
    for speaker, question, length in events:
        turns.append(TurnSpan(speaker, at, at + length, question_id=question if speaker == "agent" else None))
        at += length + 300
    found = answer_onsets(turns)
    ids = [s.detail["question_id"] for s in found]
    assert len(ids) == len(set(ids))
    assert all(s.detail["onset_ms"] >= 0 and s.start_ms <= s.end_ms for s in found)
    assert all(s.kind == ANSWER_ONSET for s in found)
