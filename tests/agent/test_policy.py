"""The deterministic interviewer's decisions, driven with typed answers (no audio) through the built-in script."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.guardrails import ai_answer
from agent.plan import InterviewPlan, PlanState
from agent.policy import (
    CLARIFY_FALLBACK,
    CUT,
    OUT_OF_TIME,
    SILENCE_MOVE_ON,
    THANKS,
    WAIT,
    Decision,
    PolicyOptions,
    begin,
    decide,
    lacks_concrete_example,
    look_for_coverage,
    on_silence,
    request_intent,
    says_dont_know,
    utterances,
)
from prompts.builtin import builtin_script

SCRIPT = builtin_script()
PLAN = InterviewPlan.from_script(SCRIPT)
Q = {q.id: q for q in PLAN.questions}
OPTIONS = PolicyOptions()

# Typed answers, as Whisper would punctuate them.
CONCRETE = (
    "On my last project I labeled about 400 product reviews a day in Label Studio for sentiment, and I kept a "
    "checklist of the edge cases from the guideline so I could check myself against it every morning."
)
VAGUE = (
    "I try to keep quality high and I tell my lead when I fall behind, because rushing only makes more mistakes "
    "and then everything has to be redone later anyway, which is worse for everyone."
)
OFF_TOPIC = (
    "I really enjoy working from home and I like to listen to music while I work, it keeps me calm and happy and "
    "I think a calm mind is the most important thing for any kind of job that you do every single day."
)
ON_TOPIC_RLHF = (
    "I would pick the plain one, because accuracy matters more than style. I would verify the suspicious detail "
    "with a quick search and in the justification I would point out exactly which detail looked invented and why."
)


@dataclass
class Interview:
    """A candidate on a fake clock: each turn starts ``gap_s`` after the agent's last line and lasts ``duration_s``."""

    state: PlanState = field(default_factory=lambda: PlanState.initial(PLAN))
    now: float = 0.0
    said: list[Decision] = field(default_factory=list)

    def begin(self) -> Decision:
        decision, self.state = begin(PLAN, self.state, self.now)
        self.said.append(decision)
        return decision

    def answer(self, text: str, duration_s: float = 20.0, gap_s: float = 5.0) -> Decision:
        self.now += gap_s + duration_s
        decision, self.state = decide(PLAN, self.state, text, duration_s, self.now, OPTIONS)
        self.said.append(decision)
        return decision

    def silence(self, silent_s: float) -> Decision | None:
        self.now += silent_s
        decision, self.state = on_silence(PLAN, self.state, silent_s, self.now, OPTIONS)
        if decision is not None:
            self.said.append(decision)
        return decision

    @property
    def question_id(self) -> str:
        question = self.state.question(PLAN)
        assert question is not None
        return question.id


def at(question_id: str) -> Interview:
    """An interview that has reached ``question_id`` with concrete, on-topic answers."""
    interview = Interview()
    interview.begin()
    while interview.question_id != question_id:
        interview.answer(CONCRETE + " I compare the items and discuss with my lead. " + ON_TOPIC_RLHF)
    interview.said.clear()
    return interview


# --- the opening ------------------------------------------------------------------------------------------


def test_opening_is_the_scripts_opening_then_the_first_question() -> None:
    interview = Interview()
    decision = interview.begin()
    assert decision == Decision(
        "next_question", f"{SCRIPT.opening} {Q['experience'].prompt}", "experience", None, "opening"
    )
    assert interview.state.statuses[0] == "asked" and interview.state.clock_s == 0.0


def test_decide_before_the_opening_is_refused() -> None:
    with pytest.raises(ValueError, match=r"call agent.policy.begin\(\) for the opening line first"):
        decide(PLAN, PlanState.initial(PLAN), "hello", 1.0, 1.0)


# --- follow-up rules --------------------------------------------------------------------------------------


def test_too_short_fires_below_the_rules_word_count() -> None:
    decision = at("experience").answer("I labeled images for a year.")
    assert (decision.kind, decision.rule, decision.text) == (
        "ask_follow_up",
        "too_short",
        Q["experience"].follow_ups[0].text,
    )


def test_too_short_does_not_fire_on_a_full_answer() -> None:
    decision = at("experience").answer(CONCRETE)
    assert (decision.kind, decision.question_id) == ("next_question", "tools-throughput")


