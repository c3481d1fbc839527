"""The FastAPI application factory: ``create_app(settings)`` wires routers, auth, limits and services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from server.api import (
    assessment,
    bulk,
    candidate,
    employer,
    fairness,
    health,
    integrity,
    review,
    rtc,
    scorecard,
    session,
)
from server.api.livekit import router as livekit_router
from server.api.phone import router as phone_router
from server.api.reports import router as reports_router
from server.api.webhooks import router as webhooks_router
from server.errors import install_error_handlers
from server.limits import BodySizeLimit
from server.services import Services, secret_key, start_services
from server.settings import Settings
from server.web import pages

SESSION_COOKIE = "gaia_session"


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the app; services start in the lifespan unless given (already started) by the caller."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or await start_services(settings)
        try:
            yield
        finally:
            if owned:
                await app.state.services.close()

    app = FastAPI(
        title="GAIA",
        summary="Voice interviews and work-sample assessments for hiring annotators, raters and evaluators",
        version="0.1.0",
        lifespan=lifespan,
    )
    if services is not None:
        app.state.services = services
    install_error_handlers(app)
    pages.install_page_redirects(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.include_router(health.router)
    app.include_router(session.router)
    app.include_router(bulk.router)  # before employer's /invitations/{id} routes
    app.include_router(employer.router)
    app.include_router(candidate.router)
    app.include_router(assessment.router)
    app.include_router(integrity.router)
    app.include_router(scorecard.router)
    app.include_router(fairness.router)
    app.include_router(rtc.router)
    app.include_router(livekit_router)
    app.include_router(review.router)
    app.include_router(reports_router)
    app.include_router(webhooks_router)
    app.include_router(phone_router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")
    return app
