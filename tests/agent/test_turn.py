"""The interview turn detector: thinking pauses keep the turn, finished answers release it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from livekit.agents import llm

from agent.turn import DANGLING, AnswerExpectation, InterviewTurnDetector, end_of_turn_probability

EXPECT = AnswerExpectation(min_words=15, max_words=150)
THRESHOLD = 0.5
FULL_ANSWER = (
    "I do not guess. I mark the item as unclear, post it in the project channel with the item id, "
    "and wait for the lead's answer before I label similar items."
)


@pytest.mark.parametrize(
    "text",
    ["I do not guess.", "I usually start by", "So the first thing, um", "Well, I mark it as unclear and", "Hmm..."],
)
def test_thinking_pauses_keep_the_turn(text: str) -> None:
    assert end_of_turn_probability(text, EXPECT) < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        FULL_ANSWER,
        "Can you repeat the question?",
        "Sorry, what do you mean by golden sets?",
        "That's it.",
        "Are you an AI?",
        "Can I have a moment to think?",
    ],
)
def test_finished_answers_and_requests_release_the_turn(text: str) -> None:
    assert end_of_turn_probability(text, EXPECT) >= THRESHOLD


def test_an_answer_short_of_the_expected_length_always_waits() -> None:
    for n in range(1, EXPECT.min_words):
        assert end_of_turn_probability(" ".join(["item"] * n) + ".", EXPECT) < THRESHOLD


def test_expected_length_comes_from_the_question() -> None:
    short_question = AnswerExpectation(min_words=2, max_words=20)
    assert end_of_turn_probability("Yes, twice a week.", short_question) >= THRESHOLD
    assert end_of_turn_probability("Yes, twice a week.", EXPECT) < THRESHOLD


words = st.lists(st.sampled_from("we check each item against guideline carefully".split()), min_size=1, max_size=40)


@given(words, st.sampled_from(sorted(DANGLING)))
def test_a_dangling_last_word_never_ends_the_turn(prefix: list[str], last: str) -> None:
    assert end_of_turn_probability(" ".join([*prefix, last]) + ".", EXPECT) <= 0.05


@given(words)
def test_more_words_never_make_a_punctuated_answer_less_finished(body: list[str]) -> None:
    shorter = end_of_turn_probability(" ".join(body[:-1] or body) + ".", EXPECT)
    longer = end_of_turn_probability(" ".join(body) + ".", EXPECT)
    assert longer >= shorter


async def test_detector_reads_only_the_candidates_words_since_the_agent_spoke() -> None:
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="assistant", content="Tell me about golden sets.")
    ctx.add_message(role="user", content=FULL_ANSWER)
    ctx.add_message(role="assistant", content="How do you stay consistent?")
    ctx.add_message(role="user", content="I take")
    detector = InterviewTurnDetector(lambda: EXPECT)
    assert await detector.predict_end_of_turn(ctx) < (await detector.unlikely_threshold(None) or 0)
    ctx.add_message(role="user", content="short breaks every hour and keep a decision log of tricky items.")
    assert await detector.predict_end_of_turn(ctx) < THRESHOLD  # 15 words not reached yet
    ctx.add_message(role="user", content="I also re-read my notes before each session so my labels match.")
    assert await detector.predict_end_of_turn(ctx) >= THRESHOLD
    assert await detector.supports_language(None) and not await detector.supports_language("de")  # type: ignore[arg-type]
