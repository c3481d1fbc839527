"""Shared fixtures: a real server on loopback (uvicorn + SQLite + in-process bus) and small employer worlds."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr

from server.app import create_app
from server.services import Services, start_services
from server.settings import Settings
from server.store.models import Role
from server.store.repos.accounts import create_employer, create_user, issue_api_key

if TYPE_CHECKING:
    from tests.fake_llm import FakeLLM

# No timing thresholds in tests (speed is measured in bench/): Hypothesis' per-example deadline is one, and it fails
# examples that merely ran while the machine was busy.
hypothesis_settings.register_profile("gaia", deadline=None)
hypothesis_settings.load_profile("gaia")

# A two-question interview: short enough for real-time voice tests.
TINY_SCRIPT = {
    "kind": "interview_script",
    "id": "tiny-voice",
    "title": "Tiny voice interview",
    "role": "Annotator",
    "opening": "Hi, I'm GAIA.",
    "closing": "Thank you, that is all.",
    "sections": [
        {
            "id": "s",
            "title": "S",
            "questions": [
                {"id": "q1", "prompt": "How do you handle unclear items?", "dimension": "process_maturity"},
                {"id": "q2", "prompt": "How do you stay consistent?", "dimension": "role_fit"},
            ],
        }
    ],
}


REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running server: its base URL, its services, and a way to make clients."""

    url: str
    services: Services

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        """A client for this server (each has its own cookie jar)."""
        return httpx.AsyncClient(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an isolated server: its own data folder and SQLite file."""
    return Settings(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=free_port(),
        secret_key=SecretStr("test-secret-key-not-for-production"),
        max_upload_bytes=256 * 1024,
    )


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    """An OpenAI-compatible endpoint on loopback standing in for a hosted model (which cannot run here)."""
    from tests.fake_llm import running_fake_llm  # it imports this module's free_port

    async with running_fake_llm() as fake:
        yield fake


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    """The real app served by uvicorn on loopback, for the duration of one test."""
    services = await start_services(settings)
    app = create_app(settings, services)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(url=settings.base_url(), services=services)
    finally:
        server.should_exit = True
        await task
        await services.close()


@dataclass
class Tenant:
    """One employer with an admin, a reviewer and an admin API key."""

    employer_id: str
    admin_email: str
    reviewer_email: str
    password: str
    api_key: str

    def bearer(self) -> dict[str, str]:
        """Authorization header for the admin API key."""
        return {"Authorization": f"Bearer {self.api_key}"}


async def make_tenant(services: Services, slug: str) -> Tenant:
    """Create an employer, two users and an API key (the operator's job; everything else goes through HTTP)."""
    password = f"{slug}-password-123"
    async with services.sessions() as session:
        employer = await create_employer(session, f"{slug.title()} Inc.", slug)
        admin = await create_user(session, employer.id, f"admin@{slug}.test", "Admin", Role.ADMIN, password)
        await create_user(session, employer.id, f"reviewer@{slug}.test", "Reviewer", Role.REVIEWER, password)
        issued = await issue_api_key(session, employer.id, "tests", created_by=admin.id)
        await session.commit()
    return Tenant(employer.id, f"admin@{slug}.test", f"reviewer@{slug}.test", password, issued.secret)


@pytest.fixture
async def tenant_a(live: LiveServer) -> Tenant:
    return await make_tenant(live.services, "alpha")


@pytest.fixture
async def tenant_b(live: LiveServer) -> Tenant:
    return await make_tenant(live.services, "beta")


@asynccontextmanager
async def signed_in(live: LiveServer, email: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding a session cookie for this user."""
    async with live.client() as client:
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        yield client


@dataclass
class World:
    """A tenant with the built-in script and pack uploaded through the API."""

    tenant: Tenant
    script_id: str
    pack_id: str


def bundle_zip(pack_path: Path) -> bytes:
    """A pack bundle as an employer makes it: the pack file and its folder's assets in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(pack_path.parent.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(pack_path.parent).as_posix())
    return buffer.getvalue()


async def upload_builtin(live: LiveServer, tenant: Tenant) -> World:
    """Upload the built-in script and pack as YAML files, as an employer would."""
    from prompts.builtin import PACK_PATHS, SCRIPT_PATHS

    async with live.client(headers=tenant.bearer()) as client:
        script_path, pack_path = SCRIPT_PATHS["data-annotator"], PACK_PATHS["annotation-core"]
        script = await client.post(
            "/api/scripts/upload", files={"file": (script_path.name, script_path.read_bytes(), "application/yaml")}
        )
        assert script.status_code == 201, script.text
        pack = await client.post(
            "/api/packs/upload", files={"file": ("annotation-core.zip", bundle_zip(pack_path), "application/zip")}
        )
        assert pack.status_code == 201, pack.text
    return World(tenant, script.json()["id"], pack.json()["id"])


async def invite(live: LiveServer, world: World, mode: str, name: str = "Casey Candidate") -> dict[str, object]:
    """Create an invitation through the API and return its JSON."""
    body: dict[str, object] = {"mode": mode, "candidate_name": name}
    if mode != "assessment":
        body["script_id"] = world.script_id
    if mode != "interview":
        body["pack_id"] = world.pack_id
    async with live.client(headers=world.tenant.bearer()) as client:
        response = await client.post("/api/invitations", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


async def gaia_rescore(data_dir: Path, invitation_id: str, employer: str) -> subprocess.CompletedProcess[str]:
    """``gaia rescore`` as a user runs it: a real process on the test's data folder, with no GAIA_/OPENAI_ settings
    of the developer's shell (so it cannot reach a model)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAIA_", "OPENAI_"))}
    env["GAIA_DATA_DIR"] = str(data_dir)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", "rescore", invitation_id, "--employer", employer],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
