"""Assessment attempts of one employer: one per invitation, with its answers saved item by item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from server.store.models import Answer, AssessmentAttempt
from server.store.repos.base import TenantRepo


class AttemptRepo(TenantRepo):
    """Start, read and answer one employer's assessment attempts."""

    async def for_invitation(self, invitation_id: str) -> AssessmentAttempt | None:
        """The invitation's attempt, if it was started."""
        query = self._select(AssessmentAttempt).where(AssessmentAttempt.invitation_id == invitation_id)
        return await self.session.scalar(query)

    async def start(self, invitation_id: str, seed: int, deadline: datetime, now: datetime) -> AssessmentAttempt:
        """A new attempt (the caller checked there is none)."""
        attempt = self._add(
            AssessmentAttempt(),
            invitation_id=invitation_id,
            seed=seed,
            started_at=now,
            deadline_at=deadline,
            state="in_progress",
        )
        await self.session.flush()
        return attempt

    async def answers(self, attempt_id: str) -> list[Answer]:
        """Every saved answer of an attempt."""
        query = self._select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.task_id, Answer.item_id)
        return list(await self.session.scalars(query))

    async def _answer(self, attempt_id: str, task_id: str, item_id: str) -> Answer | None:
        query = self._select(Answer).where(
            Answer.attempt_id == attempt_id, Answer.task_id == task_id, Answer.item_id == item_id
        )
        return await self.session.scalar(query)

    async def save_answer(
        self,
        attempt: AssessmentAttempt,
        task_id: str,
        item_id: str,
        value: dict[str, Any],
        key: str | None,
        now: datetime,
    ) -> tuple[Answer, bool]:
        """Insert or revise an item's answer; a repeated idempotency key changes nothing. Returns (row, repeated)."""
        row = await self._answer(attempt.id, task_id, item_id)
        if row is not None and key is not None and row.idempotency_key == key:
            return row, True
        late = now > attempt.deadline_at
        if row is None:
            row = self._add(
                Answer(),
                attempt_id=attempt.id,
                task_id=task_id,
                item_id=item_id,
                value=value,
                idempotency_key=key,
                revision=1,
                late=late,
                saved_at=now,
            )
            try:
                async with self.session.begin_nested():
                    await self.session.flush()
            except IntegrityError:  # the same item saved at the same moment by a retry: revise that row
                existing = await self._answer(attempt.id, task_id, item_id)
                assert existing is not None
                row = existing
                row.value, row.idempotency_key, row.revision, row.late, row.saved_at = (
                    value,
                    key,
                    row.revision + 1,
                    late,
                    now,
                )
            return row, False
        row.value, row.idempotency_key, row.late, row.saved_at = value, key, late, now
        row.revision += 1
        return row, False
