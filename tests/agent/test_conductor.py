"""The conductor between the policy and the live session, on transcripts alone: proposals advance nothing until the
line is said in full, so preemptive (speculative) replies and lines cut off by the candidate change nothing."""

from __future__ import annotations

from agent.conductor import Conductor
from agent.plan import InterviewPlan, PlanState
from agent.policy import PolicyOptions
from prompts.builtin import builtin_script
from tests.agent.test_pipeline import SCRIPT

PLAN = InterviewPlan.from_script(SCRIPT)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _started(clock: Clock | None = None) -> Conductor:
    conductor = Conductor(PLAN, clock=clock or Clock())
    assert conductor.commit(conductor.opening().text) is not None
    return conductor


def test_the_opening_counts_only_once_it_was_said_in_full() -> None:
    conductor = Conductor(PLAN, clock=Clock())
    opening = conductor.opening()
    assert opening.text == "Hi, I'm GAIA. How do you handle unclear items?"
    assert conductor.commit("Hi, I'm GAIA. How do") is None  # cut off by the candidate
    assert not conductor.state.started
    # The candidate's turn after a cut-off opening gets the opening again, not a reply.
    assert conductor.reply("hello?").text == opening.text
    assert conductor.commit(opening.text.upper() + "  ") is not None  # case and spacing do not matter
    assert conductor.state.started and conductor.question_number() == 1 and conductor.question_id() == "q1"


def test_a_speculative_reply_that_is_never_said_changes_nothing() -> None:
    conductor = _started()
    before = conductor.state
    speculative = conductor.reply("I flag")  # preemptive generation on a partial transcript
    assert speculative.kind == "next_question"
    assert conductor.state == before
    final = conductor.reply("I flag the item and ask the lead, then note the decision in our log.")
    assert conductor.commit(final.text) == final
    assert conductor.question_id() == "q2" and conductor.state.statuses[0] == "answered"
    # Proposals made from the state that is now behind are dropped with it.
    assert conductor.commit(speculative.text) is None


def test_the_closing_line_closes_the_plan_and_nothing_follows() -> None:
    conductor = _started()
    for answer in ("I flag unclear items.", "I keep a checklist."):
        assert conductor.commit(conductor.reply(answer).text) is not None
    assert conductor.closed and conductor.question_number() is None
    assert conductor.state.statuses == ("answered", "answered")


def test_follow_up_rules_fire_through_the_conductor_on_the_built_in_script() -> None:
    plan = InterviewPlan.from_script(builtin_script())
    conductor = Conductor(plan, clock=Clock())
    conductor.commit(conductor.opening().text)
    follow_up = conductor.reply("I would ask.")
    assert follow_up.kind == "ask_follow_up"
    conductor.commit(follow_up.text)
    assert conductor.question_number() == 1 and conductor.state.follow_ups_used == 1
    # A follow-up halves what the turn detector waits for: it asks for one detail, not a whole answer.
    first = plan.questions[0].expected_length
    assert conductor.expectation().min_words == max(1, first.min_words // 2)


def test_silence_reprompts_then_moves_on() -> None:
    clock = Clock()
    conductor = _started(clock)
    assert conductor.silence(3.0) is None
    reprompt = conductor.silence(PolicyOptions().silence_s)
    assert reprompt is not None and reprompt.kind == "reprompt"
    conductor.commit(reprompt.text)
    clock.t += 9
    move_on = conductor.silence(PolicyOptions().silence_s)
    assert move_on is not None and move_on.kind == "next_question" and move_on.reason == "silence"
    conductor.commit(move_on.text)
    assert conductor.state.statuses[0] == "skipped" and conductor.question_id() == "q2"


def test_a_stored_state_resumes_at_the_question_with_its_number() -> None:
    conductor = _started()
    conductor.commit(conductor.reply("I flag unclear items and ask the lead.").text)
    stored = conductor.state.to_json()

    resumed = Conductor(PLAN, PlanState.from_json(stored, PLAN), clock=Clock())
    line = resumed.opening()
    assert line.kind == "repeat_question"
    assert line.text == "Welcome back, we were on question 2 of 2: How do you stay consistent?"
    resumed.commit(line.text)
    assert resumed.state.statuses == ("answered", "asked") and resumed.question_id() == "q2"


def test_far_over_time_any_pause_ends_the_turn() -> None:
    clock = Clock()
    conductor = _started(clock)
    assert conductor.expectation().min_words > 0
    clock.t += PLAN.questions[0].time_budget_s * PolicyOptions().cut_factor + 1
    assert conductor.expectation().min_words == 0
    cut = conductor.reply("and then I also, you know, keep going")
    assert cut.kind == "next_question" and cut.reason == "time_cut"
