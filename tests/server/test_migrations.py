"""Migrations bring an empty database to the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from server.store.db import migrate
from server.store.models import Base

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _tables_and_columns(url: str) -> dict[str, set[str]]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        found = await conn.run_sync(
            lambda sync: {t: {c["name"] for c in inspect(sync).get_columns(t)} for t in inspect(sync).get_table_names()}
        )
    await engine.dispose()
    return found


def _expected() -> dict[str, set[str]]:
    return {name: {c.name for c in table.columns} for name, table in Base.metadata.tables.items()}


async def test_migrations_up_on_sqlite_match_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await migrate(url)
    await migrate(url)  # idempotent on a second start
    found = await _tables_and_columns(url)
    assert found.pop("alembic_version") == {"version_num"}
    assert found == _expected()


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc})")
    name = f"gaia_test_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_migrations_up_on_postgresql_match_models(pg_database: str) -> None:
    await migrate(pg_database)
    found = await _tables_and_columns(pg_database)
    assert found.pop("alembic_version") == {"version_num"}
    assert found == _expected()
