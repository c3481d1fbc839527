"""Phone calls in Twilio's format: the TwiML webhook asks for the access code, then the media stream runs the interview.

``POST /phone/voice`` answers a call; ``POST /phone/code`` checks the code (keypad ``Digits`` or spoken
``SpeechResult``) and connects a media stream carrying a short-lived signed ticket; ``WS /phone/stream``
checks that ticket in the stream's ``start`` message and runs the same live interview as the browser,
only with ``agent.transports.phone``. Webhook requests are checked against ``X-Twilio-Signature`` when
``GAIA_TWILIO_AUTH_TOKEN`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect

from server.deps import Db, ServicesDep
from server.lifecycle import effective_state
from server.phone import (
    BadTicket,
    check_ticket,
    connect_stream,
    gather_code,
    invitation_for_code,
    issue_ticket,
    say,
    spoken_code,
    twiml,
    valid_twilio_signature,
    websocket_url,
)
from server.services import Services, secret_key
from server.store.models import Invitation, InvitationState
from server.store.repos.accounts import employer_by_id
from server.voice import begin_session, interview_chooser, interview_inputs, policy_options

if TYPE_CHECKING:
    from agent.transports.phone import PhoneTransport

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/phone", tags=["phone"])

MAX_TRIES = 3
START_TIMEOUT_S = 10.0
POLICY_VIOLATION = 1008  # WebSocket close code: the stream is not allowed


def _xml(document: str, status_code: int = 200) -> Response:
    return Response(document, status_code=status_code, media_type="application/xml")


async def _form(request: Request, services: Services) -> dict[str, str] | None:
    """The webhook's form fields; None when a Twilio auth token is set and the signature does not match."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    token = services.settings.twilio_auth_token
    if token is None:
        return form
    url = services.settings.base_url() + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("X-Twilio-Signature", "")
    return form if valid_twilio_signature(token.get_secret_value(), url, form, signature) else None


def _ask(prompt: str, attempt: int) -> str:
    action = f"/phone/code?attempt={attempt}"
    return twiml(gather_code(prompt, action, action))


def _goodbye(text: str) -> Response:
    return _xml(twiml(say(text), "<Hangup/>"))


@router.post("/voice")
async def voice(request: Request, services: ServicesDep) -> Response:
    """Twilio's voice webhook: greet the caller and ask for the 6-digit access code."""
    if await _form(request, services) is None:
        return _xml(twiml(say("This request could not be verified."), "<Hangup/>"), 403)
    prompt = "Hello, this is GAIA. Please enter or say the six digit access code from your interview invitation."
    return _xml(_ask(prompt, 1))


async def _refusal(db: AsyncSession, invitation: Invitation, services: Services) -> str | None:
    """Why this invitation's interview cannot start now, in words for the caller; None when it can."""
    employer = await employer_by_id(db, invitation.employer_id)
    state = effective_state(invitation, services.clock())
    if state == InvitationState.EXPIRED:
        return f"This invitation expired on {invitation.expires_at:%d %B %Y}. Please ask {employer.name} for a new one."
    if state == InvitationState.REVOKED:
        return f"This invitation was withdrawn by {employer.name}."
    if state == InvitationState.COMPLETED:
        return "This interview is already completed. Thank you."
    if invitation.script_version_id is None:
        return "This invitation has no interview."
    if services.voice.is_live(invitation):
        return "This interview is already in progress on another call or in a browser. Please close it first."
    return None


