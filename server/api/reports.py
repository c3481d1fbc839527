"""Employer exports and reports: the one-page PDF scorecard of a candidate, every invitation's results as CSV, and
the agreement (Cohen's kappa) between scorecard recommendations and human decisions. Exports are audited.

Adverse impact by self-reported group (``scoring.fairness.selection_rates`` / ``four_fifths``) waits for the
storage of those self-reports, which is kept apart from what reviewers see."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.fairness import RECOMMENDATION_TO_DECISION, recommendation_agreement
from server.auth import Caller
from server.deps import Db, ServicesDep
from server.lifecycle import effective_state
from server.pdf import PrintedDecision, scorecard_pdf
from server.store.models import Decision, Invitation, Scorecard, User
from server.store.repos.accounts import user_by_id
from server.store.repos.audit import AuditRepo
from server.store.repos.base import NotFound
from server.store.repos.content import PackRepo, pack_content
from server.store.repos.invitations import InvitationFilter, InvitationRepo
from server.store.repos.results import ResultsRepo

router = APIRouter(prefix="/api", tags=["reports"])

CSV_COLUMNS = (
    "invitation_id",
    "candidate_name",
    "candidate_email",
    "mode",
    "state",
    "created_at",
    "completed_at",
    "overall",
    "recommendation",
    "review_integrity_indicators",
    "work_sample_percent",
    "scorecard_version",
    "decision",
    "decided_by",
    "decided_at",
)
PAGE = 200
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Outcome:
    """An invitation's latest scorecard and the decision in force, with who made it."""

    invitation: Invitation
    scorecard: Scorecard | None
    decision: Decision | None
    decided_by: User | None


async def _invitation_pages(db: AsyncSession, employer_id: str) -> AsyncIterator[list[Invitation]]:
    """Every invitation of the employer, newest first, a page at a time."""
    repo = InvitationRepo(db, employer_id)
    offset = 0
    while True:
        page, total = await repo.search(InvitationFilter(limit=PAGE, offset=offset))
        if page:
            yield page
        offset += len(page)
        if not page or offset >= total:
            return


async def _outcomes(db: AsyncSession, employer_id: str, invitations: list[Invitation]) -> list[Outcome]:
    """Each invitation's latest scorecard and decision in force, two queries for the whole list."""
    results = ResultsRepo(db, employer_id)
    ids = [i.id for i in invitations]
    cards, decisions = await results.latest_scorecards(ids), await results.latest_decisions(ids)
    users: dict[str, User | None] = {}
    for decision in decisions.values():
        if decision.user_id not in users:
            users[decision.user_id] = await user_by_id(db, decision.user_id)
    return [
        Outcome(
            i,
            cards.get(i.id),
            decisions.get(i.id),
            users.get(decisions[i.id].user_id) if i.id in decisions else None,
        )
        for i in invitations
    ]


def _person(user: User | None, fallback: str) -> str:
    return f"{user.name} <{user.email}>" if user else fallback


