"""The deterministic interviewer's decisions, as data: what to say after a committed turn or a silence.

Every function here is pure: it takes the plan, the stored ``PlanState`` and what happened, and returns a
``Decision`` with the next state. The live session (``agent.conductor``) keeps a decision's state aside and
adopts it only once its line has been said in full, so livekit's preemptive (speculative) generation can
never move the interview forward; replaying the same inputs from a stored state gives the same decision.
An answer that runs far over time is cut at its next pause: the turn detector then expects no more words
(``Conductor.expectation``) and ``decide`` cuts; talking over a candidate who is still speaking would only
be taken as a barge-in.

Order of checks for a turn (``decide``): the interview is over → close; total time used up → close; the
question far over its budget → cut politely and move on; a request (clarify, repeat, a moment, "are you
an AI?", or nothing heard) → answer it without advancing, at most ``max_requests`` times per question; a
follow-up rule that fires and has not fired on this question, while follow-ups and the question's time
last → ask its text; otherwise → thank and ask the next question (or close after the last).

Rule checks, on the text of the turn alone:
- ``too_short``: fewer than ``max_words`` words.
- ``no_concrete_example``: ``lacks_concrete_example`` — no digit, no number word, no term of
  ``CONCRETE_TERMS`` (tools, metrics, named processes, example markers), no name (a capitalized word that
  does not start a sentence, other than "I"/"OK"), no acronym (two or more capitals, e.g. "QA").
- ``off_topic``: weighted look-for coverage below ``min_coverage``, counted like ``scoring.interview``
  counts it (a look-for is met when one of its phrases is said; the phrase's last word may carry a short
  inflection, "flag" → "flagged") so the follow-up and the score agree. A question without look-fors is
  never off-topic.
- ``dont_know``: a phrase of ``DONT_KNOW`` in an answer of at most ``dont_know_max_words`` words (a long
  answer that says "I don't know exactly how many" is an answer). It is checked before the other rules
  because an "I don't know" is also short and off-topic, and its follow-up text is written for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from agent.guardrails import PHRASE_MAX_SUFFIX, ai_answer, find_phrase, is_ai_question, normalized, tokens
from agent.plan import InterviewPlan, PlannedQuestion, PlanState, QuestionStatus
from prompts.script import DontKnowRule, FollowUpRule, LookFor, NoConcreteExampleRule, OffTopicRule, TooShortRule

DecisionKind = Literal[
    "next_question", "ask_follow_up", "repeat_question", "clarify", "wait", "reprompt", "answer_ai", "close"
]
Request = Literal["clarify", "repeat", "wait", "ai", "unheard"]


@dataclass(frozen=True)
class Decision:
    """What the interviewer says next, and why; ``question_id`` is the question the line belongs to."""

    kind: DecisionKind
    text: str
    question_id: str | None = None
    rule: str | None = None  # the follow-up rule's tag, for ask_follow_up
    reason: str = ""  # for the session log: answer, rule, request, silence, time_cut, total_time, resume …


@dataclass(frozen=True)
class PolicyOptions:
    """The deterministic interviewer's timings and limits; defaults suit the built-in script."""

    silence_s: float = 8.0  # silence before a reprompt, and again before moving on
    moment_s: float = 20.0  # silence allowed after the candidate asked for a moment
    cut_factor: float = 1.5  # an answer is cut once its question has run this many times its budget
    max_requests: int = 3  # repeat/clarify/wait/AI answers per question before a request counts as an answer
    request_max_words: int = 20  # a longer turn is an answer even if it contains "what do you mean"
    dont_know_max_words: int = 15


# Lines of the interviewer's own (not the script's). They are checked by ``leaks_rubric`` in the tests.
WAIT = "Of course, take your time."
THANKS = "Thank you."
CUT = "Thank you, that's helpful. In the interest of time, let's move on."
CUT_LAST = "Thank you, that's helpful. In the interest of time, we'll stop there."
SILENCE_MOVE_ON = "That's alright, let's move on."
SILENCE_LAST = "That's alright."
OUT_OF_TIME = "We've reached the end of our time."
REPROMPT = "Take your time. Here's the question again: {prompt}"
REPEAT = "Sure. {prompt}"
UNHEARD = "Sorry, I didn't catch that. {prompt}"
AI_BACK = "{answer} Back to the question: {prompt}"
SECTION = "Now, a few questions about {title}."
# The schema's clarification is optional and follow-ups have none; without it, encourage and ask again.
CLARIFY_FALLBACK = (
    "Sure. There's no right or wrong answer here; tell me how you would approach it, with an example if you "
    "have one. The question was: {prompt}"
)

