"""Voice integrity signals from a session's candidate track and its timed transcript, for the scoring to weigh.

Four kinds, each covering a span on the session clock (``start_ms``, ``end_ms``) with the numbers behind it:

- ``voice.second_speaker``: a stretch of a candidate turn whose pitch is far from the candidate's own.
- ``voice.read_aloud``: a long silence after a question, then an answer much faster and more even than the
  candidate's other answers.
- ``voice.answer_onset``: for every answered question, the time from the end of the question to the first word.
- ``voice.dropout``: digital silence (exact zeros or near-zero energy, or no audio at all) inside an answer.

Nothing here acts on a live session: the signals are stored as events, and a person reads what scoring makes of
them. Pure and deterministic: numpy on arrays in, dataclasses out; only ``load_track`` reads a file.

Why pitch statistics and not speaker embeddings for the second speaker: we ship no speaker-embedding model (and
will not download one at run time), while fundamental frequency (F0) is cheap to estimate — one FFT per 10 ms
hop, YIN's cumulative mean normalized difference on 40 ms frames, 60–400 Hz — and survives 16 kHz mono after Opus
well: voices differ most in their median F0 (a typical man near 100–130 Hz, a typical woman near 190–230 Hz, and
two people of the same sex often 2–4 semitones apart), while one person's median drifts little over an interview.
So each candidate turn is cut into voiced stretches (voiced frames with short gaps, a phrase or so); a stretch is
flagged when its median F0 is at least ``pitch_shift_semitones`` (or ``pitch_mad_factor`` times the candidate's
own stretch-to-stretch variation, if that is larger) away from the candidate's baseline, the voiced-time-weighted
median over the whole session. Each stretch's F0 spread (interquartile range, semitones) is reported beside it but
does not decide: it follows what is said (questions rise, lists fall) more than who says it. Time the agent is
speaking is left out, so the agent's voice leaking into the microphone is not taken for a second person. Limits:
two voices of similar pitch are not told apart, and a second voice that speaks most of the session becomes the
baseline (the candidate's own stretches are then the ones flagged — still a signal for a person to listen to).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

RATE = 16_000
"""The rate the analysis runs at; ``load_track`` resamples to it."""

SECOND_SPEAKER = "voice.second_speaker"
READ_ALOUD = "voice.read_aloud"
ANSWER_ONSET = "voice.answer_onset"
DROPOUT = "voice.dropout"

FILLERS = frozenset({"um", "umm", "uh", "uhm", "uhh", "er", "erm", "ah", "hmm", "mm", "mhm"})
"""Hesitation words counted as fillers (speech-to-text may drop them; then the filler rate is simply zero)."""

Word = tuple[str, int, int]
"""A transcript word: text, start_ms, end_ms on the session clock."""


@dataclass(frozen=True)
class TurnSpan:
    """One transcript turn as the analysis needs it; the agent's turns carry the question they ask."""

    speaker: str
    start_ms: int
    end_ms: int
    words: tuple[Word, ...] = ()
    question_id: str | None = None


@dataclass(frozen=True)
class VoiceSignal:
    """One signal: its kind, the span of the session it covers, and the numbers that produced it (JSON-ready)."""

    kind: str
    start_ms: int
    end_ms: int
    detail: dict[str, Any]


