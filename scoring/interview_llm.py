"""The LLM interview scorer, pure parts: the messages for one transcript and script, parsing the model's JSON reply
(pydantic), verifying every claim's quote against what the candidate said, and turning the verified claims into
``InterviewScores`` with the same dimension aggregation as the embedded scorer.

The server sends the messages and stores the raw reply (``LlmReply``) with the scorecard; scoring reads only that
record, so recomputing a stored scorecard gives the same bytes without calling the model again. A claim whose quote
is not in the candidate's words is dropped and counted; a question left with no verified claim keeps its embedded
score, and the notes say so."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from string import Template
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prompts.script import InterviewScript, Question
from scoring.grading.judge import ChatMessage
from scoring.interview import (
    AudioMeasures,
    EmbeddedConfig,
    Evidence,
    InterviewScores,
    QuestionScore,
    aggregate_dimension,
    attribute,
    communication_measures,
    config_version,
    score_interview,
)
from scoring.llm_reply import parse_model_reply
from scoring.lookfor_similarity import LookForSimilarity
from scoring.transcript import QuoteSpan, Turn, compact, find_quote

PROMPT_VERSION = "interview_scorer_v1"
LLM_SCORER_VERSION = "1.0"
"""Bump when the mapping from a reply to scores changes; the embedded version used for fallbacks is appended."""
USER_MARKER = "<!-- user -->"
# "yes", "I", "the data" are in almost any answer and prove nothing about a claim.
MIN_QUOTE_CHARS = 8
_SUPPORTS = r"^(look_for:[a-z0-9][a-z0-9_.-]*|specific|structure|concern)$"


class InterviewReplyError(ValueError):
    """The model's reply is not the JSON object the prompt asks for; the message says what is wrong."""


class Claim(BaseModel):
    """One statement about an answer and the candidate's words that show it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    claim: Annotated[str, Field(min_length=1, max_length=2000)]
    quote: Annotated[str, Field(max_length=4000)]
    supports: Annotated[str, Field(pattern=_SUPPORTS)]


class QuestionVerdict(BaseModel):
    """The model's score of one question with its claims."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    question_id: str
    score: Annotated[int, Field(ge=1, le=5)]
    claims: list[Claim] = Field(default_factory=list)


class InterviewVerdict(BaseModel):
    """The JSON object the scorer prompt asks for."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    questions: list[QuestionVerdict]

    @field_validator("questions")
    @classmethod
    def _one_entry_per_question(cls, questions: list[QuestionVerdict]) -> list[QuestionVerdict]:
        ids = [q.question_id for q in questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"questions: each question_id must appear once; repeated: {', '.join(repeated)}")
        return questions


class LlmReply(BaseModel):
    """What the server stores for one LLM scoring: model, prompt, a digest of the messages sent, every raw output
    in order (a corrective retry adds one) and the error when there was no usable reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    prompt_version: str = PROMPT_VERSION
    input_sha256: str
    outputs: list[str] = Field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class DroppedClaim:
    """A claim that was not used, and why."""

    question_id: str
    claim: str
    quote: str
    reason: str


@dataclass(frozen=True)
class LlmInterviewScores:
    """LLM scores with what explains them: the raw reply, the dropped claims and the questions that fell back."""

    scores: InterviewScores
    reply: str
    dropped: tuple[DroppedClaim, ...]
    fallback_questions: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def dropped_count(self) -> int:
        """How many claims were dropped in total."""
        return len(self.dropped)

    def dropped_by_question(self) -> dict[str, int]:
        """Dropped claims per question id (questions without a dropped claim are left out)."""
        counts: dict[str, int] = {}
        for d in self.dropped:
            counts[d.question_id] = counts.get(d.question_id, 0) + 1
        return counts


@dataclass(frozen=True)
class LlmOutcome:
    """The interview scores a stored ``LlmReply`` gives: the LLM's, or the embedded ones with ``note`` saying why."""

    scores: InterviewScores
    llm: LlmInterviewScores | None = None
    note: str | None = None
    summary: dict[str, object] = field(default_factory=dict)


# --- messages ----------------------------------------------------------------------------------------------


def _question_block(question: Question) -> str:
    lines = [f"### {question.id} (dimension: {question.dimension})", question.prompt.strip()]
    if question.look_fors:
        lines.append("Look-fors:")
        lines += [f"- look_for:{lf.id} (weight {lf.weight:g}): {lf.description}" for lf in question.look_fors]
    else:
        lines.append("Look-fors: none listed; judge the answer on its content.")
    lines.append(f"A complete answer is usually at least {question.expected_length.min_words} words.")
    return "\n".join(lines)


def _transcript_block(turns: Sequence[Turn], script: InterviewScript, config: EmbeddedConfig) -> str:
    owner = attribute(turns, script, config.question_match_threshold)
    lines = []
    for turn in turns:
        text = " ".join(turn.text.split())
        lines.append(f"[{turn.seq}] ({owner[turn.seq] or '-'}) {turn.speaker}: {text}")
    return "\n".join(lines)


