"""Scorecards from stored facts: the transcript, the graded work samples and the integrity events go through the
pure scorers (``scoring.interview``, ``scoring.integrity``, ``scoring.scorecard``), and the result is stored as a
new version only when it differs from the latest. ``gaia rescore`` recomputes one and compares the bytes.

With an LLM configured the interview is scored by ``scoring.interview_llm`` from the model's raw reply, which is
stored in the scorecard content (``llm_reply``) together with a digest of what was sent; a recompute for the same
transcript reuses it, so ``gaia rescore`` never calls the model. Any failure falls back to the embedded scorer and
``scorer_note`` says why.

The embedded scorer's look-for similarities (answer sentences against look-fors, by the local sentence embedder) are
stored the same way (``look_for_similarity``, with a digest of the sentences and look-fors they were computed from)
and reused by a recompute of the same transcript, so ``gaia rescore`` never loads the model either."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from prompts.randomize import materialize
from prompts.script import InterviewScript
from scoring.integrity import (
    Indicator,
    IntegrityRecord,
    VoiceSignalRecord,
    indicators,
    voice_indicators,
)
from scoring.interview import InterviewScores, plain, score_interview, similarity_inputs
from scoring.interview_llm import PROMPT_VERSION, LlmReply, first_valid, messages_digest, score_from_record
from scoring.lookfor_similarity import LookForSimilarity
from scoring.scorecard import Scorecard, build_scorecard
from scoring.transcript import Turn, turns_from_dicts
from server.api.schemas import IntegrityThresholds
from server.embeddings import LazyEmbedder, look_for_similarity
from server.interview_llm import interview_scorer_configured, request_reply, scorer_messages
from server.settings import Settings
from server.store.models import InvitationMode
from server.store.models import Scorecard as ScorecardRow
from server.store.repos.accounts import employer_by_id
from server.store.repos.audit import AuditRepo
from server.store.repos.content import PackRepo, ScriptRepo, pack_content, script_content
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo, row_dict
from server.store.repos.sessions import SessionRepo
from server.webhooks import SCORECARD_UPDATED, enqueue, scorecard_updated

logger = logging.getLogger(__name__)
Record = TypeVar("Record", bound=BaseModel)

SESSION_SEQ_STRIDE = 100_000
"""Turns of the k-th interview session of an invitation are numbered from k × this, so one transcript can hold
every session (a reconnect after a crash is a new session) and a turn's number says which recording it is in."""


@dataclass(frozen=True)
class Rescore:
    """A recomputed scorecard beside the stored one."""

    stored: str | None
    recomputed: str

    @property
    def identical(self) -> bool:
        """True when the stored bytes equal the recomputed ones."""
        return self.stored == self.recomputed


def canonical(content: dict[str, Any]) -> str:
    """The stored content as canonical JSON, the form compared byte for byte."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class InterviewScoring:
    """How the interview was scored: the scores, the LLM's stored reply and its summary, or why the LLM was not used."""

    scores: InterviewScores
    llm_reply: LlmReply | None = None
    llm_summary: dict[str, Any] | None = None
    scorer_note: str | None = None


@dataclass(frozen=True)
class ComputedScorecard:
    """A scorecard computed from stored facts, with what the stored content keeps beside it."""

    card: Scorecard
    session_ids: list[str] = field(default_factory=list)
    interview: InterviewScoring | None = None
    similarity: LookForSimilarity | None = None
    thresholds: IntegrityThresholds | None = None

    def content(self) -> dict[str, Any]:
        """The JSON content stored for this scorecard (the form ``canonical`` compares)."""
        content = self.card.to_dict()
        content["sessions"] = [
            {"session_id": sid, "first_seq": k * SESSION_SEQ_STRIDE} for k, sid in enumerate(self.session_ids)
        ]
        if self.similarity is not None:
            content["look_for_similarity"] = self.similarity.model_dump(mode="json")
        if self.thresholds is not None:
            content["integrity_thresholds"] = self.thresholds.model_dump(mode="json")
        scoring = self.interview
        if scoring is not None and scoring.llm_reply is not None:
            content["llm_reply"] = scoring.llm_reply.model_dump(mode="json")
        if scoring is not None and scoring.llm_summary is not None:
            content["llm_scoring"] = scoring.llm_summary
        if scoring is not None and scoring.scorer_note is not None:
            content["scorer_note"] = scoring.scorer_note
        return content


