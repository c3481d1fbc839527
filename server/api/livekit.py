"""LiveKit signalling for the browser interview: a candidate token in, a LiveKit room and access token out.

When ``LIVEKIT_URL`` is set the candidate page joins the invitation's LiveKit room with this token (instead of
posting an SDP offer to ``/rtc/offer``); LiveKit dispatches a ``gaia worker`` job into the room, which runs the
interview. The checks are those of ``/rtc/offer``: 401 for an unknown link, 410 when expired or withdrawn, 409
when there is no interview to take or one is already live in this process.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from server.api.candidate import resolve_token
from server.deps import Db, ServicesDep
from server.livekit_tokens import LiveKitCredentials, LiveKitNotConfigured, candidate_token
from server.store.models import InvitationMode, InvitationState
from server.store.repos.audit import AuditRepo
from server.store.repos.base import Conflict, NotFound

router = APIRouter(prefix="/rtc", tags=["rtc"])


class LiveKitTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=64, description="The candidate token of the invitation link")
    client_id: str | None = Field(
        default=None, max_length=64, description="Random id of the page; the page that runs a live interview may rejoin"
    )


class LiveKitTokenResponse(BaseModel):
    url: str = Field(description="The LiveKit server's WebSocket URL")
    room: str
    token: str = Field(description="Access token for that room only; valid for a first join until expires_at")
    expires_at: datetime


@router.post("/livekit-token", response_model=LiveKitTokenResponse)
async def livekit_token(body: LiveKitTokenRequest, db: Db, services: ServicesDep) -> LiveKitTokenResponse:
    """A short-lived token that joins the invitation's LiveKit room, where a worker runs the interview."""
    try:
        credentials = LiveKitCredentials.from_settings(services.settings)
    except LiveKitNotConfigured as exc:
        raise HTTPException(status_code=404, detail=f"{exc}; the interview runs over /rtc/offer") from exc
    try:
        invitation, _employer = await resolve_token(db, body.token, services)
    except NotFound as exc:
        raise HTTPException(status_code=401, detail="this interview link is not valid") from exc
    if invitation.mode == InvitationMode.ASSESSMENT.value or invitation.script_version_id is None:
        raise Conflict("this invitation has no interview; open the assessment instead")
    if invitation.state == InvitationState.COMPLETED.value:
        raise Conflict("this interview is already completed")
    if services.voice.is_live(invitation) and not services.voice.is_reconnect(invitation, body.client_id):
        raise Conflict("an interview for this invitation is already live (another tab or device); close it first")

    now = services.clock()
    minted = candidate_token(credentials, invitation.id, timedelta(seconds=services.settings.livekit_token_ttl_s), now)
    AuditRepo(db, invitation.employer_id).record(
        "candidate", "interview.livekit_token", "invitation", invitation.id, {"room": minted.room}
    )
    await db.commit()
    return LiveKitTokenResponse(url=credentials.url, room=minted.room, token=minted.token, expires_at=minted.expires_at)
