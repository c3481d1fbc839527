"""Scorecards from stored facts: the transcript, the graded work samples and the integrity events go through the
pure scorers (``scoring.interview``, ``scoring.integrity``, ``scoring.scorecard``), and the result is stored as a
new version only when it differs from the latest. ``gaia rescore`` recomputes one and compares the bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from prompts.randomize import materialize
from scoring.integrity import IntegrityRecord, indicators
from scoring.interview import score_interview
from scoring.scorecard import Scorecard, build_scorecard
from scoring.transcript import turns_from_dicts
from server.store.models import InvitationMode
from server.store.models import Scorecard as ScorecardRow
from server.store.repos.audit import AuditRepo
from server.store.repos.content import PackRepo, ScriptRepo, pack_content, script_content
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo, row_dict

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


async def compute_scorecard(db: AsyncSession, employer_id: str, invitation_id: str) -> tuple[Scorecard, list[str]]:
    """The scorecard of an invitation from what is stored now, and the session ids in turn-number order."""
    invitation = await InvitationRepo(db, employer_id).get(invitation_id)
    results = ResultsRepo(db, employer_id)
    interview = None
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
            interview = score_interview(turns_from_dicts(rows), script)
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
        indicators(records, order, titles),
        expects_interview=invitation.mode != InvitationMode.ASSESSMENT.value,
        expects_work_sample=invitation.mode != InvitationMode.INTERVIEW.value,
    )
    return card, session_ids


def _content(card: Scorecard, session_ids: list[str]) -> dict[str, Any]:
    content = card.to_dict()
    content["sessions"] = [
        {"session_id": sid, "first_seq": k * SESSION_SEQ_STRIDE} for k, sid in enumerate(session_ids)
    ]
    return content


async def store_scorecard(db: AsyncSession, employer_id: str, invitation_id: str, actor: str) -> ScorecardRow:
    """Compute and keep a new version when the content changed (the caller commits)."""
    card, session_ids = await compute_scorecard(db, employer_id, invitation_id)
    content = _content(card, session_ids)
    versions = await ResultsRepo(db, employer_id).scorecards(invitation_id)
    latest = versions[-1] if versions else None
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
    return row


async def rescore(db: AsyncSession, employer_id: str, invitation_id: str) -> Rescore:
    """Recompute from stored inputs and set it beside the latest stored scorecard (nothing is written)."""
    card, session_ids = await compute_scorecard(db, employer_id, invitation_id)
    versions = await ResultsRepo(db, employer_id).scorecards(invitation_id)
    stored = canonical(versions[-1].content) if versions else None
    return Rescore(stored=stored, recomputed=canonical(_content(card, session_ids)))