def stored_record(content: dict[str, Any], key: str, model: type[Record]) -> Record | None:
    """A record kept in a stored scorecard's content under ``key`` (the LLM reply, the look-for similarities, the
    integrity thresholds), if there is a readable one."""
    raw = content.get(key)
    if not isinstance(raw, dict):
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        logger.warning("stored %s is unreadable; it is not reused", key)
        return None


async def look_for_evidence(
    turns: Sequence[Turn],
    script: InterviewScript,
    settings: Settings | None,
    embedder: LazyEmbedder | None,
    stored: LookForSimilarity | None,
) -> LookForSimilarity | None:
    """Similarities for these turns: the stored ones when they were computed from the same sentences and look-fors
    (by the model loaded now with the thresholds set now, if there are settings), else the embedder's; None without
    an embedder or when it fails."""
    inputs = similarity_inputs(turns, script)
    if not inputs.sentences:
        return None
    reusable = stored is not None and stored.input_sha256 == inputs.digest()
    if embedder is None or settings is None:
        return stored if reusable else None
    try:
        model = await embedder.get()
        if model is None:
            return None
        wanted = (model.model, settings.interview_similarity_threshold, settings.interview_similarity_margin)
        if stored is not None and reusable and (stored.model, stored.threshold, stored.min_margin) == wanted:
            return stored
        return await look_for_similarity(model, inputs, wanted[1], wanted[2])
    except Exception:  # a broken model must not lose a scorecard: the phrase look-fors still score
        logger.exception("look-for similarity failed")
        return None


async def score_interview_for_card(
    turns: Sequence[Turn],
    script: InterviewScript,
    settings: Settings | None,
    reuse_reply: LlmReply | None,
    similarity: LookForSimilarity | None = None,
) -> InterviewScoring:
    """Interview scores: from ``reuse_reply`` when it answered these very messages, else from the configured LLM,
    else embedded (with ``similarity`` as look-for evidence). The model is never called without ``settings``; every
    failure falls back to the embedded scorer."""
    record: LlmReply | None = None
    if reuse_reply is not None or interview_scorer_configured(settings):
        messages = scorer_messages(turns, script)
        digest = messages_digest(messages)
        if reuse_reply is not None and (reuse_reply.input_sha256, reuse_reply.prompt_version) == (
            digest,
            PROMPT_VERSION,
        ):
            record = reuse_reply
        elif settings is not None and interview_scorer_configured(settings):
            try:
                record = await request_reply(settings, messages)
            except Exception as exc:  # an endpoint problem must never lose a scorecard
                logger.exception("LLM interview scorer call failed")
                record = LlmReply(
                    model=settings.llm_model or "", input_sha256=digest, error=f"{type(exc).__name__}: {exc}"
                )
    if record is None:
        return InterviewScoring(score_interview(turns, script, similarity=similarity))
    try:
        outcome = score_from_record(turns, script, record, similarity=similarity)
    except Exception as exc:  # a bug in reply handling must not lose the scorecard either
        logger.exception("scoring the LLM reply failed")
        return InterviewScoring(
            score_interview(turns, script, similarity=similarity),
            llm_reply=record,
            scorer_note=f"LLM interview scorer failed ({type(exc).__name__}: {exc}): the embedded scorer was used",
        )
    summary = plain(outcome.summary) if outcome.llm is not None else None
    return InterviewScoring(outcome.scores, llm_reply=record, llm_summary=summary, scorer_note=outcome.note)