# Accepted request phrasings, matched on normalized text (lowercase, no punctuation, "don't" → "dont").
CLARIFY_PHRASES = (
    r"what do you mean", r"what does (that|this|it) mean", r"what (exactly )?are you asking",
    r"i dont (understand|get) (the question|what you mean|it|that)", r"i dont understand",
    r"(not sure|dont know) what you (mean|are asking)", r"(can|could|would) you (please )?(rephrase|clarify|explain)",
    r"please (rephrase|clarify|explain)", r"what is meant by", r"(say|put|ask) (it|that) (differently|another way)",
)  # fmt: skip
REPEAT_PHRASES = (
    r"(can|could|would) you (please )?(repeat|say (that|it|the question) again)", r"please repeat",
    r"repeat (that|the question)", r"say (that|it) again", r"come again", r"pardon", r"what was the question",
    r"i didnt (catch|hear|get) (that|it|the question)", r"one more time", r"sorry what",
)  # fmt: skip
REPEAT_WHOLE_TURN = ("sorry", "what", "huh", "excuse me")  # requests only when they are all that was said
WAIT_PHRASES = (
    r"(can|could|may) i (have|get|take) (a|one) (moment|minute|second|sec)",
    r"give me (a|one) (moment|minute|second|sec)", r"(just )?(a|one) (moment|minute|second|sec)( please)?",
    r"let me think", r"(hold|hang) on", r"i need (a|one) (moment|minute|second|sec)",
    r"wait a (moment|minute|second|sec)", r"need to think",
)  # fmt: skip
WAIT_MAX_OTHER_WORDS = 4  # "let me think, I'd flag it and ask the lead" is the start of an answer, not a pause
DONT_KNOW = (
    "i dont know", "i do not know", "dunno", "no idea", "not sure", "cant say", "cant remember",
    "cant think of", "never done", "havent done", "no experience", "nothing comes to mind",
)  # fmt: skip
DONT_KNOW_WITHIN_WORDS = 3  # the phrase must open the answer: "I'd flag it if I'm not sure" is an answer
NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred hundreds thousand thousands million percent half dozen twice".split()
)
CONCRETE_TERMS = (
    # tools and platforms
    "label studio", "labelbox", "prodigy", "cvat", "doccano", "appen", "toloka", "mechanical turk", "mturk",
    "excel", "google sheets", "spreadsheet", "jira", "slack", "python", "sql", "dashboard",
    # metrics and named processes
    "kappa", "krippendorff", "f1", "precision", "recall", "error rate", "iou", "gold set", "gold item", "honeypot",
    "checklist", "cheat sheet", "decision log", "changelog", "calibration", "adjudication", "pomodoro", "hotkey",
    "keyboard shortcut", "spot check", "qualification", "test batch", "style guide",
    # example markers
    "for example", "for instance", "one time", "i remember", "last year", "last month", "last week",
    "at my last", "at my previous", "in my last", "in my previous", "on one project", "in one project",
    "specifically",
)  # fmt: skip
_NOT_A_NAME = frozenset({"i", "im", "ive", "id", "ill", "ok", "okay"})
_SENTENCE_END = re.compile(r"[.?!…]['\")\]]*$")


def _whole(phrases: Sequence[str]) -> re.Pattern[str]:
    return re.compile(rf"\b({'|'.join(phrases)})\b")


_CLARIFY = _whole(CLARIFY_PHRASES)
_REPEAT = _whole(REPEAT_PHRASES)
_REPEAT_ALONE = re.compile(rf"^({'|'.join(REPEAT_WHOLE_TURN)})$")
_WAIT = _whole(WAIT_PHRASES)
_DONT_KNOW = _whole(DONT_KNOW)


def word_count(text: str) -> int:
    """Words in a turn, as the rules count them (punctuation ignored)."""
    return len(tokens(text))