@dataclass(frozen=True)
class VoiceSignalOptions:
    """Thresholds of the four heuristics."""

    candidate: str = "candidate"  # the speaker whose track is analysed; every other speaker is the agent
    # pitch (YIN)
    min_hz: float = 60.0
    max_hz: float = 400.0
    window_ms: int = 25  # the YIN integration window; a frame is window + the longest period (≈ 42 ms)
    hop_ms: int = 10
    yin_threshold: float = 0.15  # cumulative mean normalized difference under which a frame is periodic
    voicing_dbfs: float = -50.0  # quieter frames are not voiced, whatever their periodicity
    # second speaker
    stretch_gap_ms: int = 250  # unvoiced gaps up to this long stay inside one stretch
    min_stretch_voiced_ms: int = 300  # shorter stretches carry too little pitch to judge
    pitch_shift_semitones: float = 4.0
    pitch_mad_factor: float = 3.0
    min_second_speaker_voiced_ms: int = 800  # voiced time a flagged span needs to become a signal
    min_baseline_voiced_ms: int = 8_000  # voiced time the candidate's baseline needs
    min_baseline_stretches: int = 4
    # answer onset
    question_join_ms: int = 1_500  # agent turns this close after the question are the same question, spoken on
    # read aloud
    read_aloud_onset_ms: int = 6_000
    read_aloud_min_words: int = 15  # for the answer and for each answer in the baseline
    read_aloud_min_baseline: int = 2  # other answers needed to know the candidate's own delivery
    pause_ms: int = 500  # a gap between words at least this long is a pause
    rate_ratio: float = 1.25  # words per minute at least this times the candidate's median
    pause_ratio: float = 0.5  # pauses per 100 words at most this times the candidate's median
    filler_ratio: float = 0.5  # fillers per 100 words at most this times the candidate's median (if it is > 0)
    read_aloud_min_changes: int = 2  # of the three above
    # dropout
    dropout_dbfs: float = -80.0  # a 10 ms frame at or under this level is digital silence (-90.3 dBFS is 1 LSB)
    dropout_min_ms: int = 1_000


# --- the transcript's shape: questions and the answers to them ---------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    question_id: str
    question_end_ms: int
    reprompted: bool  # the agent spoke again (after a silence) before the answer came
    turns: tuple[TurnSpan, ...]  # the candidate's turns up to the agent's next turn

    @property
    def words(self) -> list[Word]:
        return sorted((w for t in self.turns for w in t.words), key=lambda w: (w[1], w[2]))

    @property
    def first_word_ms(self) -> int:
        words = self.words
        return words[0][1] if words else self.turns[0].start_ms


def _ordered(turns: Iterable[TurnSpan]) -> list[TurnSpan]:
    return sorted(turns, key=lambda t: (t.start_ms, t.end_ms))


def _answers(turns: Sequence[TurnSpan], options: VoiceSignalOptions) -> list[_Answer]:
    """The first answer to each question: the candidate's turns after the agent's first turn that carries a new
    ``question_id``, until the agent speaks again."""
    asked: set[str] = set()
    out: list[_Answer] = []
    pending: tuple[str, int, bool] | None = None  # the question waiting for its answer: id, end, reprompted
    answer: list[TurnSpan] = []
    for turn in _ordered(turns):
        if turn.speaker == options.candidate:
            if pending is not None:
                answer.append(turn)
            continue
        if pending is not None and answer:
            out.append(_Answer(*pending, tuple(answer)))
            pending, answer = None, []
        if turn.question_id is not None and turn.question_id not in asked:
            asked.add(turn.question_id)
            pending = (turn.question_id, turn.end_ms, False)
        elif pending is not None:  # the agent speaks again before any answer
            question_id, end_ms, reprompted = pending
            if turn.start_ms - end_ms <= options.question_join_ms:  # the question goes on in a second turn
                pending = (question_id, max(end_ms, turn.end_ms), reprompted)
            else:  # a reprompt after a silence: the wait still counts from the question
                pending = (question_id, end_ms, True)
    if pending is not None and answer:
        out.append(_Answer(*pending, tuple(answer)))
    return out


def _question_at(turns: Sequence[TurnSpan], at_ms: int) -> str | None:
    """The question being answered at ``at_ms``: the last one the agent asked before it."""
    current = None
    for turn in _ordered(turns):
        if turn.start_ms > at_ms:
            break
        if turn.question_id is not None:
            current = turn.question_id
    return current


def _candidate_periods(turns: Sequence[TurnSpan], options: VoiceSignalOptions) -> list[tuple[int, int]]:
    """Spans in which the candidate holds the floor: consecutive candidate turns with no agent turn between."""
    periods: list[tuple[int, int]] = []
    last_speaker = None
    for turn in _ordered(turns):
        if turn.speaker == options.candidate:
            if last_speaker == options.candidate and periods:
                periods[-1] = (periods[-1][0], max(periods[-1][1], turn.end_ms))
            else:
                periods.append((turn.start_ms, turn.end_ms))
        last_speaker = turn.speaker
    return periods


# --- answer onset ------------------------------------------------------------------------------------------------


