"""Liveness (the process answers) and readiness (database, bus and models are usable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server.deps import ServicesDep
from server.store.db import ping

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """503 with the failing checks named, until database, bus and model files are all usable."""
    missing = services.models.missing()
    checks = {
        "database": "ok" if await ping(services.engine) else "unreachable",
        "bus": "ok" if await services.bus.ping() else "unreachable",
        "models": "ok" if not missing else "; ".join(missing),
    }
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(status_code=200 if ready else 503, content={"ready": ready, "checks": checks})