@router.post("/code")
async def code(request: Request, db: Db, services: ServicesDep, attempt: int = 1) -> Response:
    """The caller's code (keys or speech): connect the media stream, or say what is wrong."""
    form = await _form(request, services)
    if form is None:
        return _xml(twiml(say("This request could not be verified."), "<Hangup/>"), 403)
    entered = spoken_code(form.get("Digits") or form.get("SpeechResult") or "")
    secret = secret_key(services.settings)
    invitation = None if entered is None else await invitation_for_code(db, secret, entered)
    if invitation is None:
        if attempt >= MAX_TRIES:
            return _goodbye("Sorry, I could not find that code. Please check your invitation and call again. Goodbye.")
        heard = "I did not catch a six digit code." if entered is None else "Sorry, I could not find that code."
        return _xml(_ask(f"{heard} Please enter or say your six digit access code again.", attempt + 1))
    refusal = await _refusal(db, invitation, services)
    if refusal is not None:
        return _goodbye(f"{refusal} Goodbye.")
    stream = websocket_url(services.settings.base_url(), "/phone/stream")
    parameters = {"invitation": invitation.id, "ticket": issue_ticket(secret, invitation.id)}
    return _xml(twiml(say("Thank you. Connecting you to your interviewer now."), connect_stream(stream, parameters)))


async def _start_message(websocket: WebSocket) -> dict[str, Any]:
    """Skip ``connected`` and return the ``start`` message."""
    from agent.transports.phone import ProtocolError, parse_message

    while True:
        message = parse_message(await websocket.receive_text())
        if message["event"] == "start":
            return message
        if message["event"] != "connected":
            raise ProtocolError(f"expected 'connected' or 'start' first, got '{message['event']}'")


async def _close(websocket: WebSocket, reason: str, code: int = POLICY_VIOLATION) -> None:
    with contextlib.suppress(Exception):  # the carrier may already be gone
        await websocket.close(code=code, reason=reason[:120])


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    """The call's media stream: check the ticket in ``start``, then run the interview until ``stop`` or hang-up."""
    from agent.live import PHONE_NEXT_STEP, LiveInterview
    from agent.transports.phone import PhoneTransport, ProtocolError, StreamStart

    services: Services = websocket.app.state.services
    await websocket.accept()
    try:
        start = StreamStart.parse(await asyncio.wait_for(_start_message(websocket), START_TIMEOUT_S))
    except (ProtocolError, TimeoutError, WebSocketDisconnect) as exc:
        await _close(websocket, f"no valid start message: {exc}")
        return
    invitation_id = start.parameters.get("invitation", "")
    try:
        check_ticket(secret_key(services.settings), start.parameters.get("ticket", ""), invitation_id)
    except BadTicket as exc:
        await _close(websocket, str(exc))
        return

    async with services.sessions() as db:
        invitation = await db.get(Invitation, invitation_id)
        assert invitation is not None  # the ticket names an invitation that existed a minute ago
        refusal = await _refusal(db, invitation, services)
        if refusal is not None:
            await _close(websocket, refusal)
            return
        inputs = await interview_inputs(db, invitation)  # a call after a dropped one resumes where it was
        models = await services.voice.models()
        folder = services.settings.recordings_dir() / invitation.id / secrets.token_hex(6)

        def make_transport(
            on_candidate: Callable[[np.ndarray[Any, Any]], None], on_agent: Callable[[bytes, bool], None]
        ) -> PhoneTransport:
            return PhoneTransport(start, websocket.receive_text, websocket.send_text, on_candidate, on_agent)

        interview = LiveInterview(
            models,
            inputs.script,
            Path(folder),
            history=inputs.history,
            transport=make_transport,
            plan_state=inputs.plan_state,
            next_step=PHONE_NEXT_STEP if inputs.handoff_url else None,
            chooser=interview_chooser(services.settings, inputs.script),
            options=policy_options(services.settings),
        )
        try:
            session, store = await begin_session(
                db,
                services.sessions,
                services.settings,
                invitation,
                "phone",
                inputs.resumed,
                services.clock(),
                services.embedder,
            )
        except Exception:
            await interview.transport.close()
            await _close(websocket, "the interview could not be started", code=1011)
            raise
    services.voice.run(invitation_id, interview, store)
    logger.info("phone stream %s runs session %s", start.stream_sid, session.id)
    await interview.transport.closed.wait()
    await _close(websocket, "interview ended", code=1000)
