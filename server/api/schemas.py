"""Request and response bodies of the HTTP API. Requests forbid unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from prompts.public import PublicPack, PublicScript
from server.store.models import InvitationMode, InvitationState, Role


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Request):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class MeResponse(BaseModel):
    employer_id: str
    employer_name: str
    role: Role
    user_id: str | None
    email: str | None
    name: str | None


class ContentRequest(Request):
    """A script or pack as JSON (the same document a YAML upload carries)."""

    content: dict[str, Any]


class VersionSummary(BaseModel):
    id: str
    version: int
    sha256: str
    created_at: datetime
    created_by: str | None


class ContentSummary(BaseModel):
    id: str
    slug: str
    title: str
    latest_version: int
    created_at: datetime
    archived: bool


class ContentDetail(ContentSummary):
    version: VersionSummary
    created: bool = Field(description="False when an identical upload matched the latest version")
    content: dict[str, Any]
    versions: list[VersionSummary]


class InvitationCreate(Request):
    mode: InvitationMode
    candidate_name: str = Field(min_length=1, max_length=200)
    candidate_email: EmailStr | None = None
    script_id: str | None = Field(default=None, max_length=40)
    pack_id: str | None = Field(default=None, max_length=40)
    expires_in_days: int | None = Field(default=None, gt=0, le=365)
    time_multiplier: float = Field(default=1.0, ge=1.0, le=4.0, description="Accommodation: extra time factor")


class RevokeRequest(Request):
    reason: str | None = Field(default=None, max_length=500)


class InvitationOut(BaseModel):
    id: str
    mode: InvitationMode
    state: InvitationState
    candidate_name: str
    candidate_email: str | None
    script_version_id: str | None
    pack_version_id: str | None
    time_multiplier: float
    expires_at: datetime
    created_at: datetime
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None
    candidate_url: str


class InvitationPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[InvitationOut]


class AuditEntry(BaseModel):
    id: int
    actor: str
    action: str
    target_type: str
    target_id: str | None
    detail: dict[str, Any]
    at: datetime


class ApiKeyCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.ADMIN


class ApiKeyOut(BaseModel):
    id: str
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyOut):
    secret: str = Field(description="Shown once; store it now")


class CandidateInvitation(BaseModel):
    """What a candidate sees of their invitation; built field by field, never from the row."""

    mode: InvitationMode
    state: InvitationState
    candidate_name: str
    employer_name: str
    expires_at: datetime
    time_limit_s: int | None
    interview: PublicScript | None
    assessment: PublicPack | None
