"""WebRTC signalling for the browser interview: a candidate token and an SDP offer in, an SDP answer out."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from server.api.candidate import resolve_token
from server.deps import Db, ServicesDep
from server.errors import BadField
from server.store.models import InvitationMode, InvitationState
from server.store.repos.base import Conflict, NotFound
from server.voice import begin_session, interview_chooser, interview_inputs, policy_options

router = APIRouter(prefix="/rtc", tags=["rtc"])


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=64)
    sdp: str = Field(min_length=1, max_length=100_000)
    type: str = "offer"
    client_id: str | None = Field(
        default=None, max_length=64, description="Random id of the page; the same page may reconnect and take over"
    )


class AnswerResponse(BaseModel):
    sdp: str
    type: str
    session_id: str


@router.post("/offer", response_model=AnswerResponse)
async def offer(body: OfferRequest, db: Db, services: ServicesDep) -> AnswerResponse:
    """Start (or restart) the candidate's voice interview over WebRTC; one live session per invitation."""
    from agent.live import NEXT_STEP, LiveInterview
    from agent.transports.webrtc import InvalidOffer, WebRTCTransport

    try:
        invitation, _employer = await resolve_token(db, body.token, services)
    except NotFound as exc:
        raise HTTPException(status_code=401, detail="this interview link is not valid") from exc
    if invitation.mode == InvitationMode.ASSESSMENT.value or invitation.script_version_id is None:
        raise Conflict("this invitation has no interview; open the assessment instead")
    if invitation.state == InvitationState.COMPLETED.value:
        raise Conflict("this interview is already completed")
    if services.voice.is_live(invitation):
        if not services.voice.is_reconnect(invitation, body.client_id):
            raise Conflict("an interview for this invitation is already live (another tab or device); close it first")
        await services.voice.stop(invitation.id)  # the same page lost its connection: take over

    inputs = await interview_inputs(db, invitation)  # a reconnect resumes where the candidate was
    models = await services.voice.models()
    folder = services.settings.recordings_dir() / invitation.id / secrets.token_hex(6)
    interview = LiveInterview(
        models,
        inputs.script,
        Path(folder),
        services.settings.ice_servers,
        inputs.history,
        plan_state=inputs.plan_state,
        handoff_url=inputs.handoff_url,
        next_step=NEXT_STEP if inputs.handoff_url else None,
        chooser=interview_chooser(services.settings, inputs.script),
        options=policy_options(services.settings),
    )
    assert isinstance(interview.transport, WebRTCTransport)  # the default when no transport factory is given
    try:
        answer = await interview.transport.answer(body.sdp, body.type)
    except InvalidOffer as exc:
        await interview.transport.close()
        raise BadField("body.sdp", str(exc)) from exc

    session, store = await begin_session(
        db,
        services.sessions,
        services.settings,
        invitation,
        "webrtc",
        inputs.resumed,
        services.clock(),
        services.embedder,
    )
    services.voice.run(invitation.id, interview, store, body.client_id)
    return AnswerResponse(sdp=answer.sdp, type=answer.type, session_id=session.id)