def build_messages(
    template: str, turns: Sequence[Turn], script: InterviewScript, config: EmbeddedConfig | None = None
) -> tuple[ChatMessage, ...]:
    """System and user messages for one interview: the questions with their look-fors, then the numbered transcript."""
    if USER_MARKER not in template:
        raise ValueError(f"interview scorer template: the line {USER_MARKER} must separate system and user messages")
    config = config or EmbeddedConfig()
    system, user = template.split(USER_MARKER, 1)
    ordered = sorted(turns, key=lambda t: t.seq)
    filled = Template(user).substitute(
        role=script.role,
        questions="\n\n".join(_question_block(q) for q in script.questions()),
        transcript=_transcript_block(ordered, script, config),
        ids=", ".join(q.id for q in script.questions()),
    )
    return ChatMessage("system", system.strip()), ChatMessage("user", filled.strip())


def messages_digest(messages: Sequence[ChatMessage]) -> str:
    """SHA-256 of the messages: a stored reply is reused only for the same prompt, script and transcript."""
    body = json.dumps([[m.role, m.content] for m in messages], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def corrective_message(error: InterviewReplyError) -> ChatMessage:
    """What to say after an invalid reply: the problem and the exact shape wanted."""
    return ChatMessage(
        "user",
        f"Your reply could not be used: {error}. Reply again with only the JSON object "
        '{"questions": [{"question_id": "...", "score": 3, "claims": [{"claim": "...", "quote": "...", '
        '"supports": "specific"}]}]}, one entry per question id, and no other text.',
    )


# --- parsing and verification ------------------------------------------------------------------------------


def parse_reply(raw: str) -> InterviewVerdict:
    """The verdict in a reply (a ```json fence around it is tolerated); InterviewReplyError says what is wrong."""
    return parse_model_reply(raw, InterviewVerdict, "the scores object", InterviewReplyError)


def _verify(claim: Claim, question: Question, turns: Sequence[Turn]) -> tuple[Evidence | None, DroppedClaim | None]:
    """The claim as evidence when its quote was said by the candidate, else why it is dropped."""
    if claim.supports.startswith("look_for:") and claim.supports.removeprefix("look_for:") not in {
        lf.id for lf in question.look_fors
    }:
        return None, DroppedClaim(
            question.id, claim.claim, claim.quote, f"{claim.supports} is not a look-for of this question"
        )
    if len(compact(claim.quote)) < MIN_QUOTE_CHARS:
        return None, DroppedClaim(question.id, claim.claim, claim.quote, "quote too short to show anything")
    found = find_quote(turns, claim.quote, speaker="candidate")
    if found is None:
        return None, DroppedClaim(question.id, claim.claim, claim.quote, "quote not found in the candidate's words")
    return Evidence(
        _said(turns, found, claim.quote),
        found.seq,
        found.start_ms,
        found.end_ms,
        question.id,
        claim.supports,
        claim.claim,
    ), None


def _said(turns: Sequence[Turn], span: QuoteSpan, quote: str) -> str:
    """The quote as the transcript has it (its casing and punctuation) when word times delimit it."""
    turn = next(t for t in turns if t.seq == span.seq)
    if turn.words:
        words = [w.text.strip() for w in turn.words if w.start_ms >= span.start_ms and w.end_ms <= span.end_ms]
        said = " ".join(w for w in words if w)
        if compact(said) == compact(quote):
            return said
    return " ".join(quote.split())


def _llm_question(
    embedded: QuestionScore, question: Question, verdict: QuestionVerdict | None, turns: Sequence[Turn]
) -> tuple[QuestionScore, list[DroppedClaim], str | None]:
    """One question scored from its verdict; the embedded score stays when no verified claim backs the verdict."""
    if verdict is None:
        return embedded, [], f"{question.id}: the LLM gave no score; embedded score kept"
    evidence: list[Evidence] = []
    dropped: list[DroppedClaim] = []
    for claim in verdict.claims:
        found, lost = _verify(claim, question, turns)
        if lost is not None:
            dropped.append(lost)
        elif found is not None and found not in evidence:
            evidence.append(found)
    if not embedded.asked and not embedded.answered:
        return embedded, dropped, None  # never asked: nothing to score, whatever the reply says
    if not evidence:
        reason = f"all {len(dropped)} claims dropped" if dropped else "no claims"
        return (
            embedded,
            dropped,
            f"{question.id}: no verified quote supports the LLM score ({reason}); embedded score kept",
        )
    met = tuple(lf.id for lf in question.look_fors if any(e.signal == f"look_for:{lf.id}" for e in evidence))
    total_weight = sum(lf.weight for lf in question.look_fors)
    coverage = sum(lf.weight for lf in question.look_fors if lf.id in met) / total_weight if total_weight else None
    # A reply that had to be corrected by dropping claims is trusted less, in proportion.
    trust = len(evidence) / (len(evidence) + len(dropped))
    scored = replace(
        embedded,
        score=float(verdict.score),
        confidence=embedded.confidence * trust,
        coverage=coverage,
        look_fors_met=met,
        evidence=tuple(sorted(evidence, key=lambda e: (e.seq, e.start_ms, e.signal, e.quote))),
    )
    return scored, dropped, None


def score_from_reply(
    turns: Sequence[Turn],
    script: InterviewScript,
    reply_text: str,
    model: str,
    audio: AudioMeasures | None = None,
    config: EmbeddedConfig | None = None,
    similarity: LookForSimilarity | None = None,
) -> LlmInterviewScores:
    """Scores from one raw reply, deterministically: verified claims back the LLM's question scores; the measured
    fields (words, length, specificity, structure, delivery) stay the embedded measurements; dimensions aggregate
    as the embedded scorer does. Raises InterviewReplyError when the reply is not the JSON object asked for."""
    verdict = parse_reply(reply_text)
    config = config or EmbeddedConfig()
    ordered = sorted(turns, key=lambda t: t.seq)
    embedded = score_interview(ordered, script, audio, config, similarity)
    by_id = {v.question_id: v for v in verdict.questions}
    known = {q.id for q in script.questions()}
    notes: list[str] = []
    unknown = sorted(set(by_id) - known)
    if unknown:
        notes.append(f"the LLM scored questions the script does not have, ignored: {', '.join(unknown)}")
    questions: list[QuestionScore] = []
    dropped: list[DroppedClaim] = []
    fallback: list[str] = []
    for question in script.questions():
        scored, lost, note = _llm_question(embedded.question(question.id), question, by_id.get(question.id), ordered)
        questions.append(scored)
        dropped += lost
        if note is not None:
            fallback.append(question.id)
            notes.append(note)
    if dropped:
        s = "s" if len(dropped) != 1 else ""
        notes.insert(0, f"LLM scorer: {len(dropped)} unsupported claim{s} dropped (each with its reason in dropped)")
    measures, delivery_evidence = communication_measures(ordered, config, audio)
    dimensions = tuple(
        aggregate_dimension(
            name,
            [q for q in questions if q.dimension == name],
            delivery_evidence if name == "communication" else (),
            measures if name == "communication" else None,
            config,
        )
        for name in script.dimensions()
    )
    scores = InterviewScores(
        scorer="llm",
        version=f"{LLM_SCORER_VERSION}+embedded.{config_version(config)}",
        model=model,
        prompt_version=PROMPT_VERSION,
        questions=tuple(questions),
        dimensions=dimensions,
        communication=measures,
    )
    return LlmInterviewScores(scores, reply_text, tuple(dropped), tuple(fallback), tuple(notes))


def first_valid(outputs: Sequence[str]) -> tuple[str | None, str | None]:
    """The first output that parses as the scores object, else None and the last parse error."""
    error = "no output"
    for raw in outputs:
        try:
            parse_reply(raw)
        except InterviewReplyError as exc:
            error = str(exc)
            continue
        return raw, None
    return None, error


def score_from_record(
    turns: Sequence[Turn],
    script: InterviewScript,
    record: LlmReply,
    audio: AudioMeasures | None = None,
    config: EmbeddedConfig | None = None,
    similarity: LookForSimilarity | None = None,
) -> LlmOutcome:
    """The scores a stored reply gives: the LLM's from its first valid output, else the embedded ones and why
    (``similarity`` is the embedded scorer's look-for evidence, used wherever the embedded scores are)."""
    reply, parse_error = first_valid(record.outputs)
    if reply is None:
        reason = record.error or parse_error or "no output"
        return LlmOutcome(
            scores=score_interview(turns, script, audio, config, similarity),
            note=f"LLM interview scorer gave no usable reply ({reason}): the embedded scorer was used",
        )
    llm = score_from_reply(turns, script, reply, record.model, audio, config, similarity)
    summary: dict[str, object] = {
        "dropped_claims": llm.dropped_count,
        "dropped_by_question": llm.dropped_by_question(),
        "dropped": list(llm.dropped),
        "fallback_questions": list(llm.fallback_questions),
        "notes": list(llm.notes),
    }
    return LlmOutcome(scores=llm.scores, llm=llm, summary=summary)


@dataclass(frozen=True)
class StoredReplyScorer:
    """The LLM scorer behind the ``Scorer`` protocol, for a reply already obtained (and stored) by the server."""

    record: LlmReply
    config: EmbeddedConfig = field(default_factory=EmbeddedConfig)

    def score(
        self, turns: Sequence[Turn], script: InterviewScript, audio: AudioMeasures | None = None
    ) -> InterviewScores:
        """Score every question and dimension of ``script`` from ``turns`` and the stored reply."""
        return score_from_record(turns, script, self.record, audio, self.config).scores
