"""The one-page PDF scorecard of one candidate, drawn with fpdf2 from the stored scorecard content.

Core fonts only (Helvetica, Latin-1): candidate and reviewer text is folded to what the font can encode, so no input
can make the export fail. Every list is capped and every line cut to the page width, and nothing is drawn below the
footer, so the sheet is always exactly one page; a list that does not fit ends with "and N more".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from server.store.models import Invitation
from server.store.models import Scorecard as ScorecardRow

SUPPORTS_NOT_REPLACES = "The recommendation supports and does not replace the employer's decision."

MARGIN = 15.0
FOOTER_TOP = 297.0 - MARGIN - 14.0  # A4 height; the footer's two lines start here
LINE = 5.0
BAR_ROW = 6.0
LABEL_W = 52.0
BAR_W = 80.0
MAX_REASONS = 6
MAX_DIMENSIONS = 8
MAX_TASKS = 10
MAX_INDICATORS = 5
MAX_QUOTES = 3

Color = tuple[int, int, int]
INK: Color = (29, 35, 48)
MUTED: Color = (91, 100, 119)
TRACK: Color = (232, 236, 245)
ACCENT: Color = (36, 84, 214)
OK: Color = (31, 122, 77)
WARN: Color = (165, 90, 0)
RISK: Color = (176, 32, 32)
LEVEL_COLORS: Mapping[str, Color] = {"advance": OK, "review": WARN, "risk": RISK}
MODE_LABELS: Mapping[str, str] = {
    "interview": "voice interview",
    "assessment": "work samples",
    "interview+assessment": "voice interview and work samples",
}

# What Helvetica (Latin-1) cannot encode but has a clear ASCII spelling for.
_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2032": "'",
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00b7": "-",
        "\u2265": ">=",
        "\u2264": "<=",
        "\u2260": "!=",
        "\u2192": "->",
        "\u2190": "<-",
        "\u2194": "<->",
        "\u21d2": "=>",
        "\u2248": "~",
        "\u00d7": "x",
        "\u20ac": "EUR",
        "\u2122": "(TM)",
        "\u2009": " ",
        "\u200a": " ",
        "\u202f": " ",
        "\u00a0": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)


def pdf_text(text: str) -> str:
    """``text`` as the core font can draw it: typographic marks as ASCII, accents kept where Latin-1 has them,
    other letters without their accents, anything else as '?', control characters as spaces."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text.translate(_ASCII)):
        if char in "\t\n\r\v\f" or unicodedata.category(char) == "Cc":
            out.append(" ")
        elif ord(char) < 256:
            out.append(char)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


@dataclass(frozen=True)
class PrintedDecision:
    """The decision in force, as the sheet prints it."""

    outcome: str
    decided_by: str
    at: datetime


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _as_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


