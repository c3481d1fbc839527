"""The interview plan from a script, and its stored state: order, budgets, JSON round-trip, resume line."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.plan import QUESTION_STATUSES, InterviewPlan, PlanState, QuestionStatus
from prompts.builtin import builtin_script
from prompts.script import InterviewScript

SCRIPT = builtin_script()
PLAN = InterviewPlan.from_script(SCRIPT)


def test_plan_keeps_sections_and_questions_in_script_order() -> None:
    assert [s.id for s in PLAN.sections] == [s.id for s in SCRIPT.sections]
    assert PLAN.question_ids() == tuple(q.id for q in SCRIPT.questions())
    assert [q.index for q in PLAN.questions] == list(range(len(SCRIPT.questions())))
    firsts = [q.id for q in PLAN.questions if q.first_in_section]
    assert firsts == [s.questions[0].id for s in SCRIPT.sections]
    assert PLAN.questions[2].section_title == "Working with guidelines"


def test_plan_carries_budgets_rules_and_follow_up_limits() -> None:
    for planned, authored in zip(PLAN.questions, SCRIPT.questions(), strict=True):
        assert planned.time_budget_s == authored.time_budget_s
        assert planned.follow_ups == tuple(authored.follow_ups)
        assert planned.max_follow_ups == min(authored.max_follow_ups, len(authored.follow_ups))
        assert planned.clarification == authored.clarification
    assert PLAN.total_budget_s == SCRIPT.total_time_budget_s == 1800
    assert PLAN.opening == SCRIPT.opening and PLAN.closing == SCRIPT.closing


def test_max_follow_ups_is_capped_by_the_rules_there_are() -> None:
    data: dict[str, Any] = SCRIPT.model_dump()
    data["sections"] = [data["sections"][0]]
    data["sections"][0]["questions"][0]["max_follow_ups"] = 5  # two rules only
    plan = InterviewPlan.from_script(InterviewScript.model_validate(data))
    assert plan.questions[0].max_follow_ups == 2
    assert plan.max_turns() == (1 + 2) + (1 + 1)


def test_initial_state_has_every_question_pending_and_no_clock() -> None:
    state = PlanState.initial(PLAN)
    assert state.statuses == ("pending",) * len(PLAN)
    assert state.current == 0 and state.follow_ups_used == 0 and not state.started and not state.closed


def _mid_interview() -> PlanState:
    statuses: tuple[QuestionStatus, ...] = ("answered", "skipped", "timed_out", "asked", *(("pending",) * 6))
    return replace(
        PlanState.initial(PLAN),
        statuses=statuses,
        spent_s=(90.5, 20.25, 241.0, 12.125, *((0.0,) * 6)),
        current=3,
        total_spent_s=363.875,
        rules_fired=(0,),
        requests_used=1,
        silence_reprompts=1,
        waiting=True,
        clock_s=401.5,
    )


def test_state_round_trips_through_json_text() -> None:
    state = _mid_interview()
    stored = json.loads(json.dumps(state.to_json()))
    assert PlanState.from_json(stored, PLAN) == state


@given(
    st.lists(st.sampled_from(QUESTION_STATUSES), min_size=len(PLAN), max_size=len(PLAN)),
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=len(PLAN), max_size=len(PLAN)),
    st.integers(0, len(PLAN)),
    st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
    st.booleans(),
)
def test_any_state_round_trips_exactly(
    statuses: list[QuestionStatus], spent: list[float], current: int, clock: float | None, closed: bool
) -> None:
    state = replace(
        PlanState.initial(PLAN),
        statuses=tuple(statuses),
        spent_s=tuple(spent),
        total_spent_s=sum(spent),
        current=current,
        clock_s=clock,
        closed=closed,
    )
    assert PlanState.from_json(json.loads(json.dumps(state.to_json())), PLAN) == state


def test_state_of_another_script_version_is_refused_with_the_fix() -> None:
    stored = _mid_interview().to_json()
    stored["questions"] = stored["questions"][:-1]
    with pytest.raises(ValueError, match="resume with the script version the session started with"):
        PlanState.from_json(stored, PLAN)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 99}, r"plan_state.version: expected 1 \(got 99\)"),
        ({"current": 11}, r"plan_state.current: 11 is outside 0..10"),
        ({"closed": None, "waiting": None, "requests_used": None}, "missing or malformed field"),
    ],
)
def test_malformed_state_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    stored = {**_mid_interview().to_json(), **change}
    with pytest.raises(ValueError, match=message):
        PlanState.from_json(stored, PLAN)


def test_unknown_status_is_refused() -> None:
    stored = _mid_interview().to_json()
    stored["questions"][0]["status"] = "done"
    with pytest.raises(ValueError, match="unknown 'done'"):
        PlanState.from_json(stored)


def test_resume_line_names_the_question_number_and_repeats_it() -> None:
    state = _mid_interview()
    question = PLAN.questions[3]
    assert state.resume_line(PLAN) == f"Welcome back, we were on question 4 of 10: {question.prompt}"


def test_resume_line_of_a_finished_interview_is_the_closing() -> None:
    done = replace(_mid_interview(), current=len(PLAN), closed=True)
    assert done.resume_line(PLAN) == SCRIPT.closing
    assert done.question(PLAN) is None


def test_open_prompt_is_the_last_follow_up_asked_else_the_question() -> None:
    state = _mid_interview()
    question = PLAN.questions[3]
    assert state.open_prompt(PLAN) == question.follow_ups[0].text
    assert replace(state, rules_fired=()).open_prompt(PLAN) == question.prompt


def test_resumed_state_moves_only_the_clock() -> None:
    state = _mid_interview()
    assert state.resumed(3.0) == replace(state, clock_s=3.0)
    assert PlanState.initial(PLAN).resumed(3.0) == PlanState.initial(PLAN)  # not begun: nothing to re-anchor
