"""The demo world a first ``gaia serve`` creates: an employer, an admin, a reviewer, built-in content, one
invitation per mode, and three interview+assessment candidates whom ``server.demo`` interviews with the real
pipeline (their quality level is kept in the employer's settings, never in what people see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from prompts.builtin import PACK_PATHS, builtin_pack, builtin_script
from prompts.script import InterviewScript
from server.demo_answers import Level
from server.store.models import Employer, Invitation, InvitationMode, Role
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
# Interviewed by the demo runner with the answer sheet of their level.
DEMO_INTERVIEWEES: tuple[tuple[str, Level], ...] = (
    ("Maya Castillo", "strong"),
    ("Jonah Brooks", "average"),
    ("Tessa Moreau", "weak"),
)
DEMO_SETTINGS_KEY = "demo"


def demo_levels(employer: Employer) -> dict[str, Level]:
    """The demo interviewees' invitation ids and their answer-sheet levels (empty for any other employer)."""
    stored = employer.settings.get(DEMO_SETTINGS_KEY, {}).get("interviewees", {})
    return {str(invitation_id): level for invitation_id, level in stored.items()}


@dataclass(frozen=True)
class DemoWorld:
    """What the demo seed made (or found): the employer id, one invitation per mode, the demo interviewees."""

    employer_id: str
    created: bool
    invitations: dict[InvitationMode, Invitation]
    interviewees: list[Invitation]


async def seed_demo(
    session: AsyncSession, now: datetime, ttl_days: int, script: InterviewScript | None = None
) -> DemoWorld:
    """Create the demo employer and its content once (the built-in script unless ``script`` is given); later calls
    return what is there."""
    existing = await employer_by_slug(session, DEMO_SLUG)
    if existing is not None:
        levels = demo_levels(existing)
        rows, _ = await InvitationRepo(session, existing.id).search(InvitationFilter(limit=500))
        found: dict[InvitationMode, Invitation] = {}
        for row in sorted(rows, key=lambda r: r.created_at):
            if row.id not in levels:
                found.setdefault(InvitationMode(row.mode), row)
        interviewees = sorted((r for r in rows if r.id in levels), key=lambda r: list(levels).index(r.id))
        return DemoWorld(existing.id, created=False, invitations=found, interviewees=interviewees)

    employer = await create_employer(session, "Demo Annotation Co.", DEMO_SLUG)
    admin = await create_user(session, employer.id, DEMO_ADMIN[0], "Avery Admin", Role.ADMIN, DEMO_ADMIN[1])
    await create_user(session, employer.id, DEMO_REVIEWER[0], "Riley Reviewer", Role.REVIEWER, DEMO_REVIEWER[1])
    actor = f"user:{admin.id}"
    stored_script = await ScriptRepo(session, employer.id).save(script or builtin_script(), created_by=actor)
    pack = await PackRepo(session, employer.id).save(
        builtin_pack(), created_by=actor, asset_dir=str(PACK_PATHS["annotation-core"].parent)
    )
    invitations = InvitationRepo(session, employer.id)
    audit = AuditRepo(session, employer.id)

    async def invite(mode: InvitationMode, name: str, demo: bool = False) -> Invitation:
        invitation = await invitations.create(
            mode=mode,
            candidate_name=name,
            candidate_email=f"{name.split()[0].lower()}@candidates.gaia.test",
            script_version=stored_script.version,
            pack_version=pack.version,
            ttl=timedelta(days=ttl_days),
            now=now,
            created_by=actor,
        )
        detail = {"mode": mode.value, "seed": True, **({"demo": True} if demo else {})}
        audit.record("system", "invitation.created", "invitation", invitation.id, detail)
        return invitation

    made = {mode: await invite(mode, name) for mode, name in DEMO_CANDIDATES.items()}
    interviewees = [await invite(InvitationMode.INTERVIEW_ASSESSMENT, name, demo=True) for name, _ in DEMO_INTERVIEWEES]
    levels = {invitation.id: level for invitation, (_, level) in zip(interviewees, DEMO_INTERVIEWEES, strict=True)}
    employer.settings = {**(employer.settings or {}), DEMO_SETTINGS_KEY: {"interviewees": levels}}
    return DemoWorld(employer.id, created=True, invitations=made, interviewees=interviewees)