async def compute_scorecard(
    db: AsyncSession,
    employer_id: str,
    invitation_id: str,
    settings: Settings | None = None,
    reuse_reply: LlmReply | None = None,
    embedder: LazyEmbedder | None = None,
    reuse_similarity: LookForSimilarity | None = None,
    thresholds: IntegrityThresholds | None = None,
) -> ComputedScorecard:
    """The scorecard of an invitation from what is stored now, with the session ids in turn-number order; the LLM
    is asked only when ``settings`` configure one and ``reuse_reply`` is not a reply to the same transcript, the
    embedder only with ``settings`` and when ``reuse_similarity`` was not computed from the same answers; integrity
    indicators use ``thresholds``, else the employer's thresholds now."""
    invitation = await InvitationRepo(db, employer_id).get(invitation_id)
    results = ResultsRepo(db, employer_id)
    interview = None
    scoring: InterviewScoring | None = None
    similarity: LookForSimilarity | None = None
    weights: dict[str, float] = {}
    session_ids: list[str] = []
    if invitation.script_version_id is not None:
        script = script_content(await ScriptRepo(db, employer_id).version(invitation.script_version_id))
        weights = dict(script.dimension_weights)
        rows: list[dict[str, Any]] = []
        for k, session in enumerate(await results.sessions(invitation_id)):
            session_ids.append(session.id)
            for turn in await results.turns(session.id):
                row = row_dict(turn)
                row["seq"] = k * SESSION_SEQ_STRIDE + turn.seq
                rows.append(row)
        if any(row["speaker"] == "candidate" for row in rows):
            turns = turns_from_dicts(rows)
            similarity = await look_for_evidence(turns, script, settings, embedder, reuse_similarity)
            scoring = await score_interview_for_card(turns, script, settings, reuse_reply, similarity)
            interview = scoring.scores
    limits = thresholds or employer_thresholds((await employer_by_id(db, employer_id)).settings)
    voice: list[Indicator] = []
    if interview is not None:
        sessions_repo = SessionRepo(db, employer_id)
        question_order = [q.id for q in script.questions()]
        started = {session.id: session.started_at for session in await results.sessions(invitation_id)}
        by_session: dict[str, list[VoiceSignalRecord]] = {}
        for session_id, event in await sessions_repo.events(invitation_id, prefix="voice."):
            record = VoiceSignalRecord(event.kind, event.start_ms, event.end_ms or event.start_ms, event.detail)
            by_session.setdefault(session_id, []).append(record)
        for session_id, signals in by_session.items():
            voice.extend(
                voice_indicators(signals, limits.voice(), started_at=started[session_id], question_order=question_order)
            )
    work_sample = None
    order: list[str] = []
    titles: dict[str, str] = {}
    if invitation.pack_version_id is not None:
        pack = pack_content(await PackRepo(db, employer_id).version(invitation.pack_version_id))
        order = materialize(pack, invitation.seed).task_ids()
        titles = {task.id: task.title for task in pack.tasks}
        attempt = await results.attempt(invitation_id)
        if attempt is not None and attempt.results is not None:
            work_sample = attempt.results
    records = [
        IntegrityRecord(e.kind, e.server_at, e.task_id, e.item_id, e.detail)
        for e in await results.integrity_events(invitation_id)
    ]
    card = build_scorecard(
        interview,
        weights,
        work_sample,
        [
            *indicators(records, order, titles, limits.work_sample()),
            *voice,
        ],
        expects_interview=invitation.mode != InvitationMode.ASSESSMENT.value,
        expects_work_sample=invitation.mode != InvitationMode.INTERVIEW.value,
    )
    return ComputedScorecard(card, session_ids, scoring, similarity, limits)


def _reusable(latest: ScorecardRow | None, settings: Settings | None) -> LlmReply | None:
    """The latest stored LLM reply when it is a usable answer worth keeping: it is reused only for the same
    messages (``compute_scorecard`` checks the digest), and only if it came from the model configured now."""
    record = stored_record(latest.content, "llm_reply", LlmReply) if latest is not None else None
    if record is None or first_valid(record.outputs)[0] is None:
        return None  # a failed call is tried again
    if settings is not None and interview_scorer_configured(settings) and record.model != settings.llm_model:
        return None
    return record


