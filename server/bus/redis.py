"""Redis bus: one stream per topic (XADD/XREAD), so delivery is ordered and shared across processes."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.bus.base import BusEvent, BusOverflow, check_topic

# INCR and XADD in one atomic step: the stream order and the seq order can never disagree.
_PUBLISH = """
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'seq', seq, 'event', ARGV[1])
return seq
"""
_POLL_MS = 500


class _RedisSubscription:
    def __init__(self, bus: RedisBus, topic: str) -> None:
        self.topic = topic
        self._bus = bus
        self._client: Redis | None = None
        self._last_id = "0-0"
        self._last_seq = 0
        self._buffer: deque[BusEvent] = deque()
        self._closed = False

    async def __aenter__(self) -> Self:
        # A connection of its own: a blocking XREAD holds it.
        self._client = Redis.from_url(self._bus.url)
        # One transaction reads both, so no publish can fall between the stream position and the counter.
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xrevrange(self._bus.stream_key(self.topic), count=1)
            pipe.get(self._bus.seq_key(self.topic))
            newest, counter = await pipe.execute()
        if newest:
            self._last_id = newest[0][0].decode()
        self._last_seq = int(counter or 0)
        self._bus._subscriptions.add(self)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _fill(self, block_ms: int) -> None:
        assert self._client is not None, "enter the subscription with 'async with' first"
        key = self._bus.stream_key(self.topic)
        reply: Any = await self._client.xread({key: self._last_id}, count=500, block=block_ms)
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                self._last_id = entry_id.decode()
                seq = int(fields[b"seq"])
                if seq != self._last_seq + 1:
                    lost = seq - self._last_seq - 1
                    self._last_seq = seq
                    raise BusOverflow(self.topic, lost)
                self._last_seq = seq
                self._buffer.append(BusEvent.model_validate_json(fields[b"event"]).model_copy(update={"seq": seq}))

    async def get(self, timeout: float | None = None) -> BusEvent:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            left_ms = _POLL_MS if deadline is None else int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                raise TimeoutError(f"no event on '{self.topic}' within {timeout} s")
            try:
                await self._fill(max(1, min(left_ms, _POLL_MS)))
            except (RedisError, OSError):
                if self._closed:  # close() dropped the connection under a blocking read
                    raise StopAsyncIteration from None
                raise
        return self._buffer.popleft()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._bus._subscriptions.discard(self)
        if self._client is not None:
            await self._client.aclose()

    async def __aiter__(self) -> AsyncIterator[BusEvent]:
        while True:
            try:
                yield await self.get()
            except StopAsyncIteration:
                return


class RedisBus:
    """Publishes to Redis streams ``<prefix>stream:<topic>``; subscribers read from the id current at subscribe."""

    def __init__(self, url: str, prefix: str = "gaia:bus:", max_len: int = 10_000) -> None:
        self.url = url
        self.prefix = prefix
        self.max_len = max_len
        self._client: Redis = Redis.from_url(url)
        self._publish = self._client.register_script(_PUBLISH)
        self._subscriptions: set[_RedisSubscription] = set()

    def stream_key(self, topic: str) -> str:
        """The Redis key of a topic's stream."""
        return f"{self.prefix}stream:{topic}"

    def seq_key(self, topic: str) -> str:
        """The Redis key of a topic's sequence counter."""
        return f"{self.prefix}seq:{topic}"

    async def publish(self, event: BusEvent) -> BusEvent:
        """Append to the topic's stream and return the event with its seq."""
        topic = check_topic(event.topic)
        body = event.model_dump_json(exclude={"seq"})
        seq = await self._publish(keys=[self.stream_key(topic), self.seq_key(topic)], args=[body, self.max_len])
        return event.model_copy(update={"seq": int(seq)})

    def subscribe(self, topic: str) -> _RedisSubscription:
        """A subscription that receives everything published after it is entered."""
        return _RedisSubscription(self, check_topic(topic))

    async def ping(self) -> bool:
        """True when Redis answers; False (never an exception) when it does not."""
        try:
            return bool(await asyncio.wait_for(self._client.ping(), timeout=2))
        except (RedisError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        """End open subscriptions and release connections."""
        for sub in list(self._subscriptions):
            await sub.close()
        await self._client.aclose()
