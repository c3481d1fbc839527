"""Invitations of one employer, and the one global lookup: a candidate's token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.lifecycle import FINAL, effective_state, transition
from server.store.models import Invitation, InvitationMode, InvitationState, PackVersion, ScriptVersion
from server.store.repos.base import Conflict, NotFound, TenantRepo


@dataclass(frozen=True)
class InvitationFilter:
    """What to list: by state, mode, a text match on name or email, newest first."""

    state: InvitationState | None = None
    mode: InvitationMode | None = None
    query: str | None = None
    limit: int = 50
    offset: int = 0


def new_token() -> str:
    """An opaque candidate token (256 bits)."""
    return secrets.token_urlsafe(32)


class InvitationRepo(TenantRepo):
    """Create, list, read and revoke one employer's invitations."""

    async def create(
        self,
        mode: InvitationMode,
        candidate_name: str,
        candidate_email: str | None,
        script_version: ScriptVersion | None,
        pack_version: PackVersion | None,
        ttl: timedelta,
        now: datetime,
        created_by: str | None,
        time_multiplier: float = 1.0,
    ) -> Invitation:
        """A new invitation pinned to the given content versions; the mode decides which are required."""
        needs_script = mode in (InvitationMode.INTERVIEW, InvitationMode.INTERVIEW_ASSESSMENT)
        needs_pack = mode in (InvitationMode.ASSESSMENT, InvitationMode.INTERVIEW_ASSESSMENT)
        if needs_script and script_version is None:
            raise Conflict(f"mode '{mode.value}' needs an interview script")
        if needs_pack and pack_version is None:
            raise Conflict(f"mode '{mode.value}' needs a task pack")
        invitation = self._add(
            Invitation(),
            token=new_token(),
            mode=mode.value,
            state=InvitationState.CREATED.value,
            candidate_name=candidate_name,
            candidate_email=candidate_email,
            script_version_id=script_version.id if needs_script and script_version else None,
            pack_version_id=pack_version.id if needs_pack and pack_version else None,
            seed=secrets.randbelow(2**31),
            time_multiplier=time_multiplier,
            expires_at=now + ttl,
            created_by=created_by,
            created_at=now,
        )
        await self.session.flush()
        return invitation

    async def get(self, invitation_id: str) -> Invitation:
        """One invitation of this employer."""
        return await self._get(Invitation, invitation_id, "invitation")

    async def search(self, flt: InvitationFilter) -> tuple[list[Invitation], int]:
        """A page of invitations and the total matching the filter."""
        query = self._select(Invitation)
        if flt.state is not None:
            query = query.where(Invitation.state == flt.state.value)
        if flt.mode is not None:
            query = query.where(Invitation.mode == flt.mode.value)
        if flt.query:
            like = f"%{flt.query.lower()}%"
            query = query.where(
                or_(func.lower(Invitation.candidate_name).like(like), func.lower(Invitation.candidate_email).like(like))
            )
        total = await self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = query.order_by(Invitation.created_at.desc(), Invitation.id).limit(flt.limit).offset(flt.offset)
        return list(await self.session.scalars(page)), total

    async def revoke(self, invitation_id: str, reason: str | None, now: datetime) -> Invitation:
        """Revoke an unfinished invitation; its token stops working at once."""
        invitation = await self.get(invitation_id)
        if effective_state(invitation, now) == InvitationState.COMPLETED:
            raise Conflict("invitation is completed; its results stay on record and it cannot be revoked")
        transition(invitation, InvitationState.REVOKED, now)
        invitation.revoke_reason = reason
        return invitation

    async def expire_due(self, now: datetime) -> int:
        """Store the expired state on unfinished invitations past their expiry; returns how many."""
        rows = await self.session.scalars(
            self._select(Invitation).where(
                Invitation.expires_at <= now, Invitation.state.not_in([s.value for s in FINAL])
            )
        )
        count = 0
        for invitation in rows:
            transition(invitation, InvitationState.EXPIRED, now)
            count += 1
        return count


async def invitation_by_token(session: AsyncSession, token: str) -> Invitation:
    """The invitation a candidate token opens: exactly one, or NotFound."""
    if not token or len(token) > 64:
        raise NotFound("invitation", "token")
    invitation = await session.scalar(select(Invitation).where(Invitation.token == token))
    if invitation is None:
        raise NotFound("invitation", "token")
    return invitation