def test_dont_know_comes_before_too_short() -> None:
    decision = at("experience").answer("Honestly, I don't know.")
    assert (decision.rule, decision.text) == ("dont_know", Q["experience"].follow_ups[1].text)


def test_no_concrete_example_fires_on_a_vague_answer_only() -> None:
    assert at("tools-throughput").answer(VAGUE).rule == "no_concrete_example"
    assert at("tools-throughput").answer(VAGUE + " I aim for 60 items an hour.").kind == "next_question"


def test_off_topic_fires_below_look_for_coverage_only() -> None:
    assert at("inter-annotator-agreement").answer(OFF_TOPIC).rule == "off_topic"
    on_topic = OFF_TOPIC + " First I would compare the items side by side with my colleague."
    assert at("inter-annotator-agreement").answer(on_topic).kind == "next_question"


def test_a_question_without_the_rule_never_asks_it() -> None:
    # golden-sets has only no_concrete_example: a short concrete answer moves on.
    assert at("golden-sets").answer("I missed 2 in Labelbox.").kind == "next_question"


def test_max_follow_ups_is_respected_and_each_rule_fires_once() -> None:
    interview = at("guideline-adherence")  # max 2: too_short, no_concrete_example
    assert interview.answer("I read it.").rule == "too_short"
    assert interview.answer("I read it carefully.").rule == "no_concrete_example"
    assert interview.answer("I read it.").kind == "next_question"
    assert interview.state.statuses[PLAN.question_ids().index("guideline-adherence")] == "answered"

    interview = at("experience")  # max 1
    assert interview.answer("I don't know.").rule == "dont_know"
    assert interview.answer("No idea.").kind == "next_question"


def test_no_follow_up_once_the_question_is_over_its_budget() -> None:
    budget = Q["consistency"].time_budget_s
    decision = at("consistency").answer(VAGUE, duration_s=budget + 1)
    assert decision.kind == "next_question" and decision.text.startswith(THANKS)


# --- rule checks on text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I aim for 300 items a day.",
        "About three hundred items.",
        "I use Label Studio hotkeys.",
        "I keep a cheat sheet next to me.",
        "For example, when the guideline changed I reread it.",
        "We posted it in the Discord channel.",
        "I check the QA report.",
    ],
)
def test_concrete_answers_are_recognized(text: str) -> None:
    assert not lacks_concrete_example(text)


@pytest.mark.parametrize(
    "text",
    [
        "I try to be careful and I ask when I am unsure.",
        "Quality first. I don't rush. I'm careful.",
        "OK so I just work hard and I focus.",
        "",
    ],
)
def test_vague_answers_lack_a_concrete_example(text: str) -> None:
    assert lacks_concrete_example(text)


def test_coverage_is_weighted_and_tolerates_inflections() -> None:
    look_fors = Q["ambiguity-escalation"].look_fors  # weights 1.0, 1.5, 1.0
    assert look_for_coverage("I flagged it.", look_fors) == pytest.approx(1.5 / 3.5)
    assert look_for_coverage("Nothing relevant.", look_fors) == 0.0
    assert look_for_coverage("anything", ()) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't know.", True),
        ("Um, I'm not sure.", True),
        ("No idea, honestly.", True),
        ("I dunno", True),
        ("I'd flag it if I'm not sure.", False),  # the phrase does not open the answer
        ("I don't know exactly how many, but I labeled around five hundred images a day in Label Studio.", False),
    ],
)
def test_dont_know_variants(text: str, expected: bool) -> None:
    assert says_dont_know(text) is expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Can you repeat that?", "repeat"),
        ("could you please repeat the question", "repeat"),
        ("Sorry, could you say that again?", "repeat"),
        ("Sorry?", "repeat"),
        ("Pardon?", "repeat"),
        ("I didn't catch that.", "repeat"),
        ("What was the question?", "repeat"),
        ("What do you mean?", "clarify"),
        ("Sorry, what do you mean by gold items?", "clarify"),
        ("I don't understand the question.", "clarify"),
        ("Could you rephrase that?", "clarify"),
        ("Can I have a moment?", "wait"),
        ("Give me a second.", "wait"),
        ("Hmm, let me think for a second.", "wait"),
        ("Hold on.", "wait"),
        ("Are you an AI?", "ai"),
        ("Am I talking to a real person?", "ai"),
        ("Is this a bot?", "ai"),
        ("", "unheard"),
        ("  ", "unheard"),
        ("Let me think. I'd flag it and ask the project lead right away.", None),
        ("I'd clarify the guideline with the lead.", None),
        ("I repeat the check at the end of the day.", None),
        (VAGUE + " What do you mean is a question I ask the lead.", None),  # too long to be a request
    ],
)
def test_requests_are_recognized_across_punctuation_and_case(text: str, intent: str | None) -> None:
    assert request_intent(text) == intent
    assert request_intent(text.upper()) == intent
    assert request_intent(text.rstrip("?.") + "...") == intent


