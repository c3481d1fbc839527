"""The HR scorecard: interview dimensions, work-sample tasks and integrity indicators combined into an overall
0–100 score and a recommendation (advance, review or risk) with the reasons written out as sentences.

The rule that matters most: integrity indicators may ask for a review, they never make a risk and never reject;
they do not change the overall score either. The recommendation supports a person's decision, it is not one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from scoring.integrity import Indicator
from scoring.interview import InterviewScores, plain

SCORECARD_VERSION = "1.0"
"""Bump when the combination rules change; policy changes show as a suffix of the version."""

DIGITS = 4
"""Floats in ``to_dict`` are rounded to this many decimals: float noise must not change the stored bytes."""

Recommendation = Literal["advance", "review", "risk"]
Level = Literal["advance", "review", "risk"]


@dataclass(frozen=True)
class ScorecardPolicy:
    """Weights and thresholds of the combination; employers may set their own."""

    interview_weight: float = 0.5
    work_sample_weight: float = 0.5
    advance_at: float = 70.0  # overall at or above this, with nothing asking for review, advances
    risk_below: float = 40.0  # overall below this is a risk
    dimension_review_below: float = 3.0  # a dimension below this asks for review
    dimension_risk_below: float = 2.0  # ... below this is a risk, if its confidence is at least min_confidence
    work_sample_risk_margin: float = 0.2  # failing the pass score by more than this is a risk
    min_confidence: float = 0.4  # interview evidence thinner than this asks a person to listen


@dataclass(frozen=True)
class Reason:
    """One sentence behind the recommendation, with the level it argues for."""

    level: Level
    text: str


@dataclass(frozen=True)
class TaskResult:
    """One graded task of the work sample."""

    task_id: str
    type: str
    fraction: float
    passed: bool
    weight: float = 1.0  # the pack schema has no task weights: tasks count equally


@dataclass(frozen=True)
class WorkSample:
    """A graded attempt: the pack's points fraction against its pass score, and each task."""

    fraction: float
    pass_score: float
    passed: bool
    tasks: tuple[TaskResult, ...]

    def task_mean(self) -> float:
        """The weighted mean of task fractions: what the overall score uses, so each task counts as one."""
        total = sum(t.weight for t in self.tasks)
        return sum(t.fraction * t.weight for t in self.tasks) / total if total else self.fraction


@dataclass(frozen=True)
class DimensionLine:
    """A dimension as the scorecard counts it."""

    dimension: str
    score: float | None
    confidence: float
    weight: float


@dataclass(frozen=True)
class Scorecard:
    """The stored result: recommendation, reasons, the parts and what produced them."""

    version: str
    scorer: str | None
    scorer_version: str | None
    model: str | None
    prompt_version: str | None
    overall: float | None
    recommendation: Recommendation
    reasons: tuple[Reason, ...]
    dimensions: tuple[DimensionLine, ...]
    interview_confidence: float | None
    work_sample: WorkSample | None
    integrity: tuple[Indicator, ...]
    interview: InterviewScores | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy with rounded floats; with ``to_json`` the same inputs give the same bytes."""
        return dict(plain(self, DIGITS))

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, compact separators."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def work_sample_from_results(results: Mapping[str, Any]) -> WorkSample:
    """The parts of ``grade_attempt``'s results the scorecard uses."""
    try:
        tasks = tuple(
            TaskResult(task_id, str(task["type"]), float(task["fraction"]), bool(task["passed"]))
            for task_id, task in results["tasks"].items()  # pack order, as graded
        )
        return WorkSample(float(results["fraction"]), float(results["pass_score"]), bool(results["passed"]), tasks)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"work sample results: expected grade_attempt's shape ({error!r})") from error


def policy_version(policy: ScorecardPolicy) -> str:
    """The scorecard version, with a digest of the policy when it is not the shipped one."""
    if policy == ScorecardPolicy():
        return SCORECARD_VERSION
    digest = hashlib.sha256(repr(sorted(asdict(policy).items())).encode()).hexdigest()[:8]
    return f"{SCORECARD_VERSION}+policy.{digest}"


def _score(x: float) -> str:
    return f"{round(x, 1):g}"


def _percent(x: float, than: float) -> str:
    # 69.6% against 70% must not read "70% < pass 70%": show a decimal when rounding hides the difference.
    whole = f"{round(100 * x)}%"
    return whole if round(100 * x) != round(100 * than) else f"{100 * x:.1f}%"


