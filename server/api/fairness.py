"""Employer-level fairness settings and reports: the integrity thresholds that decide when an indicator asks for a
review, candidates' self-reported demographic groups (admins only, never on a reviewer's screen), and the
adverse-impact report built from them (selection rates per group and the four-fifths ratio)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from scoring.fairness import four_fifths, selection_rates
from server.api.schemas import IntegrityThresholds, Request
from server.auth import Admin, Caller
from server.deps import Db
from server.scorecards import employer_thresholds
from server.store.models import DemographicRecord
from server.store.repos.accounts import employer_by_id
from server.store.repos.audit import AuditRepo
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo

router = APIRouter(prefix="/api", tags=["employer"])


@router.get("/settings/integrity", response_model=IntegrityThresholds)
async def get_integrity_thresholds(db: Db, who: Caller) -> IntegrityThresholds:
    """The thresholds in force for this employer."""
    employer = await employer_by_id(db, who.employer_id)
    return employer_thresholds(employer.settings)


@router.put("/settings/integrity", response_model=IntegrityThresholds)
async def set_integrity_thresholds(body: IntegrityThresholds, db: Db, who: Admin) -> IntegrityThresholds:
    """Set the thresholds; scorecards computed from now on (or recomputed) use them."""
    employer = await employer_by_id(db, who.employer_id)
    employer.settings = {**employer.settings, "integrity": body.model_dump()}
    AuditRepo(db, who.employer_id).record(who.actor, "settings.integrity", "employer", employer.id, body.model_dump())
    await db.commit()
    return body


class DemographicIn(Request):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    group: str = Field(min_length=1, max_length=100, description="the candidate's own words or category")


@router.put("/invitations/{invitation_id}/demographics", status_code=204)
async def record_demographic(invitation_id: str, body: DemographicIn, db: Db, who: Admin) -> None:
    """Record (or correct) a candidate's self-reported group; admins only, and the audit log keeps no value."""
    await InvitationRepo(db, who.employer_id).get(invitation_id)
    found = await db.scalar(
        select(DemographicRecord).where(
            DemographicRecord.employer_id == who.employer_id, DemographicRecord.invitation_id == invitation_id
        )
    )
    if found is None:
        db.add(
            DemographicRecord(
                employer_id=who.employer_id, invitation_id=invitation_id, group=body.group, recorded_by=who.actor
            )
        )
    else:
        found.group, found.recorded_by = body.group, who.actor
    AuditRepo(db, who.employer_id).record(who.actor, "demographic.recorded", "invitation", invitation_id)
    await db.commit()


@router.delete("/invitations/{invitation_id}/demographics", status_code=204)
async def delete_demographic(invitation_id: str, db: Db, who: Admin) -> None:
    """Forget a candidate's group (for example when they withdraw it)."""
    await InvitationRepo(db, who.employer_id).get(invitation_id)
    found = await db.scalar(
        select(DemographicRecord).where(
            DemographicRecord.employer_id == who.employer_id, DemographicRecord.invitation_id == invitation_id
        )
    )
    if found is not None:
        await db.delete(found)
        AuditRepo(db, who.employer_id).record(who.actor, "demographic.deleted", "invitation", invitation_id)
        await db.commit()


class GroupLine(BaseModel):
    group: str
    selected: int
    total: int
    rate: float
    impact_ratio: float | None
    below_four_fifths: bool
    small_group: bool
    sentence: str
    note: str | None


class AdverseImpact(BaseModel):
    selected_means: str
    candidates: int
    groups: list[GroupLine]


@router.get("/reports/adverse-impact", response_model=AdverseImpact)
async def adverse_impact(db: Db, who: Admin) -> AdverseImpact:
    """Selection rates per self-reported group among decided candidates, and each group's four-fifths ratio."""
    records = list(await db.scalars(select(DemographicRecord).where(DemographicRecord.employer_id == who.employer_id)))
    decisions = await ResultsRepo(db, who.employer_id).latest_decisions([r.invitation_id for r in records])
    rows = [(r.group, decisions[r.invitation_id].outcome == "advance") for r in records if r.invitation_id in decisions]
    AuditRepo(db, who.employer_id).record(who.actor, "report.adverse_impact", "employer", who.employer_id)
    await db.commit()
    lines = [
        GroupLine(
            group=i.group,
            selected=i.selected,
            total=i.total,
            rate=i.rate,
            impact_ratio=i.ratio,
            below_four_fifths=i.below_four_fifths,
            small_group=i.small_group,
            sentence=i.sentence,
            note=i.note,
        )
        for i in four_fifths(selection_rates(rows))
    ]
    return AdverseImpact(selected_means="the decision in force is advance", candidates=len(rows), groups=lines)
