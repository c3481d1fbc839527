"""The demo world a first ``gaia serve`` creates: an employer, an admin, a reviewer, built-in content, invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from prompts.builtin import PACK_PATHS, builtin_pack, builtin_script
from server.store.models import Invitation, InvitationMode, Role
from server.store.repos.accounts import create_employer, create_user, employer_by_slug
from server.store.repos.audit import AuditRepo
from server.store.repos.content import PackRepo, ScriptRepo
from server.store.repos.invitations import InvitationFilter, InvitationRepo

DEMO_SLUG = "demo"
DEMO_ADMIN = ("admin@demo.gaia.test", "demo-admin-pass")
DEMO_REVIEWER = ("reviewer@demo.gaia.test", "demo-reviewer-pass")
DEMO_CANDIDATES = {
    InvitationMode.INTERVIEW_ASSESSMENT: "Dana Rivera",
    InvitationMode.INTERVIEW: "Sam Okafor",
    InvitationMode.ASSESSMENT: "Lee Nakamura",
}


@dataclass(frozen=True)
class DemoWorld:
    """What the demo seed made (or found): the employer id and one invitation per mode."""

    employer_id: str
    created: bool
    invitations: dict[InvitationMode, Invitation]


async def seed_demo(session: AsyncSession, now: datetime, ttl_days: int) -> DemoWorld:
    """Create the demo employer and its content once; later calls return what is there."""
    existing = await employer_by_slug(session, DEMO_SLUG)
    if existing is not None:
        rows, _ = await InvitationRepo(session, existing.id).search(InvitationFilter(limit=500))
        found: dict[InvitationMode, Invitation] = {}
        for row in sorted(rows, key=lambda r: r.created_at):
            found.setdefault(InvitationMode(row.mode), row)
        return DemoWorld(existing.id, created=False, invitations=found)

    employer = await create_employer(session, "Demo Annotation Co.", DEMO_SLUG)
    admin = await create_user(session, employer.id, DEMO_ADMIN[0], "Avery Admin", Role.ADMIN, DEMO_ADMIN[1])
    await create_user(session, employer.id, DEMO_REVIEWER[0], "Riley Reviewer", Role.REVIEWER, DEMO_REVIEWER[1])
    actor = f"user:{admin.id}"
    script = await ScriptRepo(session, employer.id).save(builtin_script(), created_by=actor)
    pack = await PackRepo(session, employer.id).save(
        builtin_pack(), created_by=actor, asset_dir=str(PACK_PATHS["annotation-core"].parent)
    )
    invitations = InvitationRepo(session, employer.id)
    audit = AuditRepo(session, employer.id)
    made: dict[InvitationMode, Invitation] = {}
    for mode, name in DEMO_CANDIDATES.items():
        made[mode] = await invitations.create(
            mode=mode,
            candidate_name=name,
            candidate_email=f"{name.split()[0].lower()}@candidates.gaia.test",
            script_version=script.version,
            pack_version=pack.version,
            ttl=timedelta(days=ttl_days),
            now=now,
            created_by=actor,
        )
        audit.record("system", "invitation.created", "invitation", made[mode].id, {"mode": mode.value, "seed": True})
    return DemoWorld(employer.id, created=True, invitations=made)
