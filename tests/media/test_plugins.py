"""The local model plugins against the real models and real (synthesized) speech."""

from __future__ import annotations

import asyncio
import difflib
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit.agents import stt, tts, vad
from numpy.typing import NDArray

from media.audio import Resampler, rms_dbfs
from media.model_queue import ModelQueue, Urgency
from media.models import resolve_models
from media.stt import STTOptions, Transcript, WhisperSTT, fit_window
from media.tts import INAUDIBLE, PiperTTS, SpeechCache, TTSOptions
from media.vad import VADOptions, WebRTCVAD
from tests.media.speech import frames, join, read_wav, say, silence

ANSWER = "I read the whole guideline twice and I flag unclear items to the project lead."


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="module")
def whisper() -> WhisperSTT:
    paths = resolve_models()
    assert paths.stt_model_dir is not None
    model = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir), vad_detector=WebRTCVAD())
    model.prewarm()
    return model


@pytest.fixture(scope="module")
def piper() -> PiperTTS:
    voice = resolve_models().tts_voice
    assert voice is not None
    return PiperTTS(TTSOptions(voice_path=voice))


async def _vad_events(path: Path, options: VADOptions | None = None) -> list[vad.VADEvent]:
    samples, rate = read_wav(path)
    stream = WebRTCVAD(options).stream()
    for frame in frames(samples, rate):
        stream.push_frame(frame)
    stream.end_input()
    events = [ev async for ev in stream]
    await stream.aclose()
    return events


async def test_vad_finds_one_utterance_in_speech_padded_by_silence(models_dir: Path) -> None:
    clip = join(
        [silence(0.5, models_dir / "a.wav"), say(ANSWER, models_dir / "s.wav"), silence(0.8, models_dir / "b.wav")],
        models_dir / "padded.wav",
    )
    events = await _vad_events(clip)
    kinds = [e.type for e in events if e.type != vad.VADEventType.INFERENCE_DONE]
    assert kinds == [vad.VADEventType.START_OF_SPEECH, vad.VADEventType.END_OF_SPEECH]
    end = next(e for e in events if e.type == vad.VADEventType.END_OF_SPEECH)
    speech_samples = sum(f.samples_per_channel for f in end.frames)
    spoken, _ = read_wav(models_dir / "s.wav")
    # The END event carries the utterance (plus padding and trailing silence), all at 16 kHz.
    assert 0.8 * len(spoken) <= speech_samples <= len(spoken) + 16_000 * 1.2


async def test_vad_stays_quiet_on_silence(models_dir: Path) -> None:
    events = await _vad_events(silence(2.0, models_dir / "quiet.wav"))
    assert all(e.type == vad.VADEventType.INFERENCE_DONE and not e.speaking for e in events)
    assert len(events) == pytest.approx(2.0 / 0.03, abs=2)


async def test_vad_splits_on_a_long_pause_but_not_a_short_one(models_dir: Path) -> None:
    first, second = (
        say("I check the guideline", models_dir / "p1.wav"),
        say("then I ask my lead", models_dir / "p2.wav"),
    )
    short = join([first, silence(0.15, models_dir / "s015.wav"), second], models_dir / "short.wav")
    long = join([first, silence(1.0, models_dir / "s100.wav"), second], models_dir / "long.wav")

    def starts(events: list[vad.VADEvent]) -> int:
        return sum(e.type == vad.VADEventType.START_OF_SPEECH for e in events)

    assert starts(await _vad_events(short)) == 1
    assert starts(await _vad_events(long)) == 2


async def test_stt_transcribes_synthesized_speech_with_word_times(whisper: WhisperSTT, models_dir: Path) -> None:
    samples, rate = read_wav(say(ANSWER, models_dir / "answer.wav"))
    event = await whisper.recognize(frames(samples, rate))
    data = event.alternatives[0]
    text = data.text.lower()
    for word in ("guideline", "twice", "flag", "project", "lead"):
        assert word in text, text
    assert data.words and len(data.words) >= 10
    times = [(w.start_time, w.end_time) for w in data.words]
    assert all(isinstance(s, float) and isinstance(e, float) and s <= e for s, e in times)
    assert times == sorted(times)
    assert times[-1][1] <= len(samples) / rate + 0.5