def _cell(value: str | None) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection: a name like ``=HYPERLINK(...)``)."""
    if not value:
        return ""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _number(value: Any) -> str:
    return f"{float(value):.1f}" if isinstance(value, int | float) and not isinstance(value, bool) else ""


def _csv_row(outcome: Outcome, now_state: str) -> list[str]:
    invitation, content = outcome.invitation, outcome.scorecard.content if outcome.scorecard else {}
    integrity = content.get("integrity") or []
    flagged = sum(1 for i in integrity if isinstance(i, dict) and i.get("severity") == "review")
    sample = content.get("work_sample")
    fraction = sample.get("fraction") if isinstance(sample, dict) else None
    return [
        invitation.id,
        _cell(invitation.candidate_name),
        _cell(invitation.candidate_email),
        invitation.mode,
        now_state,
        invitation.created_at.isoformat(),
        invitation.completed_at.isoformat() if invitation.completed_at else "",
        _number(content.get("overall")),
        str(content.get("recommendation") or ""),
        str(flagged) if outcome.scorecard else "",
        _number(100 * fraction) if isinstance(fraction, int | float) else "",
        str(outcome.scorecard.version) if outcome.scorecard else "",
        outcome.decision.outcome if outcome.decision else "",
        _cell(_person(outcome.decided_by, outcome.decision.user_id)) if outcome.decision else "",
        outcome.decision.created_at.isoformat() if outcome.decision else "",
    ]


@router.get(
    "/invitations/{invitation_id}/scorecard.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the one-page scorecard"}},
)
async def scorecard_pdf_export(invitation_id: str, db: Db, who: Caller, services: ServicesDep) -> Response:
    """The latest scorecard as a one-page PDF; 404 for another employer's invitation or before one was computed."""
    invitation = await InvitationRepo(db, who.employer_id).get(invitation_id)
    (outcome,) = await _outcomes(db, who.employer_id, [invitation])
    if outcome.scorecard is None:
        raise NotFound("scorecard", invitation_id)
    titles: dict[str, str] = {}
    if invitation.pack_version_id is not None:
        pack = pack_content(await PackRepo(db, who.employer_id).version(invitation.pack_version_id))
        titles = {task.id: task.title for task in pack.tasks}
    decision = (
        PrintedDecision(
            outcome.decision.outcome,
            outcome.decided_by.name if outcome.decided_by else outcome.decision.user_id,
            outcome.decision.created_at,
        )
        if outcome.decision
        else None
    )
    body = scorecard_pdf(invitation, outcome.scorecard, decision, services.clock(), titles)
    AuditRepo(db, who.employer_id).record(
        who.actor,
        "scorecard.exported",
        "invitation",
        invitation.id,
        {"format": "pdf", "scorecard_id": outcome.scorecard.id, "version": outcome.scorecard.version},
    )
    await db.commit()
    filename = f"gaia-scorecard-{invitation.id}-v{outcome.scorecard.version}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"},
    )


@router.get(
    "/reports/results.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per invitation, with a header"}},
)
async def results_csv(db: Db, who: Caller, services: ServicesDep) -> Response:
    """Every invitation of the employer with its latest scorecard and decision, one CSV row each."""
    now = services.clock()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    rows = 0
    async for page in _invitation_pages(db, who.employer_id):
        for outcome in await _outcomes(db, who.employer_id, page):
            writer.writerow(_csv_row(outcome, effective_state(outcome.invitation, now).value))
            rows += 1
    AuditRepo(db, who.employer_id).record(
        who.actor, "results.exported", "report", None, {"format": "csv", "rows": rows}
    )
    await db.commit()
    filename = f"gaia-results-{now:%Y-%m-%d}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"},
    )


class AgreementOut(BaseModel):
    """How often the scorecard's recommendation matched the decision in force, beyond chance."""

    n: int = Field(description="invitations with both a scorecard and a decision")
    agreed: int
    raw_agreement: float | None
    kappa: float | None = Field(description="Cohen's kappa; null when undefined, with the reason")
    reason: str | None
    mapping: dict[str, str] = Field(description="which recommendation counts as agreeing with which decision")
    invitations: int = Field(description="invitations of the employer looked at")


@router.get("/reports/agreement", response_model=AgreementOut)
async def agreement_report(db: Db, who: Caller) -> AgreementOut:
    """Cohen's kappa between each invitation's latest recommendation and latest human decision."""
    pairs: list[tuple[str, str]] = []
    seen = 0
    async for page in _invitation_pages(db, who.employer_id):
        seen += len(page)
        for outcome in await _outcomes(db, who.employer_id, page):
            if outcome.scorecard is None or outcome.decision is None:
                continue
            recommendation = outcome.scorecard.content.get("recommendation")
            if isinstance(recommendation, str) and recommendation in RECOMMENDATION_TO_DECISION:
                pairs.append((recommendation, outcome.decision.outcome))
    result = recommendation_agreement(pairs)
    return AgreementOut(
        n=result.n,
        agreed=result.agreed,
        raw_agreement=result.raw_agreement,
        kappa=result.kappa,
        reason=result.reason,
        mapping=dict(RECOMMENDATION_TO_DECISION),
        invitations=seen,
    )
