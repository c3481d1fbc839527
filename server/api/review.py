"""Reviewer API: the human decision on a candidate (advance, hold or reject, with a note), append-only and audited."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, HTTPException

from server.api.schemas import DecidedBy, DecisionCreate, DecisionOut, DecisionOutcome
from server.auth import Caller, Principal
from server.deps import Db, ServicesDep
from server.store.models import Decision, User
from server.store.repos.accounts import user_by_id
from server.store.repos.audit import AuditRepo
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo

router = APIRouter(prefix="/api", tags=["review"])

NEEDS_PERSON = (
    "a decision must be recorded by a person signed in at /login (admin or reviewer); "
    "API keys can read decisions but cannot record them"
)


def _decider(principal: Principal) -> str:
    """The signed-in user's id; an API key is no person, so it gets 403 with the way forward."""
    if principal.user_id is None:
        raise HTTPException(status_code=403, detail=NEEDS_PERSON)
    return principal.user_id


def decision_out(decision: Decision, user: User | None, *, superseded: bool) -> DecisionOut:
    """The API view of a stored decision with who made it."""
    return DecisionOut(
        id=decision.id,
        invitation_id=decision.invitation_id,
        outcome=cast(DecisionOutcome, decision.outcome),
        note=decision.note,
        decided_by=DecidedBy(
            user_id=decision.user_id,
            name=user.name if user else None,
            email=user.email if user else None,
        ),
        created_at=decision.created_at,
        superseded=superseded,
    )


@router.post("/invitations/{invitation_id}/decisions", response_model=DecisionOut, status_code=201)
async def record_decision(
    invitation_id: str, body: DecisionCreate, db: Db, who: Caller, services: ServicesDep
) -> DecisionOut:
    """Record your decision on a candidate; it supersedes earlier ones, which stay on record."""
    user_id = _decider(who)
    invitation = await InvitationRepo(db, who.employer_id).get(invitation_id)
    decision = Decision(
        employer_id=who.employer_id,
        invitation_id=invitation.id,
        user_id=user_id,
        outcome=body.outcome,
        note=body.note,
        created_at=services.clock(),
    )
    db.add(decision)
    await db.flush()
    AuditRepo(db, who.employer_id).record(
        who.actor,
        "decision.recorded",
        "invitation",
        invitation.id,
        {"outcome": body.outcome, "decision_id": decision.id},
    )
    await db.commit()
    return decision_out(decision, await user_by_id(db, user_id), superseded=False)


@router.get("/invitations/{invitation_id}/decisions", response_model=list[DecisionOut])
async def list_decisions(invitation_id: str, db: Db, who: Caller) -> list[DecisionOut]:
    """Every decision on a candidate, oldest first, with who decided; the last one is in force."""
    invitation = await InvitationRepo(db, who.employer_id).get(invitation_id)
    decisions = await ResultsRepo(db, who.employer_id).decisions(invitation.id)
    users: dict[str, User | None] = {}
    for decision in decisions:
        if decision.user_id not in users:
            users[decision.user_id] = await user_by_id(db, decision.user_id)
    last = len(decisions) - 1
    return [decision_out(d, users[d.user_id], superseded=i < last) for i, d in enumerate(decisions)]