def answer_onsets(turns: Sequence[TurnSpan], options: VoiceSignalOptions | None = None) -> list[VoiceSignal]:
    """One ``voice.answer_onset`` per answered question: from the end of the question to the first word."""
    options = options or VoiceSignalOptions()
    out = []
    for answer in _answers(turns, options):
        first = answer.first_word_ms
        out.append(
            VoiceSignal(
                ANSWER_ONSET,
                answer.question_end_ms,
                max(answer.question_end_ms, first),
                {
                    "question_id": answer.question_id,
                    "onset_ms": max(0, first - answer.question_end_ms),
                    "question_end_ms": answer.question_end_ms,
                    "first_word_ms": first,
                    "reprompted": answer.reprompted,
                },
            )
        )
    return out


# --- read aloud --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Delivery:
    words: int
    rate_wpm: float
    pauses_per_100: float
    fillers_per_100: float


def _delivery(words: Sequence[Word], options: VoiceSignalOptions) -> _Delivery | None:
    if len(words) < options.read_aloud_min_words:
        return None
    span_ms = words[-1][2] - words[0][1]
    if span_ms <= 0:
        return None
    pauses = sum(1 for a, b in pairwise(words) if b[1] - a[2] >= options.pause_ms)
    fillers = sum(1 for w in words if w[0].strip(" ,.!?;:-").lower() in FILLERS)
    n = len(words)
    return _Delivery(n, n * 60_000 / span_ms, 100 * pauses / n, 100 * fillers / n)


def read_aloud(turns: Sequence[TurnSpan], options: VoiceSignalOptions | None = None) -> list[VoiceSignal]:
    """``voice.read_aloud`` for answers that start after a long silence and are delivered much faster and more
    evenly than the candidate's other answers (speaking rate, pauses and fillers, from the word times)."""
    options = options or VoiceSignalOptions()
    answers = _answers(turns, options)
    deliveries = [_delivery(a.words, options) for a in answers]
    out = []
    for n, (answer, delivery) in enumerate(zip(answers, deliveries, strict=True)):
        onset = answer.first_word_ms - answer.question_end_ms
        if delivery is None or onset < options.read_aloud_onset_ms:
            continue
        others = [d for k, d in enumerate(deliveries) if k != n and d is not None]
        if len(others) < options.read_aloud_min_baseline:
            continue
        rate = float(np.median([d.rate_wpm for d in others]))
        pauses = float(np.median([d.pauses_per_100 for d in others]))
        fillers = float(np.median([d.fillers_per_100 for d in others]))
        changes = []
        if delivery.rate_wpm >= options.rate_ratio * rate:
            changes.append("faster")
        if pauses > 0 and delivery.pauses_per_100 <= options.pause_ratio * pauses:
            changes.append("fewer_pauses")
        if fillers > 0 and delivery.fillers_per_100 <= options.filler_ratio * fillers:
            changes.append("fewer_fillers")
        if len(changes) < options.read_aloud_min_changes:
            continue
        out.append(
            VoiceSignal(
                READ_ALOUD,
                answer.question_end_ms,
                max(t.end_ms for t in answer.turns),
                {
                    "question_id": answer.question_id,
                    "onset_ms": onset,
                    "words": delivery.words,
                    "rate_wpm": round(delivery.rate_wpm, 1),
                    "baseline_rate_wpm": round(rate, 1),
                    "pauses_per_100_words": round(delivery.pauses_per_100, 1),
                    "baseline_pauses_per_100_words": round(pauses, 1),
                    "fillers_per_100_words": round(delivery.fillers_per_100, 1),
                    "baseline_fillers_per_100_words": round(fillers, 1),
                    "baseline_answers": len(others),
                    "changes": changes,
                },
            )
        )
    return out


# --- pitch -------------------------------------------------------------------------------------------------------


def _frame_count(samples: int, length: int, hop: int) -> int:
    return 0 if samples < length else 1 + (samples - length) // hop


