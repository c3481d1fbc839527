"""The live interview's plan state, advanced only by what the candidate actually heard.

The session asks for a reply whenever a candidate turn ends, and livekit's preemptive generation asks
speculatively before that, so a reply that is asked for is only a *proposal*: ``Conductor`` keeps each
proposal's next state aside and makes it the interview's state when the line is committed (the agent
said it in full, ``commit``). A speculative reply that is thrown away, or a line the candidate cut off,
changes nothing; the next reply is decided again from the state the candidate really is in. Pure apart
from the clock it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from agent.guardrails import normalized
from agent.plan import InterviewPlan, PlanState
from agent.policy import Decision, PolicyOptions, begin, decide, on_silence
from agent.turn import AnswerExpectation


@dataclass(frozen=True)
class Proposal:
    """A line the interviewer may say, and the state the interview is in once it has been said."""

    decision: Decision
    state: PlanState


class Conductor:
    """Holds the committed ``PlanState``; proposes replies with the deterministic policy; commits what was said."""

    def __init__(
        self,
        plan: InterviewPlan,
        state: PlanState | None = None,
        options: PolicyOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.state = state if state is not None else PlanState.initial(plan)
        self.state.check(plan)
        self.options = options or PolicyOptions()
        self._clock = clock
        self._origin = clock()
        self._pending: dict[str, Proposal] = {}

    def now(self) -> float:
        """Seconds since this session began (the plan state's clock)."""
        return self._clock() - self._origin

    def propose(self, decision: Decision, state: PlanState) -> Decision:
        """Keep a decision's next state until its line is committed; the latest proposal of a text wins."""
        self._pending[normalized(decision.text)] = Proposal(decision, state)
        return decision

    def opening(self) -> Decision:
        """The first line: the opening and first question, or, resuming, the question the candidate was on."""
        return self.propose(*begin(self.plan, self.state, self.now()))

    def reply(self, turn_text: str) -> Decision:
        """The deterministic reply to the candidate's turn (the opening again if it was never heard in full)."""
        if not self.state.started:
            return self.opening()
        return self.propose(*decide(self.plan, self.state, turn_text, 0.0, self.now(), self.options))

    def silence(self, silent_s: float) -> Decision | None:
        """A reprompt or a move on after ``silent_s`` seconds of silence, or None while it is not yet time."""
        if not self.state.started:
            return None
        decision, state = on_silence(self.plan, self.state, silent_s, self.now(), self.options)
        return None if decision is None else self.propose(decision, state)

    def commit(self, spoken: str) -> Decision | None:
        """The agent said ``spoken`` in full: if it was a proposal, the interview moves to its state."""
        proposal = self._pending.get(normalized(spoken))
        if proposal is None:
            return None
        self._pending.clear()  # every other proposal was made from the state that is now behind
        self.state = proposal.state
        return proposal.decision

    @property
    def closed(self) -> bool:
        """The closing line has been said."""
        return self.state.closed

    def question_number(self) -> int | None:
        """1-based number of the question the candidate is on, or None once all are behind."""
        q = self.state.question(self.plan)
        return None if q is None else q.index + 1

    def question_id(self) -> str | None:
        """Id of the question the candidate is on."""
        q = self.state.question(self.plan)
        return None if q is None else q.id

    def expectation(self) -> AnswerExpectation:
        """What the turn detector should expect of the answer now: the open question's length, none when over time."""
        q = self.state.question(self.plan)
        if q is None:
            return AnswerExpectation(0, 1)
        now, anchor = self.now(), self.state.clock_s
        spent = self.state.spent_s[q.index] + (max(0.0, now - anchor) if anchor is not None else 0.0)
        if spent >= q.time_budget_s * self.options.cut_factor:
            return AnswerExpectation(0, 1)  # far over time: any pause ends the turn, and the reply cuts politely
        if self.state.rules_fired:
            return AnswerExpectation(max(1, q.expected_length.min_words // 2), q.expected_length.max_words)
        return AnswerExpectation(q.expected_length.min_words, q.expected_length.max_words)
