"""The event bus contract: session events published to topics, delivered in order to live subscribers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue

_TOPIC = re.compile(r"^\S{1,200}$")


def check_topic(topic: str) -> str:
    """Return the topic, or raise ValueError naming what is wrong with it."""
    if not _TOPIC.match(topic):
        raise ValueError(f"invalid bus topic {topic!r}: use 1-200 characters without whitespace, e.g. 'session:<id>'")
    return topic


class BusEvent(BaseModel):
    """One event on a topic; ``seq`` is assigned by the bus and increases per topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    kind: str = Field(min_length=1, max_length=100)
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    seq: int | None = None


class BusOverflow(RuntimeError):
    """A subscriber fell so far behind that events were lost; it must resynchronize from the store."""

    def __init__(self, topic: str, lost: int) -> None:
        self.topic = topic
        self.lost = lost
        super().__init__(f"subscriber on '{topic}' fell behind and lost {lost} event(s); resync from the store")


class Subscription(Protocol):
    """A live feed of one topic, usable as ``async with`` and ``async for``."""

    async def get(self, timeout: float | None = None) -> BusEvent:
        """The next event; TimeoutError after ``timeout`` seconds, StopAsyncIteration once closed."""
        ...

    async def close(self) -> None:
        """Stop receiving."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def __aiter__(self) -> AsyncIterator[BusEvent]: ...


class Bus(Protocol):
    """Publish/subscribe of session events; in-process or Redis, chosen by settings."""

    async def publish(self, event: BusEvent) -> BusEvent:
        """Deliver to the topic's live subscribers; returns the event with its ``seq``."""
        ...

    def subscribe(self, topic: str) -> Subscription:
        """A subscription that is live once entered with ``async with``."""
        ...

    async def ping(self) -> bool:
        """True when the bus can deliver."""
        ...

    async def close(self) -> None:
        """Close the bus and end every open subscription."""
        ...
