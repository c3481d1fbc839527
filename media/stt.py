"""Speech to text: a livekit-agents ``stt.STT`` on faster-whisper (CTranslate2, int8, CPU), with a
VAD-gated stream that emits interim transcripts while the candidate is still speaking."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import Segment
from livekit.agents import stt, utils, vad
from livekit.agents.language import LanguageCode
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr, TimedString
from numpy.typing import NDArray

from media.audio import Resampler, int16_to_float32
from media.model_queue import ModelQueue, Urgency

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class STTOptions:
    """Model location and decoding choices."""

    model_dir: Path
    language: str = "en"
    compute_type: str = "int8"
    beam_size: int = 1
    # Decodes at once, each on one core: on 2 cores a lone decode is no faster with two threads (measured 95 vs
    # 109 ms), and two answers ending together are both transcribed in 150 ms instead of 300.
    decoders: int = 2
    cpu_threads: int = 1  # per decode
    interim_interval_s: float = 1.0
    interim_share: float = 0.25  # of the decoder's time, at most, spent on captions across every session
    preflight_silence_s: float = 0.03
    # The encoder's window: at least window_s, else the utterance plus window_tail_s of padding (Whisper's own
    # is always 30 s; window_s=30 restores it). See ``fit_window``.
    window_s: float = 10.0
    window_tail_s: float = 2.0


FRAMES_PER_SECOND = 100  # Whisper's log-mel frames


def fit_window(features: NDArray[np.float32], min_frames: int, tail_frames: int) -> NDArray[np.float32]:
    """Whisper's encoder input cut from its fixed 30 s to what the utterance needs.

    faster-whisper pads every segment's log-mel features to 3000 frames with zero columns (a real frame, even of
    silence, is never all zeros after Whisper's normalisation), and the encoder's cost grows with the window: a
    3-second answer spends ~70% of its decode encoding 27 s of padding. Here the window keeps the content, then
    ``tail_frames`` of padding, and never shrinks below ``min_frames``: with a short window and no padding after the
    speech, Whisper garbles or drops the last words (measured: utterance-length windows lost the end of a third of
    the answers), while a window of at least 10 s transcribes as well as the full one (bench/voice_latency.py
    reports both, word error rate and decode time, in the same run).
    """
    columns = features.shape[-1]
    voiced = np.flatnonzero(np.any(features != 0, axis=tuple(range(features.ndim - 1))))
    content = int(voiced[-1]) + 1 if voiced.size else 0
    window = max(min_frames, content + tail_frames)
    window += window % 2  # the encoder's first convolution halves the frames
    return features[..., : min(columns, window)]


class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]  # faster-whisper has no type hints
    """A faster-whisper model whose encoder sees a window fitted to the utterance (``fit_window``)."""

    def __init__(self, *args: Any, min_frames: int, tail_frames: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_frames = min_frames
        self.tail_frames = tail_frames

    def encode(self, features: np.ndarray) -> Any:  # type: ignore[type-arg]
        return super().encode(fit_window(features, self.min_frames, self.tail_frames))


@dataclass(frozen=True)
class Transcript:
    """One decoded utterance: text, words with times (seconds from the buffer's start), confidence."""

    text: str
    words: tuple[TimedString, ...]
    confidence: float
    duration_s: float


def _transcript(segments: list[Segment], n_samples: int) -> Transcript:
    """One utterance's segments as a Transcript, word times within the utterance."""
    said = [w for segment in segments for w in segment.words or []]
    duration = n_samples / SAMPLE_RATE

    def within(t: float) -> float:  # Whisper may stretch the last word past the audio
        return min(max(0.0, t), duration)

    words = tuple(
        TimedString(w.word.strip(), start_time=within(w.start), end_time=within(w.end), confidence=w.probability)
        for w in said
    )
    text = " ".join(t for t in (segment.text.strip() for segment in segments) if t)
    confidence = float(np.mean([w.probability for w in said])) if said else 0.0
    return Transcript(text, words, confidence, duration)


class WhisperSTT(stt.STT[Any]):
    """faster-whisper behind the livekit STT interface; one model per process, decoded off the event loop."""

    def __init__(self, options: STTOptions, vad_detector: vad.VAD | None = None) -> None:
        super().__init__(
            capabilities=stt.STTCapabilities(
                streaming=vad_detector is not None, interim_results=vad_detector is not None, aligned_transcript="word"
            )
        )
        self.options = options
        self._vad = vad_detector
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()
        self.turns = ModelQueue(options.decoders)  # a transcript before a caption
        # Threads that wait for a turn, then decode: one per decode in flight (a few per live session).
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="whisper")
        self._decoding = 0  # decodes submitted and not finished, across every stream of this process
        self.interims_skipped = 0
        self._interims_resume_at = 0.0
        self.preflights = 0  # decodes started at a pause: used as the final, or discarded when speech resumed
        self.preflights_discarded = 0

    @property
    def model(self) -> str:
        return self.options.model_dir.name

    @property
    def provider(self) -> str:
        return "faster-whisper"

    def prewarm(self) -> None:
        """Load the model now rather than on the first utterance."""
        self._whisper()

    def _whisper(self) -> WhisperModel:
        with self._load_lock:
            if self._model is None:
                self._model = WindowedWhisperModel(
                    str(self.options.model_dir),
                    min_frames=round(self.options.window_s * FRAMES_PER_SECOND),
                    tail_frames=round(self.options.window_tail_s * FRAMES_PER_SECOND),
                    device="cpu",
                    compute_type=self.options.compute_type,
                    cpu_threads=self.options.cpu_threads,
                    num_workers=self.options.decoders,
                    local_files_only=True,
                )
            return self._model

    def transcribe_samples(self, samples: NDArray[np.int16], language: str | None = None) -> Transcript:
        """Decode 16 kHz mono int16 samples (blocking; call from a worker thread)."""
        segments, _info = self._whisper().transcribe(
            int16_to_float32(samples),
            language=language or self.options.language,
            beam_size=self.options.beam_size,
            word_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
        )
        return _transcript(list(segments), len(samples))

    async def transcribe(
        self, samples: NDArray[np.int16], language: str | None = None, urgency: Urgency = Urgency.TRANSCRIPT
    ) -> Transcript:
        """Decode in a worker thread when this ``urgency`` has its turn on the model, keeping the event loop
        free; a call cancelled before its turn never decodes."""
        loop = asyncio.get_running_loop()
        abandoned = threading.Event()
        job = self._pool.submit(self._decode_in_turn, samples, language, urgency, abandoned)
        self._decoding += 1
        # Counted until the thread is done with it, even when the caller stops waiting (a cancelled interim).
        job.add_done_callback(lambda _job: self._decoded(loop))
        try:
            transcript = await asyncio.wrap_future(job)
        except asyncio.CancelledError:
            abandoned.set()
            raise
        assert transcript is not None  # only an abandoned decode has none
        return transcript

    def _decode_in_turn(
        self, samples: NDArray[np.int16], language: str | None, urgency: Urgency, abandoned: threading.Event
    ) -> Transcript | None:
        with self.turns.turn(urgency):
            return None if abandoned.is_set() else self.transcribe_samples(samples, language)

    def _decoded(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the decoding thread: count the decode as done, on the loop that counted it."""

        def done() -> None:
            self._decoding -= 1

        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody is counting any more
            loop.call_soon_threadsafe(done)

    async def transcribe_interim(self, samples: NDArray[np.int16]) -> Transcript | None:
        """A caption decode, only when the decoder is free and captions have not had more than their share of it.

        An interim never queues, so an end-of-speech decode (of this candidate or, with several sessions,
        another's) waits at most for the decodes already running; and after a caption that took ``d``, no other
        starts for ``d * (1 / interim_share - 1)``, so with many candidates speaking at once an answer's end
        rarely finds the decoder busy with a caption (one candidate is not affected: its captions are a second
        apart anyway)."""
        if self._decoding or time.monotonic() < self._interims_resume_at:
            self.interims_skipped += 1
            return None
        started = time.monotonic()
        try:
            return await self.transcribe(samples, urgency=Urgency.CAPTION)
        finally:
            took = time.monotonic() - started
            self._interims_resume_at = time.monotonic() + took * (1 / self.options.interim_share - 1)

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        frame = utils.merge_frames(buffer)
        samples = Resampler(SAMPLE_RATE).push_frame(frame)
        transcript = await self.transcribe(samples, language if isinstance(language, str) else None)
        return speech_event(stt.SpeechEventType.FINAL_TRANSCRIPT, transcript, self.options.language)

    def stream(
        self, *, language: NotGivenOr[str] = NOT_GIVEN, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> WhisperStream:
        if self._vad is None:
            raise RuntimeError("streaming needs a VAD: build WhisperSTT(options, vad_detector=...)")
        return WhisperStream(self, self._vad, conn_options)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def speech_event(kind: stt.SpeechEventType, transcript: Transcript, language: str) -> stt.SpeechEvent:
    """A livekit SpeechEvent carrying one transcript with its word times."""
    data = stt.SpeechData(
        language=LanguageCode(language),
        text=transcript.text,
        start_time=0.0,
        end_time=transcript.duration_s,
        confidence=transcript.confidence,
        words=list(transcript.words),
    )
    return stt.SpeechEvent(type=kind, request_id=uuid.uuid4().hex[:12], alternatives=[data])


class WhisperStream(stt.RecognizeStream):
    """VAD-gated recognition: interim decodes of the growing utterance at a bounded rate, a final on end of speech."""

    def __init__(self, whisper: WhisperSTT, vad_detector: vad.VAD, conn_options: APIConnectOptions) -> None:
        super().__init__(stt=whisper, conn_options=conn_options)
        self._whisper = whisper
        self._vad = vad_detector

    async def _run(self) -> None:
        vad_stream = self._vad.stream()
        opts = self._whisper.options
        utterance: list[NDArray[np.int16]] = []
        interim_task: asyncio.Task[Any] | None = None
        last_interim = 0.0

        async def forward() -> None:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    vad_stream.flush()
                else:
                    vad_stream.push_frame(item)
            vad_stream.end_input()

        async def interim(samples: NDArray[np.int16]) -> None:
            transcript = await self._whisper.transcribe_interim(samples)
            if transcript is not None and transcript.text and utterance:  # still speaking: a final would supersede it
                self._event_ch.send_nowait(
                    speech_event(stt.SpeechEventType.INTERIM_TRANSCRIPT, transcript, opts.language)
                )

        def samples_of(ev: vad.VADEvent) -> NDArray[np.int16]:
            frame = utils.merge_frames(ev.frames)
            return np.frombuffer(frame.data, dtype=np.int16).copy()

        # A decode started at the first short silence (preflight) usually holds the whole answer by the
        # time the VAD declares the end of speech, which saves most of a decode on every turn.
        preflight: asyncio.Task[Transcript] | None = None

        forwarder = asyncio.create_task(forward())
        try:
            async for ev in vad_stream:
                if ev.type == vad.VADEventType.START_OF_SPEECH:
                    utterance = [samples_of(ev)]
                    preflight = None
                    last_interim = time.monotonic()
                    self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.START_OF_SPEECH))
                elif ev.type == vad.VADEventType.INFERENCE_DONE and ev.speaking and utterance:
                    utterance.append(samples_of(ev))
                    if ev.raw_accumulated_speech > 0 and preflight is not None:
                        # Speech resumed: the preflight would miss it. Still queued, it never runs (several
                        # sessions share the decoder); already running, it finishes unread.
                        preflight.cancel()
                        preflight = None
                        self._whisper.preflights_discarded += 1
                    elif preflight is None and ev.raw_accumulated_silence >= opts.preflight_silence_s:
                        preflight = asyncio.create_task(self._whisper.transcribe(np.concatenate(utterance)))
                        self._whisper.preflights += 1
                    due = time.monotonic() - last_interim >= opts.interim_interval_s
                    idle = interim_task is None or interim_task.done()
                    if due and idle and ev.raw_accumulated_silence == 0:
                        last_interim = time.monotonic()
                        interim_task = asyncio.create_task(interim(np.concatenate(utterance)))
                elif ev.type == vad.VADEventType.END_OF_SPEECH:
                    samples = samples_of(ev)
                    utterance = []
                    buffer_end = time.time()
                    speech_end = buffer_end - ev.silence_duration
                    self._event_ch.send_nowait(
                        stt.SpeechEvent(type=stt.SpeechEventType.END_OF_SPEECH, speech_end_time=speech_end)
                    )
                    transcript = await preflight if preflight is not None else await self._whisper.transcribe(samples)
                    preflight = None
                    if transcript.text:
                        final = speech_event(stt.SpeechEventType.FINAL_TRANSCRIPT, transcript, opts.language)
                        final.speech_end_time = speech_end
                        # In a stream, the utterance's times are wall-clock; word times stay relative to it.
                        final.alternatives[0].start_time = buffer_end - len(samples) / SAMPLE_RATE
                        final.alternatives[0].end_time = buffer_end
                        self._event_ch.send_nowait(final)
        finally:
            await utils.aio.cancel_and_wait(forwarder)
            if preflight is not None:
                preflight.cancel()
            if interim_task is not None:
                await utils.aio.cancel_and_wait(interim_task)
            await vad_stream.aclose()
