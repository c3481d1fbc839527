"""Justification scoring, pure parts: phrase look-fors, crediting from stored similarities, the LLM judge's quote
verification and A/B-swap combination, parsing the judge's reply, and re-grading from stored evidence."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompts.answers import PairAnswer
from prompts.builtin import builtin_pack
from prompts.taskpack import LlmEvaluationTask, PairItem
from scoring.grading.attempt import grade_attempt
from scoring.grading.judge import (
    MIN_QUOTE_CHARS,
    JudgeOutputError,
    JudgeRecord,
    JudgeRun,
    build_messages,
    judge_outcome,
    parse_verdict,
    quote_verified,
)
from scoring.grading.justification import (
    SIMILARITY_THRESHOLD,
    JustificationEvidence,
    PointSimilarity,
    SimilarityRecord,
    match_points,
    score_justification,
    split_sentences,
    text_digest,
)
from scoring.grading.pairwise import justification_credit
from scoring.grading.reference import reference_answer

PACK = builtin_pack()
TASK = next(t for t in PACK.tasks if isinstance(t, LlmEvaluationTask))
ITEM: PairItem = next(i for i in TASK.items if i.id == "pair-fabricated")
# No look-for phrase of any pair-fabricated point appears in this text (checked below).
PARAPHRASE = (
    "Response A claims a list method that isn't real, so a user who copies it gets an error. "
    "The other answer is plainer but it would actually run when the user tries it."
)
TEMPLATE = "system: grade\n<!-- user -->\n$rubric|$prompt|1=$first_label:$first|2=$second_label:$second|$preference|$justification|$ids"


def _similarity(**scores: float) -> SimilarityRecord:
    return SimilarityRecord(
        model="test-model",
        threshold=SIMILARITY_THRESHOLD,
        points=[
            PointSimilarity(point_id=k, similarity=v, sentence=f"sentence for {k}", probe="probe")
            for k, v in scores.items()
        ],
    )


def _verdict(**points: str | None) -> str:
    """A judge reply: point id → quote (None = not credited)."""
    return json.dumps({"points": [{"id": k, "credited": v is not None, "quote": v or ""} for k, v in points.items()]})


def _record(normal: list[str], swapped: list[str]) -> JudgeRecord:
    return JudgeRecord(
        model="judge", runs=[JudgeRun(swapped=False, outputs=normal), JudgeRun(swapped=True, outputs=swapped)]
    )


def _evidence(text: str, **kwargs: Any) -> JustificationEvidence:
    return JustificationEvidence(text_sha256=text_digest(text), **kwargs)


# --- look-fors and similarity ---------------------------------------------------------------------------------


def test_the_paraphrase_uses_no_look_for_phrase() -> None:
    lowered = PARAPHRASE.lower()
    assert not any(p.lower() in lowered for point in ITEM.ground_truth.justification_points for p in point.phrases)


def test_without_evidence_only_look_fors_credit() -> None:
    text = (
        "A invents list.dedupe, which does not exist; B works because dict keeps insertion order, and accuracy matters."
    )
    share, details = justification_credit(ITEM, text, 5)
    assert share == pytest.approx(1.0)
    assert details[0] == "credited “Names the fabricated method or claim in response A” (mentions “dedupe”)"
    assert justification_credit(ITEM, PARAPHRASE, 5)[0] == 0.0


def test_too_short_justification_earns_nothing_even_with_evidence() -> None:
    evidence = _evidence("A is wrong.", similarity=_similarity(**{"names-fabrication": 0.9}))
    scored = score_justification(ITEM, "A is wrong.", 20, evidence)
    assert scored.share == 0.0 and "at least 20 are needed" in scored.details[0]


def test_similarity_at_or_above_threshold_credits_the_point_and_names_the_sentence() -> None:
    similarity = _similarity(
        **{"names-fabrication": SIMILARITY_THRESHOLD, "accuracy-over-fluency": SIMILARITY_THRESHOLD - 0.01}
    )
    scored = score_justification(ITEM, PARAPHRASE, 5, _evidence(PARAPHRASE, similarity=similarity))
    assert scored.share == pytest.approx(2 / 4)  # names-fabrication weighs 2 of 4
    assert scored.details[0] == (
        "credited “Names the fabricated method or claim in response A” "
        "(“sentence for names-fabrication” is 0.55 similar to “probe” (threshold 0.55))"
    )
    assert scored.details[1] == "not found: Prefers the correct answer over the more fluent or confident one"


def test_stored_threshold_is_the_one_applied() -> None:
    strict = SimilarityRecord(
        model="m",
        threshold=0.9,
        points=[PointSimilarity(point_id="names-fabrication", similarity=0.8, sentence="s", probe="p")],
    )
    assert score_justification(ITEM, PARAPHRASE, 5, _evidence(PARAPHRASE, similarity=strict)).share == 0.0


def test_evidence_for_another_text_is_ignored_and_said_so() -> None:
    evidence = _evidence("an earlier draft", similarity=_similarity(**{"names-fabrication": 0.99}))
    scored = score_justification(ITEM, PARAPHRASE, 5, evidence)
    assert scored.share == 0.0 and any("another text" in d for d in scored.details)


def test_match_points_picks_the_closest_sentence_and_probe() -> None:
    sentences = split_sentences("First point here. Second one!\nThird; fourth")
    assert sentences == ["First point here.", "Second one!", "Third;", "fourth"]
    eye = np.eye(4, dtype=np.float32)
    probes = {p.id: np.zeros((1 + len(p.phrases), 4), dtype=np.float32) for p in ITEM.ground_truth.justification_points}
    probes["names-fabrication"][3] = 0.8 * eye[1] + 0.6 * eye[2]  # phrase #3 ("doesn't exist") leans to sentence 2
    record = match_points(ITEM, sentences, eye, probes, "m", 0.5)
    best = next(p for p in record.points if p.point_id == "names-fabrication")
    assert (best.similarity, best.sentence, best.probe) == (0.8, "Second one!", "doesn't exist")


# --- the LLM judge ----------------------------------------------------------------------------------------------


def test_verified_quote_in_both_orders_credits_the_point() -> None:
    reply = _verdict(**{"names-fabrication": "claims a LIST method   that isn't real"})
    outcome = judge_outcome(_record([reply], [reply]), ITEM, PARAPHRASE)
    assert outcome.credited == {"names-fabrication": "claims a LIST method   that isn't real"}
    assert outcome.dropped == 0 and not outcome.failed


def test_fabricated_quotes_are_dropped_and_counted() -> None:
    reply = _verdict(
        **{
            "names-fabrication": "A invents list.dedupe",
            "accuracy-over-fluency": "it would actually run",
            "explains-b": "A",
        }
    )
    outcome = judge_outcome(_record([reply], [reply]), ITEM, PARAPHRASE)
    assert outcome.credited == {"accuracy-over-fluency": "it would actually run"}
    assert outcome.dropped == 4  # a made-up quote and a one-letter quote, in each order
    assert "LLM judge: 4 credits dropped because the quote is not in the justification" in outcome.notes
    scored = score_justification(ITEM, PARAPHRASE, 5, _evidence(PARAPHRASE, judge=_record([reply], [reply])))
    assert scored.judge_dropped == 4 and scored.share == pytest.approx(1 / 4)


def test_credit_given_in_one_order_only_is_cancelled() -> None:
    quote = "Response A claims a list method that isn't real"
    outcome = judge_outcome(
        _record([_verdict(**{"names-fabrication": quote})], [_verdict(**{"names-fabrication": None})]), ITEM, PARAPHRASE
    )
    assert outcome.credited == {}
    assert outcome.notes == (
        "LLM judge credited “Names the fabricated method or claim in response A” only with the responses in A/B order: not counted",
    )


def test_first_valid_output_of_a_run_is_used_after_a_retry() -> None:
    reply = _verdict(**{"names-fabrication": "a list method that isn't real"})
    outcome = judge_outcome(_record(["Sure! Here is my verdict.", reply], [reply]), ITEM, PARAPHRASE)
    assert set(outcome.credited) == {"names-fabrication"}


def test_a_failed_run_leaves_the_embedded_scorer_alone() -> None:
    record = JudgeRecord(
        model="judge",
        runs=[
            JudgeRun(swapped=False, outputs=[_verdict(**{"names-fabrication": "a list method that isn't real"})]),
            JudgeRun(swapped=True, outputs=[], error="no reply within 30 s"),
        ],
    )
    scored = score_justification(ITEM, PARAPHRASE, 5, _evidence(PARAPHRASE, judge=record))
    assert scored.share == 0.0
    assert scored.details[-1] == (
        "LLM judge gave no usable verdict (B/A order: no reply within 30 s): phrase look-fors and similarity stand alone"
    )


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Sure, point one is credited.", "not JSON"),
        ('{"points": [{"id": "x", "quote": "q"}]}', "points.0.credited: Field required"),
        ('{"verdict": []}', "points: Field required"),
        ('{"points": [{"id": "x", "credited": false}, {"id": "x", "credited": true}]}', "repeated: x"),
    ],
)
def test_invalid_replies_raise_with_the_problem_named(reply: str, problem: str) -> None:
    with pytest.raises(JudgeOutputError, match=problem):
        parse_verdict(reply)


def test_a_json_fence_around_the_verdict_is_accepted() -> None:
    verdict = parse_verdict('```json\n{"points": [{"id": "x", "credited": true, "quote": "q"}]}\n```')
    assert verdict.points[0].id == "x" and verdict.points[0].credited


@given(
    text=st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P", "Zs")), min_size=1, max_size=200),
    bounds=st.tuples(st.integers(0, 200), st.integers(0, 200)),
)
def test_any_excerpt_with_changed_case_and_spacing_verifies(text: str, bounds: tuple[int, int]) -> None:
    start, end = sorted(bounds)
    excerpt = text[start:end]
    quote = "  ".join(excerpt.swapcase().split())
    assert quote_verified(quote, text) == (len(" ".join(excerpt.split())) >= MIN_QUOTE_CHARS)


def test_swapped_messages_show_b_first_and_keep_the_candidates_labels() -> None:
    normal = build_messages(TEMPLATE, ITEM, "my text", "B", swap=False)[1].content
    swapped = build_messages(TEMPLATE, ITEM, "my text", "B", swap=True)[1].content
    assert f"1=A:{ITEM.response_a}|2=B:{ITEM.response_b}" in normal
    assert f"1=B:{ITEM.response_b}|2=A:{ITEM.response_a}" in swapped
    assert 'preferred "B" (Response 2)' in normal and 'preferred "B" (Response 1)' in swapped
    assert normal.endswith("my text|names-fabrication, accuracy-over-fluency, explains-b")


# --- grading again from stored evidence ------------------------------------------------------------------------------


def test_grading_twice_from_stored_answers_and_evidence_gives_the_same_results() -> None:
    answers: dict[str, dict[str, dict[str, Any]]] = {
        t.id: {i.id: reference_answer(t, i).model_dump(mode="json") for i in t.items} for t in PACK.tasks
    }
    answer = PairAnswer(preference="B", justification=PARAPHRASE)
    answers[TASK.id][ITEM.id] = answer.model_dump(mode="json")
    reply = _verdict(**{"names-fabrication": "a list method that isn't real", "explains-b": "made up"})
    evidence = {
        f"{TASK.id}/{ITEM.id}": _evidence(
            PARAPHRASE, similarity=_similarity(**{"accuracy-over-fluency": 0.61}), judge=_record([reply], [reply])
        ).model_dump(mode="json")
    }
    first = grade_attempt(PACK, answers, set(), evidence)
    stored = json.loads(json.dumps(first))  # as the database keeps it
    again = grade_attempt(PACK, answers, set(), stored["evidence"])
    assert again == stored == first
    item = next(i for i in first["tasks"][TASK.id]["items"] if i["item_id"] == ITEM.id)
    assert any("LLM judge in both A/B orders" in d for d in item["details"])
    assert first["tasks"][TASK.id]["metrics"]["judge_unverified_quotes"] == 2.0
    without = grade_attempt(PACK, answers, set())
    assert "evidence" not in without
    assert without["tasks"][TASK.id]["score"] < first["tasks"][TASK.id]["score"]
