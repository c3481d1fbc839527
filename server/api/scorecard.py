"""An invitation's scorecard for employers: the latest stored version, and a recompute from stored inputs that
keeps a new version only when the result changed (scorer, model and prompt version are recorded with it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from server.auth import Caller
from server.deps import Db, ServicesDep
from server.scorecards import store_scorecard
from server.store.models import Scorecard
from server.store.repos.base import NotFound
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo

router = APIRouter(prefix="/api/invitations/{invitation_id}", tags=["employer"])


class ScorecardOut(BaseModel):
    id: str
    version: int
    scorer: str
    model: str | None
    prompt_version: str | None
    created_at: datetime
    content: dict[str, Any]


def _out(row: Scorecard) -> ScorecardOut:
    return ScorecardOut(
        id=row.id,
        version=row.version,
        scorer=row.scorer,
        model=row.model,
        prompt_version=row.prompt_version,
        created_at=row.created_at,
        content=row.content,
    )


@router.get("/scorecard", response_model=ScorecardOut)
async def latest_scorecard(invitation_id: str, db: Db, who: Caller) -> ScorecardOut:
    """The latest scorecard; 404 until one was computed (at submit or at the end of the interview)."""
    await InvitationRepo(db, who.employer_id).get(invitation_id)  # 404 for another tenant's invitation
    versions = await ResultsRepo(db, who.employer_id).scorecards(invitation_id)
    if not versions:
        raise NotFound("scorecard", invitation_id)
    return _out(versions[-1])


@router.post("/scorecard", response_model=ScorecardOut)
async def recompute_scorecard(invitation_id: str, db: Db, who: Caller, services: ServicesDep) -> ScorecardOut:
    """Score again from stored inputs; a new version is kept only when the result differs (a stored LLM reply to
    the same transcript is reused; the configured LLM is asked only when there is none)."""
    await InvitationRepo(db, who.employer_id).get(invitation_id)
    row = await store_scorecard(db, who.employer_id, invitation_id, who.actor, services.settings, services.embedder)
    await db.commit()
    return _out(row)
