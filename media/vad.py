"""Voice activity detection: a livekit-agents ``vad.VAD`` on webrtcvad (30 ms windows at 16 kHz)."""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad
from livekit.agents import vad
from numpy.typing import NDArray

from media.audio import Resampler, int16_to_frame

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
WINDOW_MS = 30
WINDOW = SAMPLE_RATE * WINDOW_MS // 1000


@dataclass(frozen=True)
class VADOptions:
    """How eagerly speech starts and how long a silence ends it."""

    aggressiveness: int = 2
    min_speech_s: float = 0.09
    min_silence_s: float = 0.3
    prefix_padding_s: float = 0.3


class WebRTCVAD(vad.VAD):
    """Speech/silence per 30 ms window, with start/end-of-speech events carrying the speech frames."""

    def __init__(self, options: VADOptions | None = None) -> None:
        super().__init__(capabilities=vad.VADCapabilities(update_interval=WINDOW_MS / 1000))
        self.options = options or VADOptions()
        if not 0 <= self.options.aggressiveness <= 3:
            raise ValueError(f"aggressiveness must be 0..3 (got {self.options.aggressiveness})")

    @property
    def model(self) -> str:
        return f"webrtcvad-{self.options.aggressiveness}"

    @property
    def provider(self) -> str:
        return "webrtcvad"

    def stream(self) -> WebRTCVADStream:
        return WebRTCVADStream(self, self.options)


class WebRTCVADStream(vad.VADStream):
    """Runs the detector over pushed frames of any rate; events are in 16 kHz samples."""

    def __init__(self, detector: WebRTCVAD, options: VADOptions) -> None:
        super().__init__(detector)
        self._opts = options

    async def _main_task(self) -> None:
        opts = self._opts
        detector = webrtcvad.Vad(opts.aggressiveness)
        resampler = Resampler(SAMPLE_RATE)
        pending = np.zeros(0, dtype=np.int16)
        window_s = WINDOW_MS / 1000
        padding: deque[NDArray[np.int16]] = deque(maxlen=max(1, round(opts.prefix_padding_s / window_s)))
        speech: list[NDArray[np.int16]] = []
        speaking = False
        raw_speech = raw_silence = 0.0
        speech_duration = silence_duration = 0.0
        samples_index = 0

        def event(kind: vad.VADEventType, frames: list[NDArray[np.int16]], **extra: float | bool) -> vad.VADEvent:
            merged = [int16_to_frame(np.concatenate(frames), SAMPLE_RATE)] if frames else []
            return vad.VADEvent(
                type=kind,
                samples_index=samples_index,
                timestamp=time.time(),
                speech_duration=speech_duration,
                silence_duration=silence_duration,
                frames=merged,
                **extra,  # type: ignore[arg-type]
            )

        async for item in self._input_ch:
            if isinstance(item, self._FlushSentinel):
                pending = np.zeros(0, dtype=np.int16)
                padding.clear()
                speech, speaking = [], False
                raw_speech = raw_silence = speech_duration = silence_duration = 0.0
                continue
            pending = np.concatenate([pending, resampler.push_frame(item)])
            while len(pending) >= WINDOW:
                window, pending = pending[:WINDOW], pending[WINDOW:]
                started = time.perf_counter()
                is_speech = detector.is_speech(window.tobytes(), SAMPLE_RATE)
                inference = time.perf_counter() - started
                samples_index += WINDOW
                if is_speech:
                    raw_speech += window_s
                    raw_silence = 0.0
                else:
                    raw_silence += window_s
                    raw_speech = 0.0

                if speaking:
                    speech.append(window)
                    if is_speech:
                        speech_duration += window_s
                        silence_duration = 0.0
                    else:
                        silence_duration += window_s
                        if raw_silence >= opts.min_silence_s:
                            speaking = False
                            self._event_ch.send_nowait(
                                event(vad.VADEventType.END_OF_SPEECH, speech, inference_duration=inference)
                            )
                            speech, speech_duration = [], 0.0
                elif is_speech:
                    speech.append(window)
                    if raw_speech >= opts.min_speech_s:
                        speaking = True
                        silence_duration = 0.0
                        speech_duration = raw_speech
                        speech = [*padding, *speech]
                        padding.clear()
                        self._event_ch.send_nowait(
                            event(vad.VADEventType.START_OF_SPEECH, speech, inference_duration=inference)
                        )
                else:
                    padding.extend(speech)
                    padding.append(window)
                    speech = []
                    silence_duration += window_s

                self._event_ch.send_nowait(
                    event(
                        vad.VADEventType.INFERENCE_DONE,
                        [window],
                        probability=1.0 if is_speech else 0.0,
                        inference_duration=inference,
                        speaking=speaking,
                        raw_accumulated_speech=raw_speech,
                        raw_accumulated_silence=raw_silence,
                    )
                )