# --- requests ---------------------------------------------------------------------------------------------


def test_repeat_says_the_question_again_verbatim_without_advancing() -> None:
    interview = at("golden-sets")
    before = interview.state
    decision = interview.answer("Could you repeat that?")
    assert decision.kind == "repeat_question" and Q["golden-sets"].prompt in decision.text
    assert interview.state.current == before.current and interview.state.follow_ups_used == 0
    assert interview.state.statuses == before.statuses


def test_repeat_after_a_follow_up_repeats_the_follow_up() -> None:
    interview = at("experience")
    interview.answer("I don't know.")
    assert Q["experience"].follow_ups[1].text in interview.answer("Can you repeat that?").text


def test_clarify_uses_the_scripts_clarification() -> None:
    decision = at("consistency").answer("What do you mean?")
    assert (decision.kind, decision.text) == ("clarify", Q["consistency"].clarification)


def test_clarify_after_a_follow_up_uses_the_documented_fallback() -> None:
    interview = at("tools-throughput")
    interview.answer(VAGUE)
    follow_up = Q["tools-throughput"].follow_ups[0].text
    assert interview.answer("What do you mean?").text == CLARIFY_FALLBACK.format(prompt=follow_up)


def test_wait_gives_time_and_silence_gets_more_room_after_it() -> None:
    interview = at("guideline-disagreement")
    assert interview.answer("Can I have a moment?") == Decision("wait", WAIT, "guideline-disagreement", None, "wait")
    assert interview.silence(OPTIONS.silence_s + 1) is None  # asked for a moment: no reprompt yet
    reprompt = interview.silence(OPTIONS.moment_s)
    assert reprompt is not None and reprompt.kind == "reprompt"


def test_are_you_an_ai_is_answered_honestly_and_the_question_kept() -> None:
    decision = at("rlhf-preference").answer("Wait, are you an A.I.?")
    assert decision.kind == "answer_ai"
    assert decision.text.startswith(ai_answer()) and decision.text.endswith(Q["rlhf-preference"].prompt)


def test_nothing_heard_asks_again() -> None:
    decision = at("consistency").answer("")
    assert decision.kind == "repeat_question" and decision.text.startswith("Sorry, I didn't catch that.")


def test_requests_per_question_are_capped_then_count_as_answers() -> None:
    interview = at("guideline-disagreement")
    for _ in range(OPTIONS.max_requests):
        assert interview.answer("Can you repeat that?").kind == "repeat_question"
    assert interview.answer("Can you repeat that?").rule == "too_short"  # now judged as a (short) answer


# --- silence and time -------------------------------------------------------------------------------------


def test_silence_reprompts_once_then_moves_on() -> None:
    interview = at("golden-sets")
    assert interview.silence(OPTIONS.silence_s - 1) is None
    first = interview.silence(OPTIONS.silence_s)
    assert first is not None and first.kind == "reprompt" and Q["golden-sets"].prompt in first.text
    second = interview.silence(OPTIONS.silence_s)
    assert second is not None and second.kind == "next_question" and second.question_id == "inter-annotator-agreement"
    assert second.text.startswith(SILENCE_MOVE_ON)
    assert interview.state.statuses[PLAN.question_ids().index("golden-sets")] == "skipped"


def test_an_answer_between_silences_resets_the_count() -> None:
    interview = at("golden-sets")
    interview.silence(OPTIONS.silence_s)
    interview.answer("Could you repeat that?")
    decision = interview.silence(OPTIONS.silence_s)
    assert decision is not None and decision.kind == "reprompt"


def test_silence_after_a_follow_up_keeps_the_question_answered() -> None:
    interview = at("consistency")
    interview.answer(VAGUE)
    interview.silence(OPTIONS.silence_s)
    interview.silence(OPTIONS.silence_s)
    assert interview.state.statuses[PLAN.question_ids().index("consistency")] == "answered"


