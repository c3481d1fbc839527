"""The invitation state machine: created → opened → in_progress → completed, or expired / revoked."""

from __future__ import annotations

from datetime import datetime

from server.store.models import Invitation, InvitationState

S = InvitationState

TRANSITIONS: dict[InvitationState, frozenset[InvitationState]] = {
    S.CREATED: frozenset({S.OPENED, S.IN_PROGRESS, S.EXPIRED, S.REVOKED}),
    S.OPENED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.EXPIRED, S.REVOKED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.EXPIRED, S.REVOKED}),
    S.COMPLETED: frozenset(),
    S.EXPIRED: frozenset({S.REVOKED}),
    S.REVOKED: frozenset(),
}

FINAL = frozenset({S.COMPLETED, S.EXPIRED, S.REVOKED})


class IllegalTransition(ValueError):
    """A state change the machine does not allow."""

    def __init__(self, current: InvitationState, target: InvitationState) -> None:
        self.current = current
        self.target = target
        super().__init__(f"invitation is {current.value}; it cannot become {target.value}")


def effective_state(invitation: Invitation, now: datetime) -> InvitationState:
    """The state as of ``now``: an unfinished invitation past its expiry counts as expired."""
    state = InvitationState(invitation.state)
    if state not in FINAL and invitation.expires_at <= now:
        return S.EXPIRED
    return state


def transition(invitation: Invitation, target: InvitationState, now: datetime) -> None:
    """Move to ``target`` if allowed, stamping the matching timestamp; raise IllegalTransition otherwise."""
    current = effective_state(invitation, now)
    if target == current:
        invitation.state = target.value  # stores an expiry that was only derived so far
        return
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    invitation.state = target.value
    stamp = {
        S.OPENED: "opened_at",
        S.IN_PROGRESS: "started_at",
        S.COMPLETED: "completed_at",
        S.REVOKED: "revoked_at",
    }.get(target)
    if stamp is not None and getattr(invitation, stamp) is None:
        setattr(invitation, stamp, now)
    if target == S.IN_PROGRESS and invitation.opened_at is None:
        invitation.opened_at = now
