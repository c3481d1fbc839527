"""The tenant boundary: every query a tenant repository runs is filtered by its employer id."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.store.models import Base

Row = TypeVar("Row", bound=Base)


class NotFound(LookupError):
    """The thing does not exist for this tenant (which is the same answer as not existing at all)."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} '{ident}' not found")


class Conflict(ValueError):
    """The request contradicts the current state (e.g. revoking a completed invitation)."""


class TenantRepo:
    """Base for repositories that belong to one employer; subclasses call ``_select`` and ``_get`` only."""

    def __init__(self, session: AsyncSession, employer_id: str) -> None:
        self.session = session
        self.employer_id = employer_id

    def _select(self, model: type[Row]) -> Select[Row]:
        return select(model).where(model.employer_id == self.employer_id)  # type: ignore[attr-defined]

    async def _get(self, model: type[Row], ident: str, kind: str) -> Row:
        query = self._select(model).where(model.id == ident)  # type: ignore[attr-defined]
        row: Row | None = await self.session.scalar(query)
        if row is None:
            raise NotFound(kind, ident)
        return row

    def _add(self, row: Row, **fields: Any) -> Row:
        row.employer_id = self.employer_id  # type: ignore[attr-defined]
        for key, value in fields.items():
            setattr(row, key, value)
        self.session.add(row)
        return row
