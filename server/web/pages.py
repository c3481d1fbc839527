"""HTML pages: sign-in, the employer dashboard, the reviewer's candidate page and the candidate landing page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from prompts.randomize import materialize
from scoring.integrity import IntegrityRecord, indicators, item_timing
from server.api.candidate import candidate_invitation
from server.api.employer import invitation_out
from server.api.integrity import NOTICE_VERSION
from server.api.review import list_decisions
from server.api.schemas import CandidateInvitation
from server.auth import Principal, current_principal
from server.deps import Db, ServicesDep
from server.errors import Gone
from server.livekit_tokens import LiveKitCredentials, LiveKitNotConfigured
from server.phone import access_code
from server.scorecards import SESSION_SEQ_STRIDE
from server.seed import demo_levels
from server.services import secret_key
from server.settings import Settings
from server.store.repos.accounts import employer_by_id
from server.store.repos.base import NotFound
from server.store.repos.content import PackRepo, ScriptRepo, pack_content
from server.store.repos.invitations import InvitationFilter, InvitationRepo, invitation_by_token
from server.store.repos.results import ResultsRepo
from server.web.charts import bar_chart
from server.web.present import item_rows

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


class _SignInRequired(Exception):
    pass


async def page_principal(request: Request, db: Db) -> Principal:
    """The signed-in user for a page; unauthenticated visitors are sent to /login."""
    try:
        return await current_principal(request, db)
    except HTTPException as exc:
        if exc.status_code == 401:
            raise _SignInRequired from exc
        raise


PageUser = Annotated[Principal, Depends(page_principal)]


def install_page_redirects(app: FastAPI) -> None:
    """Turn a page's sign-in requirement into a redirect to /login?next=…"""

    @app.exception_handler(_SignInRequired)
    async def _to_login(request: Request, _exc: _SignInRequired) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/", response_model=None)
