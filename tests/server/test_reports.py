"""Exports and reports over real HTTP: the results CSV parses and matches the stored scorecards, the PDF scorecard
renders with poppler's pdftoppm to a non-blank page, other tenants and anonymous callers get nothing, and the
agreement report goes from "undefined, because" to a kappa as decisions are recorded."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from server.api.reports import CSV_COLUMNS
from server.pdf import FOOTER_TOP, SUPPORTS_NOT_REPLACES, PrintedDecision, pdf_text, scorecard_pdf
from server.store.models import Invitation, Scorecard
from tests.conftest import LiveServer, Tenant, World, invite, signed_in, upload_builtin
from tests.server.test_scorecards import _interview_ends, _scorecard, _submit_reference_answers

UNICODE_NAME = "Zoë “Quote” Ström – ≥ 李 …"


def _token(invitation: dict[str, object]) -> str:
    return str(invitation["candidate_url"]).rsplit("/", 1)[1]


async def _strong_candidate(live: LiveServer, world: World, name: str) -> str:
    """An interview and reference answers: a scorecard that advances."""
    invitation = await invite(live, world, "interview+assessment", name)
    await _interview_ends(live, world.tenant, str(invitation["id"]))
    await _submit_reference_answers(live, _token(invitation))
    return str(invitation["id"])


async def _empty_work_sample(live: LiveServer, world: World, name: str) -> str:
    """Work samples started and submitted without an answer: a scorecard that is a risk."""
    invitation = await invite(live, world, "assessment", name)
    async with live.client() as client:
        assert (await client.post(f"/api/candidate/{_token(invitation)}/attempt")).status_code == 200
        assert (await client.post(f"/api/candidate/{_token(invitation)}/submit")).status_code == 200
    return str(invitation["id"])


def _page_texts(body: bytes) -> list[tuple[float, str]]:
    """Each text fpdf2 drew, with its baseline height in points from the bottom of the page, in drawing order."""
    assert len(re.findall(rb"/Type\s*/Page\b", body)) == 1, "exactly one page"
    texts: list[tuple[float, str]] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            content = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue  # not a content stream (fonts are core fonts, so there is nothing else compressed)
        for y, text in re.findall(r"BT [\d.]+ ([\d.-]+) Td .*?\(((?:\\.|[^\\)])*)\) Tj ET", content):
            texts.append((float(y), re.sub(r"\\(.)", r"\1", text)))
    return texts


def _csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


async def test_results_csv_has_a_header_and_one_row_per_invitation(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    strong = await _strong_candidate(live, world, "Sky Strong")
    pending = str((await invite(live, world, "assessment", "=HYPERLINK(1) Formula"))["id"])
    card = await _scorecard(live, tenant_a, strong)

    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.get("/api/reports/results.csv")
        audit = (await client.get("/api/audit")).json()
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    today = live.services.clock().strftime("%Y-%m-%d")
    assert response.headers["content-disposition"] == f"attachment; filename=gaia-results-{today}.csv"
    rows = {row["invitation_id"]: row for row in _csv_rows(response.text)}
    assert set(rows) == {strong, pending}

    row = rows[strong]
    content = card["content"]
    assert row["candidate_name"] == "Sky Strong"
    assert row["mode"] == "interview+assessment" and row["state"] == "completed"
    assert row["recommendation"] == content["recommendation"] == "advance"
    assert float(row["overall"]) == pytest.approx(content["overall"], abs=0.05)
    assert row["work_sample_percent"] == "100.0"
    assert row["review_integrity_indicators"] == "0"
    assert row["scorecard_version"] == str(card["version"])
    assert row["completed_at"] and row["decision"] == ""

    assert rows[pending]["candidate_name"] == "'=HYPERLINK(1) Formula"  # never a spreadsheet formula
    assert rows[pending]["recommendation"] == rows[pending]["overall"] == ""
    exported = [e for e in audit if e["action"] == "results.exported"]
    assert len(exported) == 1 and exported[0]["detail"] == {"format": "csv", "rows": 2}


async def test_csv_shows_the_decision_in_force_with_who_and_when(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation_id = await _empty_work_sample(live, world, "Wes Weak")
    path = f"/api/invitations/{invitation_id}/decisions"
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        assert (await reviewer.post(path, json={"outcome": "hold", "note": "Ask for a retake."})).status_code == 201
        decided = await reviewer.post(path, json={"outcome": "reject", "note": "No answers at all."})
        assert decided.status_code == 201, decided.text
        (row,) = _csv_rows((await reviewer.get("/api/reports/results.csv")).text)
    assert row["recommendation"] == "risk"
    assert row["work_sample_percent"] == "0.0"
    assert row["decision"] == "reject"
    assert row["decided_by"] == f"Reviewer <{tenant_a.reviewer_email}>"
    assert row["decided_at"] == decided.json()["created_at"].replace("Z", "+00:00")


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is missing: infra/ensure-services.sh"
)
async def test_scorecard_pdf_is_one_page_and_renders_to_a_non_blank_png(
    live: LiveServer, tenant_a: Tenant, tmp_path: Path
) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation_id = await _strong_candidate(live, world, UNICODE_NAME)
    card = await _scorecard(live, tenant_a, invitation_id)
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        decided = await reviewer.post(
            f"/api/invitations/{invitation_id}/decisions", json={"outcome": "advance", "note": "Clear “yes” – ≥ bar."}
        )
        assert decided.status_code == 201, decided.text
        response = await reviewer.get(f"/api/invitations/{invitation_id}/scorecard.pdf")
        audit = (await reviewer.get("/api/audit")).json()
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=gaia-scorecard-{invitation_id}-v{card['version']}.pdf"
    )
    body = response.content
    assert body.startswith(b"%PDF")
    texts = [text for _, text in _page_texts(body)]
    assert pdf_text(UNICODE_NAME) in texts
    assert "ADVANCE" in texts and f"Overall {card['content']['overall']:.0f} / 100" in texts
    assert "communication" in texts and "Tag named entities" in texts
    assert any(text.startswith("ADVANCE by Reviewer on ") for text in texts)
    assert texts[-2:-1] == [SUPPORTS_NOT_REPLACES]
    assert texts[-1].startswith(f"Generated from scorecard version {card['version']} (scorer embedded")

    pdf = tmp_path / "scorecard.pdf"
    pdf.write_bytes(body)
    rendered = await asyncio.to_thread(
        subprocess.run,
        ["pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0, rendered.stderr
    with Image.open(tmp_path / "page.png") as image:
        pixels = np.asarray(image.convert("L"))
    assert pixels.shape[0] > pixels.shape[1] > 300  # an A4 portrait page at 50 dpi is about 413 × 585
    assert pixels.min() != pixels.max()
    inked = float((pixels < 200).mean())
    assert 0.02 < inked < 0.6, inked

    exported = [e for e in audit if e["action"] == "scorecard.exported"]
    assert len(exported) == 1
    assert exported[0]["target_id"] == invitation_id
    assert exported[0]["detail"] == {"format": "pdf", "scorecard_id": card["id"], "version": card["version"]}


def test_pdf_text_folds_what_helvetica_cannot_encode() -> None:
    assert pdf_text(UNICODE_NAME) == 'Zoë "Quote" Ström - >= ? ...'
    assert pdf_text("line\nbreak\ttab\x00") == "line break tab "
    assert pdf_text("Ǆ ő ﬁ") == "DZ o fi"  # no Latin-1 form: compatibility letters without accents


def _crowded_content(text: str, many: int) -> dict[str, object]:
    """A scorecard with every list far longer than a page holds, all in ``text``."""
    return {
        "recommendation": "review",
        "overall": 55.55,
        "reasons": [{"level": "review", "text": f"{text} {i}"} for i in range(many)],
        "dimensions": [{"dimension": f"{text}_{i}", "score": 1 + i % 5, "confidence": 0.5} for i in range(many)]
        + [{"dimension": "unscored", "score": None, "confidence": 0.0}],
        "work_sample": {
            "fraction": 0.5,
            "pass_score": 0.7,
            "passed": False,
            "tasks": [
                {"task_id": f"t{i}", "type": "ner", "fraction": i / many, "passed": i % 2 == 0} for i in range(many)
            ],
        },
        "integrity": [{"severity": "review", "sentence": text * 3} for _ in range(many)],
        "interview": {
            "questions": [{"evidence": [{"signal": "look_for:x", "quote": text, "start_ms": 61_000}] * many}]
        },
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=300), many=st.integers(min_value=0, max_value=40))
def test_any_candidate_text_and_any_list_length_make_exactly_one_page(text: str, many: int) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    invitation = Invitation(
        id="inv_x", candidate_name=text, candidate_email=None, mode="interview+assessment", created_at=now
    )
    card = Scorecard(id="scd_x", version=7, content=_crowded_content(text, many), scorer="embedded", created_at=now)
    body = scorecard_pdf(invitation, card, PrintedDecision("hold", text, now), now, {"t1": text})
    assert body.startswith(b"%PDF")
    texts = _page_texts(body)
    assert [text for _, text in texts[-2:]] == [SUPPORTS_NOT_REPLACES, texts[-1][1]]
    assert texts[-1][1].startswith("Generated from scorecard version 7 (scorer embedded")
    footer_top_pt = (297 - FOOTER_TOP) * 72 / 25.4
    assert all(y > footer_top_pt for y, _ in texts[:-2]), "body text runs into the footer"
    assert all(0 < y < 842 for y, _ in texts)  # on the A4 page (842 pt high)
    if many > 10:
        assert any(text.startswith("and ") and text.endswith(" more") for _, text in texts)


async def test_pdf_is_404_before_a_scorecard_and_for_another_tenant(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    world = await upload_builtin(live, tenant_a)
    scored = await _empty_work_sample(live, world, "Ada Alpha")
    unscored = str((await invite(live, world, "assessment", "Una Unscored"))["id"])
    async with live.client(headers=tenant_a.bearer()) as client:
        assert (await client.get(f"/api/invitations/{scored}/scorecard.pdf")).status_code == 200
        missing = await client.get(f"/api/invitations/{unscored}/scorecard.pdf")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        assert (await client.get("/api/invitations/inv_nope/scorecard.pdf")).status_code == 404
    async with signed_in(live, tenant_b.reviewer_email, tenant_b.password) as other:
        foreign = await other.get(f"/api/invitations/{scored}/scorecard.pdf")
        assert foreign.status_code == 404 and foreign.json()["error"] == "not_found"
        csv_text = (await other.get("/api/reports/results.csv")).text
        assert _csv_rows(csv_text) == []
        assert scored not in csv_text and unscored not in csv_text
        agreement = (await other.get("/api/reports/agreement")).json()
        assert agreement["invitations"] == 0 and agreement["kappa"] is None


async def test_anonymous_gets_401_for_every_report(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation_id = await _empty_work_sample(live, world, "Ana Anon")
    async with live.client() as client:
        for path in (
            f"/api/invitations/{invitation_id}/scorecard.pdf",
            "/api/reports/results.csv",
            "/api/reports/agreement",
        ):
            assert (await client.get(path)).status_code == 401, path


async def test_agreement_is_undefined_until_decisions_span_two_categories(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    strong = await _strong_candidate(live, world, "Sky Strong")
    weak = await _empty_work_sample(live, world, "Wes Weak")
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        before = (await reviewer.get("/api/reports/agreement")).json()
        assert before["invitations"] == 2
        assert (before["n"], before["kappa"], before["raw_agreement"]) == (0, None, None)
        assert "no candidate has both" in before["reason"]
        assert before["mapping"] == {"advance": "advance", "review": "hold", "risk": "reject"}

        note = {"note": "Read the whole record."}
        assert (
            await reviewer.post(f"/api/invitations/{strong}/decisions", json={"outcome": "advance", **note})
        ).status_code == 201
        one = (await reviewer.get("/api/reports/agreement")).json()
        assert (one["n"], one["agreed"], one["kappa"]) == (1, 1, None)
        assert "only one category" in one["reason"]

        # strong: advance/advance; weak: risk (counts as reject) / hold. p_o = 1/2, p_e = 1/4, kappa = 1/3.
        assert (
            await reviewer.post(f"/api/invitations/{weak}/decisions", json={"outcome": "hold", **note})
        ).status_code == 201
        both = (await reviewer.get("/api/reports/agreement")).json()
    assert (both["n"], both["agreed"], both["reason"]) == (2, 1, None)
    assert both["raw_agreement"] == pytest.approx(0.5)
    assert both["kappa"] == pytest.approx(1 / 3)
