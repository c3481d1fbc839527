"""The seeded demo end to end: three candidates answer a real WebRTC interview with Piper speech of their answer
sheets (strong, average, weak), do the work samples through the candidate API, and their stored scorecards
rank them as their sheets say. A three-question cut of the built-in script keeps it to a few minutes."""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path
from typing import Any

import yaml

from prompts.builtin import SCRIPT_PATHS
from prompts.script import InterviewScript
from server.demo import DemoProgress, load_demo_candidates, run_demo, wait_interview_stored
from server.seed import seed_demo
from server.store.models import InvitationState
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo
from tests.conftest import LiveServer

# One question per dimension, so every dimension is scored.
SHORT_QUESTIONS = ("experience", "tools-throughput", "ambiguity-escalation")


def short_script() -> InterviewScript:
    """The built-in data-annotator script cut to ``SHORT_QUESTIONS``."""
    data = yaml.safe_load(SCRIPT_PATHS["data-annotator"].read_text())
    sections = []
    for section in data["sections"]:
        kept = [q for q in section["questions"] if q["id"] in SHORT_QUESTIONS]
        if kept:
            sections.append({**section, "questions": kept})
    data.update(id="data-annotator-short", sections=sections, total_time_budget_s=600)
    data["opening"] = data["opening"].replace("about ten questions", "three questions")
    return InterviewScript.model_validate(data)


def _words(text: str) -> str:
    """Lowercase words only: the oracle for "said verbatim" (punctuation and case aside)."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


def _quotes(value: Any) -> list[dict[str, Any]]:
    """Every evidence entry anywhere in a scorecard's content."""
    if isinstance(value, dict):
        own = [value] if isinstance(value.get("quote"), str) else []
        return own + [q for v in value.values() for q in _quotes(v)]
    if isinstance(value, list):
        return [q for v in value for q in _quotes(v)]
    return []


async def test_demo_candidates_finish_and_their_scorecards_follow_their_answer_sheets(
    live: LiveServer, tmp_path: Path
) -> None:
    services = live.services
    async with services.sessions() as db:
        world = await seed_demo(db, services.clock(), 14, script=short_script())
        await db.commit()
        candidates = await load_demo_candidates(db, world.employer_id, services.clock())
    assert [c.level for c in candidates] == ["strong", "average", "weak"]
    assert [c.name for c in candidates] == [i.candidate_name for i in world.interviewees]
    assert all(c.level not in c.name.lower() for c in candidates)  # the level is never shown

    updates: list[DemoProgress] = []
    started = time.monotonic()
    outcomes = await run_demo(
        live.url,
        candidates,
        tmp_path / "data",
        updates.append,
        interview_stored=functools.partial(wait_interview_stored, services.voice.running),
    )
    print(
        f"demo of {len(candidates)} candidates × {len(SHORT_QUESTIONS)} questions: {time.monotonic() - started:.0f} s"
    )
    assert [o.finished for o in outcomes] == [True, True, True], outcomes
    messages = [u.message for u in updates]
    assert "demo: 3 of 3 candidates interviewed" in " ".join(messages), messages
    assert (updates[-1].finished, updates[-1].total, updates[-1].running) == (3, 3, False)

    cards: list[dict[str, Any]] = []
    async with services.sessions() as db:
        results = ResultsRepo(db, world.employer_id)
        for candidate in candidates:
            invitation = await InvitationRepo(db, world.employer_id).get(candidate.invitation_id)
            assert invitation.state == InvitationState.COMPLETED.value, candidate.name
            versions = await results.scorecards(candidate.invitation_id)
            assert versions, f"{candidate.name} has no stored scorecard"
            content = versions[-1].content
            assert content["interview"] is not None and content["work_sample"] is not None, content["reasons"]
            cards.append(content)
            said = [
                _words(turn.text)
                for session in await results.sessions(candidate.invitation_id)
                for turn in await results.turns(session.id)
                if turn.speaker == "candidate"
            ]
            assert said, f"{candidate.name} said nothing the server heard"
            quotes = _quotes(content)
            assert quotes or candidate.level == "weak", f"{candidate.name}'s scorecard has no evidence"
            for quote in quotes:
                assert any(_words(quote["quote"]) in turn for turn in said), (candidate.name, quote, said)

    for candidate, card in zip(candidates, cards, strict=True):
        scores = {d["dimension"]: round(d["score"] or 0, 2) for d in card["interview"]["dimensions"]}
        print(f"{candidate.level}: overall {card['overall']:.0f} {card['recommendation']} {scores}")
    strong, average, weak = cards
    overall = [c["overall"] for c in cards]
    assert strong["overall"] > average["overall"] > weak["overall"], overall
    dimensions = [{d["dimension"]: d["score"] for d in c["interview"]["dimensions"]} for c in cards]
    assert set(dimensions[0]) >= {"communication", "role_fit", "process_maturity"}
    for name, score in dimensions[0].items():
        assert score is not None and dimensions[2][name] is not None, (name, dimensions)
        assert score > dimensions[2][name], (name, dimensions)
    assert strong["work_sample"]["fraction"] > average["work_sample"]["fraction"] > weak["work_sample"]["fraction"]

    # A second run (a restart of `gaia serve`) finds everything done and does nothing.
    async with services.sessions() as db:
        again = await load_demo_candidates(db, world.employer_id, services.clock())
    assert all(c.finished and c.interview_done for c in again)
    repeat: list[DemoProgress] = []
    assert all(o.finished for o in await run_demo(live.url, again, tmp_path / "data", repeat.append))
    assert [u.message for u in repeat] == ["demo: all 3 candidates are finished"]
