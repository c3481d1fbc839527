"""The invitation state machine, checked exhaustively against its transition table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.lifecycle import TRANSITIONS, IllegalTransition, effective_state, transition
from server.settings import Settings
from server.store.models import Invitation, InvitationState

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _invitation(state: InvitationState, expires_in: timedelta = timedelta(days=1)) -> Invitation:
    return Invitation(state=state.value, expires_at=NOW + expires_in)


@pytest.mark.parametrize("current", list(InvitationState))
@pytest.mark.parametrize("target", list(InvitationState))
def test_transition_follows_the_table(current: InvitationState, target: InvitationState) -> None:
    invitation = _invitation(current)
    if target == current or target in TRANSITIONS[current]:
        transition(invitation, target, NOW)
        assert invitation.state == target.value
    else:
        with pytest.raises(IllegalTransition, match=f"is {current.value}; it cannot become {target.value}"):
            transition(invitation, target, NOW)
        assert invitation.state == current.value


def test_unfinished_invitation_past_expiry_is_expired_but_completed_stays_completed() -> None:
    assert effective_state(_invitation(InvitationState.OPENED, -timedelta(seconds=1)), NOW) == InvitationState.EXPIRED
    done = _invitation(InvitationState.COMPLETED, -timedelta(days=3))
    assert effective_state(done, NOW) == InvitationState.COMPLETED


def test_starting_stamps_opened_and_started() -> None:
    invitation = _invitation(InvitationState.CREATED)
    invitation.opened_at = invitation.started_at = None
    transition(invitation, InvitationState.IN_PROGRESS, NOW)
    assert invitation.opened_at == NOW and invitation.started_at == NOW


def test_expired_invitation_cannot_start() -> None:
    with pytest.raises(IllegalTransition):
        transition(_invitation(InvitationState.OPENED, -timedelta(minutes=1)), InvitationState.IN_PROGRESS, NOW)


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ],
)
def test_database_urls_resolve_to_async_drivers(given: str, resolved: str) -> None:
    assert Settings(database_url=given).resolved_database_url() == resolved


def test_default_database_is_sqlite_in_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = Settings(data_dir=tmp_path).resolved_database_url()
    assert url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'gaia.db'}"