def test_the_encoder_window_keeps_the_speech_and_never_shrinks_below_the_minimum() -> None:
    features = np.zeros((1, 80, 3000), dtype=np.float32)
    features[..., :350] = -0.8  # 3.5 s of log-mel content (silence is not zero after normalisation)
    assert fit_window(features, 1000, 200).shape == (1, 80, 1000)
    features[..., :2501] = -0.8
    assert fit_window(features, 1000, 200).shape == (1, 80, 2702)  # content + tail, rounded up to even
    features[..., :2950] = -0.8
    assert fit_window(features[0], 1000, 200).shape == (80, 3000)  # never longer than Whisper's own window
    assert fit_window(np.zeros((80, 3000), dtype=np.float32), 1000, 200).shape == (80, 1000)


async def test_the_fitted_window_transcribes_like_whispers_full_window(whisper: WhisperSTT, models_dir: Path) -> None:
    """The shipped (fitted) window against Whisper's fixed 30 s on the same speech: the words they share are timed
    within 0.15 s of each other (a neighbour heard differently moves a boundary), so the quotes in a scorecard and
    their timestamps do not depend on the speed-up."""
    paths = resolve_models()
    assert paths.stt_model_dir is not None
    full = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir, window_s=30.0))
    samples, _rate = read_wav(say(ANSWER, models_dir / "window.wav"))
    fitted, whole = await whisper.transcribe(samples), await full.transcribe(samples)
    for word in ("guideline", "twice", "flag", "project", "lead"):
        assert word in fitted.text.lower(), fitted.text
    said = [w.lower().strip(".,") for w in fitted.words], [w.lower().strip(".,") for w in whole.words]
    blocks = difflib.SequenceMatcher(a=said[0], b=said[1]).get_matching_blocks()
    pairs = [(fitted.words[b.a + k], whole.words[b.b + k]) for b in blocks for k in range(b.size)]
    assert len(pairs) >= 0.7 * len(whole.words), (fitted.text, whole.text)
    for a, b in pairs:
        assert abs(a.start_time - b.start_time) <= 0.15 and abs(a.end_time - b.end_time) <= 0.15, (a, b)
    await full.aclose()


async def test_stt_stream_gives_interim_then_final_for_one_utterance(whisper: WhisperSTT, models_dir: Path) -> None:
    long_answer = ANSWER + " Then I write the answer into our shared notes so the whole team labels it the same way."
    clip = join(
        [say(long_answer, models_dir / "long-answer.wav"), silence(0.8, models_dir / "tail.wav")],
        models_dir / "stream.wav",
    )
    samples, rate = read_wav(clip)
    stream = whisper.stream()
    for frame in frames(samples, rate):
        stream.push_frame(frame)
        await asyncio.sleep(0.02)  # real time: interim decodes happen while "speaking"
    stream.end_input()
    events = [ev async for ev in stream]
    await stream.aclose()
    kinds = [e.type for e in events]
    assert kinds[0] == stt.SpeechEventType.START_OF_SPEECH
    assert stt.SpeechEventType.INTERIM_TRANSCRIPT in kinds
    assert kinds[-2:] == [stt.SpeechEventType.END_OF_SPEECH, stt.SpeechEventType.FINAL_TRANSCRIPT]
    final = events[-1].alternatives[0].text.lower()
    assert "shared notes" in final and "guideline" in final


async def test_tts_speaks_non_silent_audio_of_plausible_duration(piper: PiperTTS) -> None:
    text = "Thank you. Let's move on to the next question about golden sets."
    chunks = [chunk async for chunk in piper.synthesize(text)]
    pcm = np.concatenate([np.frombuffer(c.frame.data, dtype=np.int16) for c in chunks])
    seconds = len(pcm) / piper.sample_rate
    words = len(text.split())
    assert words / 4.5 <= seconds <= words / 1.2  # between ~270 and ~70 words per minute
    assert rms_dbfs(pcm) > -35


