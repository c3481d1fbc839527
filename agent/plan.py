"""The interview plan and its stored state: what to ask in which order, and where the interview stands.

``InterviewPlan`` is the script flattened into the order the interviewer walks it (sections, questions,
each question's time budget, follow-up rules and follow-up limit, the total budget). ``PlanState`` is
where a live interview stands; it is immutable, changes only through ``agent.policy`` and is written to
``InterviewSession.plan_state`` after every turn (``to_json``) so a reconnect or a worker restart resumes
at the same point (``from_json`` and ``resume_line``). Pure: no audio, no livekit, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from prompts.script import ExpectedLength, FollowUpRule, InterviewScript, LookFor

QuestionStatus = Literal["pending", "asked", "answered", "skipped", "timed_out"]
"""pending: not asked yet · asked: the current question, no answer yet · answered: moved on after an
answer · skipped: moved on after silence with no answer · timed_out: moved on because its time ran out
(it may hold a partial answer)."""

QUESTION_STATUSES: tuple[str, ...] = get_args(QuestionStatus)
STATE_VERSION = 1
"""Bump when the stored layout of ``PlanState`` changes; ``from_json`` refuses other versions."""


@dataclass(frozen=True)
class PlannedQuestion:
    """One question in interview order, with everything the policy needs to ask and probe it."""

    index: int
    id: str
    section_id: str
    section_title: str
    first_in_section: bool
    prompt: str
    clarification: str | None
    look_fors: tuple[LookFor, ...]
    follow_ups: tuple[FollowUpRule, ...]
    max_follow_ups: int
    model_follow_ups: int  # follow-ups an LLM interviewer may write itself (the script's limit, rules or not)
    time_budget_s: float
    expected_length: ExpectedLength


@dataclass(frozen=True)
class PlannedSection:
    """A section's title and the ids of its questions, in order."""

    id: str
    title: str
    question_ids: tuple[str, ...]


@dataclass(frozen=True)
class InterviewPlan:
    """A script in the order the interviewer walks it, with its time budgets."""

    script_id: str
    opening: str
    closing: str
    total_budget_s: float
    sections: tuple[PlannedSection, ...]
    questions: tuple[PlannedQuestion, ...]

    @classmethod
    def from_script(cls, script: InterviewScript) -> InterviewPlan:
        """The plan of a validated script: sections and questions in script order."""
        questions: list[PlannedQuestion] = []
        sections: list[PlannedSection] = []
        for section in script.sections:
            sections.append(PlannedSection(section.id, section.title, tuple(q.id for q in section.questions)))
            for position, q in enumerate(section.questions):
                questions.append(
                    PlannedQuestion(
                        index=len(questions),
                        id=q.id,
                        section_id=section.id,
                        section_title=section.title,
                        first_in_section=position == 0,
                        prompt=q.prompt,
                        clarification=q.clarification,
                        look_fors=tuple(q.look_fors),
                        follow_ups=tuple(q.follow_ups),
                        # More follow-ups than rules could never be asked: each rule fires at most once.
                        max_follow_ups=min(q.max_follow_ups, len(q.follow_ups)),
                        model_follow_ups=q.max_follow_ups,
                        time_budget_s=float(q.time_budget_s),
                        expected_length=q.expected_length,
                    )
                )
        return cls(
            script_id=script.id,
            opening=script.opening,
            closing=script.closing,
            total_budget_s=float(script.total_time_budget_s),
            sections=tuple(sections),
            questions=tuple(questions),
        )

    def __len__(self) -> int:
        return len(self.questions)

    def question_ids(self) -> tuple[str, ...]:
        """Every question id in interview order."""
        return tuple(q.id for q in self.questions)

    def max_turns(self) -> int:
        """Candidate answers that can be asked for at most: each question plus its follow-ups."""
        return sum(1 + q.max_follow_ups for q in self.questions)