def test_an_answer_far_over_budget_is_cut_politely() -> None:
    budget = Q["consistency"].time_budget_s
    interview = at("consistency")
    decision = interview.answer(VAGUE, duration_s=budget * OPTIONS.cut_factor)
    assert decision.kind == "next_question" and decision.text.startswith(CUT)
    assert interview.state.statuses[PLAN.question_ids().index("consistency")] == "timed_out"


def test_total_budget_exhausted_closes_and_leaves_the_rest_pending() -> None:
    interview = at("tools-throughput")
    decision = interview.answer(CONCRETE, duration_s=10, gap_s=PLAN.total_budget_s)
    assert decision.kind == "close" and decision.text == f"{OUT_OF_TIME} {SCRIPT.closing}"
    assert interview.state.closed and interview.state.statuses[2:] == ("pending",) * (len(PLAN) - 2)


def test_time_away_after_a_resume_is_not_charged() -> None:
    interview = at("golden-sets")
    spent = interview.state.spent_s
    stored = PlanState.from_json(json.loads(json.dumps(interview.state.to_json())), PLAN)
    _, state = begin(PLAN, stored, now_s=3.0)  # a new process: the session clock starts over
    _, state = decide(PLAN, state, "Could you repeat that?", 2.0, 8.0, OPTIONS)
    index = PLAN.question_ids().index("golden-sets")
    assert state.spent_s[index] == spent[index] + 5.0


# --- closing ----------------------------------------------------------------------------------------------


def test_last_answer_closes_and_later_turns_keep_it_closed() -> None:
    interview = at("red-team-reporting")
    decision = interview.answer(CONCRETE + " I would report it to the safety team with the exact prompt.")
    assert decision == Decision("close", SCRIPT.closing, None, None, "answer")
    assert interview.answer("Hello?").kind == "close"
    assert interview.silence(60) is None


# --- a whole interview ------------------------------------------------------------------------------------


def run_whole_interview(interview: Interview) -> list[tuple[str, str | None, str | None]]:
    """The built-in interview with every behaviour in it; returns (kind, rule, question) per agent line."""
    interview.begin()
    interview.answer("I don't know.")  # experience: dont_know
    interview.answer("Can you repeat that?")
    interview.answer(CONCRETE)
    interview.answer(VAGUE)  # tools-throughput: no_concrete_example
    interview.answer("I aimed for 400 items a day and used hotkeys in Label Studio.")
    interview.answer("What do you mean?")  # guideline-adherence: clarification
    interview.answer("I read it.")  # too_short
    interview.answer("I read it carefully.")  # no_concrete_example
    interview.answer("I read it.")  # max follow-ups reached: next question
    interview.answer(CONCRETE + " If the guideline does not cover an item I flag it and ask the project lead.")
    interview.answer("Can I have a moment?")  # guideline-disagreement: wait
    interview.silence(10)  # still within the moment
    interview.silence(OPTIONS.moment_s)  # reprompt
    interview.answer(VAGUE + " I still follow the rule until it changes and send examples to the lead.")
    interview.silence(OPTIONS.silence_s)  # golden-sets: reprompt
    interview.silence(OPTIONS.silence_s)  # skipped
    interview.answer(OFF_TOPIC)  # inter-annotator-agreement: off_topic
    interview.answer("We compare the items.")  # too_short
    interview.answer("Then we discuss.")  # max follow-ups reached
    interview.answer(VAGUE, duration_s=Q["consistency"].time_budget_s * 2)  # consistency: cut
    interview.answer("Are you an AI?")  # rlhf-preference
    interview.answer(ON_TOPIC_RLHF)
    interview.answer("I would report it.")  # red-team-reporting: no_concrete_example
    interview.answer("First line: the exact prompt, then a screenshot, then severity 4 of 5.")
    return [(d.kind, d.rule, d.question_id) for d in interview.said]


