"""Employer API: scripts and packs (versioned), invitations, API keys and the audit log."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from prompts.errors import ContentError, ContentIssue, issues_from_validation
from prompts.labelstudio import labelstudio_annotations, pack_from_labelstudio
from prompts.loader import build_pack, build_script, detect_kind, parse_text
from prompts.script import InterviewScript as ScriptContent
from prompts.taskpack import TaskPack as PackContent
from server.api.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyOut,
    AuditEntry,
    ContentDetail,
    ContentRequest,
    ContentSummary,
    InvitationCreate,
    InvitationOut,
    InvitationPage,
    LabelStudioImport,
    RevokeRequest,
    VersionSummary,
)
from server.auth import Admin, Caller
from server.bundles import unpack_bundle
from server.deps import Db, ServicesDep
from server.export import export_invitation
from server.lifecycle import effective_state
from server.services import Services
from server.store.models import ApiKey, Invitation, InvitationMode, InvitationState, PackVersion, ScriptVersion
from server.store.repos.accounts import api_keys_of, issue_api_key
from server.store.repos.accounts import revoke_api_key as revoke_key
from server.store.repos.audit import AuditRepo
from server.store.repos.base import Conflict, NotFound
from server.store.repos.content import PackRepo, ScriptRepo, Stored, pack_content, script_content
from server.store.repos.invitations import InvitationFilter, InvitationRepo
from server.store.repos.results import ResultsRepo

router = APIRouter(prefix="/api", tags=["employer"])


# --- content ---------------------------------------------------------------------------------------


def _version_out(v: ScriptVersion | PackVersion) -> VersionSummary:
    return VersionSummary(id=v.id, version=v.version, sha256=v.sha256, created_at=v.created_at, created_by=v.created_by)


async def _content_detail(repo: ScriptRepo | PackRepo, head_id: str, created: bool = False) -> ContentDetail:
    head = await repo.get(head_id)
    versions = await repo.versions(head_id)
    latest = versions[-1]
    return ContentDetail(
        id=head.id,
        slug=head.slug,
        title=head.title,
        latest_version=head.latest_version,
        created_at=head.created_at,
        archived=head.archived_at is not None,
        version=_version_out(latest),
        created=created,
        content=latest.content,
        versions=[_version_out(v) for v in versions],
    )


def _summary(head: Any) -> ContentSummary:
    return ContentSummary(
        id=head.id,
        slug=head.slug,
        title=head.title,
        latest_version=head.latest_version,
        created_at=head.created_at,
        archived=head.archived_at is not None,
    )


async def _read_upload(file: UploadFile, services: Services) -> tuple[str, Any, Path | None]:
    """The upload's name, parsed document, and (for a .zip bundle) the folder its assets were unpacked to."""
    name = PurePath(file.filename or "upload.yaml").name
    raw = await file.read(services.settings.max_upload_bytes + 1)
    if name.endswith(".zip"):
        assets_root = services.settings.data_dir / "assets"
        data, base = await asyncio.to_thread(
            unpack_bundle, raw, name, assets_root, 4 * services.settings.max_upload_bytes
        )
        return name, data, base
    if not name.endswith((".yaml", ".yml", ".json")):
        raise ContentError(name, [ContentIssue("file", "upload a .yaml, .yml or .json file (or a pack bundle .zip)")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(name, [ContentIssue("file", "file is not UTF-8 text; save it as UTF-8")]) from exc
    return name, parse_text(text, name), None


async def _store_script(data: Any, source: str, db: Db, who: Admin) -> ContentDetail:
    if detect_kind(data, source) != "interview_script":
        raise ContentError(source, [ContentIssue("kind", "this is a task pack; upload it to /api/packs")])
    content: ScriptContent = build_script(data, source)
    repo = ScriptRepo(db, who.employer_id)
    stored = await _save_content(db, who, "script", lambda: repo.save(content, created_by=who.actor), content.id)
    return await _content_detail(repo, stored.head.id, stored.created)


async def _store_pack(data: Any, source: str, db: Db, who: Admin, base_dir: Path | None = None) -> ContentDetail:
    if detect_kind(data, source) != "task_pack":
        raise ContentError(source, [ContentIssue("kind", "this is an interview script; upload it to /api/scripts")])
    content: PackContent = await asyncio.to_thread(build_pack, data, source, base_dir)
    asset_dir = str(base_dir) if base_dir is not None else None
    repo = PackRepo(db, who.employer_id)
    stored = await _save_content(
        db, who, "pack", lambda: repo.save(content, created_by=who.actor, asset_dir=asset_dir), content.id
    )
    return await _content_detail(repo, stored.head.id, stored.created)


async def _save_content(
    db: Db, who: Admin, kind: str, save: Callable[[], Awaitable[Stored[Any, Any]]], slug: str
) -> Stored[Any, Any]:
    """Store a script or pack version and its audit entry in one commit. Two requests storing the same id at
    once both read "no such script" (or the same latest version) and one insert loses on the unique key: that
    request starts over, and then finds the other's row (an identical upload, or the next version number)."""
    for _attempt in range(3):
        try:
            stored = await save()
            if stored.created:
                AuditRepo(db, who.employer_id).record(
                    who.actor, f"{kind}.version_created", kind, stored.head.id, {"version": stored.version.version}
                )
            await db.commit()
            return stored
        except IntegrityError:
            await db.rollback()
    raise Conflict(f"{kind} '{slug}' is being changed by other requests at the same time; send it again")


@router.get("/scripts", response_model=list[ContentSummary])
async def list_scripts(db: Db, who: Caller) -> list[ContentSummary]:
    """Interview scripts of your organisation."""
    return [_summary(h) for h in await ScriptRepo(db, who.employer_id).all()]


@router.post("/scripts", response_model=ContentDetail, status_code=201)
async def create_script(body: ContentRequest, db: Db, who: Admin) -> ContentDetail:
    """Create a script, or a new version of the script with the same id."""
    return await _store_script(body.content, "body.content", db, who)


@router.post("/scripts/upload", response_model=ContentDetail, status_code=201)
async def upload_script(
    file: Annotated[UploadFile, File()], db: Db, who: Admin, services: ServicesDep
) -> ContentDetail:
    """Upload a script as a YAML or JSON file."""
    name, data, _ = await _read_upload(file, services)
    return await _store_script(data, name, db, who)


@router.get("/scripts/{script_id}", response_model=ContentDetail)
async def get_script(script_id: str, db: Db, who: Caller) -> ContentDetail:
    """A script with its latest content and version history."""
    return await _content_detail(ScriptRepo(db, who.employer_id), script_id)


@router.delete("/scripts/{script_id}", status_code=204)
async def archive_script(script_id: str, db: Db, who: Admin) -> None:
    """Hide a script from lists; invitations already sent keep their pinned version."""
    await ScriptRepo(db, who.employer_id).archive(script_id)
    AuditRepo(db, who.employer_id).record(who.actor, "script.archived", "script", script_id)
    await db.commit()


@router.get("/packs", response_model=list[ContentSummary])
async def list_packs(db: Db, who: Caller) -> list[ContentSummary]:
    """Task packs of your organisation."""
    return [_summary(h) for h in await PackRepo(db, who.employer_id).all()]


@router.post("/packs", response_model=ContentDetail, status_code=201)
async def create_pack(body: ContentRequest, db: Db, who: Admin) -> ContentDetail:
    """Create a pack, or a new version of the pack with the same id."""
    return await _store_pack(body.content, "body.content", db, who)


@router.post("/packs/upload", response_model=ContentDetail, status_code=201)
async def upload_pack(file: Annotated[UploadFile, File()], db: Db, who: Admin, services: ServicesDep) -> ContentDetail:
    """Upload a pack as YAML/JSON, or as a .zip bundle holding pack.yaml and the asset files it names."""
    name, data, base_dir = await _read_upload(file, services)
    return await _store_pack(data, name, db, who, base_dir)


@router.get("/packs/{pack_id}", response_model=ContentDetail)
async def get_pack(pack_id: str, db: Db, who: Caller) -> ContentDetail:
    """A pack with its latest content (ground truth included: employers only) and version history."""
    return await _content_detail(PackRepo(db, who.employer_id), pack_id)


@router.delete("/packs/{pack_id}", status_code=204)
async def archive_pack(pack_id: str, db: Db, who: Admin) -> None:
    """Hide a pack from lists; invitations already sent keep their pinned version."""
    await PackRepo(db, who.employer_id).archive(pack_id)
    AuditRepo(db, who.employer_id).record(who.actor, "pack.archived", "pack", pack_id)
    await db.commit()


# --- invitations -----------------------------------------------------------------------------------


def invitation_out(invitation: Invitation, services: Services) -> InvitationOut:
    """The employer's view of an invitation, with its state as of now and the candidate link."""
    return InvitationOut(
        id=invitation.id,
        mode=InvitationMode(invitation.mode),
        state=effective_state(invitation, services.clock()),
        candidate_name=invitation.candidate_name,
        candidate_email=invitation.candidate_email,
        script_version_id=invitation.script_version_id,
        pack_version_id=invitation.pack_version_id,
        time_multiplier=invitation.time_multiplier,
        expires_at=invitation.expires_at,
        created_at=invitation.created_at,
        opened_at=invitation.opened_at,
        started_at=invitation.started_at,
        completed_at=invitation.completed_at,
        revoked_at=invitation.revoked_at,
        revoke_reason=invitation.revoke_reason,
        candidate_url=f"{services.settings.base_url()}/c/{invitation.token}",
    )


async def pinned_versions(
    body: InvitationCreate, db: Db, employer_id: str
) -> tuple[ScriptVersion | None, PackVersion | None]:
    scripts, packs = ScriptRepo(db, employer_id), PackRepo(db, employer_id)
    script_version = pack_version = None
    if body.mode != InvitationMode.ASSESSMENT:
        if body.script_id is None:
            raise Conflict(f"mode '{body.mode.value}' needs script_id")
        script_version = await scripts.latest((await scripts.get(body.script_id)).id)
    if body.mode != InvitationMode.INTERVIEW:
        pack_id = body.pack_id
        if pack_id is None and script_version is not None:
            linked = script_content(script_version).task_pack
            if linked is None:
                raise Conflict("the script links no task pack; pass pack_id")
            try:
                pack_id = (await packs.by_slug(linked)).id
            except NotFound as exc:
                raise Conflict(f"the script links task pack '{linked}', which this organisation lacks") from exc
        if pack_id is None:
            raise Conflict(f"mode '{body.mode.value}' needs pack_id")
        pack_version = await packs.latest((await packs.get(pack_id)).id)
    return script_version, pack_version


@router.post("/invitations", response_model=InvitationOut, status_code=201)
async def create_invitation(body: InvitationCreate, db: Db, who: Admin, services: ServicesDep) -> InvitationOut:
    """Invite a candidate; the invitation pins the latest script and pack versions."""
    script_version, pack_version = await pinned_versions(body, db, who.employer_id)
    days = body.expires_in_days or services.settings.invitation_ttl_days
    invitation = await InvitationRepo(db, who.employer_id).create(
        mode=body.mode,
        candidate_name=body.candidate_name,
        candidate_email=body.candidate_email,
        script_version=script_version,
        pack_version=pack_version,
        ttl=timedelta(days=days),
        now=services.clock(),
        created_by=who.actor,
        time_multiplier=body.time_multiplier,
    )
    AuditRepo(db, who.employer_id).record(
        who.actor, "invitation.created", "invitation", invitation.id, {"mode": body.mode.value}
    )
    await db.commit()
    return invitation_out(invitation, services)


@router.get("/invitations", response_model=InvitationPage)
async def list_invitations(
    db: Db,
    who: Caller,
    services: ServicesDep,
    state: InvitationState | None = None,
    mode: InvitationMode | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InvitationPage:
    """Invitations, newest first, filtered by state, mode or a name/email search."""
    repo = InvitationRepo(db, who.employer_id)
    await repo.expire_due(services.clock())
    await db.commit()
    rows, total = await repo.search(InvitationFilter(state=state, mode=mode, query=q, limit=limit, offset=offset))
    return InvitationPage(total=total, limit=limit, offset=offset, items=[invitation_out(r, services) for r in rows])


@router.get("/invitations/{invitation_id}", response_model=InvitationOut)
async def get_invitation(invitation_id: str, db: Db, who: Caller, services: ServicesDep) -> InvitationOut:
    """One invitation with its candidate link."""
    return invitation_out(await InvitationRepo(db, who.employer_id).get(invitation_id), services)


@router.get("/invitations/{invitation_id}/export")
async def export_results(invitation_id: str, db: Db, who: Caller) -> dict[str, Any]:
    """Everything stored for one invitation (the same document as ``gaia export``): pinned content, interview
    sessions with transcript turns and recordings, the attempt with its answers and grades, events, decisions."""
    doc = await export_invitation(db, who.employer_id, invitation_id)
    AuditRepo(db, who.employer_id).record(who.actor, "invitation.exported", "invitation", invitation_id)
    await db.commit()
    return doc


@router.get("/invitations/{invitation_id}/recordings/{recording_id}")
async def recording_file(invitation_id: str, recording_id: str, db: Db, who: Caller) -> FileResponse:
    """An interview recording (Opus in OGG) of one of your invitations."""
    results = ResultsRepo(db, who.employer_id)
    for session in await results.sessions(invitation_id):
        for recording in await results.recordings(session.id):
            if recording.id == recording_id:
                return FileResponse(recording.path, media_type=recording.media_type, filename=f"{recording.track}.ogg")
    raise NotFound("recording", recording_id)


@router.post("/invitations/{invitation_id}/revoke", response_model=InvitationOut)
async def revoke_invitation(
    invitation_id: str, body: RevokeRequest, db: Db, who: Admin, services: ServicesDep
) -> InvitationOut:
    """Revoke an invitation; its link answers 410 from now on."""
    invitation = await InvitationRepo(db, who.employer_id).revoke(invitation_id, body.reason, services.clock())
    AuditRepo(db, who.employer_id).record(
        who.actor, "invitation.revoked", "invitation", invitation.id, {"reason": body.reason}
    )
    await db.commit()
    return invitation_out(invitation, services)


# --- API keys and audit ----------------------------------------------------------------------------


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        role=key.role,  # type: ignore[arg-type]
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


@router.post("/api-keys", response_model=ApiKeyIssued, status_code=201)
async def create_api_key(body: ApiKeyCreate, db: Db, who: Admin) -> ApiKeyIssued:
    """Issue an API key for an integration; the secret is returned once."""
    issued = await issue_api_key(db, who.employer_id, body.name, body.role, created_by=who.actor)
    AuditRepo(db, who.employer_id).record(who.actor, "api_key.created", "api_key", issued.key.id, {"name": body.name})
    await db.commit()
    return ApiKeyIssued(**_key_out(issued.key).model_dump(), secret=issued.secret)


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(db: Db, who: Admin) -> list[ApiKeyOut]:
    """Your organisation's API keys (no secrets)."""
    return [_key_out(k) for k in await api_keys_of(db, who.employer_id)]


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, db: Db, who: Admin, services: ServicesDep) -> None:
    """Revoke an API key; calls with it get 401 at once."""
    await revoke_key(db, who.employer_id, key_id, services.clock())
    AuditRepo(db, who.employer_id).record(who.actor, "api_key.revoked", "api_key", key_id)
    await db.commit()


@router.get("/audit", response_model=list[AuditEntry])
async def audit_log(
    db: Db,
    who: Caller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> list[AuditEntry]:
    """The audit trail, newest first; ``before`` pages back by entry id."""
    rows = await AuditRepo(db, who.employer_id).recent(limit, before)
    return [
        AuditEntry(
            id=r.id,
            actor=r.actor,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            detail=r.detail,
            at=r.at,
        )
        for r in rows
    ]


# --- Label Studio ----------------------------------------------------------------------------------


async def _import_labelstudio(
    body: LabelStudioImport, source: str, db: Db, who: Admin, base_dir: Path | None
) -> ContentDetail:
    pack = await asyncio.to_thread(
        pack_from_labelstudio,
        body.config,
        body.tasks,
        pack_id=body.pack_id,
        title=body.title,
        pass_score=body.pass_score,
        time_limit_s=body.time_limit_s,
        guideline=body.guideline,
        asset_dir=base_dir,
        source=source,
    )
    return await _store_pack(pack.model_dump(mode="json", by_alias=True), source, db, who, base_dir)


@router.post("/packs/import/labelstudio", response_model=ContentDetail, status_code=201)
async def import_labelstudio(body: LabelStudioImport, db: Db, who: Admin) -> ContentDetail:
    """Create a pack (or a new version of it) from a Label Studio labeling config and its annotated tasks."""
    return await _import_labelstudio(body, "body", db, who, None)


@router.post("/packs/import/labelstudio/upload", response_model=ContentDetail, status_code=201)
async def upload_labelstudio(
    file: Annotated[UploadFile, File()], db: Db, who: Admin, services: ServicesDep
) -> ContentDetail:
    """The same import from a file: that JSON body, or a .zip with it as pack.json beside the images its tasks show."""
    name, data, base_dir = await _read_upload(file, services)
    try:
        body = LabelStudioImport.model_validate(data)
    except ValidationError as exc:
        raise ContentError(name, issues_from_validation(exc)) from exc
    return await _import_labelstudio(body, name, db, who, base_dir)


@router.get("/invitations/{invitation_id}/export/labelstudio")
async def export_labelstudio(invitation_id: str, db: Db, who: Caller) -> list[dict[str, Any]]:
    """The candidate's work-sample answers as Label Studio tasks, one annotation each, in the pinned pack's order."""
    invitation = await InvitationRepo(db, who.employer_id).get(invitation_id)
    if invitation.pack_version_id is None:
        raise Conflict("this invitation has no work samples to export")
    pack = pack_content(await PackRepo(db, who.employer_id).version(invitation.pack_version_id))
    results = ResultsRepo(db, who.employer_id)
    attempt = await results.attempt(invitation.id)
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    for row in await results.answers(attempt.id) if attempt else []:
        answers.setdefault(row.task_id, {})[row.item_id] = row.value
    tasks = labelstudio_annotations(pack, answers)
    AuditRepo(db, who.employer_id).record(
        who.actor, "invitation.exported", "invitation", invitation_id, {"format": "labelstudio"}
    )
    await db.commit()
    return tasks
