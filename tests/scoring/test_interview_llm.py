"""The LLM interview scorer's pure parts on the built-in script and a synthetic strong interview: the prompt it
sends, the replies it accepts, quote verification (a made-up quote is dropped and counted, and its question keeps
the embedded score) and determinism. Replies are written here as a model would write them; no model runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prompts.builtin import builtin_script
from scoring.interview import Scorer, score_interview
from scoring.interview_llm import (
    PROMPT_VERSION,
    USER_MARKER,
    InterviewReplyError,
    LlmReply,
    StoredReplyScorer,
    build_messages,
    messages_digest,
    parse_reply,
    score_from_record,
    score_from_reply,
)
from scoring.scorecard import build_scorecard
from scoring.transcript import find_quote
from server.interview_llm import scorer_template
from tests.scoring.test_interview import STRONG, STRONG_DELIVERY, interview

SCRIPT = builtin_script()
TURNS = interview(STRONG, STRONG_DELIVERY)
MODEL = "fake-scorer"
REAL = "I flagged the item and asked the project lead in the Slack channel"
FABRICATED = "I personally rewrote the whole guideline for the client"


def _reply(**overrides: dict[str, Any]) -> str:
    """A reply scoring every question 4 with one verified claim each, unless overridden per question id."""
    questions = []
    for q in SCRIPT.questions():
        first_words = " ".join(STRONG[q.id].split()[:8])
        entry: dict[str, Any] = {
            "question_id": q.id,
            "score": 4,
            "claims": [{"claim": "answers concretely", "quote": first_words, "supports": "specific"}],
        }
        entry.update(overrides.get(q.id, {}))
        questions.append(entry)
    return json.dumps({"questions": questions})


def test_the_prompt_names_every_question_its_look_fors_and_numbers_every_turn() -> None:
    template = scorer_template()
    assert USER_MARKER in template
    system, user = build_messages(template, TURNS, SCRIPT)
    assert system.role == "system" and "verbatim" in system.content
    for q in SCRIPT.questions():
        assert f"### {q.id} (dimension: {q.dimension})" in user.content
        assert all(f"look_for:{lf.id}" in user.content for lf in q.look_fors)
    assert all(f"[{t.seq}] " in user.content for t in TURNS)
    assert "(ambiguity-escalation) candidate: On a medical NER project" in user.content  # attributed by the scorer
    assert "$" not in user.content.replace("$ids", "")  # every placeholder was filled


def test_a_valid_reply_gives_llm_scores_with_evidence_at_the_quoted_times() -> None:
    reply = _reply(
        **{
            "ambiguity-escalation": {
                "score": 5,
                "claims": [
                    {"claim": "escalates with context", "quote": REAL.upper(), "supports": "look_for:flag-escalate"}
                ],
            }
        }
    )
    result = score_from_reply(TURNS, SCRIPT, reply, MODEL)
    scores = result.scores
    assert (scores.scorer, scores.model, scores.prompt_version) == ("llm", MODEL, PROMPT_VERSION)
    assert result.dropped_count == 0 and result.fallback_questions == () and result.reply == reply
    question = scores.question("ambiguity-escalation")
    assert question.score == 5.0
    [evidence] = question.evidence
    span = find_quote(TURNS, REAL, speaker="candidate")
    assert span is not None and (evidence.seq, evidence.start_ms, evidence.end_ms) == tuple(span)
    assert evidence.quote == REAL + ","  # the transcript's words as said, not the model's upper-cased copy
    assert evidence.signal == "look_for:flag-escalate" and evidence.note == "escalates with context"
    assert question.look_fors_met == ("flag-escalate",)
    others = [q.score for q in scores.questions if q.question_id != "ambiguity-escalation"]
    assert others == [4.0] * len(others)
    assert {d.dimension for d in scores.dimensions} == set(SCRIPT.dimensions())
    # The dimension aggregation is the embedded scorer's: the same 1–5 scale, evidence drawn from the questions.
    process = scores.dimension("process_maturity")
    assert process.score is not None and 4.0 <= process.score <= 5.0
    assert question.dimension == "process_maturity" and evidence in process.evidence


def test_a_fabricated_quote_is_dropped_and_counted_and_its_question_keeps_the_embedded_score() -> None:
    fabricated = {"claim": "rewrote the guideline", "quote": FABRICATED, "supports": "specific"}
    reply = _reply(**{"guideline-disagreement": {"score": 5, "claims": [fabricated]}})
    result = score_from_reply(TURNS, SCRIPT, reply, MODEL)
    assert result.dropped_count == 1
    assert result.dropped_by_question() == {"guideline-disagreement": 1}
    [dropped] = result.dropped
    assert (dropped.quote, dropped.reason) == (FABRICATED, "quote not found in the candidate's words")
    assert result.fallback_questions == ("guideline-disagreement",)
    embedded = score_interview(TURNS, SCRIPT).question("guideline-disagreement")
    assert result.scores.question("guideline-disagreement") == embedded
    assert any("guideline-disagreement: no verified quote supports the LLM score" in n for n in result.notes)
    assert result.notes[0].startswith("LLM scorer: 1 unsupported claim dropped")


def test_a_claim_with_a_verified_quote_survives_beside_a_dropped_one_at_lower_confidence() -> None:
    claims = [
        {"claim": "escalates", "quote": REAL, "supports": "look_for:flag-escalate"},
        {"claim": "made up", "quote": FABRICATED, "supports": "specific"},
        {"claim": "too short", "quote": "I did", "supports": "specific"},
        {"claim": "wrong look-for", "quote": REAL, "supports": "look_for:no-such-thing"},
    ]
    result = score_from_reply(TURNS, SCRIPT, _reply(**{"ambiguity-escalation": {"score": 5, "claims": claims}}), MODEL)
    question = result.scores.question("ambiguity-escalation")
    assert question.score == 5.0 and [e.quote for e in question.evidence] == [REAL + ","]
    assert result.dropped_by_question() == {"ambiguity-escalation": 3}
    embedded = score_interview(TURNS, SCRIPT).question("ambiguity-escalation")
    assert question.confidence == pytest.approx(embedded.confidence / 4)


def test_an_agent_quote_is_not_candidate_evidence() -> None:
    agent_words = " ".join(SCRIPT.opening.split()[:10])
    claims = [{"claim": "quotes the interviewer", "quote": agent_words, "supports": "specific"}]
    result = score_from_reply(TURNS, SCRIPT, _reply(experience={"score": 5, "claims": claims}), MODEL)
    assert result.dropped_by_question() == {"experience": 1} and "experience" in result.fallback_questions


def test_a_question_the_llm_left_out_keeps_the_embedded_score() -> None:
    reply = json.loads(_reply())
    reply["questions"] = [q for q in reply["questions"] if q["question_id"] != "consistency"]
    result = score_from_reply(TURNS, SCRIPT, json.dumps(reply), MODEL)
    assert result.fallback_questions == ("consistency",)
    assert result.scores.question("consistency") == score_interview(TURNS, SCRIPT).question("consistency")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("Sure! The candidate is strong.", "not JSON"),
        ('{"questions": [{"question_id": "experience", "score": 7, "claims": []}]}', "questions.0.score"),
        ('{"questions": [{"question_id": "x", "score": 3}, {"question_id": "x", "score": 2}]}', "repeated: x"),
        ('{"questions": [{"question_id": "x", "score": 3, "claims": [{"claim": "c", "quote": "q", '
         '"supports": "vibes"}]}]}', "supports"),
    ],
)  # fmt: skip
def test_an_invalid_reply_is_a_parse_error_that_says_what_is_wrong(raw: str, problem: str) -> None:
    with pytest.raises(InterviewReplyError, match=problem):
        parse_reply(raw)
    with pytest.raises(InterviewReplyError):
        score_from_reply(TURNS, SCRIPT, raw, MODEL)


def test_a_fenced_reply_is_accepted() -> None:
    assert parse_reply(f"```json\n{_reply()}\n```") == parse_reply(_reply())


def test_scoring_a_reply_is_deterministic_to_the_byte() -> None:
    reply = _reply(**{"golden-sets": {"claims": [{"claim": "x", "quote": FABRICATED, "supports": "concern"}]}})
    first, second = (score_from_reply(TURNS, SCRIPT, reply, MODEL) for _ in range(2))
    assert first == second
    cards = [build_scorecard(r.scores, SCRIPT.dimension_weights, None).to_json() for r in (first, second)]
    assert cards[0] == cards[1] and '"scorer":"llm"' in cards[0]


def test_a_stored_record_scores_from_its_first_valid_output_or_falls_back_with_a_note() -> None:
    digest = messages_digest(build_messages(scorer_template(), TURNS, SCRIPT))
    retried = LlmReply(model=MODEL, input_sha256=digest, outputs=["not json", _reply()])
    outcome = score_from_record(TURNS, SCRIPT, retried)
    assert outcome.llm is not None and outcome.note is None and outcome.scores.scorer == "llm"
    assert outcome.summary["dropped_claims"] == 0
    failed = LlmReply(model=MODEL, input_sha256=digest, error="no reply within 3 s")
    fallback = score_from_record(TURNS, SCRIPT, failed)
    assert fallback.llm is None and fallback.scores == score_interview(TURNS, SCRIPT)
    assert (
        fallback.note == "LLM interview scorer gave no usable reply (no reply within 3 s): the embedded scorer was used"
    )
    scorer: Scorer = StoredReplyScorer(retried)
    assert scorer.score(TURNS, SCRIPT) == outcome.scores
