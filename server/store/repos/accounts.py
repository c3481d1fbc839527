"""Employers, users and API keys: the lookups that establish who is calling and for which tenant."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.store.models import ApiKey, Employer, Role, User, utcnow
from server.store.repos.base import Conflict, NotFound

_hasher = PasswordHasher()
# A fixed hash to verify against when the email is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
API_KEY_PREFIX = "gaia"


@dataclass(frozen=True)
class IssuedKey:
    """A new API key; ``secret`` is shown once and only its hash is stored."""

    key: ApiKey
    secret: str


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def _key_hash(secret: str) -> str:
    # API keys carry 256 bits of entropy, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_employer(session: AsyncSession, name: str, slug: str) -> Employer:
    """A new tenant."""
    if await session.scalar(select(Employer).where(Employer.slug == slug)) is not None:
        raise Conflict(f"employer slug '{slug}' is taken")
    employer = Employer(name=name, slug=slug)
    session.add(employer)
    await session.flush()
    return employer


async def employer_by_slug(session: AsyncSession, slug: str) -> Employer | None:
    """The employer with this slug, if any."""
    return await session.scalar(select(Employer).where(Employer.slug == slug))


async def create_user(
    session: AsyncSession, employer_id: str, email: str, name: str, role: Role, password: str
) -> User:
    """A user of an employer with an argon2-hashed password."""
    email = email.strip().lower()
    if await session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"a user with email '{email}' exists")
    user = User(employer_id=employer_id, email=email, name=name, role=role.value, password_hash=hash_password(password))
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    """The user when email and password match, else None (same cost either way)."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


async def user_by_id(session: AsyncSession, user_id: str) -> User | None:
    """The user with this id, if any."""
    return await session.get(User, user_id)


async def issue_api_key(
    session: AsyncSession, employer_id: str, name: str, role: Role = Role.ADMIN, created_by: str | None = None
) -> IssuedKey:
    """Create an API key ``gaia_<prefix>_<secret>`` and store only the secret's hash."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        employer_id=employer_id,
        name=name,
        prefix=prefix,
        secret_hash=_key_hash(secret),
        role=role.value,
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key, f"{API_KEY_PREFIX}_{prefix}_{secret}")


async def api_key_for(session: AsyncSession, presented: str) -> ApiKey | None:
    """The live API key matching a presented ``gaia_<prefix>_<secret>`` string, else None."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = await session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _key_hash(parts[2])):
        return None
    key.last_used_at = utcnow()
    return key


async def api_keys_of(session: AsyncSession, employer_id: str) -> list[ApiKey]:
    """An employer's API keys, newest first."""
    query = select(ApiKey).where(ApiKey.employer_id == employer_id).order_by(ApiKey.created_at.desc())
    return list(await session.scalars(query))


async def revoke_api_key(session: AsyncSession, employer_id: str, key_id: str, now: datetime) -> ApiKey:
    """Revoke one of an employer's keys; another employer's key id is simply not found."""
    key = await session.scalar(select(ApiKey).where(ApiKey.employer_id == employer_id, ApiKey.id == key_id))
    if key is None:
        raise NotFound("api key", key_id)
    if key.revoked_at is None:
        key.revoked_at = now
    return key


async def employer_by_id(session: AsyncSession, employer_id: str) -> Employer:
    """The employer with this id (callers hold it from an authenticated principal or an invitation)."""
    employer = await session.get(Employer, employer_id)
    if employer is None:
        raise NotFound("employer", employer_id)
    return employer