async def store_scorecard(
    db: AsyncSession,
    employer_id: str,
    invitation_id: str,
    actor: str,
    settings: Settings | None = None,
    embedder: LazyEmbedder | None = None,
) -> ScorecardRow:
    """Compute and keep a new version when the content changed, and commit it; with ``settings`` the configured LLM
    scores the interview unless a stored reply already answered the same transcript, and ``embedder`` finds look-fors
    by meaning unless stored similarities were computed from the same answers.

    One at a time per invitation in this process: the interview's end and the assessment's submit can both score
    within the same second, and both would otherwise take the next version number.
    """
    lock = _SCORING.get(invitation_id)
    if lock is None:
        lock = _SCORING[invitation_id] = asyncio.Lock()
    async with lock:
        row = await _store_scorecard(db, employer_id, invitation_id, actor, settings, embedder)
        await db.commit()
    return row


# A lock lives while a caller holds a reference to it, so the table does not grow with every invitation ever scored.
_SCORING: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


async def _store_scorecard(
    db: AsyncSession,
    employer_id: str,
    invitation_id: str,
    actor: str,
    settings: Settings | None,
    embedder: LazyEmbedder | None,
) -> ScorecardRow:
    versions = await ResultsRepo(db, employer_id).scorecards(invitation_id)
    latest = versions[-1] if versions else None
    computed = await compute_scorecard(
        db,
        employer_id,
        invitation_id,
        settings,
        _reusable(latest, settings),
        embedder,
        stored_record(latest.content, "look_for_similarity", LookForSimilarity) if latest is not None else None,
    )
    card, content = computed.card, computed.content()
    if latest is not None and canonical(latest.content) == canonical(content):
        return latest
    row = ScorecardRow(
        employer_id=employer_id,
        invitation_id=invitation_id,
        version=(latest.version + 1) if latest else 1,
        content=content,
        scorer=card.scorer or "work_sample_only",
        model=card.model,
        prompt_version=card.prompt_version,
    )
    db.add(row)
    await db.flush()
    AuditRepo(db, employer_id).record(
        actor,
        "scorecard.computed",
        "scorecard",
        row.id,
        {"version": row.version, "recommendation": card.recommendation},
    )
    invitation = await InvitationRepo(db, employer_id).get(invitation_id)
    summary = scorecard_updated(invitation, row.version, content["recommendation"], content["overall"])
    await enqueue(db, employer_id, SCORECARD_UPDATED, summary)
    return row


async def rescore(db: AsyncSession, employer_id: str, invitation_id: str) -> Rescore:
    """Recompute from stored inputs and set it beside the latest stored scorecard (nothing is written); the LLM's
    stored reply, or its stored failure, the stored look-for similarities and the integrity thresholds it was
    computed with are reused: no model is called, and a later change of the employer's thresholds is no change
    of this scorecard's inputs."""
    versions = await ResultsRepo(db, employer_id).scorecards(invitation_id)
    latest = versions[-1] if versions else None
    content = latest.content if latest is not None else {}
    computed = await compute_scorecard(
        db,
        employer_id,
        invitation_id,
        reuse_reply=stored_record(content, "llm_reply", LlmReply),
        reuse_similarity=stored_record(content, "look_for_similarity", LookForSimilarity),
        thresholds=stored_record(content, "integrity_thresholds", IntegrityThresholds),
    )
    stored = canonical(latest.content) if latest is not None else None
    return Rescore(stored=stored, recomputed=canonical(computed.content()))


def employer_thresholds(settings: dict[str, Any]) -> IntegrityThresholds:
    """The employer's integrity thresholds (the defaults where none were set)."""
    return IntegrityThresholds.model_validate(settings.get("integrity", {}))
