"""FastAPI dependencies: the process's services and a database session per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.services import Services


def get_services(request: Request) -> Services:
    """The Services object the app was started with."""
    services: Services = request.app.state.services
    return services


async def get_db(services: Annotated[Services, Depends(get_services)]) -> AsyncIterator[AsyncSession]:
    """A session for this request; handlers commit explicitly before they answer (persist, then ack)."""
    async with services.sessions() as session:
        yield session


ServicesDep = Annotated[Services, Depends(get_services)]
Db = Annotated[AsyncSession, Depends(get_db)]
