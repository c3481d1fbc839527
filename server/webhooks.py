"""Webhooks: an employer's endpoints hear about completions and new scorecards.

An event is written as one pending ``WebhookDelivery`` per subscribed webhook in the transaction of the fact that
caused it (persist before acknowledging). A ``DeliveryWorker`` in every API process claims due deliveries with a
conditional UPDATE (a claim token and a lease, so two replicas never send the same attempt and a crashed one's claim
expires), POSTs the signed JSON with httpx, and records each attempt: 2xx delivers, anything else retries with
exponential backoff until the attempts run out and the delivery is marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.settings import Settings
from server.store.models import DeliveryState, Invitation, Webhook, WebhookDelivery, utcnow
from server.store.repos.base import TenantRepo

logger = logging.getLogger(__name__)

INVITATION_COMPLETED = "invitation.completed"
SCORECARD_UPDATED = "scorecard.updated"
PING = "ping"
EVENTS = (INVITATION_COMPLETED, SCORECARD_UPDATED)
"""Events a webhook can subscribe to; ``ping`` is sent only on request, to one webhook."""

SIGNATURE_HEADER = "X-Gaia-Signature"
EVENT_HEADER = "X-Gaia-Event"
DELIVERY_HEADER = "X-Gaia-Delivery"
USER_AGENT = "GAIA-Webhooks/1"


def new_secret() -> str:
    """A signing secret for a new webhook (shown to the employer once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: str) -> str:
    """HMAC-SHA256, hex, of ``f"{timestamp}.{body}"`` under the webhook's secret."""
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: str) -> str:
    """The ``X-Gaia-Signature`` value: ``t=<unix seconds>,v1=<hex>``."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def backoff_s(failed_attempts: int, base_s: float, max_s: float) -> float:
    """Wait after the n-th failed attempt: base, 2×base, 4×base, … capped at ``max_s``."""
    return float(min(base_s * 2 ** max(failed_attempts - 1, 0), max_s))


def invitation_completed(invitation: Invitation) -> dict[str, Any]:
    """The ``invitation.completed`` payload: which invitation and candidate, and when."""
    return {
        "invitation_id": invitation.id,
        "candidate_name": invitation.candidate_name,
        "mode": invitation.mode,
        "state": invitation.state,
        "completed_at": invitation.completed_at.isoformat() if invitation.completed_at else None,
    }


def scorecard_updated(
    invitation: Invitation, version: int, recommendation: str, overall: float | None
) -> dict[str, Any]:
    """The ``scorecard.updated`` payload: the headline only (no answers, ground truth or transcript)."""
    return {
        "invitation_id": invitation.id,
        "candidate_name": invitation.candidate_name,
        "state": invitation.state,
        "version": version,
        "recommendation": recommendation,
        "overall": overall,
    }


def _delivery(webhook: Webhook, event: str, payload: dict[str, Any], now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        employer_id=webhook.employer_id,
        webhook_id=webhook.id,
        event=event,
        payload=payload,
        attempts=0,
        attempt_log=[],
        state=DeliveryState.PENDING.value,
        next_attempt_at=now,
        created_at=now,
    )


async def enqueue(db: AsyncSession, employer_id: str, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Add a pending delivery for each active webhook of the employer subscribed to ``event`` (the caller commits)."""
    hooks = await db.scalars(select(Webhook).where(Webhook.employer_id == employer_id, Webhook.active.is_(True)))
    now = utcnow()
    deliveries = [_delivery(hook, event, payload, now) for hook in hooks if event in hook.events]
    db.add_all(deliveries)
    return deliveries


class WebhookRepo(TenantRepo):
    """One employer's webhooks and their delivery log."""

    def create(self, url: str, events: list[str], created_by: str) -> Webhook:
        """A new active webhook with a fresh signing secret."""
        return self._add(Webhook(), url=url, secret=new_secret(), events=events, active=True, created_by=created_by)

    async def all(self) -> list[Webhook]:
        """Every webhook, oldest first."""
        return list(await self.session.scalars(self._select(Webhook).order_by(Webhook.created_at, Webhook.id)))

    async def get(self, webhook_id: str) -> Webhook:
        """One webhook; NotFound for another employer's id."""
        return await self._get(Webhook, webhook_id, "webhook")

    async def delete(self, webhook_id: str) -> None:
        """Remove a webhook; its deliveries go with it, so nothing more is sent."""
        await self.session.delete(await self.get(webhook_id))

    def ping(self, webhook: Webhook) -> WebhookDelivery:
        """Queue a ``ping`` to this webhook only, whatever it subscribes to."""
        delivery = _delivery(webhook, PING, {"webhook_id": webhook.id}, utcnow())
        self.session.add(delivery)
        return delivery

    async def deliveries(self, webhook_id: str, limit: int = 100) -> list[WebhookDelivery]:
        """The webhook's delivery log, newest first."""
        await self.get(webhook_id)
        query = (
            self._select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))


@dataclass(frozen=True)
class DeliveryPolicy:
    """How often to look, how long to wait between attempts, and when to give up."""

    poll_interval_s: float = 2.0
    backoff_base_s: float = 30.0
    backoff_max_s: float = 3600.0
    max_attempts: int = 10
    timeout_s: float = 10.0
    batch: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the ``GAIA_WEBHOOK_*`` settings describe."""
        return cls(
            poll_interval_s=settings.webhook_poll_interval_s,
            backoff_base_s=settings.webhook_backoff_base_s,
            backoff_max_s=settings.webhook_backoff_max_s,
            max_attempts=settings.webhook_max_attempts,
            timeout_s=settings.webhook_timeout_s,
        )

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: past it, a delivery whose sender died is due again."""
        return timedelta(seconds=self.timeout_s + 60)


