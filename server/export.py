"""An invitation's complete results as one JSON document (``gaia export``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.store.repos.content import PackRepo, ScriptRepo
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo, row_dict

EXPORT_FORMAT = "gaia.export/1"


async def export_invitation(session: AsyncSession, employer_id: str, invitation_id: str) -> dict[str, Any]:
    """Every stored fact of one invitation, so its scores can be recomputed elsewhere."""
    invitation = await InvitationRepo(session, employer_id).get(invitation_id)
    results = ResultsRepo(session, employer_id)
    invitation_data = row_dict(invitation)
    invitation_data.pop("token")
    doc: dict[str, Any] = {"format": EXPORT_FORMAT, "invitation": invitation_data}
    if invitation.script_version_id:
        script = await ScriptRepo(session, employer_id).version(invitation.script_version_id)
        doc["script_version"] = row_dict(script)
    if invitation.pack_version_id:
        pack = await PackRepo(session, employer_id).version(invitation.pack_version_id)
        doc["pack_version"] = row_dict(pack)
    sessions = []
    for s in await results.sessions(invitation.id):
        entry = row_dict(s)
        entry["turns"] = [row_dict(t) for t in await results.turns(s.id)]
        entry["recordings"] = [row_dict(r) for r in await results.recordings(s.id)]
        sessions.append(entry)
    doc["interview_sessions"] = sessions
    attempt = await results.attempt(invitation.id)
    doc["assessment_attempt"] = row_dict(attempt) if attempt else None
    doc["answers"] = [row_dict(a) for a in await results.answers(attempt.id)] if attempt else []
    doc["integrity_events"] = [row_dict(e) for e in await results.integrity_events(invitation.id)]
    doc["scorecards"] = [row_dict(c) for c in await results.scorecards(invitation.id)]
    doc["decisions"] = [row_dict(d) for d in await results.decisions(invitation.id)]
    return doc