def request_intent(text: str, max_words: int = PolicyOptions.request_max_words) -> Request | None:
    """What the candidate asks of the interviewer, if the turn is a request rather than an answer."""
    norm = normalized(text)
    if not norm:
        return "unheard"
    if len(norm.split()) > max_words:
        return None
    # Clarify before repeat: "sorry, what do you mean" wants a rephrase, not the same words again.
    if _CLARIFY.search(norm):
        return "clarify"
    if _REPEAT.search(norm) or _REPEAT_ALONE.match(norm):
        return "repeat"
    if _WAIT.search(norm) and len(_WAIT.sub(" ", norm).split()) <= WAIT_MAX_OTHER_WORDS:
        return "wait"
    if is_ai_question(norm):
        return "ai"
    return None


def says_dont_know(text: str, max_words: int = PolicyOptions.dont_know_max_words) -> bool:
    """Whether a short answer is an "I don't know" variant."""
    norm = normalized(text)
    if len(norm.split()) > max_words:
        return False
    found = _DONT_KNOW.search(norm)
    return found is not None and len(norm[: found.start()].split()) <= DONT_KNOW_WITHIN_WORDS


def _phrase_found(toks: Sequence[str], phrase: Sequence[str]) -> bool:
    return bool(phrase) and bool(find_phrase(toks, phrase, PHRASE_MAX_SUFFIX))


def look_for_coverage(text: str, look_fors: Sequence[LookFor]) -> float | None:
    """Weighted share of look-fors the text meets; None when the question has none."""
    if not look_fors:
        return None
    toks = tokens(text)
    met = sum(lf.weight for lf in look_fors if any(_phrase_found(toks, tokens(p)) for p in lf.phrases))
    return met / sum(lf.weight for lf in look_fors)


def lacks_concrete_example(text: str) -> bool:
    """Whether the text names no number, tool, metric, named process, example or proper name."""
    toks = tokens(text)
    if any(any(ch.isdigit() for ch in tok) or tok in NUMBER_WORDS for tok in toks):
        return False
    if any(_phrase_found(toks, term.split()) for term in CONCRETE_TERMS):
        return False
    raw = text.split()
    for index, word in enumerate(raw):
        stripped = word.strip("\"'([{.,;:!?…")
        letters = "".join(ch for ch in stripped if ch.isalpha())
        if len(letters) >= 2 and letters.isupper() and "".join(tokens(stripped)) not in _NOT_A_NAME:
            return False  # an acronym: QA, CSV, NER
        # Whisper capitalizes sentence starts; a capital inside a sentence is usually a name.
        if (
            index > 0
            and stripped[:1].isupper()
            and not _SENTENCE_END.search(raw[index - 1])
            and "".join(tokens(stripped)) not in _NOT_A_NAME
        ):
            return False
    return True


def rule_fires(rule: FollowUpRule, text: str, question: PlannedQuestion, options: PolicyOptions) -> bool:
    """Whether one follow-up rule applies to an answer."""
    if isinstance(rule, TooShortRule):
        return word_count(text) < rule.max_words
    if isinstance(rule, NoConcreteExampleRule):
        return lacks_concrete_example(text)
    if isinstance(rule, OffTopicRule):
        coverage = look_for_coverage(text, question.look_fors)
        return coverage is not None and coverage < rule.min_coverage
    if isinstance(rule, DontKnowRule):
        return says_dont_know(text, options.dont_know_max_words)
    raise TypeError(f"unknown follow-up rule {rule!r}")


def follow_up_for(
    question: PlannedQuestion, text: str, fired: Sequence[int], options: PolicyOptions
) -> tuple[int, FollowUpRule] | None:
    """The first rule not yet fired on this question that applies to the answer, "I don't know" first."""
    order = sorted(range(len(question.follow_ups)), key=lambda i: not isinstance(question.follow_ups[i], DontKnowRule))
    for i in order:
        rule = question.follow_ups[i]
        if i not in fired and rule_fires(rule, text, question, options):
            return i, rule
    return None


# --- lines ---------------------------------------------------------------------------------------------

Lead = Literal["answer", "time_cut", "silence"]


