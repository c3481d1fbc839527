"""The same bus contract, run against the in-process bus and the real Redis at 127.0.0.1:6379."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.bus import Bus, BusEvent, BusOverflow, InProcessBus, RedisBus

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _redis_bus() -> RedisBus:
    bus = RedisBus(REDIS_URL, prefix=f"gaia:test:{secrets.token_hex(4)}:")
    if not await bus.ping():
        await bus.close()
        if os.environ.get("CI"):
            pytest.fail("Redis at 127.0.0.1:6379 is not running; .ci/run (make services) should have started it")
        pytest.skip("Redis at 127.0.0.1:6379 is not running (make services starts it)")
    return bus


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    if request.param == "memory":
        made: Bus = InProcessBus()
        yield made
        await made.close()
        return
    redis_bus = await _redis_bus()
    yield redis_bus
    await redis_bus.close()
    async with Redis.from_url(REDIS_URL) as client:
        keys = [key async for key in client.scan_iter(match=f"{redis_bus.prefix}*")]
        if keys:
            await client.delete(*keys)


def _event(topic: str, n: int) -> BusEvent:
    return BusEvent(topic=topic, kind="test.tick", payload={"n": n})


async def test_delivers_in_order_with_increasing_seq(bus: Bus) -> None:
    async with bus.subscribe("session:order") as sub:
        for n in range(500):
            await bus.publish(_event("session:order", n))
        received = [await sub.get(timeout=5) for _ in range(500)]
    assert [e.payload["n"] for e in received] == list(range(500))
    seqs = [e.seq for e in received]
    assert all(isinstance(s, int) for s in seqs)
    assert seqs == sorted(seqs) and len(set(seqs)) == 500


async def test_every_subscriber_gets_everything(bus: Bus) -> None:
    async with bus.subscribe("session:fan") as first, bus.subscribe("session:fan") as second:
        for n in range(20):
            await bus.publish(_event("session:fan", n))
        for sub in (first, second):
            assert [(await sub.get(timeout=5)).payload["n"] for _ in range(20)] == list(range(20))


async def test_other_topics_are_not_delivered(bus: Bus) -> None:
    async with bus.subscribe("session:mine") as sub:
        await bus.publish(_event("session:theirs", 1))
        with pytest.raises(TimeoutError):
            await sub.get(timeout=0.2)


async def test_subscription_is_live_from_enter_not_before(bus: Bus) -> None:
    await bus.publish(_event("session:live", 0))
    async with bus.subscribe("session:live") as sub:
        await bus.publish(_event("session:live", 1))
        assert (await sub.get(timeout=5)).payload["n"] == 1
        with pytest.raises(TimeoutError):
            await sub.get(timeout=0.2)


async def test_payload_round_trips_json_types(bus: Bus) -> None:
    payload = {
        "text": "naïve café — 你好",
        "score": 0.125,
        "none": None,
        "flags": [True, False],
        "nested": {"a": [1, {"b": "c"}]},
    }
    async with bus.subscribe("session:json") as sub:
        sent = await bus.publish(BusEvent(topic="session:json", kind="transcript.turn", payload=payload))
        got = await sub.get(timeout=5)
    assert got.payload == payload
    assert got.kind == "transcript.turn" and got.at == sent.at and got.seq == sent.seq


async def test_concurrent_publishers_keep_their_own_order(bus: Bus) -> None:
    async def publisher(name: str) -> None:
        for n in range(50):
            await bus.publish(BusEvent(topic="session:many", kind="tick", payload={"who": name, "n": n}))

    async with bus.subscribe("session:many") as sub:
        await asyncio.gather(*(publisher(name) for name in "abc"))
        events = [await sub.get(timeout=5) for _ in range(150)]
    for name in "abc":
        assert [e.payload["n"] for e in events if e.payload["who"] == name] == list(range(50))
    assert [e.seq for e in events] == sorted(e.seq for e in events if e.seq is not None)


async def test_close_ends_iteration_of_open_subscriptions(bus: Bus) -> None:
    async with bus.subscribe("session:end") as sub:
        await bus.publish(_event("session:end", 7))

        async def drain() -> list[int]:
            return [int(e.payload["n"]) async for e in sub]  # type: ignore[call-overload]

        task = asyncio.create_task(drain())
        await asyncio.sleep(0.1)
        await bus.close()
        assert await asyncio.wait_for(task, 5) == [7]


async def test_ping_is_true_on_a_live_bus(bus: Bus) -> None:
    assert await bus.ping() is True


async def test_unreachable_redis_pings_false_without_raising() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0")
    try:
        assert await bus.ping() is False
    finally:
        await bus.close()


@pytest.mark.parametrize("topic", ["", "has space", "x" * 201, "tab\there"])
async def test_invalid_topic_is_refused(bus: Bus, topic: str) -> None:
    with pytest.raises(ValueError, match="invalid bus topic"):
        await bus.publish(BusEvent(topic=topic, kind="x"))
    with pytest.raises(ValueError, match="invalid bus topic"):
        bus.subscribe(topic)


async def test_slow_memory_subscriber_is_told_how_many_events_it_lost() -> None:
    bus = InProcessBus(max_queue=3)
    async with bus.subscribe("session:slow") as sub:
        for n in range(5):
            await bus.publish(_event("session:slow", n))  # never blocks the publisher
        assert [(await sub.get(timeout=1)).payload["n"] for _ in range(3)] == [0, 1, 2]
        with pytest.raises(BusOverflow, match="lost 2 event"):
            await sub.get(timeout=1)
    await bus.close()


@pytest.mark.redis
async def test_trimmed_redis_stream_reports_lost_events() -> None:
    bus = await _redis_bus()
    bus.max_len = 1
    try:
        async with Redis.from_url(REDIS_URL) as client, bus.subscribe("session:trim") as sub:
            for n in range(300):
                await bus.publish(_event("session:trim", n))
            # Exact trimming makes the loss certain regardless of ~ approximation.
            await client.xtrim(bus.stream_key("session:trim"), maxlen=1, approximate=False)
            with pytest.raises(BusOverflow, match="lost"):
                await sub.get(timeout=2)
    finally:
        await bus.close()
        async with Redis.from_url(REDIS_URL) as client:
            keys = [key async for key in client.scan_iter(match=f"{bus.prefix}*")]
            if keys:
                await client.delete(*keys)
