"""Webhooks API (admins only): register endpoints, remove them, read their delivery log, send a test ping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.api.schemas import DeliveryAttemptOut, DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut
from server.auth import Admin
from server.deps import Db
from server.store.models import DeliveryState, Webhook, WebhookDelivery
from server.store.repos.audit import AuditRepo
from server.webhooks import WebhookRepo

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


def _out(hook: Webhook) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, events=hook.events, active=hook.active, created_at=hook.created_at)


def _delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        webhook_id=row.webhook_id,
        event=row.event,
        state=row.state,
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at if row.state == DeliveryState.PENDING.value else None,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        payload=row.payload,
        log=[DeliveryAttemptOut.model_validate(entry) for entry in row.attempt_log],
    )


@router.post("", response_model=WebhookCreated, status_code=201)
async def create_webhook(body: WebhookCreate, db: Db, who: Admin) -> WebhookCreated:
    """Register an endpoint; the answer carries its signing secret, shown this once."""
    events: list[str] = list(dict.fromkeys(body.events))
    hook = WebhookRepo(db, who.employer_id).create(str(body.url), events, who.actor)
    await db.flush()
    AuditRepo(db, who.employer_id).record(who.actor, "webhook.created", "webhook", hook.id, {"events": events})
    await db.commit()
    return WebhookCreated(**_out(hook).model_dump(), secret=hook.secret)


@router.get("", response_model=list[WebhookOut])
async def list_webhooks(db: Db, who: Admin) -> list[WebhookOut]:
    """Your organisation's webhooks (without secrets)."""
    return [_out(hook) for hook in await WebhookRepo(db, who.employer_id).all()]


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, db: Db, who: Admin) -> None:
    """Remove a webhook and its delivery log; nothing more is sent to it."""
    await WebhookRepo(db, who.employer_id).delete(webhook_id)
    AuditRepo(db, who.employer_id).record(who.actor, "webhook.deleted", "webhook", webhook_id)
    await db.commit()


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    webhook_id: str, db: Db, who: Admin, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[DeliveryOut]:
    """The delivery log, newest first: state, attempts, and each attempt's status or error."""
    return [_delivery_out(row) for row in await WebhookRepo(db, who.employer_id).deliveries(webhook_id, limit)]


@router.post("/{webhook_id}/test", response_model=DeliveryOut, status_code=202)
async def test_webhook(webhook_id: str, db: Db, who: Admin) -> DeliveryOut:
    """Queue a ``ping`` to this webhook; follow it in the delivery log."""
    repo = WebhookRepo(db, who.employer_id)
    delivery = repo.ping(await repo.get(webhook_id))
    await db.flush()
    AuditRepo(db, who.employer_id).record(who.actor, "webhook.tested", "webhook", webhook_id, {"delivery": delivery.id})
    await db.commit()
    return _delivery_out(delivery)
