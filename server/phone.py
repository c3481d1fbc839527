"""Calling in by phone: 6-digit access codes, spoken-digit reading, stream tickets, Twilio signatures, TwiML.

Access codes are derived, not stored (no schema change): an invitation's code is the first of
``HMAC-SHA256(secret, "phone-code:{id}:{k}") mod 10**6`` (k = 0, 1, …) not already taken by an earlier
invitation with an interview. Every invitation with an interview, in creation order, keeps its code for
good (expired and revoked ones too, so a caller hears why their code no longer works). A lookup rebuilds
the table, which costs one HMAC per interview invitation ever created: fine for thousands, not for
millions, and a deleted invitation can shift the codes of later ones that collided with it. The proper
fix is a stored unique ``access_code`` column assigned when the invitation is created.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.store.models import Invitation

CODE_DIGITS = 6
TICKET_TTL_S = 120  # the carrier opens the stream right after the code step


def code_candidates(secret: str, invitation_id: str, tries: int = 64) -> list[str]:
    """The codes an invitation may get, in order of preference."""
    key = secret.encode()
    return [
        f"{int.from_bytes(hmac.new(key, f'phone-code:{invitation_id}:{k}'.encode(), hashlib.sha256).digest(), 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"
        for k in range(tries)
    ]


def assign_codes(secret: str, invitation_ids: Iterable[str]) -> dict[str, str]:
    """Code → invitation id for invitations in creation order; a later invitation never takes an earlier one's code."""
    table: dict[str, str] = {}
    for invitation_id in invitation_ids:
        code = next((c for c in code_candidates(secret, invitation_id) if c not in table), None)
        if code is None:  # 64 collisions in a row: the code space is nearly full
            raise RuntimeError("phone access codes are exhausted; store codes in a unique column")
        table[code] = invitation_id
    return table


async def code_table(db: AsyncSession, secret: str) -> dict[str, str]:
    """Code → invitation id over every invitation with an interview, of every employer."""
    ids = await db.scalars(
        select(Invitation.id)
        .where(Invitation.script_version_id.is_not(None))
        .order_by(Invitation.created_at, Invitation.id)
    )
    return assign_codes(secret, ids)


async def access_code(db: AsyncSession, secret: str, invitation_id: str) -> str | None:
    """The code a candidate enters on the phone for this invitation; None if it has no interview."""
    return next((code for code, inv in (await code_table(db, secret)).items() if inv == invitation_id), None)


async def invitation_for_code(db: AsyncSession, secret: str, code: str) -> Invitation | None:
    """The invitation a code opens, whatever its state."""
    invitation_id = (await code_table(db, secret)).get(code)
    return None if invitation_id is None else await db.get(Invitation, invitation_id)


_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_REPEAT = {"double": 2, "triple": 3}


def spoken_code(text: str) -> str | None:
    """The 6-digit code in keypad digits or a speech result ("one two three four five six", "123 456", "double 5")."""
    digits: list[str] = []
    repeat = 1
    for token in re.findall(r"[a-z]+|\d+", text.lower()):
        if token in _REPEAT:
            repeat = _REPEAT[token]
            continue
        found = token if token.isdigit() else _DIGIT_WORDS.get(token, "")
        if found:
            digits.append(found[0] * repeat + found[1:])
        repeat = 1
    code = "".join(digits)
    return code if len(code) == CODE_DIGITS else None


class BadTicket(ValueError):
    """A stream ticket that is forged, expired, or for another invitation."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="gaia.phone.stream")


def issue_ticket(secret: str, invitation_id: str) -> str:
    """A short-lived signed ticket proving the caller passed the code step for this invitation."""
    return _serializer(secret).dumps(invitation_id)


def check_ticket(secret: str, ticket: str, invitation_id: str, max_age_s: int = TICKET_TTL_S) -> None:
    """Raise BadTicket unless the ticket was issued by us, for this invitation, within ``max_age_s``."""
    try:
        signed = _serializer(secret).loads(ticket, max_age=max_age_s)
    except SignatureExpired as exc:
        raise BadTicket("phone ticket expired; call again and enter your code") from exc
    except BadSignature as exc:
        raise BadTicket("phone ticket is not valid; call in and enter your code") from exc
    if signed != invitation_id:
        raise BadTicket("phone ticket is for another invitation")


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each POST key and value, sorted by key."""
    data = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def valid_twilio_signature(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """True when ``signature`` is Twilio's for this request (constant-time comparison)."""
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature)


def websocket_url(base_url: str, path: str) -> str:
    """The ws:// or wss:// URL of a path under the public base URL."""
    scheme, rest = base_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{path}"


def twiml(*verbs: str) -> str:
    """A TwiML document from verbs already rendered."""
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


def say(text: str) -> str:
    """The ``<Say>`` verb."""
    return f"<Say>{escape(text)}</Say>"


def gather_code(prompt: str, action: str, no_input: str) -> str:
    """Ask for the code by keypad or voice; ``no_input`` is where the call goes when nothing was entered."""
    return (
        f'<Gather input="dtmf speech" numDigits="{CODE_DIGITS}" timeout="8" speechTimeout="auto" '
        f'hints="zero, one, two, three, four, five, six, seven, eight, nine" action={quoteattr(action)} method="POST">'
        f"{say(prompt)}</Gather>"
        f'<Redirect method="POST">{escape(no_input)}</Redirect>'
    )


def connect_stream(url: str, parameters: Mapping[str, str]) -> str:
    """``<Connect><Stream>``: a two-way media stream to our WebSocket, carrying ``parameters`` in its start message."""
    params = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in parameters.items())
    return f"<Connect><Stream url={quoteattr(url)}>{params}</Stream></Connect>"
