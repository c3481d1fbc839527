"""HTTP API latency on this machine: medians over repeated requests, as ratios against /healthz measured in the same run.

Run ``python bench/api.py [--requests N]``. Starts a real server (uvicorn, SQLite, in-process bus) on loopback
in a temporary data folder, seeds the demo, and times the calls employers and candidates make most.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr

from server.app import create_app
from server.seed import DEMO_ADMIN, seed_demo
from server.services import start_services
from server.settings import Settings
from server.store.models import InvitationMode


async def _median_ms(call: Callable[[], Awaitable[httpx.Response]], n: int) -> float:
    for _ in range(5):  # warm-up
        (await call()).raise_for_status()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = await call()
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return statistics.median(samples)


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), port=18765, secret_key=SecretStr("bench"))
        services = await start_services(settings)
        async with services.sessions() as session:
            world = await seed_demo(session, services.clock(), 14)
            await session.commit()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, services), port=settings.port, log_level="error"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag)
            await asyncio.sleep(0.02)
        token = world.invitations[InvitationMode.INTERVIEW_ASSESSMENT].token
        try:
            async with httpx.AsyncClient(base_url=settings.base_url()) as client:
                await client.post("/api/auth/login", json={"email": DEMO_ADMIN[0], "password": DEMO_ADMIN[1]})
                scripts = (await client.get("/api/scripts")).json()
                calls: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
                    "GET /healthz (baseline)": lambda: client.get("/healthz"),
                    "GET /api/candidate/{token}": lambda: client.get(f"/api/candidate/{token}"),
                    "GET /api/invitations?limit=50": lambda: client.get("/api/invitations"),
                    "POST /api/invitations": lambda: client.post(
                        "/api/invitations",
                        json={"mode": "interview", "candidate_name": "Bench", "script_id": scripts[0]["id"]},
                    ),
                }
                results = {name: await _median_ms(call, requests) for name, call in calls.items()}
        finally:
            server.should_exit = True
            await task
            await services.close()
    baseline = results["GET /healthz (baseline)"]
    print(f"HTTP API on loopback, median of {requests} sequential requests each (SQLite, in-process bus)")
    print(f"{'call':<34}{'median ms':>10}{'x baseline':>12}")
    for name, median in results.items():
        print(f"{name:<34}{median:>10.2f}{median / baseline:>12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per call (default 200)")
    asyncio.run(main(parser.parse_args().requests))
