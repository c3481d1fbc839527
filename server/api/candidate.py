"""Candidate API: a token opens exactly one invitation and shows only public content."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from sqlalchemy.ext.asyncio import AsyncSession

from prompts.public import AssetUrl, public_pack, public_script
from prompts.randomize import materialize
from prompts.taskpack import ImageItem
from server.api.schemas import CandidateInvitation
from server.deps import Db, ServicesDep
from server.errors import Gone
from server.lifecycle import effective_state, transition
from server.store.models import Employer, Invitation, InvitationMode, InvitationState, PackVersion
from server.store.repos.accounts import employer_by_id
from server.store.repos.audit import AuditRepo
from server.store.repos.base import NotFound
from server.store.repos.content import PackRepo, ScriptRepo, pack_content, script_content
from server.store.repos.invitations import invitation_by_token

router = APIRouter(prefix="/api/candidate", tags=["candidate"])


async def resolve_token(db: AsyncSession, token: str, services: ServicesDep) -> tuple[Invitation, Employer]:
    """The token's invitation and employer; 404 for an unknown token, 410 with a reason when it is over."""
    invitation = await invitation_by_token(db, token)
    employer = await employer_by_id(db, invitation.employer_id)
    state = effective_state(invitation, services.clock())
    if state == InvitationState.EXPIRED:
        raise Gone(
            f"This invitation expired on {invitation.expires_at:%d %B %Y}. Please ask {employer.name} for a new link.",
            reason="invitation_expired",
        )
    if state == InvitationState.REVOKED:
        raise Gone(f"This invitation was withdrawn by {employer.name}.", reason="invitation_revoked")
    return invitation, employer


def _asset_url(token: str) -> AssetUrl:
    return lambda task_id, item_id: f"/api/candidate/{token}/assets/{task_id}/{item_id}"


@router.get("/{token}", response_model=CandidateInvitation)
async def candidate_invitation(token: str, db: Db, services: ServicesDep) -> CandidateInvitation:
    """What the candidate may see; the first visit marks the invitation opened."""
    invitation, employer = await resolve_token(db, token, services)
    if invitation.state == InvitationState.CREATED.value:
        transition(invitation, InvitationState.OPENED, services.clock())
        AuditRepo(db, invitation.employer_id).record("candidate", "invitation.opened", "invitation", invitation.id)
        await db.commit()
    interview = assessment = None
    time_limit_s = None
    if invitation.script_version_id is not None:
        script_version = await ScriptRepo(db, invitation.employer_id).version(invitation.script_version_id)
        interview = public_script(script_content(script_version))
    if invitation.pack_version_id is not None:
        pack_version = await PackRepo(db, invitation.employer_id).version(invitation.pack_version_id)
        pack = pack_content(pack_version)
        assessment = public_pack(pack, materialize(pack, invitation.seed), _asset_url(token))
        time_limit_s = round(pack.time_limit_s * invitation.time_multiplier)
    return CandidateInvitation(
        mode=InvitationMode(invitation.mode),
        state=effective_state(invitation, services.clock()),
        candidate_name=invitation.candidate_name,
        employer_name=employer.name,
        expires_at=invitation.expires_at,
        time_limit_s=time_limit_s,
        interview=interview,
        assessment=assessment,
    )


@router.get("/{token}/assets/{task_id}/{item_id}")
async def candidate_asset(token: str, task_id: str, item_id: str, db: Db, services: ServicesDep) -> FileResponse:
    """An item's image or file, only through the token of an invitation whose pack has it."""
    invitation, _ = await resolve_token(db, token, services)
    if invitation.pack_version_id is None:
        raise NotFound("asset", f"{task_id}/{item_id}")
    pack_version = await PackRepo(db, invitation.employer_id).version(invitation.pack_version_id)
    if pack_version.asset_dir is None:
        raise NotFound("asset", f"{task_id}/{item_id}")
    path, media_type = _asset_file(pack_version, task_id, item_id)
    return FileResponse(path, media_type=media_type)


def _asset_file(pack_version: PackVersion, task_id: str, item_id: str) -> tuple[Path, str]:
    """The local file behind an item's asset, kept inside the pack's asset folder."""
    assert pack_version.asset_dir is not None
    base = Path(pack_version.asset_dir).resolve()
    for task in pack_content(pack_version).tasks:
        for item in task.items:
            if task.id == task_id and item.id == item_id and isinstance(item, ImageItem):
                path = (base / item.asset.uri).resolve()
                if "://" not in item.asset.uri and path.is_relative_to(base) and path.is_file():
                    return path, item.asset.media_type
    raise NotFound("asset", f"{task_id}/{item_id}")
