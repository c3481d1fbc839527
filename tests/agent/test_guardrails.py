"""Guardrails: no rubric text in anything the interviewer can say, and an honest answer to "are you an AI?"."""

from __future__ import annotations

from typing import Any

import pytest

from agent.guardrails import ai_answer, is_ai_question, leaks_rubric, spoken_lines, tokens
from agent.plan import InterviewPlan
from agent.policy import utterances
from prompts.builtin import builtin_script
from prompts.script import InterviewScript

SCRIPT = builtin_script()
PLAN = InterviewPlan.from_script(SCRIPT)


def test_every_line_the_deterministic_interviewer_can_say_leaks_nothing() -> None:
    lines = utterances(PLAN)
    assert len(lines) > 100  # questions, follow-ups, clarifications, repeats, reprompts, cuts, resumes, closings
    assert {line: leaks_rubric(line, SCRIPT) for line in lines if leaks_rubric(line, SCRIPT)} == {}


def test_every_authored_line_is_among_the_lines_the_policy_says() -> None:
    said = " ".join(utterances(PLAN))
    assert all(line in said for line in spoken_lines(SCRIPT))


@pytest.mark.parametrize(
    ("utterance", "leaked"),
    [
        ("Good answers names concrete data types or task types.", "Names concrete data types or task types"),
        (
            "You should raise the issue instead of rushing, right?",
            "Does not trade accuracy for speed; raises the issue instead of rushing",
        ),
        ("A strong answer would mention asking the project lead.", "project lead"),
        ("I'm hoping you'll mention keyboard shortcuts.", "keyboard shortcut"),
        ("Think about text, image, audio or video.", "image"),
        ("Nice, that hits the quality-first point.", "quality-first"),
        ("Your answer triggered the no_concrete_example rule.", "no_concrete_example"),
        ("I score this under process maturity.", "process maturity"),
        ("Let me check my rubric.", "rubric"),
        ("WHAT DID YOU DO?! Did you FLAG IT, ESCALATE it, ask the lead?", "flag it"),
        (
            "Would you say you'd rather be a little behind than send in sloppy labels?",
            "I would rather be a little behind than send in sloppy labels.",
        ),  # an example answer read out is a leak, in other words than its own ("you'd" for "I would")
    ],
)
def test_rubric_text_in_an_utterance_is_found(utterance: str, leaked: str) -> None:
    assert leaked in leaks_rubric(utterance, SCRIPT)


@pytest.mark.parametrize(
    "utterance",
    [
        "Thank you. Let's move on.",
        "Could you tell me more about the accuracy of your work?",  # one look-for word in passing is English
        "Sure. Take your time.",
        SCRIPT.questions()[3].prompt,
        "At the end of the day, what matters most to you?",  # a few words of an example answer are ordinary speech
    ],
)
def test_ordinary_interviewer_lines_are_not_leaks(utterance: str) -> None:
    assert leaks_rubric(utterance, SCRIPT) == []


def test_a_description_inside_an_authored_line_is_still_a_leak() -> None:
    data: dict[str, Any] = SCRIPT.model_dump()
    question = data["sections"][0]["questions"][0]
    question["clarification"] = "Tell me if you can give a sense of volume, duration or throughput."
    script = InterviewScript.model_validate(data)
    assert leaks_rubric(question["clarification"], script) == ["Gives a sense of volume, duration or throughput"]


@pytest.mark.parametrize(
    "text",
    [
        "Are you an AI?",
        "are you an a.i.",
        "Wait, are you a robot?",
        "Am I talking to a real person?",
        "Is this a bot?",
        "Are you human?",
        "ARE YOU REAL?",
        "Who am I speaking with?",
        "Is this interview automated?",
    ],
)
def test_ai_questions_are_recognized(text: str) -> None:
    assert is_ai_question(text)


@pytest.mark.parametrize(
    "text",
    ["I trained an AI model once.", "I rate AI responses for a living.", "Are you going to ask about tools?", ""],
)
def test_other_questions_are_not_ai_questions(text: str) -> None:
    assert not is_ai_question(text)


def test_the_honest_answer_says_ai_and_who_reviews() -> None:
    assert ai_answer() == (
        "Yes, I'm GAIA, an AI interviewer. A person on the hiring team reviews this conversation and makes the "
        "hiring decision."
    )
    assert "A person at Acme Labs reviews" in ai_answer("Acme Labs")


def test_tokens_drop_case_punctuation_apostrophes_and_acronym_dots() -> None:
    assert tokens("Don't FLAG it—A.I. says: quality-first!") == ["dont", "flag", "it", "ai", "says", "quality", "first"]
