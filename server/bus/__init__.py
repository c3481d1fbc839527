"""Event bus for session events: in-process by default, Redis streams when ``GAIA_REDIS_URL`` is set."""

from __future__ import annotations

from server.bus.base import Bus, BusEvent, BusOverflow, Subscription, check_topic
from server.bus.memory import InProcessBus
from server.bus.redis import RedisBus

__all__ = ["Bus", "BusEvent", "BusOverflow", "InProcessBus", "RedisBus", "Subscription", "check_topic", "create_bus"]


def create_bus(redis_url: str | None) -> Bus:
    """The Redis bus when a URL is configured, else the in-process one."""
    return RedisBus(redis_url) if redis_url else InProcessBus()