@dataclass(frozen=True)
class _Frames:
    """YIN's frame geometry at one rate, in samples."""

    window: int  # integration window
    tau_min: int  # shortest period (max_hz)
    tau_max: int  # longest period (min_hz)
    hop: int

    @property
    def length(self) -> int:
        return self.window + self.tau_max + 1

    @staticmethod
    def at(rate: int, options: VoiceSignalOptions) -> _Frames:
        return _Frames(
            window=rate * options.window_ms // 1000,
            tau_min=max(2, int(rate / options.max_hz)),
            tau_max=math.ceil(rate / options.min_hz),
            hop=rate * options.hop_ms // 1000,
        )


def estimate_f0(pcm: NDArray[np.int16], rate: int, options: VoiceSignalOptions | None = None) -> NDArray[np.float64]:
    """F0 in Hz per hop (YIN: cumulative mean normalized difference, first dip under the threshold, parabolic
    refinement); NaN where a frame is unvoiced or too quiet. Frame ``k`` starts at sample ``k * hop``."""
    options = options or VoiceSignalOptions()
    x = pcm.astype(np.float64) / 32768.0
    g = _Frames.at(rate, options)
    window, tau_min, tau_max, hop, length = g.window, g.tau_min, g.tau_max, g.hop, g.length
    count = _frame_count(len(x), length, hop)
    f0 = np.full(count, np.nan)
    size = 1 << (length - 1).bit_length()
    gate = (10 ** (options.voicing_dbfs / 20)) ** 2
    taus = np.arange(tau_max + 1)
    for first in range(0, count, 2048):  # chunks bound the memory of long turns
        starts = hop * np.arange(first, min(count, first + 2048))
        frames = x[starts[:, None] + np.arange(length)[None, :]]
        head = frames[:, :window]
        cross = np.fft.irfft(np.conj(np.fft.rfft(head, size)) * np.fft.rfft(frames, size), size)[:, : tau_max + 1]
        squares = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
        energy = squares[:, window][:, None]  # sum of the head's squares
        shifted = squares[:, taus + window] - squares[:, taus]
        diff = np.maximum(energy + shifted - 2 * cross, 0.0)
        diff[:, 0] = 0.0
        running = np.cumsum(diff[:, 1:], axis=1) / taus[1:]
        cmnd = np.ones_like(diff)
        cmnd[:, 1:] = np.divide(diff[:, 1:], running, out=np.ones_like(running), where=running > 0)
        region = cmnd[:, tau_min:]
        below = region < options.yin_threshold
        dip = np.argmax(below, axis=1)
        # the first run under the threshold, and its lowest point (YIN's "first dip", which avoids octave errors)
        after = np.arange(region.shape[1])[None, :] >= dip[:, None]
        ended = np.cumsum(after & ~below, axis=1) > 0
        run = np.where(after & ~ended, region, np.inf)
        best = np.argmin(run, axis=1) + tau_min
        voiced = below.any(axis=1) & (energy[:, 0] / window >= gate)
        rows = np.arange(len(frames))
        left = cmnd[rows, np.maximum(best - 1, 1)]
        mid = cmnd[rows, best]
        right = cmnd[rows, np.minimum(best + 1, tau_max)]
        curve = left - 2 * mid + right
        shift = np.divide(left - right, 2 * curve, out=np.zeros_like(curve), where=curve > 0)
        period = best + np.clip(shift, -1.0, 1.0)
        f0[first : first + len(frames)] = np.where(voiced, rate / period, np.nan)
    return f0


def _semitones(hz: NDArray[np.float64] | float) -> NDArray[np.float64]:
    return 12 * np.log2(np.asarray(hz, dtype=np.float64) / 100.0)


def _hz(semitones: float) -> float:
    return float(100.0 * 2 ** (semitones / 12))


def _weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=np.float64)[order]
    w = np.cumsum(np.asarray(weights, dtype=np.float64)[order])
    return float(v[int(np.searchsorted(w, w[-1] / 2))])


@dataclass(frozen=True)
class _Stretch:
    start_ms: int
    end_ms: int
    voiced_ms: int
    median_st: float
    spread_st: float
    turn: TurnSpan


