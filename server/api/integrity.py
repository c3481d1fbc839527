"""Integrity events from the candidate's work-sample page: focus, tab switches, paste and copy lengths, small
windows, timer gaps, asset failures and per-item timing. Each is validated, stored with the server's time and
the item it happened on, and only then acknowledged. Nothing here blocks or rejects a candidate: the events
become review indicators (``scoring.integrity``) that a person reads."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prompts.taskpack import TaskPack
from server.api.candidate import resolve_token
from server.api.schemas import Consent, EventBatch
from server.deps import Db, ServicesDep
from server.errors import BadField
from server.store.models import IntegrityEvent
from server.store.repos.audit import AuditRepo
from server.store.repos.content import PackRepo, pack_content

router = APIRouter(prefix="/api/candidate/{token}", tags=["assessment"])

NOTICE_VERSION = "integrity-notice-v1"
"""The text the candidate consents to lives in ``assessment.html``; bump this when it changes."""

_COMMON = frozenset({"id", "at", "task_id", "item_id", "kind"})


class EventsStored(BaseModel):
    stored: int
    duplicates: int
    server_at: datetime


def _check_places(batch: EventBatch, pack: TaskPack | None) -> None:
    """Every event's task and item exist in the invitation's pack (an item needs its task)."""
    items = {task.id: {item.id for item in task.items} for task in (pack.tasks if pack else [])}
    for index, event in enumerate(batch.events):
        if event.task_id is not None and event.task_id not in items:
            raise BadField(f"body.events[{index}].task_id", f"no task {event.task_id!r} in this invitation")
        if event.item_id is not None:
            if event.task_id is None:
                raise BadField(f"body.events[{index}].task_id", "an event on an item needs its task_id")
            if event.item_id not in items[event.task_id]:
                raise BadField(f"body.events[{index}].item_id", f"no item {event.item_id!r} in task {event.task_id!r}")


@router.post("/events", response_model=EventsStored)
async def record_events(token: str, body: EventBatch, db: Db, services: ServicesDep) -> EventsStored:
    """Store a batch of page events (committed before the 200); a retried batch stores each event once."""
    invitation, _ = await resolve_token(db, token, services)
    pack = None
    if invitation.pack_version_id is not None:
        pack = pack_content(await PackRepo(db, invitation.employer_id).version(invitation.pack_version_id))
    _check_places(body, pack)
    now = services.clock()
    ids = [event.id for event in body.events]
    known = set(
        await db.scalars(
            select(IntegrityEvent.client_event_id).where(
                IntegrityEvent.invitation_id == invitation.id, IntegrityEvent.client_event_id.in_(ids)
            )
        )
    )
    stored = 0
    for event in body.events:
        if event.id in known:
            continue
        known.add(event.id)  # the same id twice in one batch is one event
        row = IntegrityEvent(
            employer_id=invitation.employer_id,
            invitation_id=invitation.id,
            kind=event.kind,
            task_id=event.task_id,
            item_id=event.item_id,
            detail=event.model_dump(mode="json", exclude=set(_COMMON)),
            client_at=event.at,
            server_at=now,
            client_event_id=event.id,
        )
        try:
            async with db.begin_nested():  # a concurrent retry may have stored it a moment ago
                db.add(row)
                await db.flush()
        except IntegrityError:
            continue
        stored += 1
        if isinstance(event, Consent):
            AuditRepo(db, invitation.employer_id).record(
                "candidate", "assessment.consent", "invitation", invitation.id, {"notice": event.notice}
            )
    await db.commit()
    return EventsStored(stored=stored, duplicates=len(body.events) - stored, server_at=now)