def question_line(plan: InterviewPlan, index: int, lead: Lead | None, lead_text: str | None = None) -> str:
    """How question ``index`` is asked: after the opening (lead None) or after a thanks, cut or silence
    (``lead_text``, a model's transition, replaces the thanks)."""
    q = plan.questions[index]
    if lead is None:
        return f"{plan.opening} {q.prompt}"
    parts = [lead_text or {"answer": THANKS, "time_cut": CUT, "silence": SILENCE_MOVE_ON}[lead]]
    if q.first_in_section:
        parts.append(SECTION.format(title=q.section_title[:1].lower() + q.section_title[1:]))
    parts.append(q.prompt)
    return " ".join(parts)


def closing_line(plan: InterviewPlan, lead: Lead | Literal["total_time"] | None) -> str:
    """The script's closing, after a cut, a silence or the end of the time when that is why it comes."""
    prefix = {"time_cut": CUT_LAST, "silence": SILENCE_LAST, "total_time": OUT_OF_TIME}.get(lead or "", "")
    return f"{prefix} {plan.closing}" if prefix else plan.closing


def clarify_line(question: PlannedQuestion, state: PlanState, plan: InterviewPlan) -> str:
    """The script's clarification of the question; the fallback for follow-ups and questions without one."""
    if not state.follow_ups_used and question.clarification:
        return question.clarification
    return CLARIFY_FALLBACK.format(prompt=state.open_prompt(plan))


def utterances(plan: InterviewPlan) -> list[str]:
    """Every line this policy can say for a plan, built by the same functions ``decide`` uses."""
    lines: list[str] = [closing_line(plan, lead) for lead in (None, "answer", "time_cut", "silence", "total_time")]
    base = PlanState.initial(plan)
    for q in plan.questions:
        at = replace(base, current=q.index)
        lines.extend(question_line(plan, q.index, lead) for lead in ("answer", "time_cut", "silence"))
        if q.index == 0:
            lines.append(question_line(plan, 0, None))
        lines.append(at.resume_line(plan))
        open_prompts = [(at, q.prompt)]
        for i, rule in enumerate(q.follow_ups):
            lines.append(rule.text)
            open_prompts.append((replace(at, rules_fired=(i,)), rule.text))
        for state, prompt in open_prompts:
            lines.append(clarify_line(q, state, plan))
            lines.extend(t.format(prompt=prompt, answer=ai_answer()) for t in (REPEAT, UNHEARD, REPROMPT, AI_BACK))
    lines.append(WAIT)
    return list(dict.fromkeys(lines))


# --- decisions -----------------------------------------------------------------------------------------


def begin(plan: InterviewPlan, state: PlanState, now_s: float) -> tuple[Decision, PlanState]:
    """The first line of a session: the opening and first question, or where a resumed interview stands."""
    state.check(plan)
    if state.closed or state.current >= len(plan):
        return Decision("close", plan.closing, reason="resume"), replace(state, closed=True, clock_s=now_s)
    if not state.started:
        statuses = _set(state.statuses, 0, "asked")
        first = plan.questions[0]
        return Decision("next_question", question_line(plan, 0, None), first.id, reason="opening"), replace(
            state, statuses=statuses, clock_s=now_s
        )
    q = plan.questions[state.current]
    # A fresh clock, and the silence count starts over: the candidate has just come back.
    resumed = replace(state.resumed(now_s), silence_reprompts=0, waiting=False)
    return Decision("repeat_question", state.resume_line(plan), q.id, reason="resume"), resumed