@dataclass(frozen=True)
class _Attempt:
    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryWorker:
    """Sends due deliveries in the background of one process; several processes may run one each."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policy: DeliveryPolicy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.policy = policy
        self._clock = clock
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Begin polling (call from the running event loop)."""
        if self._task is not None:
            return
        self._client = httpx.AsyncClient(
            timeout=self.policy.timeout_s, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="webhook-delivery-worker")

    async def stop(self) -> None:
        """Let the current pass finish (at most one receiver timeout), then stop; unsent claims expire and retry."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            _done, pending = await asyncio.wait([task], timeout=self.policy.timeout_s + 1)
            for still in pending:
                still.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await still
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                logger.exception("webhook delivery pass failed; trying again in %.1f s", self.policy.poll_interval_s)
                sent = 0
            if sent < self.policy.batch:  # a full batch means more may be due: go again at once
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.policy.poll_interval_s)

    async def run_once(self) -> int:
        """Claim the deliveries due now and attempt each once, concurrently; returns how many were attempted."""
        claimed = await self._claim_due()
        await asyncio.gather(*(self._attempt(delivery, token) for delivery, token in claimed))
        return len(claimed)

    async def _claim_due(self) -> list[tuple[WebhookDelivery, str]]:
        now = self._clock()
        due = (WebhookDelivery.state == DeliveryState.PENDING.value) & (WebhookDelivery.next_attempt_at <= now)
        claimed: list[tuple[WebhookDelivery, str]] = []
        async with self._sessions() as db:
            query = select(WebhookDelivery.id).where(due).order_by(WebhookDelivery.next_attempt_at)
            ids = list(await db.scalars(query.limit(self.policy.batch)))
            for ident in ids:
                # One short transaction per claim: the WHERE repeats "due", so of two replicas racing for a row
                # exactly one updates it; moving next_attempt_at by the lease hides it until the claim expires.
                token = secrets.token_hex(16)
                claim = (
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == ident, due)
                    .values(claim_token=token, next_attempt_at=now + self.policy.lease)
                    .returning(WebhookDelivery)
                    .execution_options(synchronize_session=False)
                )
                row = (await db.scalars(claim)).one_or_none()
                await db.commit()
                if row is not None:
                    claimed.append((row, token))
        return claimed

    async def _attempt(self, delivery: WebhookDelivery, token: str) -> None:
        async with self._sessions() as db:
            webhook = await db.get(Webhook, delivery.webhook_id)
        if webhook is None or not webhook.active:
            outcome = _Attempt(None, "webhook was removed or deactivated", 0)
            await self._record(delivery, token, outcome, final=True)
            return
        outcome = await self._send(webhook, delivery)
        await self._record(delivery, token, outcome, final=False)

    async def _send(self, webhook: Webhook, delivery: WebhookDelivery) -> _Attempt:
        assert self._client is not None, "start() the worker before it sends"
        body = json.dumps(
            {
                "id": delivery.id,
                "event": delivery.event,
                "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(webhook.secret, timestamp, body),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.id,
        }
        started = time.monotonic()
        try:
            response = await self._client.post(webhook.url, content=body.encode(), headers=headers)
        except Exception as exc:  # any failure to get an answer is one failed attempt, never a dead worker
            message = str(exc) or "no details"
            return _Attempt(None, f"{type(exc).__name__}: {message}"[:500], _ms_since(started))
        ok = 200 <= response.status_code < 300
        error = None if ok else f"receiver answered HTTP {response.status_code}"
        return _Attempt(response.status_code, error, _ms_since(started))

    async def _record(self, delivery: WebhookDelivery, token: str, outcome: _Attempt, final: bool) -> None:
        now = self._clock()
        attempts = delivery.attempts + 1
        entry = {
            "attempt": attempts,
            "at": now.isoformat(),
            "status": outcome.status,
            "error": outcome.error,
            "duration_ms": outcome.duration_ms,
        }
        values: dict[str, Any] = {
            "attempts": attempts,
            "attempt_log": [*delivery.attempt_log, entry],
            "last_status": outcome.status,
            "last_error": outcome.error,
            "claim_token": None,
        }
        if outcome.ok:
            values.update(state=DeliveryState.DELIVERED.value, delivered_at=now)
        elif final or attempts >= self.policy.max_attempts:
            values.update(state=DeliveryState.FAILED.value)
            logger.warning("webhook delivery %s failed after %d attempt(s): %s", delivery.id, attempts, outcome.error)
        else:
            wait = backoff_s(attempts, self.policy.backoff_base_s, self.policy.backoff_max_s)
            values.update(next_attempt_at=now + timedelta(seconds=wait))
        async with self._sessions() as db:
            # Only the claim holder writes; a claim that outlived its lease was taken over and is not ours.
            record = (
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery.id, WebhookDelivery.claim_token == token)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await db.execute(record)
            await db.commit()


def _ms_since(started: float) -> int:
    return round(1000 * (time.monotonic() - started))
