"""The long-lived objects one server process shares, built from Settings and passed to handlers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from media.models import ModelPaths, resolve_models
from server.bus import Bus, create_bus
from server.embeddings import LazyEmbedder
from server.settings import Settings
from server.store.db import create_engine, migrate, session_factory
from server.store.models import utcnow
from server.voice import VoiceService
from server.webhooks import DeliveryPolicy, DeliveryWorker

if TYPE_CHECKING:
    from server.demo import DemoProgress


@dataclass
class Services:
    """Settings, database, bus, model paths, the webhook worker, the sentence embedder (loaded on first use), the
    clock of one process, and the seeded demo's progress while ``gaia serve`` runs it."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    models: ModelPaths
    voice: VoiceService
    webhooks: DeliveryWorker
    clock: Callable[[], datetime] = field(default=utcnow)
    embedder: LazyEmbedder = field(default_factory=LazyEmbedder)
    demo: DemoProgress | None = None

    async def close(self) -> None:
        """Hang up live interviews, stop sending webhooks and release connections."""
        await self.voice.close()
        await self.webhooks.stop()
        await self.bus.close()
        await self.engine.dispose()


def secret_key(settings: Settings) -> str:
    """The cookie-signing key: from settings, else one generated once and kept in the data folder."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path: Path = settings.data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


async def start_services(settings: Settings) -> Services:
    """Migrate the database, connect everything the app needs and start the webhook worker."""
    url = settings.resolved_database_url()
    engine = create_engine(url)
    if settings.run_migrations:
        await migrate(url)
    models = resolve_models(settings.stt_model, settings.tts_voice)
    sessions = session_factory(engine)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        bus=create_bus(settings.redis_url),
        models=models,
        voice=VoiceService(models),
        webhooks=DeliveryWorker(sessions, DeliveryPolicy.from_settings(settings)),
    )
    services.webhooks.start()
    return services