async def home() -> RedirectResponse:
    return RedirectResponse("/employer", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/employer") -> HTMLResponse:
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/employer"
    return TEMPLATES.TemplateResponse(request, "login.html", {"next": safe_next})


@router.get("/employer", response_class=HTMLResponse)
async def employer_page(request: Request, who: PageUser, db: Db, services: ServicesDep) -> HTMLResponse:
    repo = InvitationRepo(db, who.employer_id)
    await repo.expire_due(services.clock())
    await db.commit()
    rows, total = await repo.search(InvitationFilter(limit=500))
    employer = await employer_by_id(db, who.employer_id)
    results = ResultsRepo(db, who.employer_id)
    ids = [r.id for r in rows]
    cards, decisions = await results.latest_scorecards(ids), await results.latest_decisions(ids)
    invitations = []
    for row in rows:
        card = cards[row.id].content if row.id in cards else None
        invitations.append(
            {
                "inv": invitation_out(row, services),
                "overall": card.get("overall") if card else None,
                "recommendation": card.get("recommendation") if card else None,
                "flags": sum(1 for i in card.get("integrity", []) if i.get("severity") == "review") if card else 0,
                "decision": decisions[row.id].outcome if row.id in decisions else None,
            }
        )
    context = {
        "employer": employer,
        "who": who,
        "invitations": invitations,
        "total": total,
        "scripts": await ScriptRepo(db, who.employer_id).all(),
        "packs": await PackRepo(db, who.employer_id).all(),
        # Only the employer whose demo candidates are being interviewed in this process sees how far it got.
        "demo": services.demo
        if services.demo is not None and services.demo.running and demo_levels(employer)
        else None,
    }
    return TEMPLATES.TemplateResponse(request, "employer.html", context)


@router.get("/review/{invitation_id}", response_class=HTMLResponse)
async def review_page(
    request: Request, invitation_id: str, who: PageUser, db: Db, services: ServicesDep
) -> HTMLResponse:
    row = await InvitationRepo(db, who.employer_id).get(invitation_id)
    invitation = invitation_out(row, services)
    employer = await employer_by_id(db, who.employer_id)
    results = ResultsRepo(db, who.employer_id)
    sessions = [
        {"session": s, "turns": await results.turns(s.id), "recordings": await results.recordings(s.id)}
        for s in await results.sessions(invitation_id)
    ]
    attempt = await results.attempt(invitation_id)
    titles: dict[str, str] = {}
    rows: dict[str, dict[str, dict[str, str]]] = {}
    order: list[str] = []
    if invitation.pack_version_id:
        pack = pack_content(await PackRepo(db, who.employer_id).version(invitation.pack_version_id))
        titles = {task.id: task.title for task in pack.tasks}
        order = materialize(pack, row.seed).task_ids()
        stored: dict[str, dict[str, dict[str, Any]]] = {}
        for answer in await results.answers(attempt.id) if attempt else []:
            stored.setdefault(answer.task_id, {})[answer.item_id] = answer.value
        rows = {task.id: item_rows(task, stored.get(task.id, {})) for task in pack.tasks}
    records = [
        IntegrityRecord(e.kind, e.server_at, e.task_id, e.item_id, e.detail)
        for e in await results.integrity_events(invitation_id)
    ]
    versions = await results.scorecards(invitation_id)
    card = versions[-1] if versions else None
    context = {
        "invitation": invitation,
        "employer": employer,
        "who": who,
        "sessions": sessions,
        "card": card,
        "charts": _charts(card.content, titles) if card else [],
        "decisions": await list_decisions(invitation_id, db, who),
        "stride": SESSION_SEQ_STRIDE,
        "attempt": attempt,
        "titles": titles,
        "rows": rows,
        "indicators": indicators(records, order, titles),
        "timing": item_timing(records),
        "consented_at": next((r.server_at for r in records if r.kind == "consent"), None),
    }
    return TEMPLATES.TemplateResponse(request, "review.html", context)


def _charts(content: dict[str, Any], titles: dict[str, str]) -> list[Markup]:
    """The scorecard's parts as server-rendered SVG: interview dimensions (1–5) and work-sample tasks (%)."""
    charts = []
    if content.get("dimensions"):
        rows = [(d["dimension"].replace("_", " "), d["score"], d["confidence"]) for d in content["dimensions"]]
        charts.append(bar_chart(rows, title="Interview dimensions (1–5)", scale_max=5, threshold=3))
    sample = content.get("work_sample")
    if sample:
        rows = [(titles.get(t["task_id"], t["task_id"]), 100 * t["fraction"], 1.0) for t in sample["tasks"]]
        charts.append(
            bar_chart(
                rows, title="Work-sample tasks (%)", scale_max=100, unit="%", threshold=100 * sample["pass_score"]
            )
        )
    return charts


async def _candidate_view(
    request: Request, token: str, db: Db, services: ServicesDep
) -> CandidateInvitation | Response:
    """The candidate's view of their invitation, or the page that says why it is not available."""
    try:
        return await candidate_invitation(token, db, services)
    except Gone as exc:
        message, status = exc.message, 410
    except NotFound:
        message, status = "This link is not valid. Check that you copied the whole link from your invitation.", 404
    return TEMPLATES.TemplateResponse(request, "candidate_gone.html", {"message": message}, status_code=status)


def _lacks(request: Request, part: str) -> Response:
    """The page for a link that opens an invitation without this part (an interview, work samples)."""
    return TEMPLATES.TemplateResponse(
        request, "candidate_gone.html", {"message": f"This invitation does not include {part}."}, status_code=404
    )


@router.get("/c/{token}", response_class=HTMLResponse)
async def candidate_page(request: Request, token: str, db: Db, services: ServicesDep) -> Response:
    view = await _candidate_view(request, token, db, services)
    if isinstance(view, Response):
        return view
    return TEMPLATES.TemplateResponse(request, "candidate.html", {"view": view, "token": token})


@router.get("/c/{token}/interview", response_class=HTMLResponse)
async def interview_page(request: Request, token: str, db: Db, services: ServicesDep) -> Response:
    view = await _candidate_view(request, token, db, services)
    if isinstance(view, Response):
        return view
    if view.interview is None:
        return _lacks(request, "an interview")
    phone = None  # (number, access code) when candidates may call in instead
    if services.settings.phone_number:
        invitation = await invitation_by_token(db, token)
        code = await access_code(db, secret_key(services.settings), invitation.id)
        phone = (services.settings.phone_number, code) if code is not None else None
    context = {"view": view, "token": token, "phone": phone, "livekit": _livekit_configured(services.settings)}
    return TEMPLATES.TemplateResponse(request, "interview.html", context)


def _livekit_configured(settings: Settings) -> bool:
    """Whether the interview page joins a LiveKit room (POST /rtc/livekit-token) instead of offering to /rtc/offer."""
    try:
        LiveKitCredentials.from_settings(settings)
    except LiveKitNotConfigured:
        return False
    return True


@router.get("/c/{token}/assessment", response_class=HTMLResponse)
async def assessment_page(request: Request, token: str, db: Db, services: ServicesDep) -> Response:
    view = await _candidate_view(request, token, db, services)
    if isinstance(view, Response):
        return view
    if view.assessment is None:
        return _lacks(request, "work samples")
    context = {"view": view, "token": token, "notice_version": NOTICE_VERSION}
    return TEMPLATES.TemplateResponse(request, "assessment.html", context)