WHOLE = [
    ("next_question", None, "experience"),
    ("ask_follow_up", "dont_know", "experience"),
    ("repeat_question", None, "experience"),
    ("next_question", None, "tools-throughput"),
    ("ask_follow_up", "no_concrete_example", "tools-throughput"),
    ("next_question", None, "guideline-adherence"),
    ("clarify", None, "guideline-adherence"),
    ("ask_follow_up", "too_short", "guideline-adherence"),
    ("ask_follow_up", "no_concrete_example", "guideline-adherence"),
    ("next_question", None, "ambiguity-escalation"),
    ("next_question", None, "guideline-disagreement"),
    ("wait", None, "guideline-disagreement"),
    ("reprompt", None, "guideline-disagreement"),
    ("next_question", None, "golden-sets"),
    ("reprompt", None, "golden-sets"),
    ("next_question", None, "inter-annotator-agreement"),
    ("ask_follow_up", "off_topic", "inter-annotator-agreement"),
    ("ask_follow_up", "too_short", "inter-annotator-agreement"),
    ("next_question", None, "consistency"),
    ("next_question", None, "rlhf-preference"),
    ("answer_ai", None, "rlhf-preference"),
    ("next_question", None, "red-team-reporting"),
    ("ask_follow_up", "no_concrete_example", "red-team-reporting"),
    ("close", None, None),
]


def test_whole_builtin_interview_follows_the_script() -> None:
    interview = Interview()
    assert run_whole_interview(interview) == WHOLE
    assert interview.state.closed
    assert interview.state.statuses == (
        "answered", "answered", "answered", "answered", "answered",
        "skipped", "answered", "timed_out", "answered", "answered",
    )  # fmt: skip
    assert interview.state.total_spent_s == pytest.approx(sum(interview.state.spent_s))
    section_intro = next(d.text for d in interview.said if d.question_id == "guideline-adherence")
    assert "Now, a few questions about working with guidelines." in section_intro


class RoundTripping(Interview):
    """The same candidate, but the state goes through the database's JSON before every call."""

    def _reload(self) -> None:
        self.state = PlanState.from_json(json.loads(json.dumps(self.state.to_json())), PLAN)

    def answer(self, text: str, duration_s: float = 20.0, gap_s: float = 5.0) -> Decision:
        self._reload()
        return super().answer(text, duration_s, gap_s)

    def silence(self, silent_s: float) -> Decision | None:
        self._reload()
        return super().silence(silent_s)


def test_resuming_from_stored_json_gives_the_same_decisions() -> None:
    plain, stored = Interview(), RoundTripping()
    assert run_whole_interview(stored) == run_whole_interview(plain)
    assert stored.said == plain.said and stored.state == plain.state


def test_reconnect_mid_interview_resumes_at_the_stored_question() -> None:
    interview = at("golden-sets")
    interview.answer("Could you repeat that?")
    stored = PlanState.from_json(json.loads(json.dumps(interview.state.to_json())), PLAN)
    decision, state = begin(PLAN, stored, now_s=0.0)
    assert decision.kind == "repeat_question"
    assert decision.text == f"Welcome back, we were on question 6 of 10: {Q['golden-sets'].prompt}"
    assert state.current == interview.state.current and state.statuses == interview.state.statuses
    again, _ = decide(PLAN, state, VAGUE, 20.0, 25.0, OPTIONS)
    assert again.rule == "no_concrete_example"


def test_decide_is_a_pure_function_of_its_inputs() -> None:
    interview = at("inter-annotator-agreement")
    state = interview.state
    first = decide(PLAN, state, OFF_TOPIC, 20.0, interview.now + 25.0, OPTIONS)
    second = decide(PLAN, state, OFF_TOPIC, 20.0, interview.now + 25.0, OPTIONS)
    assert first == second and interview.state is state  # a discarded speculative call changes nothing


# --- every line, and any sequence -------------------------------------------------------------------------

ALL_LINES = set(utterances(PLAN))


def test_every_line_of_the_whole_interview_is_a_known_utterance() -> None:
    interview = Interview()
    run_whole_interview(interview)
    assert {d.text for d in interview.said} <= ALL_LINES


ANSWERS = [
    CONCRETE, VAGUE, OFF_TOPIC, ON_TOPIC_RLHF, "I don't know.", "I read it.", "Yes.", "I would flag it and escalate.",
    "Can you repeat that?", "What do you mean?", "Can I have a moment?", "Are you an AI?", "",
]  # fmt: skip
REQUESTS = {"Can you repeat that?", "What do you mean?", "Can I have a moment?", "Are you an AI?", ""}

turn = st.tuples(st.just("turn"), st.sampled_from(ANSWERS), st.floats(0.5, 120), st.floats(0, 30))
silence = st.tuples(
    st.just("silence"), st.just(""), st.sampled_from([3.0, OPTIONS.silence_s, OPTIONS.moment_s]), st.just(0.0)
)


