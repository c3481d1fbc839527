"""Audio conversions between transports and models: int16 PCM frames, numpy, resampling via PyAV."""

from __future__ import annotations

import av
import numpy as np
from livekit import rtc
from numpy.typing import NDArray


def frame_to_int16(frame: rtc.AudioFrame) -> NDArray[np.int16]:
    """Interleaved int16 samples of a frame, shape (samples, channels)."""
    data = np.frombuffer(frame.data, dtype=np.int16)
    return data.reshape(-1, frame.num_channels)


class Resampler:
    """Converts a stream of frames to one rate and channel count (stateful: keep one per stream)."""

    def __init__(self, rate: int, channels: int = 1) -> None:
        self.rate = rate
        self.channels = channels
        layout = "mono" if channels == 1 else "stereo"
        self._resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
        self._pts = 0

    def push(self, samples: NDArray[np.int16], rate: int) -> NDArray[np.int16]:
        """Resample interleaved int16 ``samples`` (shape (n, channels_in)) recorded at ``rate``."""
        if samples.ndim == 1:
            samples = samples.reshape(-1, 1)
        channels_in = samples.shape[1]
        if rate == self.rate and channels_in == self.channels:
            return samples.reshape(-1)
        layout = "mono" if channels_in == 1 else "stereo"
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)), format="s16", layout=layout)
        frame.sample_rate = rate
        frame.pts = self._pts
        self._pts += samples.shape[0]
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.int16) if out else np.zeros(0, dtype=np.int16)

    def push_frame(self, frame: rtc.AudioFrame) -> NDArray[np.int16]:
        """Resample a livekit frame; returns interleaved int16 at this resampler's rate and channels."""
        return self.push(frame_to_int16(frame), frame.sample_rate)

    def flush(self) -> NDArray[np.int16]:
        """Samples still buffered inside the resampler."""
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(None)]
        return np.concatenate(out).astype(np.int16) if out else np.zeros(0, dtype=np.int16)


def int16_to_frame(samples: NDArray[np.int16], rate: int, channels: int = 1) -> rtc.AudioFrame:
    """A livekit frame from interleaved int16 samples."""
    return rtc.AudioFrame(
        data=np.ascontiguousarray(samples, dtype=np.int16).tobytes(),
        sample_rate=rate,
        num_channels=channels,
        samples_per_channel=len(samples) // channels,
    )


def int16_to_float32(samples: NDArray[np.int16]) -> NDArray[np.float32]:
    """Scale int16 PCM to float32 in [-1, 1] (what Whisper takes)."""
    return samples.astype(np.float32) / 32768.0


def rms_dbfs(samples: NDArray[np.int16]) -> float:
    """Loudness in dB relative to full scale; -inf for digital silence."""
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20 * np.log10(rms / 32768.0) if rms > 0 else float("-inf")
