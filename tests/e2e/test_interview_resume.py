"""Kill -9 the server in the middle of a voice interview, start it again, reconnect: the interview resumes at the
question stored in the plan state, and every turn the first process stored is still there. A real ``gaia serve``
process, real WebRTC over loopback, espeak-ng speech, the built-in 10-question script."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent.talk import VoiceClient
from prompts.builtin import builtin_script
from tests.conftest import free_port
from tests.media.speech import heard, read_wav, say
from tests.server.test_cli import _env

GAIA = [sys.executable, "-m", "server.cli"]
SCRIPT = builtin_script()
FIRST_ANSWER = (
    "For two years I labeled text and images, mostly sentiment and named entities, about four hundred items a day "
    "in Label Studio, and I drew bounding boxes for a self driving project that ran six months."
)


def _serve(tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``gaia serve`` (the demo interviews off) and return it with the interview-only candidate link."""
    proc = subprocess.Popen(
        [*GAIA, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path, GAIA_DEMO="0"),
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (line := proc.stdout.readline()):
        lines.append(line.rstrip())
        if line.startswith("Press Ctrl+C"):
            link = next(x for x in lines if x.strip().startswith("interview ") and "/c/" in x).split()[-1]
            return proc, link
    proc.kill()
    raise AssertionError("gaia serve did not start:\n" + "\n".join(lines))


def _rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


async def _until(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
    return found


async def test_kill_9_mid_interview_resumes_at_the_stored_question(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = tmp_path / "data" / "gaia.db"
    proc, link = _serve(tmp_path, port)
    token = link.rsplit("/", 1)[1]
    first = VoiceClient()
    try:
        assert (await first.connect(base, token)).status_code == 200
        await first.wait_event("caption", speaker="agent", timeout=120)
        await first.wait_quiet()
        samples, rate = read_wav(say(FIRST_ANSWER, tmp_path / "a1.wav"))
        first.mic.play(samples, rate)
        second = await first.wait_event("caption", count=2, speaker="agent", timeout=120)
        assert second["text"].endswith(SCRIPT.questions()[1].prompt), second["text"]

        def stored_on_question_2() -> bool:
            states = _rows(db, "SELECT plan_state FROM interview_sessions")
            return any(json.loads(s)["current"] == 1 for (s,) in states if s and s != "{}")

        await _until(stored_on_question_2, "the plan state on question 2")
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown hook runs: nothing is flushed on the way out
        proc.wait(timeout=20)
        await first.close()
    before = _rows(db, "SELECT speaker, text FROM transcript_turns ORDER BY created_at")
    assert [s for s, _ in before] == ["agent", "candidate", "agent"]
    assert len(heard("labeled text images sentiment label studio bounding boxes", before[1][1])) <= 1, before[1][1]

    proc, _ = _serve(tmp_path, port)
    again = VoiceClient()
    try:
        assert (await again.connect(base, token)).status_code == 200
        welcome = await again.wait_event("caption", speaker="agent", timeout=120)
        assert welcome["text"] == f"Welcome back, we were on question 2 of 10: {SCRIPT.questions()[1].prompt}"
        assert (await again.wait_event("question"))["number"] == 2
    finally:
        await again.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    after = _rows(db, "SELECT speaker, text FROM transcript_turns ORDER BY created_at")
    assert after[:3] == before  # nothing the first process stored was lost
    sessions = _rows(db, "SELECT state, end_reason FROM interview_sessions ORDER BY started_at")
    assert sessions[0] == ("incomplete", "connection lost")  # closed as stale when the candidate came back
