"""The scripted interviewer's step counting and the resume plan, without audio."""

from __future__ import annotations

from livekit.agents import llm

from agent.interviewer import last_step, resume_plan, script_lines, script_markers
from tests.agent.test_pipeline import SCRIPT

LINES, MARKERS = script_lines(SCRIPT), script_markers(SCRIPT)


def _ctx(*assistant: str) -> llm.ChatContext:
    ctx = llm.ChatContext.empty()
    for text in assistant:
        ctx.add_message(role="assistant", content=text)
        ctx.add_message(role="user", content="an answer")
    return ctx


def test_lines_open_with_the_greeting_and_end_with_the_closing() -> None:
    assert LINES == [
        "Hi, I'm GAIA. How do you handle unclear items?",
        "How do you stay consistent?",
        "Thank you, that is all.",
    ]
    assert MARKERS[0] in LINES[0]


def test_a_line_cut_off_before_its_question_does_not_count() -> None:
    assert last_step(_ctx(), MARKERS) == -1
    assert last_step(_ctx("Hi, I'm"), MARKERS) == -1
    assert last_step(_ctx(LINES[0]), MARKERS) == 0
    assert last_step(_ctx(LINES[0], "Welcome back. We were on question 2. How do you stay consistent?"), MARKERS) == 1


def test_resume_re_asks_an_unanswered_question() -> None:
    ctx, first = resume_plan([("agent", LINES[0]), ("candidate", "I flag it."), ("agent", LINES[1])], LINES, MARKERS)
    assert first == "Welcome back. We were on question 2. How do you stay consistent?"
    assert len(ctx.items) == 3


def test_resume_after_an_answer_lets_the_next_line_follow() -> None:
    _, first = resume_plan([("agent", LINES[0]), ("candidate", "I flag it.")], LINES, MARKERS)
    assert first is None
    _, fresh = resume_plan([], LINES, MARKERS)
    assert fresh is None
