"""The LLM judge of a pairwise justification, pure parts: the messages for one run (responses in A/B order or
swapped), parsing its JSON verdict, verifying every credited quote verbatim against the justification, and
combining the two runs so a point counts only when both orders credit it with a verified quote.

The server sends the messages and stores the judge's raw outputs (``JudgeRecord``); grading parses them here, so a
stored attempt grades the same every time without calling the model again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from string import Template

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prompts.taskpack import PairItem
from scoring.llm_reply import parse_model_reply

PROMPT_VERSION = "justification_judge_v1"
USER_MARKER = "<!-- user -->"
# A quote must carry content: "A", "is" or "the" are substrings of almost any text and prove nothing. Six characters
# still admits a one-word quote that names the detail ("dedupe").
MIN_QUOTE_CHARS = 6


class JudgeOutputError(ValueError):
    """The judge's reply is not the JSON verdict the prompt asks for; the message says what is wrong."""


@dataclass(frozen=True)
class ChatMessage:
    """One chat message for an OpenAI-compatible endpoint."""

    role: str
    content: str


class JudgePoint(BaseModel):
    """The judge's decision on one rubric point."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    credited: bool
    quote: str = ""


class JudgeVerdict(BaseModel):
    """The JSON object the judge must return."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    points: list[JudgePoint]

    @field_validator("points")
    @classmethod
    def _one_entry_per_point(cls, points: list[JudgePoint]) -> list[JudgePoint]:
        ids = [p.id for p in points]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"points: each id must appear once; repeated: {', '.join(repeated)}")
        return points


class JudgeRun(BaseModel):
    """One run of the judge as it happened: every raw output in order (a retry adds one) and the error, if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    swapped: bool
    outputs: list[str] = Field(default_factory=list)
    error: str | None = None


class JudgeRecord(BaseModel):
    """What the server stores for one justification: which model and prompt, and both runs' raw outputs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    prompt_version: str = PROMPT_VERSION
    runs: list[JudgeRun]


@dataclass(frozen=True)
class RunCredit:
    """One run's verified credit: point id → quote, and the points whose credit was dropped (quote not found)."""

    credited: dict[str, str]
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class JudgeOutcome:
    """Both runs combined: points credited in both orders (with the quote), dropped credits, and why."""

    credited: dict[str, str] = field(default_factory=dict)
    dropped: int = 0
    failed: bool = False
    notes: tuple[str, ...] = ()


def build_messages(
    template: str, item: PairItem, justification: str, preference: str | None, swap: bool
) -> tuple[ChatMessage, ...]:
    """System and user messages for one run; ``swap`` shows B first, so position bias shows up as disagreement."""
    if USER_MARKER not in template:
        raise ValueError(f"judge template: the line {USER_MARKER} must separate the system and user messages")
    system, user = template.split(USER_MARKER, 1)
    first, second = (
        (("B", item.response_b), ("A", item.response_a)) if swap else (("A", item.response_a), ("B", item.response_b))
    )
    position = {first[0]: "Response 1", second[0]: "Response 2"}
    if preference in position:
        choice = f'The candidate preferred "{preference}" ({position[preference]}).'
    elif preference == "tie":
        choice = "The candidate judged the two responses a tie."
    else:
        choice = "The candidate gave no preference."
    points = item.ground_truth.justification_points
    filled = Template(user).substitute(
        rubric="\n".join(f"- {p.id}: {p.description}" for p in points),
        prompt=item.prompt,
        first_label=first[0],
        first=first[1],
        second_label=second[0],
        second=second[1],
        preference=choice,
        justification=justification,
        ids=", ".join(p.id for p in points),
    )
    return ChatMessage("system", system.strip()), ChatMessage("user", filled.strip())


def corrective_message(error: JudgeOutputError) -> ChatMessage:
    """What to say after an invalid reply: the problem and the exact shape wanted."""
    return ChatMessage(
        "user",
        f"Your reply could not be used: {error}. Reply again with only the JSON object "
        '{"points": [{"id": "...", "credited": true, "quote": "..."}]}, one entry per rubric point, and no other text.',
    )


def parse_verdict(raw: str) -> JudgeVerdict:
    """The verdict in a reply (a ```json fence around it is tolerated); JudgeOutputError says what is wrong."""
    return parse_model_reply(raw, JudgeVerdict, "the verdict object", JudgeOutputError)


def normalize(text: str) -> str:
    """Whitespace collapsed and case folded: the only liberties a quote may take."""
    return " ".join(text.split()).casefold()


def quote_verified(quote: str, justification: str) -> bool:
    """True when the quote is a verbatim excerpt of the justification (up to whitespace and case) with content."""
    wanted = normalize(quote)
    return len(wanted) >= MIN_QUOTE_CHARS and wanted in normalize(justification)


def credit_run(verdict: JudgeVerdict, item: PairItem, justification: str) -> RunCredit:
    """The credit one verdict earns: credited points whose quote is verified; the others are dropped and named."""
    known = {p.id for p in item.ground_truth.justification_points}
    credited: dict[str, str] = {}
    dropped: list[str] = []
    for point in verdict.points:
        if point.id not in known or not point.credited:
            continue
        if quote_verified(point.quote, justification):
            credited[point.id] = point.quote.strip()
        else:
            dropped.append(point.id)
    return RunCredit(credited, tuple(dropped))


def first_valid(outputs: Sequence[str]) -> tuple[JudgeVerdict | None, str | None]:
    """The first output that parses as a verdict, else None and the last parse error."""
    error = "no output"
    for raw in outputs:
        try:
            return parse_verdict(raw), None
        except JudgeOutputError as exc:
            error = str(exc)
    return None, error


def judge_outcome(record: JudgeRecord, item: PairItem, justification: str) -> JudgeOutcome:
    """Combine the normal and swapped runs: credit only what both give with a verified quote."""
    credits: dict[bool, RunCredit] = {}
    problems = []
    for run in record.runs:
        verdict, parse_error = first_valid(run.outputs)
        if verdict is None:
            problems.append(f"{'B/A' if run.swapped else 'A/B'} order: {run.error or parse_error}")
        else:
            credits[run.swapped] = credit_run(verdict, item, justification)
    if problems or set(credits) != {False, True}:
        reason = "; ".join(problems) or "both A/B orders are needed"
        return JudgeOutcome(
            failed=True,
            notes=(f"LLM judge gave no usable verdict ({reason}): phrase look-fors and similarity stand alone",),
        )
    normal, swapped = credits[False], credits[True]
    notes = []
    for point in item.ground_truth.justification_points:
        if (point.id in normal.credited) != (point.id in swapped.credited):
            order = "A/B" if point.id in normal.credited else "B/A"
            notes.append(
                f"LLM judge credited “{point.description}” only with the responses in {order} order: not counted"
            )
    dropped = len(normal.dropped) + len(swapped.dropped)
    if dropped:
        notes.append(
            f"LLM judge: {dropped} credit{'s' if dropped != 1 else ''} dropped because the quote is not in the justification"
        )
    both = {pid: quote for pid, quote in normal.credited.items() if pid in swapped.credited}
    return JudgeOutcome(credited=both, dropped=dropped, notes=tuple(notes))
