"""The real pipeline (webrtcvad, faster-whisper, Piper, livekit-agents AgentSession) without a room or a network:
candidate audio from espeak-ng WAVs in real time, agent audio pulled on a 20 ms clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from livekit.agents import AgentSession, ConversationItemAddedEvent

from agent.live import Conversation as InterviewConversation
from agent.session import VoiceModels, load_voice_models
from agent.transports.local import LocalLoop
from agent.transports.playout import Playout
from media.audio import Resampler
from media.models import resolve_models
from prompts.script import InterviewScript
from tests.agent.memory_store import MemoryStore
from tests.conftest import TINY_SCRIPT
from tests.media.speech import frames, join, read_wav, say, silence

SCRIPT = InterviewScript.model_validate(TINY_SCRIPT)


@pytest.fixture(scope="module")
def models() -> VoiceModels:
    return load_voice_models(resolve_models())


@dataclass
class Conversation:
    session: AgentSession[None]
    loop: LocalLoop
    items: list[tuple[str, str, bool]]

    async def wait_for(self, role: str, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for r, _, _ in self.items if r == role) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {count} {role} turn(s); have {self.items}")
            await asyncio.sleep(0.05)

    async def quiet(self, timeout: float = 30) -> None:
        """Wait until no agent audio is queued."""
        deadline = time.monotonic() + timeout
        while self.loop.playout.speaking:
            if time.monotonic() > deadline:
                raise AssertionError("the agent never stopped speaking")
            await asyncio.sleep(0.05)

    def answer(self, wav: Path) -> tuple[float, float]:
        """Send a WAV as the candidate, in real time; returns when it starts and ends (monotonic)."""
        samples, rate = read_wav(wav)
        start = time.monotonic()
        self.loop.say(frames(samples, rate))
        return start, start + len(samples) / rate


@pytest.fixture
async def conversation(models: VoiceModels) -> AsyncIterator[Conversation]:
    playout = Playout(sample_rate=48_000)
    loop = LocalLoop(playout)
    interview = InterviewConversation(models, SCRIPT, MemoryStore(), loop.input, playout)
    voice, session = interview.voice, interview.voice.session
    items: list[tuple[str, str, bool]] = []

    @session.on("conversation_item_added")
    def _added(ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if item.type == "message":
            items.append((item.role, item.text_content or "", bool(getattr(item, "interrupted", False))))

    loop.start()
    await session.start(interview.agent)
    try:
        yield Conversation(session, loop, items)
    finally:
        await voice.aclose()
        await loop.stop()


async def test_agent_greets_first_then_asks_the_next_question_after_an_answer(
    conversation: Conversation, tmp_path: Path
) -> None:
    await conversation.wait_for("assistant", 1)
    role, text, _ = conversation.items[0]
    assert role == "assistant" and text.startswith("Hi, I'm GAIA.") and "unclear items" in text
    assert conversation.loop.heard.first_voiced_after(0) is not None

    wav = join(
        [
            say(
                "I never guess. I flag the item and ask the project lead, then I write the answer in our notes.",
                tmp_path / "a.wav",
            ),
            silence(1.2, tmp_path / "tail.wav"),
        ],
        tmp_path / "answer.wav",
    )
    _, ended = conversation.answer(wav)
    await conversation.wait_for("assistant", 2)
    user = " ".join(t for r, t, _ in conversation.items if r == "user").lower()
    for word in ("guess", "flag", "project lead", "notes"):
        assert word in user, user
    assert conversation.items[-1][:2] == ("assistant", "Thank you. How do you stay consistent?")
    first_reply_audio = conversation.loop.heard.first_voiced_after(ended - 1.2)
    assert first_reply_audio is not None, "the agent's second question was never heard"


async def test_a_thinking_pause_does_not_cut_the_answer(conversation: Conversation, tmp_path: Path) -> None:
    await conversation.wait_for("assistant", 1)
    await conversation.quiet()  # let the greeting finish
    first = say("I do not guess.", tmp_path / "p1.wav")
    second = say("I mark the item as unclear and post it in the project channel with its id.", tmp_path / "p2.wav")
    wav = join(
        [first, silence(1.0, tmp_path / "pause.wav"), second, silence(1.2, tmp_path / "tail.wav")],
        tmp_path / "pause-answer.wav",
    )
    started, ended = conversation.answer(wav)
    await conversation.wait_for("assistant", 2)
    speech_end = ended - 1.2
    assert conversation.loop.heard.voiced_between(started, speech_end) == 0, "the agent spoke during the answer"
    users = [t for r, t, _ in conversation.items if r == "user"]
    assert len(users) == 1, users
    assert "guess" in users[0].lower() and "project channel" in users[0].lower()


async def test_playout_resamples_piper_to_the_transport_rate(models: VoiceModels) -> None:
    chunks = [c async for c in models.tts.synthesize("One two three.")]
    pcm = np.concatenate([np.frombuffer(c.frame.data, dtype=np.int16) for c in chunks])
    resampled = Resampler(48_000).push(pcm, models.tts.sample_rate)
    assert abs(len(resampled) / 48_000 - len(pcm) / models.tts.sample_rate) < 0.05
