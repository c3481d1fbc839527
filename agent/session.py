"""The conversation pipeline, read top to bottom: transport in → VAD/STT → interviewer → TTS → transport out.

Models load once per process (``load_voice_models``) and every session shares them; each session
gets its own AgentSession wired to its transport's audio input and output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentSession, llm
from livekit.agents.voice.io import AudioInput, AudioOutput, TextOutput
from livekit.agents.voice.transcription import TranscriptSynchronizer

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


class CaptionSink(TextOutput):
    """Receives the agent's words as the synchronizer releases them in step with the audio."""

    def __init__(self) -> None:
        super().__init__(label="captions", next_in_chain=None)
        self.text = ""

    async def capture_text(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        self.text = ""


@dataclass
class VoiceSession:
    """An AgentSession plus the transcript synchronizer between it and the transport's audio output."""

    session: AgentSession[None]
    synchronizer: TranscriptSynchronizer

    async def aclose(self) -> None:
        """Close the session, then the synchronizer."""
        await self.session.aclose()
        await self.synchronizer.aclose()


def build_session(
    models: VoiceModels,
    interviewer: llm.LLM[Any],
    audio_in: AudioInput,
    audio_out: AudioOutput,
    turn_detector: InterviewTurnDetector | None = None,
) -> VoiceSession:
    """One interview's AgentSession on a transport's audio pair; call ``session.start(agent)`` to run it.

    The agent's audio goes through livekit's TranscriptSynchronizer, so when the candidate barges in the
    stored agent turn keeps only the words that were actually played.
    """
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
    synchronizer = TranscriptSynchronizer(next_in_chain_audio=audio_out, next_in_chain_text=CaptionSink())
    session.input.audio = audio_in
    session.output.audio = synchronizer.audio_output
    session.output.transcription = synchronizer.text_output
    return VoiceSession(session, synchronizer)