def drive(events: list[tuple[str, str, float, float]], round_trip: bool) -> tuple[list[Decision], int, int, PlanState]:
    """Feed events until the interview closes; returns lines said, candidate turns, silence lines, final state."""
    state, now = begin(PLAN, PlanState.initial(PLAN), 0.0)[1], 0.0
    said: list[Decision] = []
    turns = silences = 0
    last_index, left = 0, dict[int, str]()
    for kind, text, amount, gap in events:
        if state.closed:
            break
        if round_trip:
            state = PlanState.from_json(json.loads(json.dumps(state.to_json())), PLAN)
        decision: Decision | None
        if kind == "turn":
            now += gap + amount
            decision, state = decide(PLAN, state, text, amount, now, OPTIONS)
            turns += 1
        else:
            now += amount
            decision, state = on_silence(PLAN, state, amount, now, OPTIONS)
            silences += decision is not None
        if decision is not None:
            said.append(decision)
        # Never back to an earlier question, and a question left behind keeps the status it was left with.
        assert state.current >= last_index
        for i in range(last_index, state.current):
            left[i] = state.statuses[i]
            assert left[i] in ("answered", "skipped", "timed_out") or (state.closed and i > last_index)
        assert all(state.statuses[i] == status for i, status in left.items())
        last_index = state.current
    return said, turns, silences, state


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(turn, silence), max_size=60), st.data())
def test_any_sequence_closes_within_the_bound_and_never_goes_back(
    prefix: list[tuple[str, str, float, float]], data: st.DataObject
) -> None:
    requests_bound = len(PLAN) * OPTIONS.max_requests
    bound = PLAN.max_turns() + requests_bound
    tail = data.draw(st.lists(turn, min_size=bound, max_size=bound))
    said, turns, silences, state = drive([*prefix, *tail], round_trip=False)
    assert state.closed and said[-1].kind == "close"
    assert turns <= bound  # per question: 1 + its follow-ups + the requests allowed; silences aside
    assert len(said) <= turns + silences
    assert {d.text for d in said} <= ALL_LINES
    assert drive([*prefix, *tail], round_trip=True)[0] == said


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_answers_alone_close_within_questions_times_one_plus_follow_ups(data: st.DataObject) -> None:
    answers = [a for a in ANSWERS if a not in REQUESTS]
    bound = PLAN.max_turns()
    assert bound <= len(PLAN) * (1 + max(q.max_follow_ups for q in PLAN.questions))
    events = data.draw(
        st.lists(
            st.tuples(st.just("turn"), st.sampled_from(answers), st.floats(0.5, 60), st.floats(0, 10)),
            min_size=bound,
            max_size=bound,
        )
    )
    said, turns, _, state = drive(events, round_trip=False)
    assert state.closed and turns <= bound
    assert sum(d.kind == "ask_follow_up" for d in said) <= sum(q.max_follow_ups for q in PLAN.questions)


def test_silences_alone_close_after_two_per_question() -> None:
    state = begin(PLAN, PlanState.initial(PLAN), 0.0)[1]
    kinds: list[str] = []
    now = 0.0
    while not state.closed:
        now += OPTIONS.silence_s
        decision, state = on_silence(PLAN, state, OPTIONS.silence_s, now, OPTIONS)
        assert decision is not None
        kinds.append(decision.kind)
    assert kinds == ["reprompt", "next_question"] * (len(PLAN) - 1) + ["reprompt", "close"]
    assert state.statuses == ("skipped",) * len(PLAN)


def test_options_change_the_silence_and_cut_thresholds() -> None:
    quick = PolicyOptions(silence_s=2.0, cut_factor=1.0)
    interview = at("consistency")
    decision, _ = on_silence(PLAN, interview.state, 2.0, interview.now + 2.0, quick)
    assert decision is not None and decision.kind == "reprompt"
    budget = Q["consistency"].time_budget_s
    cut, _ = decide(PLAN, interview.state, VAGUE, budget, interview.now + budget, quick)
    assert cut.text.startswith(CUT)


def test_state_after_close_is_marked_closed_with_nothing_open() -> None:
    interview = at("red-team-reporting")
    interview.answer(CONCRETE)
    assert replace(interview.state).question(PLAN) is None and interview.state.current == len(PLAN)