class _Sheet(FPDF):
    """An A4 page that refuses to draw below the footer line."""

    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_page()

    @property
    def width(self) -> float:
        """Usable width between the margins."""
        return float(self.w - 2 * MARGIN)

    def rows_left(self, height: float) -> int:
        """How many rows of ``height`` still fit above the footer."""
        return max(0, int((FOOTER_TOP - self.get_y()) // height))

    def fit(self, text: str, width: float) -> str:
        """``text`` made drawable and cut with '...' to ``width`` in the current font."""
        text = pdf_text(text)
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text.rstrip() + "..."

    def style(self, size: float, bold: bool = False, color: Color = INK) -> None:
        """Set the font and text colour."""
        self.set_font("helvetica", "B" if bold else "", size)
        self.set_text_color(*color)

    def line_of(self, text: str, height: float = LINE, width: float | None = None, x: float | None = None) -> None:
        """One line of text, cut to fit, then move to the next line."""
        if x is not None:
            self.set_x(x)
        w = width if width is not None else float(self.w - MARGIN - self.get_x())
        self.cell(w, height, self.fit(text, w), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> bool:
        """A section title with a little space above; False (nothing drawn) when no row would fit under it."""
        if self.rows_left(LINE) < 3:
            return False
        self.ln(2.5)
        self.style(11, bold=True, color=ACCENT)
        self.line_of(text, height=6.0)
        return True

    def listed(self, lines: Sequence[str], cap: int, color: Color = INK) -> None:
        """Bulleted lines, at most ``cap`` and what fits; the rest is counted as "and N more"."""
        self.style(9.5, color=color)
        room = min(cap, self.rows_left(LINE))
        shown = lines if len(lines) <= room else lines[: max(0, room - 1)]
        for text in shown:
            self.line_of(f"- {text}", x=MARGIN + 2)
        if len(shown) < len(lines) and room > 0:
            self.style(9.5, color=MUTED)
            self.line_of(f"and {len(lines) - len(shown)} more", x=MARGIN + 2)

    def bar(self, label: str, fraction: float, value: str, marker: float | None = None, color: Color = ACCENT) -> None:
        """A labelled horizontal bar filled to ``fraction`` (0–1), a value after it, an optional tick at ``marker``."""
        y = self.get_y()
        self.style(9.5)
        self.set_x(MARGIN)
        self.cell(LABEL_W, BAR_ROW, self.fit(label, LABEL_W - 2))
        left, top, height = MARGIN + LABEL_W, y + 1.2, BAR_ROW - 2.4
        self.set_fill_color(*TRACK)
        self.rect(left, top, BAR_W, height, style="F")
        filled = BAR_W * min(1.0, max(0.0, fraction))
        if filled > 0:
            self.set_fill_color(*color)
            self.rect(left, top, filled, height, style="F")
        if marker is not None:
            self.set_draw_color(*INK)
            self.set_line_width(0.4)
            tick = left + BAR_W * min(1.0, max(0.0, marker))
            self.line(tick, top - 0.8, tick, top + height + 0.8)
        self.set_xy(left + BAR_W + 3, y)
        self.style(9.5, color=MUTED)
        self.line_of(value, height=BAR_ROW)

    def bars(self, rows: Sequence[tuple[str, float, str, float | None, Color]], cap: int) -> None:
        """Bars for each row that fits (at most ``cap``); the rest is counted as "and N more"."""
        room = min(cap, self.rows_left(BAR_ROW))
        shown = rows if len(rows) <= room else rows[: max(0, room - 1)]
        for label, fraction, value, marker, color in shown:
            self.bar(label, fraction, value, marker, color)
        if len(shown) < len(rows) and room > 0:
            self.style(9.5, color=MUTED)
            self.line_of(f"and {len(rows) - len(shown)} more", height=BAR_ROW, x=MARGIN + 2)


def _header(sheet: _Sheet, invitation: Invitation, content: Mapping[str, Any]) -> None:
    sheet.style(9, color=MUTED)
    sheet.line_of("GAIA candidate scorecard")
    sheet.style(18, bold=True)
    sheet.line_of(invitation.candidate_name, height=9.0)
    sheet.style(9.5, color=MUTED)
    mode = MODE_LABELS.get(invitation.mode, invitation.mode)
    email = f" - {invitation.candidate_email}" if invitation.candidate_email else ""
    sheet.line_of(f"{mode.capitalize()}{email}")
    sheet.line_of(
        f"Invitation {invitation.id} - invited {_day(invitation.created_at)} - "
        f"completed {_day(invitation.completed_at)}"
    )
    sheet.ln(2)
    recommendation = str(content.get("recommendation", "review"))
    y = sheet.get_y()
    sheet.set_fill_color(*LEVEL_COLORS.get(recommendation, WARN))
    sheet.rect(MARGIN, y, 42, 11, style="F")
    sheet.set_xy(MARGIN, y)
    sheet.style(14, bold=True, color=(255, 255, 255))
    sheet.cell(42, 11, pdf_text(recommendation.upper()), align="C")
    overall = _as_float(content.get("overall"))
    sheet.set_xy(MARGIN + 46, y)
    sheet.style(14, bold=True)
    sheet.cell(60, 11, f"Overall {overall:.0f} / 100" if overall is not None else "Overall: not scored")
    sheet.set_xy(MARGIN, y + 12)


def _reasons(sheet: _Sheet, content: Mapping[str, Any]) -> None:
    reasons = [str(r.get("text", "")) for r in _dicts(content.get("reasons"))]
    if sheet.heading("Why this recommendation"):
        sheet.listed(reasons or ["no reasons recorded"], MAX_REASONS)


def _dimensions(sheet: _Sheet, content: Mapping[str, Any]) -> None:
    rows: list[tuple[str, float, str, float | None, Color]] = []
    for d in _dicts(content.get("dimensions")):
        name = str(d.get("dimension", "?")).replace("_", " ")
        score, confidence = _as_float(d.get("score")), _as_float(d.get("confidence")) or 0.0
        if score is None:
            rows.append((name, 0.0, "no evidence", None, ACCENT))
        else:
            rows.append((name, score / 5.0, f"{_number(score)} / 5 (confidence {confidence:.2f})", None, ACCENT))
    if rows and sheet.heading("Interview dimensions (1-5)"):
        sheet.bars(rows, MAX_DIMENSIONS)


def _tasks(sheet: _Sheet, content: Mapping[str, Any], titles: Mapping[str, str]) -> None:
    sample = content.get("work_sample")
    if not isinstance(sample, Mapping):
        return
    pass_score = _as_float(sample.get("pass_score"))
    fraction = _as_float(sample.get("fraction")) or 0.0
    rows: list[tuple[str, float, str, float | None, Color]] = []
    for t in _dicts(sample.get("tasks")):
        task_fraction = _as_float(t.get("fraction")) or 0.0
        passed = bool(t.get("passed"))
        label = titles.get(str(t.get("task_id")), str(t.get("task_id", "?")))
        verdict = "passed" if passed else "not passed"
        rows.append((label, task_fraction, f"{task_fraction:.0%} {verdict}", pass_score, OK if passed else WARN))
    title = f"Work samples: {fraction:.0%}" + (f" (pass {pass_score:.0%})" if pass_score is not None else "")
    if sheet.heading(title):
        sheet.bars(rows, MAX_TASKS)


def _integrity(sheet: _Sheet, content: Mapping[str, Any]) -> None:
    lines = [
        f"{'[review] ' if i.get('severity') == 'review' else ''}{i.get('sentence', '')}"
        for i in _dicts(content.get("integrity"))
    ]
    if sheet.heading("Integrity indicators"):
        sheet.listed(lines or ["none recorded"], MAX_INDICATORS)


def _evidence(sheet: _Sheet, content: Mapping[str, Any]) -> None:
    interview = content.get("interview")
    if not isinstance(interview, Mapping):
        return
    quotes: list[str] = []
    for question in _dicts(interview.get("questions")):
        for e in _dicts(question.get("evidence")):
            if str(e.get("signal", "")).startswith("look_for") and e.get("quote"):
                seconds = int(_as_float(e.get("start_ms")) or 0) // 1000
                quotes.append(f'"{e["quote"]}" at {seconds // 60}:{seconds % 60:02d}')
    if quotes and sheet.heading("Interview evidence"):
        sheet.listed(quotes, MAX_QUOTES, color=MUTED)


def _decision(sheet: _Sheet, decision: PrintedDecision | None) -> None:
    if not sheet.heading("Decision"):
        return
    sheet.style(9.5)
    if decision is None:
        sheet.line_of("No decision recorded yet.")
    else:
        sheet.line_of(f"{decision.outcome.upper()} by {decision.decided_by} on {_day(decision.at)}")


def _footer(sheet: _Sheet, scorecard: ScorecardRow, generated_at: datetime) -> None:
    sheet.set_draw_color(*TRACK)
    sheet.set_line_width(0.3)
    sheet.line(MARGIN, FOOTER_TOP + 2, sheet.w - MARGIN, FOOTER_TOP + 2)
    sheet.set_xy(MARGIN, FOOTER_TOP + 3)
    sheet.style(9.5, bold=True)
    sheet.line_of(SUPPORTS_NOT_REPLACES)
    sheet.style(8.5, color=MUTED)
    produced = f"scorer {scorecard.scorer}" + (f", model {scorecard.model}" if scorecard.model else "")
    sheet.line_of(
        f"Generated from scorecard version {scorecard.version} ({produced}, computed {_day(scorecard.created_at)}) "
        f"on {_day(generated_at)}."
    )


def scorecard_pdf(
    invitation: Invitation,
    scorecard: ScorecardRow,
    decision: PrintedDecision | None,
    generated_at: datetime,
    task_titles: Mapping[str, str] | None = None,
) -> bytes:
    """The candidate's one-page scorecard as PDF bytes."""
    content: Mapping[str, Any] = scorecard.content if isinstance(scorecard.content, Mapping) else {}
    sheet = _Sheet()
    sheet.set_title(pdf_text(f"GAIA scorecard - {invitation.candidate_name}"))
    sheet.set_creator("GAIA")
    sheet.set_creation_date(generated_at)
    _header(sheet, invitation, content)
    _reasons(sheet, content)
    _dimensions(sheet, content)
    _tasks(sheet, content, task_titles or {})
    _integrity(sheet, content)
    _decision(sheet, decision)
    _evidence(sheet, content)
    _footer(sheet, scorecard, generated_at)
    return bytes(sheet.output())
