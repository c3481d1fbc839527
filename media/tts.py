"""Text to speech: a livekit-agents ``tts.TTS`` on Piper, pushing audio sentence by sentence so the
first sentence plays while the rest is still being synthesized."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from livekit.agents import tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from piper import PiperVoice, SynthesisConfig

logger = logging.getLogger(__name__)

_DONE = object()
INAUDIBLE = 64  # int16 amplitude (-54 dBFS) below which Piper's output is silence to a listener
LEAD_IN_S = 0.01


def trim_lead_in(pcm: bytes, sample_rate: int) -> bytes:
    """The audio from its first audible sample, less ``LEAD_IN_S``: Piper starts every utterance with 40-60 ms
    of silence, which the candidate would wait through before hearing the reply."""
    audible = np.flatnonzero(np.abs(np.frombuffer(pcm, dtype=np.int16)) > INAUDIBLE)
    if not audible.size:
        return pcm
    return pcm[max(0, int(audible[0]) - round(sample_rate * LEAD_IN_S)) * 2 :]


@dataclass(frozen=True)
class TTSOptions:
    """Which voice, and how fast it speaks (Piper's length scale: < 1 is faster)."""

    voice_path: Path
    length_scale: float | None = None


class PiperTTS(tts.TTS[Any]):
    """Piper voice behind the livekit TTS interface; the voice is loaded once and shared."""

    def __init__(self, options: TTSOptions) -> None:
        voice = PiperVoice.load(str(options.voice_path))
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=voice.config.sample_rate,
            num_channels=1,
        )
        self.options = options
        self.voice = voice
        # onnxruntime sessions are not safe to drive from several threads at once.
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self.options.voice_path.stem

    @property
    def provider(self) -> str:
        return "piper"

    def sentences_pcm(self, text: str) -> Iterator[bytes]:
        """int16 PCM per sentence (blocking; call from a worker thread). The first starts without Piper's
        lead-in silence; the later ones keep theirs, which is the pause between sentences."""
        config = SynthesisConfig(length_scale=self.options.length_scale)
        with self._lock:
            for n, chunk in enumerate(self.voice.synthesize(text, syn_config=config)):
                yield chunk.audio_int16_bytes if n else trim_lead_in(chunk.audio_int16_bytes, self.sample_rate)

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> PiperStream:
        return PiperStream(self, text, conn_options)


class PiperStream(tts.ChunkedStream):
    """Synthesizes in a worker thread and pushes each sentence's audio as soon as it exists."""

    def __init__(self, piper: PiperTTS, text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=piper, input_text=text, conn_options=conn_options)
        self._piper = piper

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
                for pcm in self._piper.sentences_pcm(self.input_text):
                    if stop.is_set():
                        return
                    loop.call_soon_threadsafe(queue.put_nowait, pcm)
            except Exception as exc:  # surfaced to the session as a TTS error
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        producer = loop.run_in_executor(None, produce)
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