@dataclass(frozen=True)
class PlanState:
    """Where an interview stands; ``current == len(plan)`` once every question is behind it."""

    script_id: str
    question_ids: tuple[str, ...]
    statuses: tuple[QuestionStatus, ...]
    spent_s: tuple[float, ...]
    current: int = 0
    total_spent_s: float = 0.0
    rules_fired: tuple[int, ...] = ()  # indexes into the current question's follow_ups, in the order asked
    follow_ups_asked: tuple[str, ...] = ()  # every follow-up said on the current question (a rule's or a model's)
    requests_used: int = 0  # repeat / clarify / wait / "are you an AI" on the current question
    silence_reprompts: int = 0  # consecutive silences on the current question
    waiting: bool = False  # the candidate asked for a moment; silence is given more room
    clock_s: float | None = None  # session time of the last decision; None until the interview begins
    closed: bool = False

    @classmethod
    def initial(cls, plan: InterviewPlan) -> PlanState:
        """The state before the opening line: every question pending."""
        pending: tuple[QuestionStatus, ...] = tuple("pending" for _ in plan.questions)
        return cls(plan.script_id, plan.question_ids(), pending, (0.0,) * len(plan))

    @property
    def started(self) -> bool:
        """Whether the opening has been said (the clock is anchored)."""
        return self.clock_s is not None

    @property
    def follow_ups_used(self) -> int:
        """Follow-ups asked on the current question."""
        return max(len(self.rules_fired), len(self.follow_ups_asked))

    def question(self, plan: InterviewPlan) -> PlannedQuestion | None:
        """The question the candidate is on, or None once all are behind."""
        return plan.questions[self.current] if self.current < len(plan) and not self.closed else None

    def open_prompt(self, plan: InterviewPlan) -> str | None:
        """What the candidate is answering right now: the last follow-up asked, else the question."""
        q = self.question(plan)
        if q is None:
            return None
        if self.follow_ups_asked:
            return self.follow_ups_asked[-1]
        return q.follow_ups[self.rules_fired[-1]].text if self.rules_fired else q.prompt

    def resume_line(self, plan: InterviewPlan) -> str:
        """What to say when the candidate comes back: the open question with its number, or the closing."""
        q = self.question(plan)
        if q is None:
            return plan.closing
        return f"Welcome back, we were on question {q.index + 1} of {len(plan)}: {q.prompt}"

    def resumed(self, now_s: float) -> PlanState:
        """This state on a new session clock: the time away is not charged to any question."""
        return replace(self, clock_s=now_s) if self.started else self

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for the ``plan_state`` column (a JSON column, hence a dict, not a string)."""
        return {
            "version": STATE_VERSION,
            "script_id": self.script_id,
            "current": self.current,
            "questions": [
                {"id": qid, "status": status, "spent_s": spent}
                for qid, status, spent in zip(self.question_ids, self.statuses, self.spent_s, strict=True)
            ],
            "total_spent_s": self.total_spent_s,
            "rules_fired": list(self.rules_fired),
            "follow_ups_asked": list(self.follow_ups_asked),
            "requests_used": self.requests_used,
            "silence_reprompts": self.silence_reprompts,
            "waiting": self.waiting,
            "clock_s": self.clock_s,
            "closed": self.closed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], plan: InterviewPlan | None = None) -> PlanState:
        """The state stored by ``to_json``; with ``plan``, also checks it belongs to that plan."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"plan_state.version: expected {STATE_VERSION} (got {data.get('version')!r})")
        try:
            questions = data["questions"]
            statuses = tuple(q["status"] for q in questions)
            state = cls(
                script_id=str(data["script_id"]),
                question_ids=tuple(str(q["id"]) for q in questions),
                statuses=statuses,
                spent_s=tuple(float(q["spent_s"]) for q in questions),
                current=int(data["current"]),
                total_spent_s=float(data["total_spent_s"]),
                rules_fired=tuple(int(i) for i in data["rules_fired"]),
                follow_ups_asked=tuple(str(t) for t in data.get("follow_ups_asked", ())),
                requests_used=int(data["requests_used"]),
                silence_reprompts=int(data["silence_reprompts"]),
                waiting=bool(data["waiting"]),
                clock_s=None if data["clock_s"] is None else float(data["clock_s"]),
                closed=bool(data["closed"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"plan_state: missing or malformed field {exc}; store it with PlanState.to_json()"
            ) from exc
        bad = [s for s in statuses if s not in QUESTION_STATUSES]
        if bad:
            raise ValueError(f"plan_state.questions[].status: unknown {bad[0]!r}; expected one of {QUESTION_STATUSES}")
        if not 0 <= state.current <= len(state.question_ids):
            raise ValueError(f"plan_state.current: {state.current} is outside 0..{len(state.question_ids)}")
        if plan is not None:
            state.check(plan)
        return state

    def check(self, plan: InterviewPlan) -> None:
        """Raise if this state was made for another script or another version of it."""
        if self.script_id != plan.script_id or self.question_ids != plan.question_ids():
            raise ValueError(
                f"plan_state belongs to script {self.script_id!r} with questions {list(self.question_ids)}, "
                f"not to {plan.script_id!r} with {list(plan.question_ids())}; resume with the script version "
                "the session started with"
            )
        if self.current < len(plan):
            q = plan.questions[self.current]
            if any(not 0 <= i < len(q.follow_ups) for i in self.rules_fired):
                raise ValueError(f"plan_state.rules_fired: {list(self.rules_fired)} do not exist on question {q.id!r}")
