"""The conversation pipeline, read top to bottom: transport in → VAD/STT → interviewer → TTS → transport out.

Models load once per process (``load_voice_models``) and every session shares them; each session
gets its own AgentSession wired to its transport's audio input and output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentSession, llm
from livekit.agents.voice.io import AudioInput, AudioOutput

from agent.turn import InterviewTurnDetector, TurnOptions
from media.models import ModelPaths
from media.stt import STTOptions, WhisperSTT
from media.tts import PiperTTS, TTSOptions
from media.vad import VADOptions, WebRTCVAD


@dataclass(frozen=True)
class VoiceModels:
    """The local VAD, STT and TTS, loaded once and shared by every session of the process."""

    vad: WebRTCVAD
    stt: WhisperSTT
    tts: PiperTTS


def load_voice_models(paths: ModelPaths, vad_options: VADOptions | None = None) -> VoiceModels:
    """Load the models named by ``paths`` (blocking: call at start-up or in a thread)."""
    if paths.missing():
        raise FileNotFoundError("; ".join(paths.missing()))
    assert paths.stt_model_dir is not None and paths.tts_voice is not None
    detector = WebRTCVAD(vad_options)
    whisper = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir), vad_detector=detector)
    whisper.prewarm()
    return VoiceModels(vad=detector, stt=whisper, tts=PiperTTS(TTSOptions(voice_path=paths.tts_voice)))


def build_session(
    models: VoiceModels,
    interviewer: llm.LLM[Any],
    audio_in: AudioInput,
    audio_out: AudioOutput,
    turn_detector: InterviewTurnDetector | None = None,
) -> AgentSession[None]:
    """One interview's AgentSession on a transport's audio pair; call ``start(agent)`` to run it."""
    detector = turn_detector or InterviewTurnDetector()
    turns: TurnOptions = detector.options
    session: AgentSession[None] = AgentSession(
        vad=models.vad,
        stt=models.stt,
        llm=interviewer,
        tts=models.tts,
        turn_handling={
            "turn_detection": detector,
            "endpointing": {"mode": "fixed", "min_delay": turns.min_delay_s, "max_delay": turns.max_delay_s},
            # The adaptive interruption detector is an ML model we do not ship; VAD decides barge-in.
            # Our playout cannot pause, so a false interruption cannot be resumed; do not try.
            "interruption": {"enabled": True, "mode": "vad", "min_duration": 0.5, "resume_false_interruption": False},
        },
    )
    session.input.audio = audio_in
    session.output.audio = audio_out
    return session