async def test_a_reply_starts_with_speech_not_pipers_lead_in_silence(piper: PiperTTS) -> None:
    text = "Thank you. Next question."
    chunks = [chunk async for chunk in piper.synthesize(text)]
    pcm = np.concatenate([np.frombuffer(c.frame.data, dtype=np.int16) for c in chunks])
    raw = [np.frombuffer(c.audio_int16_bytes, dtype=np.int16) for c in piper.voice.synthesize(text)]
    first_audible = int(np.flatnonzero(np.abs(pcm) > INAUDIBLE)[0])
    assert first_audible <= 0.011 * piper.sample_rate  # at most the 10 ms lead-in
    # Piper's own output waits >= 30 ms before its first sound (its durations vary from run to run: noise_w).
    assert int(np.flatnonzero(np.abs(raw[0]) > INAUDIBLE)[0]) >= 0.03 * piper.sample_rate


async def test_tts_round_trips_through_stt(piper: PiperTTS, whisper: WhisperSTT) -> None:
    chunks = [chunk async for chunk in piper.synthesize("Please describe your quality control process.")]
    pcm = np.concatenate([np.frombuffer(c.frame.data, dtype=np.int16) for c in chunks])
    samples = Resampler(16_000).push(pcm, piper.sample_rate)
    transcript = await whisper.transcribe(samples)
    assert "quality control" in transcript.text.lower()


async def test_an_interim_decode_is_skipped_while_the_decoder_is_busy(whisper: WhisperSTT, models_dir: Path) -> None:
    spoken, rate = read_wav(say(ANSWER, models_dir / "busy.wav"))
    samples = Resampler(16_000).push(spoken, rate)
    final = asyncio.create_task(whisper.transcribe(samples))
    await asyncio.sleep(0)  # the final is on the decoder now
    skipped = whisper.interims_skipped
    assert await whisper.transcribe_interim(samples) is None  # it would have made the final wait
    assert whisper.interims_skipped == skipped + 1
    assert (await final).text
    interim = await whisper.transcribe_interim(samples)  # the decoder is free again
    assert interim is not None and interim.text == (await final).text


async def test_captions_get_at_most_their_share_of_the_decoder(models_dir: Path) -> None:
    """After a caption that took d, the next waits d * 3 (a quarter of the decoder's time): with several
    candidates speaking, an answer's end seldom finds the decoder busy with a caption. Finals are never held."""
    paths = resolve_models()
    assert paths.stt_model_dir is not None
    whisper = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir, interim_share=0.25))
    spoken, rate = read_wav(say(ANSWER, models_dir / "share.wav"))
    samples = Resampler(16_000).push(spoken, rate)
    started = time.monotonic()
    assert await whisper.transcribe_interim(samples) is not None
    took = time.monotonic() - started
    assert await whisper.transcribe_interim(samples) is None  # the decoder is free, but captions had their share
    assert whisper.interims_skipped == 1
    assert (await whisper.transcribe(samples)).text  # an end-of-speech decode is not rationed
    await asyncio.sleep(max(0.0, started + took * 4 - time.monotonic()) + 0.05)
    assert await whisper.transcribe_interim(samples) is not None
    await whisper.aclose()