def _speech_ranges(turns: Sequence[TurnSpan], options: VoiceSignalOptions) -> list[tuple[TurnSpan, int, int]]:
    """The candidate's turns with the agent's speaking time cut out."""
    agent = [(t.start_ms, t.end_ms) for t in turns if t.speaker != options.candidate]
    out: list[tuple[TurnSpan, int, int]] = []
    for turn in _ordered(turns):
        if turn.speaker != options.candidate:
            continue
        pieces = [(turn.start_ms, turn.end_ms)]
        for a_start, a_end in agent:
            pieces = [
                part
                for start, end in pieces
                for part in ((start, min(end, a_start)), (max(start, a_end), end))
                if part[1] > part[0]
            ]
        out.extend((turn, start, end) for start, end in pieces)
    return out


def _stretches(
    pcm: NDArray[np.int16], rate: int, turns: Sequence[TurnSpan], options: VoiceSignalOptions
) -> list[_Stretch]:
    geometry = _Frames.at(rate, options)
    hop_ms = 1000 * geometry.hop / rate
    out = []
    for turn, start_ms, end_ms in _speech_ranges(turns, options):
        lo, hi = max(0, start_ms * rate // 1000), min(len(pcm), end_ms * rate // 1000)
        if hi <= lo:
            continue
        f0 = estimate_f0(pcm[lo:hi], rate, options)
        voiced = np.flatnonzero(~np.isnan(f0))
        if voiced.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(voiced) * hop_ms > options.stretch_gap_ms) + 1
        for group in np.split(voiced, breaks):
            if len(group) * hop_ms < options.min_stretch_voiced_ms:
                continue
            st = _semitones(f0[group])
            q1, median, q3 = np.percentile(st, [25, 50, 75])
            at = 1000 * (lo + geometry.length / 2) / rate  # the centre of frame 0
            out.append(
                _Stretch(
                    start_ms=int(at + group[0] * hop_ms - hop_ms / 2),
                    end_ms=int(at + group[-1] * hop_ms + hop_ms / 2),
                    voiced_ms=round(len(group) * hop_ms),
                    median_st=float(median),
                    spread_st=float(q3 - q1),
                    turn=turn,
                )
            )
    return out


def second_speaker(
    pcm: NDArray[np.int16], rate: int, turns: Sequence[TurnSpan], options: VoiceSignalOptions | None = None
) -> list[VoiceSignal]:
    """``voice.second_speaker`` for runs of voiced stretches in a candidate turn whose median pitch is far from the
    candidate's own over the session (see the module docstring for why pitch)."""
    options = options or VoiceSignalOptions()
    stretches = _stretches(pcm, rate, turns, options)
    weights = [s.voiced_ms for s in stretches]
    if len(stretches) < options.min_baseline_stretches or sum(weights) < options.min_baseline_voiced_ms:
        return []
    baseline = _weighted_median([s.median_st for s in stretches], weights)
    variation = _weighted_median([abs(s.median_st - baseline) for s in stretches], weights)
    spread = _weighted_median([s.spread_st for s in stretches], weights)
    limit = max(options.pitch_shift_semitones, options.pitch_mad_factor * variation)
    runs: list[list[_Stretch]] = []  # consecutive flagged stretches of one turn
    for n, stretch in enumerate(stretches):
        if abs(stretch.median_st - baseline) < limit:
            continue
        before = stretches[n - 1] if n else None
        if runs and runs[-1][-1] is before and before is not None and before.turn is stretch.turn:
            runs[-1].append(stretch)
        else:
            runs.append([stretch])
    out = []
    for run in runs:
        voiced = [s.voiced_ms for s in run]
        if sum(voiced) < options.min_second_speaker_voiced_ms:
            continue
        median = _weighted_median([s.median_st for s in run], voiced)
        out.append(
            VoiceSignal(
                SECOND_SPEAKER,
                run[0].start_ms,
                run[-1].end_ms,
                {
                    "question_id": run[0].turn.question_id or _question_at(turns, run[0].turn.start_ms),
                    "turn_start_ms": run[0].turn.start_ms,
                    "median_hz": round(_hz(median), 1),
                    "baseline_hz": round(_hz(baseline), 1),
                    "shift_semitones": round(median - baseline, 2),
                    "threshold_semitones": round(limit, 2),
                    "spread_semitones": round(_weighted_median([s.spread_st for s in run], voiced), 2),
                    "baseline_spread_semitones": round(spread, 2),
                    "voiced_ms": sum(voiced),
                    "stretches": len(run),
                    "baseline_stretches": len(stretches),
                },
            )
        )
    return out