def decide(
    plan: InterviewPlan,
    state: PlanState,
    turn_text: str,
    turn_duration_s: float,
    now_s: float,
    options: PolicyOptions = PolicyOptions(),
) -> tuple[Decision, PlanState]:
    """The reply to one committed candidate turn, and the state after it."""
    _require_started(plan, state)
    if state.closed or state.current >= len(plan):
        return Decision("close", plan.closing, reason="closed"), replace(state, closed=True)
    state = replace(_charge(state, now_s, turn_duration_s), silence_reprompts=0, waiting=False)
    q = plan.questions[state.current]
    text = turn_text.strip()
    if state.total_spent_s >= plan.total_budget_s:
        return _close(plan, _set_status(state, "answered" if text else "skipped"), "total_time")
    if state.spent_s[state.current] >= q.time_budget_s * options.cut_factor:
        return _advance(plan, state, "timed_out", "time_cut")
    if state.requests_used < options.max_requests:
        request = request_intent(text, options.request_max_words)
        if request is not None:
            return _answer_request(plan, replace(state, requests_used=state.requests_used + 1), q, request)
    if not text:
        return _advance(plan, state, "skipped", "silence")  # requests used up and still nothing heard
    state = _set_status(state, "answered")
    if state.follow_ups_used < q.max_follow_ups and state.spent_s[state.current] < q.time_budget_s:
        found = follow_up_for(q, text, state.rules_fired, options)
        if found is not None:
            index, rule = found
            return (
                Decision("ask_follow_up", rule.text, q.id, rule=rule.when, reason=rule.when),
                replace(
                    state,
                    rules_fired=(*state.rules_fired, index),
                    follow_ups_asked=(*state.follow_ups_asked, rule.text),
                ),
            )
    return _advance(plan, state, "answered", "answer")


ModelTool = Literal["ask_follow_up", "next_question", "repeat_question", "end_interview"]
MODEL_TRANSITION_MAX_WORDS = 25


@dataclass(frozen=True)
class ModelChoice:
    """What an LLM interviewer chose for an answer: a tool and its text (the follow-up, or the transition)."""

    tool: ModelTool
    text: str = ""


def is_answer(
    plan: InterviewPlan, state: PlanState, turn_text: str, now_s: float, options: PolicyOptions = PolicyOptions()
) -> bool:
    """Whether ``decide`` would treat the turn as an answer (follow up or move on), not as a request or a cut."""
    if not state.started or state.closed or state.current >= len(plan):
        return False
    decision, _ = decide(plan, state, turn_text, 0.0, now_s, options)
    return decision.reason in {"answer", *(rule.when for rule in plan.questions[state.current].follow_ups)}


def on_model_choice(
    plan: InterviewPlan,
    state: PlanState,
    turn_text: str,
    now_s: float,
    choice: ModelChoice,
    options: PolicyOptions = PolicyOptions(),
) -> tuple[Decision, PlanState] | None:
    """The reply a model chose for a candidate's answer, when the plan allows it; None means fall back to ``decide``.

    The plan stays in charge of order and time: the model is asked only about answers (requests, silence, time
    cuts and the end of the time are ``decide``'s), may ask follow-ups while the question has follow-ups and time
    left, moves on only to the plan's next question (its transition replaces the thanks), and may end the interview
    only on the last question.
    """
    if not is_answer(plan, state, turn_text, now_s, options):
        return None
    q = plan.questions[state.current]
    charged = replace(_charge(state, now_s, 0.0), silence_reprompts=0, waiting=False)
    answered = _set_status(charged, "answered")
    text = " ".join(choice.text.split())
    if choice.tool == "ask_follow_up":
        if not text or answered.follow_ups_used >= q.model_follow_ups or answered.spent_s[q.index] >= q.time_budget_s:
            return None
        decision = Decision("ask_follow_up", text, q.id, rule="model", reason="model_follow_up")
        return decision, replace(answered, follow_ups_asked=(*answered.follow_ups_asked, text))
    if choice.tool == "next_question":
        if len(text.split()) > MODEL_TRANSITION_MAX_WORDS:
            return None
        decision, after = _advance(plan, answered, "answered", "answer")
        if decision.kind == "close":
            line = f"{text} {plan.closing}" if text else plan.closing
        else:
            line = question_line(plan, after.current, "answer", lead_text=text or None)
        return replace(decision, text=line, reason="model_next_question"), after
    if choice.tool == "repeat_question":
        prompt = charged.open_prompt(plan) or q.prompt
        decision = Decision("repeat_question", REPEAT.format(prompt=prompt), q.id, reason="model_repeat")
        return decision, replace(charged, requests_used=charged.requests_used + 1)
    if q.index != len(plan) - 1:
        return None  # end_interview before the last question: the plan decides when the interview ends
    decision, after = _close(plan, answered, None)
    return replace(decision, reason="model_end_interview"), after


