"""Webhooks over the real service and a real receiver on loopback: signed deliveries for completions and
scorecards, retries with growing gaps, failure after the last attempt, exactly-once claims across workers, tenant
isolation and admin-only management."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, get_args

import asyncpg
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.api.schemas import WebhookEvent
from server.settings import Settings
from server.store.db import create_engine, migrate, session_factory
from server.store.repos.accounts import create_employer
from server.webhooks import EVENTS, DeliveryPolicy, DeliveryWorker, WebhookRepo, backoff_s, enqueue
from tests.conftest import LiveServer, Tenant, free_port, invite, signed_in, upload_builtin

BACKOFF_BASE_S = 0.3
MAX_ATTEMPTS = 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test settings, with webhook retries fast enough for a test (0.3 s, 0.6 s; 3 attempts)."""
    return Settings(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=free_port(),
        secret_key=SecretStr("test-secret-key-not-for-production"),
        max_upload_bytes=256 * 1024,
        webhook_poll_interval_s=0.05,
        webhook_backoff_base_s=BACKOFF_BASE_S,
        webhook_backoff_max_s=5.0,
        webhook_max_attempts=MAX_ATTEMPTS,
        webhook_timeout_s=2.0,
    )


@dataclass(frozen=True)
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: str
    at: float

    @property
    def envelope(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """An employer's endpoint: records every POST and answers with the scripted statuses, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: Request) -> PlainTextResponse:
        body = (await request.body()).decode()
        self.received.append(Received(dict(request.headers), body, time.monotonic()))
        status = self.statuses.pop(0) if self.statuses else 200
        return PlainTextResponse("thanks" if status < 300 else "not now", status_code=status)

    def of(self, event: str) -> list[Received]:
        """What arrived for one event type."""
        return [r for r in self.received if r.headers.get("x-gaia-event") == event]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real HTTP receiver (Starlette under uvicorn) on loopback."""
    hook = Receiver()
    port = free_port()
    app = Starlette(routes=[Route("/hook", hook.handle, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    hook.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield hook
    finally:
        server.should_exit = True
        await task


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s (last: {value!r})")
        await asyncio.sleep(0.05)


def verify(secret: str, received: Received) -> bool:
    """The receiver's check, written from the README: HMAC-SHA256 of "<t>.<raw body>" equals v1."""
    parts = dict(part.split("=", 1) for part in received.headers["x-gaia-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{received.body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


async def create_webhook(live: LiveServer, tenant: Tenant, url: str, events: list[str]) -> dict[str, Any]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.post("/api/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(live: LiveServer, tenant: Tenant, webhook_id: str) -> list[dict[str, Any]]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.get(f"/api/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def ping(live: LiveServer, tenant: Tenant, webhook_id: str) -> dict[str, Any]:
    async with live.client(headers=tenant.bearer()) as client:
        response = await client.post(f"/api/webhooks/{webhook_id}/test")
    assert response.status_code == 202, response.text
    queued: dict[str, Any] = response.json()
    return queued


async def settled(live: LiveServer, tenant: Tenant, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """The delivery once it is delivered or failed."""

    async def check() -> dict[str, Any] | None:
        row = next(d for d in await deliveries(live, tenant, webhook_id) if d["id"] == delivery_id)
        return row if row["state"] != "pending" else None

    found: dict[str, Any] = await until(check)
    return found


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    assert [backoff_s(n, 1, 10) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_the_api_offers_exactly_the_events_the_server_sends() -> None:
    assert set(get_args(WebhookEvent)) == set(EVENTS)


async def test_submit_delivers_signed_completion_and_scorecard_stored_before_the_ok(
    live: LiveServer, tenant_a: Tenant, receiver: Receiver
) -> None:
    hook = await create_webhook(live, tenant_a, receiver.url, ["invitation.completed", "scorecard.updated"])
    assert hook["secret"].startswith("whsec_")
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "assessment", "Wren Webhook")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client() as candidate:
        assert (await candidate.post(f"/api/candidate/{token}/attempt")).status_code in (200, 201)
        assert (await candidate.post(f"/api/candidate/{token}/submit")).status_code == 200

    # Persist before acknowledging: both deliveries exist the moment submit has answered.
    logged = {d["event"]: d for d in await deliveries(live, tenant_a, hook["id"])}
    assert set(logged) == {"invitation.completed", "scorecard.updated"}

    async def both_arrived() -> bool:
        return bool(receiver.of("invitation.completed") and receiver.of("scorecard.updated"))

    await until(both_arrived)
    completed = receiver.of("invitation.completed")[0]
    assert verify(hook["secret"], completed)
    assert not verify("whsec_someone-else", completed)
    assert completed.headers["content-type"] == "application/json"
    envelope = completed.envelope
    assert completed.headers["x-gaia-delivery"] == envelope["id"] == logged["invitation.completed"]["id"]
    assert envelope["event"] == "invitation.completed"
    assert envelope["data"]["invitation_id"] == invitation["id"]
    assert envelope["data"]["candidate_name"] == "Wren Webhook"
    assert envelope["data"]["state"] == "completed" and envelope["data"]["completed_at"]
    stamp = int(completed.headers["x-gaia-signature"].split(",")[0].removeprefix("t="))
    assert abs(stamp - time.time()) < 60

    card = receiver.of("scorecard.updated")[0]
    assert verify(hook["secret"], card)
    data = card.envelope["data"]
    assert set(data) == {"invitation_id", "candidate_name", "state", "version", "recommendation", "overall"}
    assert data["version"] == 1 and data["recommendation"] in ("advance", "review", "risk")

    async def both_delivered() -> bool:
        rows = await deliveries(live, tenant_a, hook["id"])
        return all(r["state"] == "delivered" and r["attempts"] == 1 and r["last_status"] == 200 for r in rows)

    await until(both_delivered)


async def test_a_receiver_failing_twice_gets_the_delivery_on_the_third_attempt_with_growing_gaps(
    live: LiveServer, tenant_a: Tenant, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    hook = await create_webhook(live, tenant_a, receiver.url, ["invitation.completed"])
    queued = await ping(live, tenant_a, hook["id"])
    assert queued["event"] == "ping" and queued["state"] == "pending" and queued["attempts"] == 0

    row = await settled(live, tenant_a, hook["id"], queued["id"])
    assert row["state"] == "delivered" and row["attempts"] == 3 and row["last_status"] == 200
    assert row["last_error"] is None and row["delivered_at"] is not None
    assert [a["status"] for a in row["log"]] == [500, 503, 200]
    assert row["log"][0]["error"] == "receiver answered HTTP 500"
    at = [datetime.fromisoformat(a["at"]) for a in row["log"]]
    gaps = [(b - a).total_seconds() for a, b in pairwise(at)]
    # Never early: the second wait is at least twice the base (the schedule itself is backoff_s, tested above).
    # The dispatcher's polling and a loaded machine can stretch either gap, so their order is not asserted.
    assert gaps[0] >= BACKOFF_BASE_S and gaps[1] >= 2 * BACKOFF_BASE_S, gaps

    assert len(receiver.received) == 3
    assert {r.headers["x-gaia-delivery"] for r in receiver.received} == {queued["id"]}  # one id to dedupe on
    assert all(verify(hook["secret"], r) for r in receiver.received)


async def test_a_dead_receiver_ends_failed_after_max_attempts(live: LiveServer, tenant_a: Tenant) -> None:
    hook = await create_webhook(live, tenant_a, f"http://127.0.0.1:{free_port()}/gone", ["scorecard.updated"])
    queued = await ping(live, tenant_a, hook["id"])

    row = await settled(live, tenant_a, hook["id"], queued["id"])
    assert row["state"] == "failed" and row["attempts"] == MAX_ATTEMPTS
    assert row["last_status"] is None and "ConnectError" in row["last_error"]
    assert len(row["log"]) == MAX_ATTEMPTS and row["next_attempt_at"] is None and row["delivered_at"] is None


async def test_several_workers_send_each_delivery_exactly_once(
    live: LiveServer, tenant_a: Tenant, receiver: Receiver
) -> None:
    policy = DeliveryPolicy(poll_interval_s=0.01, backoff_base_s=BACKOFF_BASE_S, timeout_s=2.0)
    replicas = [DeliveryWorker(live.services.sessions, policy) for _ in range(3)]  # beside the app's own worker
    for worker in replicas:
        worker.start()
    try:
        hook = await create_webhook(live, tenant_a, receiver.url, ["invitation.completed"])
        queued = [await ping(live, tenant_a, hook["id"]) for _ in range(12)]

        async def all_delivered() -> bool:
            rows = await deliveries(live, tenant_a, hook["id"])
            return len(rows) == 12 and all(r["state"] == "delivered" for r in rows)

        await until(all_delivered)
    finally:
        for worker in replicas:
            await worker.stop()
    sent = sorted(r.headers["x-gaia-delivery"] for r in receiver.received)
    assert sent == sorted(q["id"] for q in queued)
    assert all(r["attempts"] == 1 for r in await deliveries(live, tenant_a, hook["id"]))


async def test_another_tenant_gets_404_for_webhooks_and_deliveries(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    hook = await create_webhook(live, tenant_a, "https://hooks.alpha.test/gaia", ["invitation.completed"])
    async with live.client(headers=tenant_b.bearer()) as client:
        assert (await client.get("/api/webhooks")).json() == []
        assert (await client.get(f"/api/webhooks/{hook['id']}/deliveries")).status_code == 404
        assert (await client.post(f"/api/webhooks/{hook['id']}/test")).status_code == 404
        assert (await client.delete(f"/api/webhooks/{hook['id']}")).status_code == 404
    async with live.client(headers=tenant_a.bearer()) as client:
        listed = (await client.get("/api/webhooks")).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]  # shown once, at creation


async def test_reviewer_cannot_manage_webhooks(live: LiveServer, tenant_a: Tenant) -> None:
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        body = {"url": "https://hooks.alpha.test/gaia", "events": ["invitation.completed"]}
        created = await reviewer.post("/api/webhooks", json=body)
        assert created.status_code == 403, created.text
        assert (await reviewer.get("/api/webhooks")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"url": "ftp://hooks.alpha.test/gaia", "events": ["invitation.completed"]}, "body.url"),
        ({"url": "not a url", "events": ["invitation.completed"]}, "body.url"),
        ({"url": "https://hooks.alpha.test/gaia", "events": ["invitation.opened"]}, "body.events[0]"),
        ({"url": "https://hooks.alpha.test/gaia", "events": []}, "body.events"),
    ],
)
async def test_bad_webhook_requests_are_422_naming_the_field(
    live: LiveServer, tenant_a: Tenant, body: dict[str, Any], field_name: str
) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post("/api/webhooks", json=body)
    assert response.status_code == 422, response.text
    assert [row["field"] for row in response.json()["detail"]] == [field_name]


async def test_a_deleted_webhook_is_gone_and_audited(live: LiveServer, tenant_a: Tenant) -> None:
    hook = await create_webhook(live, tenant_a, "https://hooks.alpha.test/gaia", ["invitation.completed"])
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.delete(f"/api/webhooks/{hook['id']}")).status_code == 204
        assert (await client.get("/api/webhooks")).json() == []
        assert (await client.post(f"/api/webhooks/{hook['id']}/test")).status_code == 404
        audit = (await client.get("/api/audit")).json()
    actions = [entry["action"] for entry in audit]
    assert "webhook.created" in actions and "webhook.deleted" in actions


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database (skips when the server at 127.0.0.1:5432 is not there)."""
    try:
        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc})")
    name = f"gaia_test_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        await migrate(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_replicas_on_postgresql_send_each_delivery_exactly_once(pg_url: str, receiver: Receiver) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    async with sessions() as db:
        employer = await create_employer(db, "Pg Inc.", "pg")
        WebhookRepo(db, employer.id).create(receiver.url, ["invitation.completed"], "test")
        await db.flush()
        queued = [await enqueue(db, employer.id, "invitation.completed", {"n": n}) for n in range(20)]
        await db.commit()
    ids = sorted(d.id for batch in queued for d in batch)
    replicas = [DeliveryWorker(sessions, DeliveryPolicy(poll_interval_s=0.01, timeout_s=2.0)) for _ in range(4)]
    for worker in replicas:
        worker.start()
    try:

        async def all_arrived() -> bool:
            return len(receiver.received) >= len(ids)

        await until(all_arrived)
        await asyncio.sleep(0.2)  # a duplicate, if any, would arrive now
    finally:
        for worker in replicas:
            await worker.stop()
        await engine.dispose()
    assert sorted(r.headers["x-gaia-delivery"] for r in receiver.received) == ids
