"""Who is calling: an employer user by session cookie, or an integration by ``Authorization: Bearer`` API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from server.deps import Db
from server.store.models import Role
from server.store.repos.accounts import api_key_for, user_by_id

SESSION_USER = "uid"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, bound to exactly one employer (tenant)."""

    employer_id: str
    role: Role
    user_id: str | None = None
    api_key_id: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.user_id}" if self.user_id else f"api_key:{self.api_key_id}"


_UNAUTHORIZED = HTTPException(
    status_code=401,
    detail="sign in at /login, or send 'Authorization: Bearer <api key>'",
    headers={"WWW-Authenticate": "Bearer"},
)


async def current_principal(request: Request, db: Db) -> Principal:
    """The caller, from a Bearer API key when present, else from the session cookie; 401 otherwise."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise _UNAUTHORIZED
        key = await api_key_for(db, presented.strip())
        if key is None:
            raise _UNAUTHORIZED
        await db.commit()  # keeps last_used_at
        return Principal(employer_id=key.employer_id, role=Role(key.role), api_key_id=key.id)
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, str):
        raise _UNAUTHORIZED
    user = await user_by_id(db, user_id)
    if user is None:
        request.session.clear()
        raise _UNAUTHORIZED
    return Principal(employer_id=user.employer_id, role=Role(user.role), user_id=user.id)


async def require_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Only employer admins (and admin API keys) change content, invitations and keys."""
    if principal.role != Role.ADMIN:
        raise HTTPException(status_code=403, detail="this action needs the admin role; reviewers can only read")
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(require_admin)]
