"""Request and response bodies of the HTTP API. Requests forbid unknown fields."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl

from prompts.public import PublicPack, PublicScript
from scoring.integrity import Thresholds, VoiceThresholds
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


class LabelStudioImport(Request):
    """A Label Studio project to import as a one-task pack: its labeling config and its tasks as exported (JSON)."""

    pack_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str = Field(min_length=1, max_length=200)
    config: str = Field(min_length=1, max_length=200_000, description="The project's labeling config (XML)")
    tasks: list[dict[str, Any]] = Field(
        min_length=1, description="Label Studio tasks, each with an annotation (or prediction) as ground truth"
    )
    pass_score: float = Field(default=0.7, ge=0, le=1)
    time_limit_s: int = Field(default=3600, gt=0, le=6 * 3600)
    guideline: str | None = Field(
        default=None, min_length=1, max_length=20_000, description="Default: the config's <Header> text"
    )


# --- integrity events from the work-sample page ------------------------------------------------------

FieldName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]


class _Event(Request):
    """What every page event carries: the client's id and clock, and where it happened."""

    id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="client id; retries reuse it")
    at: datetime | None = Field(default=None, description="the browser's clock, kept beside the server's")
    task_id: str | None = Field(default=None, max_length=64)
    item_id: str | None = Field(default=None, max_length=64)


class Consent(_Event):
    kind: Literal["consent"]
    notice: str = Field(max_length=64)


class FocusLost(_Event):
    kind: Literal["focus_lost"]


class FocusReturned(_Event):
    kind: Literal["focus_returned"]
    away_ms: int = Field(ge=0)


class TabHidden(_Event):
    kind: Literal["tab_hidden"]


class TabVisible(_Event):
    kind: Literal["tab_visible"]
    away_ms: int = Field(ge=0)


class Paste(_Event):
    kind: Literal["paste"]
    length: int = Field(ge=0, description="characters pasted; the content is never sent")
    field: FieldName


class Copy(_Event):
    kind: Literal["copy"]
    length: int = Field(ge=0)
    field: FieldName | None = None


class ContextMenu(_Event):
    kind: Literal["context_menu"]
    field: FieldName | None = None


class SmallWindow(_Event):
    kind: Literal["small_window"]
    width: int = Field(ge=0)
    height: int = Field(ge=0)


class TimerGap(_Event):
    kind: Literal["timer_gap"]
    gap_ms: int = Field(ge=0, description="a stall of the page's clock while visible, as when devtools pause it")


class AssetError(_Event):
    kind: Literal["asset_error"]
    asset: str = Field(min_length=1, max_length=500)
    status: int = Field(ge=0, le=599, description="HTTP status; 0 when the request did not complete")


class ItemTiming(_Event):
    kind: Literal["item_timing"]
    dwell_ms: int = Field(ge=0)
    edits: int = Field(ge=0)


class PageOpened(_Event):
    kind: Literal["page_opened"]
    resumed: bool


IntegrityEventIn = Annotated[
    Consent
    | FocusLost
    | FocusReturned
    | TabHidden
    | TabVisible
    | Paste
    | Copy
    | ContextMenu
    | SmallWindow
    | TimerGap
    | AssetError
    | ItemTiming
    | PageOpened,
    Field(discriminator="kind"),
]


class EventBatch(Request):
    events: list[IntegrityEventIn] = Field(min_length=1, max_length=200)


EVENT_KINDS: frozenset[str] = frozenset(get_args(m.model_fields["kind"].annotation)[0] for m in _Event.__subclasses__())
"""Every integrity event's tag (error paths leave them out)."""


# --- human decisions on a candidate -------------------------------------------------------------------

DecisionOutcome = Literal["advance", "hold", "reject"]
NOTE_MIN_CHARS = 3
NOTE_MAX_CHARS = 4000


class DecisionCreate(Request):
    """A reviewer's decision on one invitation; the note says why, in the reviewer's words."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: DecisionOutcome
    note: str = Field(
        min_length=NOTE_MIN_CHARS,
        max_length=NOTE_MAX_CHARS,
        description=f"why: {NOTE_MIN_CHARS} to {NOTE_MAX_CHARS} characters after trimming surrounding spaces",
    )


class DecidedBy(BaseModel):
    """The person who recorded a decision."""

    user_id: str
    name: str | None
    email: str | None


class DecisionOut(BaseModel):
    """A stored decision; decisions are append-only and the newest one is in force."""

    id: str
    invitation_id: str
    outcome: DecisionOutcome
    note: str
    decided_by: DecidedBy
    created_at: datetime
    superseded: bool = Field(description="True when a later decision on the same invitation replaced this one")


# --- webhooks -----------------------------------------------------------------------------------------

WebhookEvent = Literal["invitation.completed", "scorecard.updated"]


class WebhookCreate(Request):
    """Where to POST events, and which ones."""

    url: HttpUrl = Field(description="http or https URL that receives the signed JSON POSTs")
    events: list[WebhookEvent] = Field(min_length=1, max_length=10, description="events to receive")


class WebhookOut(BaseModel):
    """A webhook without its secret (the secret is shown once, when the webhook is created)."""

    id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery (X-Gaia-Signature); store it now, it is not shown again")


class DeliveryAttemptOut(BaseModel):
    """One try at sending a delivery."""

    attempt: int
    at: datetime
    status: int | None = Field(description="The receiver's HTTP status; null when it did not answer")
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    """One event sent (or being sent) to one webhook, with every attempt so far."""

    id: str
    webhook_id: str
    event: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="When the next attempt is due; null once settled")
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
    log: list[DeliveryAttemptOut]


# --- employer settings -------------------------------------------------------------------------------

_THRESHOLDS = Thresholds()
_VOICE = VoiceThresholds()


class IntegrityThresholds(Request):
    """When an integrity indicator asks for a review rather than being noted (the rule: it never rejects): work
    sample events, then voice signals of the interview."""

    tab_switches: int = Field(default=_THRESHOLDS.tab_switches, ge=1, le=100)
    focus_losses: int = Field(default=_THRESHOLDS.focus_losses, ge=1, le=100)
    paste_chars: int = Field(default=_THRESHOLDS.paste_chars, ge=1, le=100_000)
    timer_gap_ms: int = Field(default=_THRESHOLDS.timer_gap_ms, ge=1000, le=3_600_000)
    away_ms: int = Field(default=_THRESHOLDS.away_ms, ge=1000, le=3_600_000)
    second_voice_ms: int = Field(default=_VOICE.second_voice_ms, ge=500, le=600_000)
    read_aloud_pause_ms: int = Field(default=_VOICE.read_aloud_pause_ms, ge=1000, le=600_000)
    dropout_ms: int = Field(default=_VOICE.dropout_ms, ge=500, le=600_000)

    def work_sample(self) -> Thresholds:
        """The thresholds of work-sample events."""
        return Thresholds(**{f.name: getattr(self, f.name) for f in fields(Thresholds)})

    def voice(self) -> VoiceThresholds:
        """The thresholds of voice signals."""
        return VoiceThresholds(**{f.name: getattr(self, f.name) for f in fields(VoiceThresholds)})