# --- dropouts ----------------------------------------------------------------------------------------------------


def dropouts(
    pcm: NDArray[np.int16], rate: int, turns: Sequence[TurnSpan], options: VoiceSignalOptions | None = None
) -> list[VoiceSignal]:
    """``voice.dropout`` for digital silence of at least ``dropout_min_ms`` while the candidate holds the floor:
    10 ms frames at or under ``dropout_dbfs``, and time past the end of the track."""
    options = options or VoiceSignalOptions()
    hop = rate * options.hop_ms // 1000
    periods = _candidate_periods(turns, options)
    if not periods:
        return []
    last_ms = max(end for _, end in periods)
    track_ms = len(pcm) * 1000 // rate
    present = -(-len(pcm) // hop)  # the last frame may be partial
    frames = max(present, -(-last_ms // options.hop_ms))
    power = np.zeros(frames)
    peaks = np.zeros(frames, dtype=np.int64)
    whole = len(pcm) // hop
    blocks = pcm[: whole * hop].astype(np.float64).reshape(whole, hop) / 32768.0
    power[:whole] = np.mean(blocks**2, axis=1)
    peaks[:whole] = np.abs(blocks).max(axis=1, initial=0.0) * 32768
    if present > whole:
        tail = pcm[whole * hop :].astype(np.float64) / 32768.0
        power[whole], peaks[whole] = np.mean(tail**2), np.abs(tail).max() * 32768
    silent = power <= (10 ** (options.dropout_dbfs / 20)) ** 2
    edges = np.diff(np.concatenate([[0], silent.astype(np.int8), [0]]))
    out = []
    for first, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        run_start = track_ms if first == present else int(first) * options.hop_ms  # the track ends between frames
        run_end = track_ms if stop == present else int(stop) * options.hop_ms
        for start_ms, end_ms in periods:
            start, end = max(run_start, start_ms), min(run_end, end_ms)
            if end - start < options.dropout_min_ms:
                continue
            lo, hi = start // options.hop_ms, -(-end // options.hop_ms)
            past_end = max(0, end - max(start, track_ms))
            out.append(
                VoiceSignal(
                    DROPOUT,
                    start,
                    end,
                    {
                        "question_id": _question_at(turns, start),
                        "duration_ms": end - start,
                        "peak": int(peaks[lo:hi].max()),
                        "past_track_end_ms": past_end,
                    },
                )
            )
    return out


# --- all of it ---------------------------------------------------------------------------------------------------


def voice_signals(
    pcm: NDArray[np.int16], rate: int, turns: Sequence[TurnSpan], options: VoiceSignalOptions | None = None
) -> list[VoiceSignal]:
    """Every signal of a session, in the order of their spans: ``pcm`` is the candidate track (mono int16 at
    ``rate``, sample 0 at session time 0), ``turns`` the transcript of both speakers."""
    options = options or VoiceSignalOptions()
    found = [
        *answer_onsets(turns, options),
        *read_aloud(turns, options),
        *second_speaker(pcm, rate, turns, options),
        *dropouts(pcm, rate, turns, options),
    ]
    return sorted(found, key=lambda s: (s.start_ms, s.end_ms, s.kind))


def load_track(path: Path) -> tuple[NDArray[np.int16], int]:
    """A recorded track as mono int16 at 16 kHz; a gap in its timestamps becomes digital silence, so the
    samples stay on the session clock."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    parts: list[NDArray[np.int16]] = []
    expected = 0.0  # seconds
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            if frame.pts is not None and frame.time_base is not None:
                at = float(frame.pts * frame.time_base)
                gap = at - expected
                if gap * frame.sample_rate > frame.samples:  # more than a frame missing
                    parts.append(np.zeros(round(gap * RATE), dtype=np.int16))
                expected = at + frame.samples / frame.sample_rate
            parts.extend(out.to_ndarray().reshape(-1).astype(np.int16) for out in resampler.resample(frame))
        parts.extend(out.to_ndarray().reshape(-1).astype(np.int16) for out in resampler.resample(None))
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)), RATE
