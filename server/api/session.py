"""Sign-in for employer users: a signed session cookie for the pages and the API."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from server.api.schemas import LoginRequest, MeResponse
from server.auth import SESSION_USER, Caller
from server.deps import Db
from server.store.repos.accounts import authenticate, employer_by_id, user_by_id
from server.store.repos.audit import AuditRepo

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=MeResponse)
async def login(body: LoginRequest, request: Request, db: Db) -> MeResponse:
    """Check email and password and start a cookie session."""
    user = await authenticate(db, body.email, body.password)
    if user is None:
        raise HTTPException(status_code=401, detail="wrong email or password")
    AuditRepo(db, user.employer_id).record(f"user:{user.id}", "user.login", "user", user.id)
    await db.commit()
    request.session.clear()
    request.session[SESSION_USER] = user.id
    employer = await employer_by_id(db, user.employer_id)
    return MeResponse(
        employer_id=employer.id,
        employer_name=employer.name,
        role=user.role,  # type: ignore[arg-type]
        user_id=user.id,
        email=user.email,
        name=user.name,
    )


@router.post("/logout", status_code=204)
async def logout(request: Request) -> None:
    """End the cookie session."""
    request.session.clear()


@router.get("/me", response_model=MeResponse)
async def me(who: Caller, db: Db) -> MeResponse:
    """Who you are signed in as, and for which organisation."""
    employer = await employer_by_id(db, who.employer_id)
    user = await user_by_id(db, who.user_id) if who.user_id else None
    return MeResponse(
        employer_id=employer.id,
        employer_name=employer.name,
        role=who.role,
        user_id=who.user_id,
        email=user.email if user else None,
        name=user.name if user else None,
    )
