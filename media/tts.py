"""Text to speech: a livekit-agents ``tts.TTS`` on Piper, pushing audio sentence by sentence so the
first sentence plays while the rest is still being synthesized."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from cachetools import LRUCache
from livekit.agents import tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from piper import PiperConfig, PiperVoice, SynthesisConfig

from media.model_queue import ModelQueue, Urgency

logger = logging.getLogger(__name__)

_DONE = object()
INAUDIBLE = 64  # int16 amplitude (-54 dBFS) below which Piper's output is silence to a listener
LEAD_IN_S = 0.01

# How many texts the current reply has synthesized. livekit's StreamAdapter synthesizes a reply sentence by
# sentence, one after another, from a task of its own whose context starts without this variable; so the first
# ``synthesize`` in a context is a reply's first sentence, the one the candidate waits for.
_reply_texts: ContextVar[itertools.count[int]] = ContextVar("reply_texts")


def _first_of_reply() -> bool:
    counter = _reply_texts.get(None)
    if counter is None:
        _reply_texts.set(counter := itertools.count())
    return next(counter) == 0


def trim_lead_in(pcm: bytes, sample_rate: int) -> bytes:
    """The audio from its first audible sample, less ``LEAD_IN_S``: Piper starts every utterance with 40-60 ms
    of silence, which the candidate would wait through before hearing the reply."""
    audible = np.flatnonzero(np.abs(np.frombuffer(pcm, dtype=np.int16)) > INAUDIBLE)
    if not audible.size:
        return pcm
    return pcm[max(0, int(audible[0]) - round(sample_rate * LEAD_IN_S)) * 2 :]


def load_voice(model_path: Path) -> PiperVoice:
    """A Piper voice (``model_path`` and its ``.json`` config, as ``PiperVoice.load`` reads them) whose ONNX
    session does not spin-wait between operations.

    onnxruntime's worker threads spin for a while after each operation by default, which on a small machine takes
    the CPU from a Whisper decode running at the same time (another candidate's answer). Measured on 2 cores, a
    decode took 1.9x its time alone while Piper synthesized with spinning, 1.2x without; Piper's own first audio
    stayed within noise (p50 116-161 ms spinning, 123-175 ms not, over three runs).
    """
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    config = json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8"))
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=PiperConfig.from_dict(config))


@dataclass(frozen=True)
class TTSOptions:
    """Which voice, how fast it speaks (Piper's length scale: < 1 is faster), and how much synthesized speech is
    kept for reuse."""

    voice_path: Path
    length_scale: float | None = None
    cache_bytes: int = 64 * 2**20  # ~25 minutes of Piper's 22.05 kHz audio


class SpeechCache:
    """Synthesized speech by text, the least recently used dropped once the audio kept exceeds ``max_bytes``.

    Most of what the agent says has been said before, to another candidate: a script's opening, questions and
    closing are the same for everyone it is sent to, and so are the interviewer's acknowledgements and
    follow-up templates. Said again, a line costs no synthesis: it plays at once and leaves the CPU to the
    decodes of the candidates answering meanwhile. Thread-safe.
    """

    def __init__(self, max_bytes: int) -> None:
        self._audio: LRUCache[str, tuple[bytes, ...]] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda chunks: max(1, sum(map(len, chunks)))
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, text: str) -> tuple[bytes, ...] | None:
        """The text's audio, one PCM chunk per sentence, if it was kept."""
        with self._lock:
            chunks = self._audio.get(text)
            if chunks is None:
                self.misses += 1
            else:
                self.hits += 1
            return chunks

    def put(self, text: str, chunks: tuple[bytes, ...]) -> None:
        """Keep the text's audio (a text larger than the whole cache is not kept)."""
        with self._lock, contextlib.suppress(ValueError):  # cachetools: "value too large"
            self._audio[text] = chunks


class PiperTTS(tts.TTS[Any]):
    """Piper voice behind the livekit TTS interface; the voice is loaded once and shared."""

    def __init__(self, options: TTSOptions) -> None:
        voice = load_voice(options.voice_path)
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=voice.config.sample_rate,
            num_channels=1,
        )
        self.options = options
        self.voice = voice
        # One sentence at a time (Piper is not thread-safe), the first of a reply before the later of any.
        self.turns = ModelQueue()
        self.cache = SpeechCache(options.cache_bytes)
        # Threads that wait for a turn, then synthesize: one per reply being spoken. Not the event loop's default
        # executor, which aiortc encodes every outgoing audio frame in: replies waiting for their turn would hold
        # its few threads while the candidates' audio waits behind them.
        self.workers = ThreadPoolExecutor(max_workers=16, thread_name_prefix="piper")

    @property
    def model(self) -> str:
        return self.options.voice_path.stem

    @property
    def provider(self) -> str:
        return "piper"

    def sentences_pcm(
        self, text: str, first_of_reply: bool = True, stopped: threading.Event | None = None
    ) -> Iterator[bytes]:
        """int16 PCM per sentence (blocking; call from a worker thread): from the cache when the text was said
        before, else each synthesized in a turn on the voice: a reply's first sentence is urgent, the rest can wait
        while it plays; none once ``stopped`` is set (the candidate interrupted while it waited). The first starts
        without Piper's lead-in silence; the later ones keep theirs, which is the pause between sentences."""
        cached = self.cache.get(text)
        if cached is not None:
            yield from cached
            return
        config = SynthesisConfig(length_scale=self.options.length_scale)
        sentences = iter(self.voice.synthesize(text, syn_config=config))  # lazy: phonemizes at the first step
        said: list[bytes] = []
        for n in itertools.count():
            with self.turns.turn(Urgency.FIRST_AUDIO if first_of_reply and n == 0 else Urgency.MORE_AUDIO):
                if stopped is not None and stopped.is_set():
                    return  # cut short: nothing kept
                chunk = next(sentences, None)
            if chunk is None:
                self.cache.put(text, tuple(said))
                return
            said.append(chunk.audio_int16_bytes if n else trim_lead_in(chunk.audio_int16_bytes, self.sample_rate))
            yield said[-1]

    async def aclose(self) -> None:
        self.workers.shutdown(wait=False, cancel_futures=True)
        await super().aclose()

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> PiperStream:
        return PiperStream(self, text, conn_options, first_of_reply=_first_of_reply())


class PiperStream(tts.ChunkedStream):
    """Synthesizes in a worker thread and pushes each sentence's audio as soon as it exists."""

    def __init__(self, piper: PiperTTS, text: str, conn_options: APIConnectOptions, first_of_reply: bool) -> None:
        super().__init__(tts=piper, input_text=text, conn_options=conn_options)
        self._piper = piper
        self._first_of_reply = first_of_reply

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex[:12],
            sample_rate=self._piper.sample_rate,
            num_channels=1,
            mime_type="audio/pcm",
        )
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for pcm in self._piper.sentences_pcm(self.input_text, self._first_of_reply, stop):
                    loop.call_soon_threadsafe(queue.put_nowait, pcm)
            except Exception as exc:  # surfaced to the session as a TTS error
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        producer = loop.run_in_executor(self._piper.workers, produce)
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                assert isinstance(item, bytes)
                output_emitter.push(item)
            output_emitter.flush()
        finally:
            stop.set()
            await producer
