"""The audit log: who did what to which thing, per employer, append-only."""

from __future__ import annotations

from typing import Any

from server.store.models import AuditLog
from server.store.repos.base import TenantRepo


class AuditRepo(TenantRepo):
    """Append and read one employer's audit trail."""

    def record(
        self, actor: str, action: str, target_type: str, target_id: str | None, detail: dict[str, Any] | None = None
    ) -> AuditLog:
        """Add an entry in the caller's transaction, so it commits with the change it describes."""
        return self._add(
            AuditLog(), actor=actor, action=action, target_type=target_type, target_id=target_id, detail=detail or {}
        )

    async def recent(self, limit: int = 100, before_id: int | None = None) -> list[AuditLog]:
        """Newest entries first; ``before_id`` pages back."""
        query = self._select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(AuditLog.id < before_id)
        return list(await self.session.scalars(query))
