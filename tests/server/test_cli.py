"""The ``gaia`` command as a user runs it: a real process, real files, a real server on loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from prompts.builtin import PACK_PATHS, SCRIPT_PATHS
from tests.conftest import free_port

GAIA = [sys.executable, "-m", "server.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIA_")}
    # GAIA_DEMO=0: the demo interviews would load the voice models and take minutes; tests/e2e/test_demo.py runs them.
    env.update(
        {"GAIA_DATA_DIR": str(tmp_path / "data"), "GAIA_SECRET_KEY": "cli-test-secret", "GAIA_DEMO": "0"}, **extra
    )
    return env


def test_validate_accepts_builtin_content(tmp_path: Path) -> None:
    result = subprocess.run(
        [*GAIA, "validate", str(SCRIPT_PATHS["data-annotator"]), str(PACK_PATHS["annotation-core"])],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "interview script 'data-annotator'" in result.stdout
    assert "task pack 'annotation-core': 6 tasks" in result.stdout


def test_validate_exits_nonzero_naming_file_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SCRIPT_PATHS["data-annotator"].read_text().replace(" time_budget_s:", " time_budget_s: -5 #", 1))
    result = subprocess.run(
        [*GAIA, "validate", str(broken), str(PACK_PATHS["annotation-core"])],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
    )
    assert result.returncode == 1
    assert re.search(r"broken\.yaml: sections\[\d+\]\.questions\[\d+\]\.time_budget_s: .*-5", result.stderr)
    assert "1 of 2 file(s) failed validation" in result.stderr


def test_help_documents_every_command(tmp_path: Path) -> None:
    result = subprocess.run([*GAIA, "--help"], capture_output=True, text=True, env=_env(tmp_path))
    for command in ("serve", "validate", "invite", "export"):
        assert command in result.stdout


def _start_serve(tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [*GAIA, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path),
    )
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("Press Ctrl+C"):
            return proc, lines
    proc.kill()
    raise AssertionError("gaia serve did not start:\n" + "\n".join(lines))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_seeds_demo_and_prints_working_links(tmp_path: Path) -> None:
    port = free_port()
    proc, lines = _start_serve(tmp_path, port)
    try:
        output = "\n".join(lines)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        links = re.findall(rf"{re.escape(base)}/\S+", output)
        candidate_links = [link for link in links if "/c/" in link]
        assert len(candidate_links) == 3
        for link in candidate_links:
            page = httpx.get(link)
            assert page.status_code == 200 and "has invited you" in page.text
        admin = re.search(r"Employer:\s+(\S+)\s+sign in as (\S+) / (\S+)", output)
        reviewer = re.search(r"Reviewer:\s+(\S+)\s+sign in as (\S+) / (\S+)", output)
        assert admin and reviewer
        for url, email, password in (admin.groups(), reviewer.groups()):
            with httpx.Client() as client:
                assert client.get(url).status_code == 303
                login = client.post(f"{base}/api/auth/login", json={"email": email, "password": password})
                assert login.status_code == 200
                assert client.get(url).status_code == 200
    finally:
        _stop(proc)

    # A second start finds the demo and does not seed it twice.
    proc, lines = _start_serve(tmp_path, port)
    try:
        assert len([line for line in lines if "/c/" in line]) == 3
    finally:
        _stop(proc)
    invitation_id = re.search(r"/review/(inv_[0-9a-f]+)", "\n".join(lines))
    assert invitation_id
    export = subprocess.run(
        [*GAIA, "export", invitation_id.group(1)], capture_output=True, text=True, env=_env(tmp_path)
    )
    assert export.returncode == 0, export.stderr
    doc = json.loads(export.stdout)
    assert doc["format"] == "gaia.export/1"
    assert doc["invitation"]["id"] == invitation_id.group(1)
    assert "token" not in doc["invitation"]


def test_invite_prints_a_working_link_and_export_finds_it(tmp_path: Path) -> None:
    port = free_port()
    proc, _ = _start_serve(tmp_path, port)
    _stop(proc)
    env = _env(tmp_path, GAIA_PORT=str(port))
    made = subprocess.run(
        [*GAIA, "invite", "--mode", "assessment", "--name", "Terminal Tess"], capture_output=True, text=True, env=env
    )
    assert made.returncode == 0, made.stderr
    invitation_id, url = made.stdout.strip().split("\t")
    assert url.startswith(f"http://127.0.0.1:{port}/c/")
    out = tmp_path / "export.json"
    exported = subprocess.run([*GAIA, "export", invitation_id, "-o", str(out)], capture_output=True, text=True, env=env)
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(out.read_text())
    assert doc["invitation"]["candidate_name"] == "Terminal Tess"
    assert doc["pack_version"]["content"]["id"] == "annotation-core"
    missing = subprocess.run([*GAIA, "export", "inv_nope"], capture_output=True, text=True, env=env)
    assert missing.returncode == 1 and "not found" in missing.stderr
    wrong = subprocess.run(
        [*GAIA, "invite", "--mode", "interview", "--name", "X", "--employer", "nobody"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert wrong.returncode == 1 and "employer 'nobody' not found" in wrong.stderr


def test_killing_the_server_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    """Persist before acknowledging: an answer that got its 200 survives kill -9 of the server process."""
    port = free_port()
    proc, lines = _start_serve(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    link = next(line for line in lines if line.strip().startswith("assessment ")).split()[-1]
    token = link.rsplit("/", 1)[1]
    answer = {"answer": {"type": "text_classification", "label": "spam"}, "idempotency_key": "save-1"}
    try:
        assert httpx.post(f"{base}/api/candidate/{token}/attempt").status_code == 200
        saved = httpx.put(f"{base}/api/candidate/{token}/answers/moderation/cls-spam", json=answer)
        assert saved.status_code == 200
    finally:
        proc.kill()  # SIGKILL: no shutdown hook runs
        proc.wait(timeout=20)
    proc, _ = _start_serve(tmp_path, port)
    try:
        resumed = httpx.post(f"{base}/api/candidate/{token}/attempt").json()
        assert resumed["answers"]["moderation"]["cls-spam"]["label"] == "spam"
        retried = httpx.put(f"{base}/api/candidate/{token}/answers/moderation/cls-spam", json=answer)
        assert retried.json()["revision"] == 1  # the client's retry after the crash is not a new revision
    finally:
        _stop(proc)
