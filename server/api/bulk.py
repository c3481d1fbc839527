"""Bulk invitations from a CSV file: every row is checked first, and either all invitations are created in one
transaction or none is, with each problem named by its line and column."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ValidationError

from prompts.errors import format_path
from server.api.employer import invitation_out, pinned_versions
from server.api.schemas import InvitationCreate, InvitationOut
from server.auth import Admin
from server.deps import Db, ServicesDep
from server.errors import BadField, InvalidRows
from server.store.models import InvitationMode
from server.store.repos.audit import AuditRepo
from server.store.repos.invitations import InvitationRepo

router = APIRouter(prefix="/api/invitations", tags=["employer"])

MAX_ROWS = 1000
COLUMNS = ("candidate_name", "candidate_email", "time_multiplier")


class BulkInvited(BaseModel):
    created: list[InvitationOut]


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "candidate_name" not in header:
        raise BadField("file", f"the first line must name the columns, with at least candidate_name (got {header})")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise BadField("file", f"unknown column(s) {unknown}; use {list(COLUMNS)}")
    rows = [
        (reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None})
        for row in reader
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]
    if not rows:
        raise BadField("file", "no candidates in the file: add one line per candidate under the header")
    if len(rows) > MAX_ROWS:
        raise BadField("file", f"{len(rows)} candidates; at most {MAX_ROWS} per file")
    return rows


@router.post("/bulk", response_model=BulkInvited, status_code=201)
async def bulk_invite(
    file: Annotated[
        UploadFile, File(description="CSV with a header: candidate_name[,candidate_email,time_multiplier]")
    ],
    mode: Annotated[InvitationMode, Form()],
    db: Db,
    who: Admin,
    services: ServicesDep,
    script_id: Annotated[str | None, Form(max_length=40)] = None,
    pack_id: Annotated[str | None, Form(max_length=40)] = None,
) -> BulkInvited:
    """Invite every candidate of a CSV file with the same mode and content; all or nothing."""
    try:
        text = (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadField("file", "the file is not UTF-8 text; save it as CSV UTF-8") from exc
    bodies: list[InvitationCreate] = []
    problems: list[dict[str, str]] = []
    for line, row in _rows(text):
        fields: dict[str, object] = {"mode": mode, "script_id": script_id, "pack_id": pack_id}
        fields.update({k: v for k, v in row.items() if v != ""})
        try:
            bodies.append(InvitationCreate.model_validate(fields))
        except ValidationError as exc:
            for err in exc.errors():
                problems.append({"field": f"file line {line}: {format_path(err['loc'])}", "message": err["msg"]})
    if problems:
        raise InvalidRows(problems)
    script_version, pack_version = await pinned_versions(bodies[0], db, who.employer_id)
    repo = InvitationRepo(db, who.employer_id)
    created = []
    for body in bodies:
        invitation = await repo.create(
            mode=body.mode,
            candidate_name=body.candidate_name,
            candidate_email=body.candidate_email,
            script_version=script_version,
            pack_version=pack_version,
            ttl=timedelta(days=services.settings.invitation_ttl_days),
            now=services.clock(),
            created_by=who.actor,
            time_multiplier=body.time_multiplier,
        )
        created.append(invitation)
    AuditRepo(db, who.employer_id).record(
        who.actor, "invitation.bulk_created", "invitation", None, {"count": len(created), "mode": mode.value}
    )
    await db.commit()
    return BulkInvited(created=[invitation_out(i, services) for i in created])