class _SeenTurns(ModelQueue):
    """The model's real queue, remembering the urgency of every turn taken."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Urgency] = []

    def turn(self, urgency: Urgency) -> AbstractContextManager[None]:
        self.seen.append(urgency)
        return super().turn(urgency)


async def test_a_replys_first_sentence_is_urgent_and_its_later_sentences_are_not(piper: PiperTTS) -> None:
    """Through livekit's StreamAdapter, as AgentSession drives a non-streaming TTS: the adapter synthesizes a
    reply's sentences one by one, Piper splits each further; only the reply's very first is urgent."""
    piper.turns = seen = _SeenTurns()
    adapter = tts.StreamAdapter(tts=piper)
    for reply in range(2):
        stream = adapter.stream()
        # Each reply new to the voice: a line said before comes from its cache and takes no turn.
        stream.push_text(
            f"Thanks for answer {reply + 1}. Question number {reply + 2} is about your process. Tell me more."
        )
        stream.end_input()
        frames = [ev.frame async for ev in stream]
        await stream.aclose()
        assert frames, f"reply {reply} made no audio"
        first, *later = seen.seen
        assert first == Urgency.FIRST_AUDIO and later and all(u == Urgency.MORE_AUDIO for u in later), seen.seen
        seen.seen.clear()
    await adapter.aclose()


def test_a_reply_stopped_by_the_candidate_synthesizes_no_further_sentence(piper: PiperTTS) -> None:
    stopped = threading.Event()
    text = "Thank you for that answer. The next question is about your process."
    sentences = piper.sentences_pcm(text, True, stopped)
    first = next(sentences)
    stopped.set()  # barge-in: the rest would wait for a turn on the shared voice and be thrown away
    assert first and list(sentences) == []
    assert piper.cache.get(text) is None  # a line cut short is not kept as if it were the whole


async def test_a_line_said_before_plays_from_the_cache_without_a_turn_on_the_voice(piper: PiperTTS) -> None:
    piper.turns = seen = _SeenTurns()
    text = "Thank you. Could you describe how you check your own labels?"
    said = [[chunk.frame.data.tobytes() async for chunk in piper.synthesize(text)] for _ in range(2)]
    assert len(seen.seen) == 3, seen.seen  # two sentences and the end, the first time only
    assert said[0] and said[1] == said[0]
    assert piper.cache.get(text) is not None


def test_the_speech_cache_drops_the_least_recently_used_beyond_its_size() -> None:
    cache = SpeechCache(max_bytes=10)
    cache.put("a", (b"1234",))
    cache.put("b", (b"12", b"34"))
    assert cache.get("a") == (b"1234",)  # "a" used since "b" was kept
    cache.put("c", (b"1234",))
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    cache.put("too long", (b"12345678901",))
    assert cache.get("too long") is None and cache.get("a")
    assert (cache.hits, cache.misses) == (4, 2)


async def test_synthesis_waits_for_its_turn_on_the_voices_own_threads(piper: PiperTTS) -> None:
    """Never on the event loop's default executor, where aiortc encodes every outgoing audio frame: replies
    waiting for their turn on the shared voice would hold its few threads."""
    threads: list[str] = []
    sentences_pcm = piper.sentences_pcm

    def recording(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        threads.append(threading.current_thread().name)
        return sentences_pcm(*args, **kwargs)

    piper.sentences_pcm = recording  # type: ignore[method-assign]
    try:
        assert [chunk async for chunk in piper.synthesize("Which tools have you labeled with?")]
    finally:
        del piper.sentences_pcm
    assert threads and threads[0].startswith("piper")


async def test_a_decode_cancelled_before_its_turn_never_runs(models_dir: Path) -> None:
    """A preflight discarded while it waits behind other candidates' decodes costs the decoder nothing."""
    decoded: list[int] = []

    class CountingWhisper(WhisperSTT):
        def transcribe_samples(self, samples: NDArray[np.int16], language: str | None = None) -> Transcript:
            decoded.append(len(samples))
            return super().transcribe_samples(samples, language)

    paths = resolve_models()
    assert paths.stt_model_dir is not None
    whisper = CountingWhisper(STTOptions(model_dir=paths.stt_model_dir))
    spoken, rate = read_wav(say(ANSWER, models_dir / "cancelled.wav"))
    samples = Resampler(16_000).push(spoken, rate)
    held = threading.Semaphore(0)
    release = threading.Event()

    def other_candidates_decode() -> None:
        with whisper.turns.turn(Urgency.TRANSCRIPT):
            held.release()
            release.wait(10)

    holders = [threading.Thread(target=other_candidates_decode) for _ in range(whisper.turns.slots)]
    for holder in holders:
        holder.start()
        assert await asyncio.to_thread(held.acquire, True, 10)  # every decoder busy
    waiting = asyncio.create_task(whisper.transcribe(samples))
    while whisper.turns.waiting == 0:  # noqa: ASYNC110 (the queue is polled from the loop)
        await asyncio.sleep(0.005)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    for holder in holders:
        holder.join(10)
    after = await whisper.transcribe(samples)  # runs once the abandoned one has given up its turn
    assert after.text and decoded == [len(samples)]
    await whisper.aclose()