def dimension_weights_for(dimensions: Sequence[str], declared: Mapping[str, float]) -> dict[str, float]:
    """Each dimension's weight; one the script does not weigh counts as its average declared weight."""
    listed = [w for w in declared.values() if w > 0]
    default = sum(listed) / len(listed) if listed else 1.0
    return {name: float(declared.get(name, default)) for name in dimensions}


def build_scorecard(
    interview: InterviewScores | None,
    dimension_weights: Mapping[str, float],
    work_sample: Mapping[str, Any] | WorkSample | None,
    indicators: Sequence[Indicator] = (),
    policy: ScorecardPolicy | None = None,
    expects_interview: bool = True,
    expects_work_sample: bool = True,
) -> Scorecard:
    """Combine the parts into an overall 0–100 and a recommendation with its reasons; a part the invitation does
    not include (``expects_*`` false) is not a reason for review when it is missing."""
    policy = policy or ScorecardPolicy()
    sample = work_sample_from_results(work_sample) if isinstance(work_sample, Mapping) else work_sample
    risk: list[str] = []
    review: list[str] = []
    advance: list[str] = []

    lines: tuple[DimensionLine, ...] = ()
    interview_part: float | None = None
    interview_confidence: float | None = None
    if interview is None:
        if expects_interview:
            review.append("no interview scores")
    else:
        weights = dimension_weights_for([d.dimension for d in interview.dimensions], dimension_weights)
        lines = tuple(
            DimensionLine(d.dimension, d.score, d.confidence, weights[d.dimension]) for d in interview.dimensions
        )
        counted = [line for line in lines if line.score is not None and line.weight > 0]
        total = sum(line.weight for line in counted)
        if total > 0:
            interview_part = sum(((line.score or 1.0) - 1.0) / 4.0 * line.weight for line in counted) / total
            interview_confidence = sum(line.confidence * line.weight for line in counted) / total
            if interview_confidence < policy.min_confidence:
                review.append(f"interview evidence is thin (confidence {interview_confidence:.2f})")
        else:
            review.append("no interview dimension could be scored")
        for line in counted:
            if line.score is None or line.score >= policy.dimension_review_below:
                continue
            text = f"{line.dimension.replace('_', ' ')} {_score(line.score)}/5"
            if line.score < policy.dimension_risk_below and line.confidence >= policy.min_confidence:
                risk.append(text)
            elif line.score < policy.dimension_risk_below:
                review.append(f"{text} (low confidence {line.confidence:.2f})")
            else:
                review.append(text)

    sample_part: float | None = None
    if sample is None:
        if expects_work_sample:
            review.append("no work sample results")
    else:
        sample_part = sample.task_mean()
        versus = f"work sample {_percent(sample.fraction, sample.pass_score)}"
        if sample.fraction < sample.pass_score - policy.work_sample_risk_margin:
            risk.append(f"{versus} < pass {sample.pass_score:.0%}")
        elif not sample.passed:
            review.append(f"{versus} < pass {sample.pass_score:.0%}")
        else:
            advance.append(f"{versus} ≥ pass {sample.pass_score:.0%}")

    # Integrity can only ask for a review: never a risk, never a change to the score.
    flagged = sum(1 for i in indicators if i.severity == "review")
    if flagged:
        review.append(f"{flagged} integrity indicator{' asks' if flagged == 1 else 's ask'} for review")

    parts = [(interview_part, policy.interview_weight), (sample_part, policy.work_sample_weight)]
    weight = sum(w for value, w in parts if value is not None)
    overall = 100.0 * sum(value * w for value, w in parts if value is not None) / weight if weight > 0 else None
    if overall is not None:
        if overall < policy.risk_below:
            risk.append(f"overall {overall:.0f} < {policy.risk_below:g}")
        elif overall < policy.advance_at:
            review.append(f"overall {overall:.0f} < advance {policy.advance_at:g}")
        else:
            advance.insert(0, f"overall {overall:.0f} ≥ advance {policy.advance_at:g}")

    recommendation: Recommendation = "risk" if risk else "review" if review else "advance"
    reasons = [Reason("risk", t) for t in risk] + [Reason("review", t) for t in review]
    if recommendation == "advance":
        reasons = [Reason("advance", t) for t in advance]
    return Scorecard(
        version=policy_version(policy),
        scorer=interview.scorer if interview else None,
        scorer_version=interview.version if interview else None,
        model=interview.model if interview else None,
        prompt_version=interview.prompt_version if interview else None,
        overall=overall,
        recommendation=recommendation,
        reasons=tuple(reasons),
        dimensions=lines,
        interview_confidence=interview_confidence,
        work_sample=sample,
        integrity=tuple(indicators),
        interview=interview,
    )
