"""Interview-aware end-of-turn detection for livekit-agents' ``turn_detection``.

A thinking pause in the middle of an answer must not hand the turn to the agent, while a finished
answer should be answered fast. The session asks ``predict_end_of_turn`` after each pause: below
``unlikely_threshold`` it waits the long endpointing delay, above it the short one. The estimate
combines what the candidate said so far with what the current question expects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from livekit.agents import llm
from livekit.agents.language import LanguageCode

# Words after which a speaker is almost never done.
DANGLING = frozenset(
    "and but so because or then which that who where when while if although though like um uh er "
    "the a an to of with for in on at my our their is was were are also plus".split()
)
FINISHED = re.compile(
    r"(that's (it|all|about it|my answer)|that is (it|all)|i think that covers it|that's pretty much it"
    r"|that's everything|i'm done|i am done)[.!]?$"
)
# Requests the agent must answer at once (repeat, clarify, wait).
REQUEST = re.compile(
    r"(can|could) you (repeat|say that again|rephrase)|what do you mean|sorry\?|pardon\?"
    r"|can i have a (moment|minute|second)|give me a (moment|minute|second)|are you (an ai|a robot|human)"
)


@dataclass(frozen=True)
class AnswerExpectation:
    """How long a complete answer to the current question usually is, in words."""

    min_words: int = 15
    max_words: int = 200


@dataclass(frozen=True)
class TurnOptions:
    """Endpointing delays the detector is meant to be used with, and its decision threshold."""

    min_delay_s: float = 0.3
    max_delay_s: float = 2.5
    threshold: float = 0.5


def current_user_text(chat_ctx: llm.ChatContext) -> str:
    """The candidate's words since the agent last spoke."""
    parts: list[str] = []
    for item in reversed(chat_ctx.items):
        if item.type != "message":
            continue
        if item.role == "assistant":
            break
        if item.role == "user" and item.text_content:
            parts.append(item.text_content)
    return " ".join(reversed(parts)).strip()


def end_of_turn_probability(text: str, expect: AnswerExpectation) -> float:
    """How likely the candidate has finished, from the text so far and the expected answer length."""
    cleaned = text.strip().lower()
    if not cleaned:
        return 0.0
    words = re.findall(r"[a-z0-9']+", cleaned)
    if REQUEST.search(cleaned) or FINISHED.search(cleaned):
        return 0.97
    if cleaned.endswith(("...", "…", ",", "-", ";", ":")) or (words and words[-1] in DANGLING):
        return 0.05
    punctuated = cleaned.endswith((".", "!", "?"))
    if cleaned.endswith("?"):
        return 0.9  # a question to the interviewer deserves a prompt answer
    base = 0.7 if punctuated else 0.35
    n = len(words)
    if n < expect.min_words:
        # Short of what the question needs: likely a pause to think. Stays below the threshold (at most
        # 0.49), so the session waits the long delay; the shortfall lowers it further.
        return base * (0.2 + 0.5 * n / max(1, expect.min_words))
    if n >= expect.max_words:
        return max(base, 0.9)
    return base + (0.95 - base) * 0.5 if punctuated else base


class InterviewTurnDetector:
    """A ``_TurnDetector`` for AgentSession; ``expectation`` reads the interview plan's current question."""

    def __init__(
        self, expectation: Callable[[], AnswerExpectation] | None = None, options: TurnOptions | None = None
    ) -> None:
        self._expectation = expectation or AnswerExpectation
        self.options = options or TurnOptions()

    @property
    def model(self) -> str:
        return "gaia-interview-turn"

    @property
    def provider(self) -> str:
        return "gaia"

    async def unlikely_threshold(self, language: LanguageCode | None) -> float | None:
        return self.options.threshold

    async def supports_language(self, language: LanguageCode | None) -> bool:
        return language is None or str(language).lower().startswith("en")

    async def predict_end_of_turn(self, chat_ctx: llm.ChatContext, *, timeout: float | None = None) -> float:
        return end_of_turn_probability(current_user_text(chat_ctx), self._expectation())