def on_silence(
    plan: InterviewPlan, state: PlanState, silent_s: float, now_s: float, options: PolicyOptions = PolicyOptions()
) -> tuple[Decision | None, PlanState]:
    """After ``silent_s`` seconds of candidate silence: nothing yet, a reprompt, or (second time) move on."""
    _require_started(plan, state)
    if state.closed or state.current >= len(plan):
        return None, state
    if silent_s < (options.moment_s if state.waiting else options.silence_s):
        return None, state
    state = _charge(state, now_s, 0.0)
    q = plan.questions[state.current]
    if state.total_spent_s >= plan.total_budget_s:
        return _close(plan, _set_status(state, "skipped"), "total_time")
    if state.silence_reprompts == 0:
        prompt = state.open_prompt(plan) or q.prompt
        return Decision("reprompt", REPROMPT.format(prompt=prompt), q.id, reason="silence"), replace(
            state, silence_reprompts=1, waiting=False
        )
    return _advance(plan, state, "skipped", "silence")


# --- helpers -------------------------------------------------------------------------------------------


def _require_started(plan: InterviewPlan, state: PlanState) -> None:
    state.check(plan)
    if not state.started:
        raise ValueError("the interview has not begun: call agent.policy.begin() for the opening line first")


def _set(statuses: tuple[QuestionStatus, ...], index: int, status: QuestionStatus) -> tuple[QuestionStatus, ...]:
    return (*statuses[:index], status, *statuses[index + 1 :])


def _set_status(state: PlanState, status: QuestionStatus) -> PlanState:
    current = state.statuses[state.current]
    if status == "skipped" and current == "answered":
        return state  # moving on after a follow-up went unanswered: the question still has its answer
    return replace(state, statuses=_set(state.statuses, state.current, status))


def _charge(state: PlanState, now_s: float, turn_duration_s: float) -> PlanState:
    """Charge the time since the last decision to the current question and re-anchor the clock.

    At least the turn's own duration is charged: after a resume the clock restarts, and a turn cannot
    have taken less time than it lasted.
    """
    elapsed = max(now_s - (state.clock_s if state.clock_s is not None else now_s), turn_duration_s, 0.0)
    spent = list(state.spent_s)
    spent[state.current] += elapsed
    return replace(state, spent_s=tuple(spent), total_spent_s=state.total_spent_s + elapsed, clock_s=now_s)


def _answer_request(
    plan: InterviewPlan, state: PlanState, q: PlannedQuestion, request: Request
) -> tuple[Decision, PlanState]:
    prompt = state.open_prompt(plan) or q.prompt
    if request == "clarify":
        return Decision("clarify", clarify_line(q, state, plan), q.id, reason="clarify"), state
    if request == "repeat":
        return Decision("repeat_question", REPEAT.format(prompt=prompt), q.id, reason="repeat"), state
    if request == "unheard":
        return Decision("repeat_question", UNHEARD.format(prompt=prompt), q.id, reason="unheard"), state
    if request == "wait":
        return Decision("wait", WAIT, q.id, reason="wait"), replace(state, waiting=True)
    text = AI_BACK.format(answer=ai_answer(), prompt=prompt)
    return Decision("answer_ai", text, q.id, reason="ai_question"), state


def _close(
    plan: InterviewPlan, state: PlanState, lead: Lead | Literal["total_time"] | None
) -> tuple[Decision, PlanState]:
    return Decision("close", closing_line(plan, lead), reason=lead or "done"), replace(
        state,
        current=len(plan),
        closed=True,
        rules_fired=(),
        follow_ups_asked=(),
        requests_used=0,
        silence_reprompts=0,
        waiting=False,
    )


def _advance(plan: InterviewPlan, state: PlanState, status: QuestionStatus, lead: Lead) -> tuple[Decision, PlanState]:
    """Leave the current question with ``status`` and ask the next one, or close after the last."""
    state = _set_status(state, status)
    following = state.current + 1
    if following >= len(plan):
        return _close(plan, state, lead)
    nxt = plan.questions[following]
    return Decision("next_question", question_line(plan, following, lead), nxt.id, reason=lead), replace(
        state,
        current=following,
        statuses=_set(state.statuses, following, "asked"),
        rules_fired=(),
        follow_ups_asked=(),
        requests_used=0,
        silence_reprompts=0,
        waiting=False,
    )
