"""In-process bus: one bounded queue per subscriber, for the embedded single-process mode."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

from server.bus.base import BusEvent, BusOverflow, check_topic

_CLOSED = object()


class _MemorySubscription:
    def __init__(self, bus: InProcessBus, topic: str, max_queue: int) -> None:
        self.topic = topic
        self._bus = bus
        self._queue: asyncio.Queue[BusEvent | object] = asyncio.Queue(max_queue + 1)
        self._max = max_queue
        self._lost = 0
        self._closed = False

    def _offer(self, event: BusEvent) -> None:
        if self._closed:
            return
        if self._lost or self._queue.qsize() >= self._max:
            self._lost += 1  # never block the publisher; the subscriber learns on its next get()
            return
        self._queue.put_nowait(event)

    async def get(self, timeout: float | None = None) -> BusEvent:
        if self._lost and self._queue.empty():
            raise BusOverflow(self.topic, self._lost)
        item = await asyncio.wait_for(self._queue.get(), timeout)
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)
            raise StopAsyncIteration
        assert isinstance(item, BusEvent)
        return item

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._bus._detach(self)
            self._queue.put_nowait(_CLOSED)

    def _end(self) -> None:
        self._closed = True
        self._queue.put_nowait(_CLOSED)

    async def __aenter__(self) -> Self:
        self._bus._attach(self)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def __aiter__(self) -> AsyncIterator[BusEvent]:
        while True:
            try:
                yield await self.get()
            except StopAsyncIteration:
                return


class InProcessBus:
    """Delivers events to subscribers in the same process, in publish order."""

    def __init__(self, max_queue: int = 10_000) -> None:
        self._max_queue = max_queue
        self._subscribers: dict[str, set[_MemorySubscription]] = defaultdict(set)
        self._seq: dict[str, int] = defaultdict(int)
        self._closed = False

    def _attach(self, sub: _MemorySubscription) -> None:
        self._subscribers[sub.topic].add(sub)

    def _detach(self, sub: _MemorySubscription) -> None:
        self._subscribers[sub.topic].discard(sub)

    async def publish(self, event: BusEvent) -> BusEvent:
        """Assign the next seq of the topic and hand the event to every live subscriber."""
        check_topic(event.topic)
        if self._closed:
            raise RuntimeError("the bus is closed")
        self._seq[event.topic] += 1
        stamped = event.model_copy(update={"seq": self._seq[event.topic]})
        for sub in list(self._subscribers.get(event.topic, ())):
            sub._offer(stamped)
        return stamped

    def subscribe(self, topic: str) -> _MemorySubscription:
        """A subscription that receives everything published after it is entered."""
        return _MemorySubscription(self, check_topic(topic), self._max_queue)

    async def ping(self) -> bool:
        """True while the bus is open."""
        return not self._closed

    async def close(self) -> None:
        """End every subscription."""
        self._closed = True
        for subs in self._subscribers.values():
            for sub in list(subs):
                sub._end()
        self._subscribers.clear()
