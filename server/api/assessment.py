"""The candidate's work-sample attempt: start or resume, save answers item by item (persisted before the OK),
and submit for grading. The server clock keeps the time limit; late answers are kept and marked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from prompts.answers import Answer
from prompts.taskpack import TaskPack
from scoring.grading.attempt import grade_attempt
from server.api.candidate import resolve_token
from server.deps import Db, ServicesDep
from server.errors import BadField
from server.judge import justification_evidence
from server.lifecycle import transition
from server.scorecards import store_scorecard
from server.store.models import AssessmentAttempt, Invitation, InvitationMode, InvitationState
from server.store.repos.attempts import AttemptRepo
from server.store.repos.audit import AuditRepo
from server.store.repos.base import Conflict, NotFound
from server.store.repos.content import PackRepo, pack_content
from server.webhooks import INVITATION_COMPLETED, enqueue, invitation_completed

router = APIRouter(prefix="/api/candidate/{token}", tags=["assessment"])


class AttemptOut(BaseModel):
    """The candidate's own attempt: timing by the server clock and the answers saved so far."""

    attempt_id: str
    state: str
    started_at: datetime
    deadline_at: datetime
    remaining_s: int
    submitted_at: datetime | None
    answers: dict[str, dict[str, dict[str, Any]]]
    late_items: list[str]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Answer
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=100)


class AnswerSaved(BaseModel):
    task_id: str
    item_id: str
    revision: int
    saved_at: datetime
    late: bool


class Submitted(BaseModel):
    submitted_at: datetime


async def _context(db: Db, token: str, services: ServicesDep) -> tuple[Invitation, TaskPack, AttemptRepo]:
    invitation, _ = await resolve_token(db, token, services)
    if invitation.pack_version_id is None:
        raise Conflict("this invitation has no work samples")
    pack = pack_content(await PackRepo(db, invitation.employer_id).version(invitation.pack_version_id))
    return invitation, pack, AttemptRepo(db, invitation.employer_id)


async def _out(repo: AttemptRepo, attempt: AssessmentAttempt, now: datetime) -> AttemptOut:
    rows = await repo.answers(attempt.id)
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        answers.setdefault(row.task_id, {})[row.item_id] = row.value
    return AttemptOut(
        attempt_id=attempt.id,
        state=attempt.state,
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        remaining_s=max(0, int((attempt.deadline_at - now).total_seconds())),
        submitted_at=attempt.submitted_at,
        answers=answers,
        late_items=[f"{r.task_id}/{r.item_id}" for r in rows if r.late],
    )


@router.get("/attempt", response_model=AttemptOut)
async def get_attempt(token: str, db: Db, services: ServicesDep) -> AttemptOut:
    """The attempt with its saved answers and the server's remaining time; 404 until it is started."""
    invitation, _pack, repo = await _context(db, token, services)
    attempt = await repo.for_invitation(invitation.id)
    if attempt is None:
        raise NotFound("attempt", "not started")
    return await _out(repo, attempt, services.clock())


@router.post("/attempt", response_model=AttemptOut)
async def start_attempt(token: str, db: Db, services: ServicesDep) -> AttemptOut:
    """Start the work samples, or resume the attempt already started (a reload never restarts the clock)."""
    invitation, pack, repo = await _context(db, token, services)
    now = services.clock()
    attempt = await repo.for_invitation(invitation.id)
    if attempt is None:
        deadline = now + timedelta(seconds=pack.time_limit_s * invitation.time_multiplier)
        attempt = await repo.start(invitation.id, invitation.seed, deadline, now)
        transition(invitation, InvitationState.IN_PROGRESS, now)
        AuditRepo(db, invitation.employer_id).record(
            "candidate", "assessment.started", "assessment_attempt", attempt.id
        )
        await db.commit()
    return await _out(repo, attempt, now)


@router.put("/answers/{task_id}/{item_id}", response_model=AnswerSaved)
async def save_answer(
    token: str, task_id: str, item_id: str, body: AnswerIn, db: Db, services: ServicesDep
) -> AnswerSaved:
    """Save (or revise) one item's answer; it is committed before this returns. After the deadline it is kept, marked late."""
    invitation, pack, repo = await _context(db, token, services)
    attempt = await repo.for_invitation(invitation.id)
    if attempt is None:
        raise Conflict("start the work samples first (POST …/attempt)")
    if attempt.state == "submitted":
        raise Conflict("the work samples were submitted; answers can no longer change")
    task = next((t for t in pack.tasks if t.id == task_id), None)
    if task is None or all(item.id != item_id for item in task.items):
        raise NotFound("item", f"{task_id}/{item_id}")
    if body.answer.type != task.type:
        raise BadField("body.answer.type", f"this item is a {task.type} item, not {body.answer.type}")
    row, _repeated = await repo.save_answer(
        attempt, task_id, item_id, body.answer.model_dump(mode="json"), body.idempotency_key, services.clock()
    )
    await db.commit()
    return AnswerSaved(task_id=task_id, item_id=item_id, revision=row.revision, saved_at=row.saved_at, late=row.late)


@router.post("/submit", response_model=Submitted)
async def submit(token: str, db: Db, services: ServicesDep) -> Submitted:
    """Hand in the work samples; they are graded from the stored answers (the candidate does not see grades)."""
    invitation, pack, repo = await _context(db, token, services)
    attempt = await repo.for_invitation(invitation.id)
    if attempt is None:
        raise Conflict("start the work samples first (POST …/attempt)")
    if attempt.state != "submitted":
        now = services.clock()
        out = await _out(repo, attempt, now)
        late = set(out.late_items)
        # Similarities and judge verdicts are computed once and stored in the results, so re-grading reproduces them.
        evidence = await justification_evidence(pack, out.answers, late, services.settings, services.embedder)
        attempt.results = grade_attempt(pack, out.answers, late, evidence)
        attempt.state, attempt.submitted_at = "submitted", now
        if invitation.mode in (InvitationMode.ASSESSMENT.value, InvitationMode.INTERVIEW_ASSESSMENT.value):
            transition(invitation, InvitationState.COMPLETED, now)
            await enqueue(db, invitation.employer_id, INVITATION_COMPLETED, invitation_completed(invitation))
        AuditRepo(db, invitation.employer_id).record(
            "candidate", "assessment.submitted", "assessment_attempt", attempt.id, {"late_items": len(out.late_items)}
        )
        await db.commit()  # the submission stands before scoring, which may wait on an LLM: hold no write lock then
        await store_scorecard(db, invitation.employer_id, invitation.id, "system", services.settings, services.embedder)
        await db.commit()
    assert attempt.submitted_at is not None
    return Submitted(submitted_at=attempt.submitted_at)
