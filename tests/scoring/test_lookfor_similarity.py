"""Look-for coverage by meaning in the embedded interview scorer, on stored similarity records.

The records here are built by hand (the similarity a model would have given), so each test states exactly which
look-for a sentence is close to; the real embedder's numbers are tested in ``tests/server/test_embeddings.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from scoring.interview import score_interview, similarity_inputs
from scoring.lookfor_similarity import (
    LookForMatch,
    LookForSimilarity,
    SimilarityInputs,
    match_look_fors,
    split_sentences,
)
from scoring.transcript import Turn, Word, find_quote
from tests.scoring.test_interview import SCRIPT, STRONG_DELIVERY, interview

# Says "does not trade accuracy for speed; raises the issue" (tools-throughput/quality-first) without any phrase.
PARAPHRASE = "I never hurry through items to hit the number. I would rather warn my team lead early."
ANSWERS = {"tools-throughput": PARAPHRASE}


def _record(turns: tuple[Turn, ...], matches: list[LookForMatch]) -> LookForSimilarity:
    digest = similarity_inputs(turns, SCRIPT).digest()
    return LookForSimilarity(model="hand-made", threshold=0.55, min_margin=0.13, input_sha256=digest, matches=matches)


def _match(sentence: str, similarity: float, margin: float = 0.2, look_for: str = "quality-first") -> LookForMatch:
    return LookForMatch(
        question_id="tools-throughput",
        look_for_id=look_for,
        similarity=similarity,
        margin=margin,
        sentence=sentence,
        probe="I would rather be a little behind than send in sloppy labels.",
        rival="How do you balance speed and accuracy when you have a daily quota?",
    )


def test_a_sentence_close_in_meaning_meets_the_look_for_with_itself_as_the_quote() -> None:
    turns = interview(ANSWERS, STRONG_DELIVERY)
    plain = score_interview(turns, SCRIPT).question("tools-throughput")
    assert plain.look_fors_met == ()  # no phrase of any look-for was said

    sentence = "I would rather warn my team lead early."
    scores = score_interview(turns, SCRIPT, similarity=_record(turns, [_match(sentence, 0.71)]))
    question = scores.question("tools-throughput")
    assert question.look_fors_met == ("quality-first",)
    assert question.coverage is not None and question.coverage == pytest.approx(1.5 / 3.0)
    assert question.score is not None and plain.score is not None and question.score > plain.score
    evidence = [e for e in question.evidence if e.signal == "look_for:quality-first"]
    assert len(evidence) == 1 and evidence[0].quote == sentence
    assert "0.71" in evidence[0].note
    span = find_quote(turns, sentence, speaker="candidate")
    assert span is not None and (evidence[0].start_ms, evidence[0].end_ms) == (span.start_ms, span.end_ms)
    assert scores.model == "hand-made"


@pytest.mark.parametrize(("similarity", "margin"), [(0.54, 0.3), (0.9, 0.12)])
def test_below_the_threshold_or_the_margin_nothing_is_credited(similarity: float, margin: float) -> None:
    turns = interview(ANSWERS, STRONG_DELIVERY)
    record = _record(turns, [_match("I would rather warn my team lead early.", similarity, margin)])
    assert score_interview(turns, SCRIPT, similarity=record).question("tools-throughput").look_fors_met == ()


def test_a_sentence_the_candidate_did_not_say_in_that_answer_credits_nothing() -> None:
    turns = interview(ANSWERS, STRONG_DELIVERY)
    record = _record(turns, [_match("I always put accuracy ahead of speed.", 0.9)])
    assert score_interview(turns, SCRIPT, similarity=record).question("tools-throughput").look_fors_met == ()


def test_a_phrase_match_wins_and_keeps_its_own_quote() -> None:
    answers = {"tools-throughput": "Accuracy first. " + PARAPHRASE}
    turns = interview(answers, STRONG_DELIVERY)
    record = _record(turns, [_match("I would rather warn my team lead early.", 0.8)])
    question = score_interview(turns, SCRIPT, similarity=record).question("tools-throughput")
    assert question.look_fors_met == ("quality-first",)
    quotes = [e.quote for e in question.evidence if e.signal == "look_for:quality-first"]
    assert len(quotes) == 1 and quotes[0].startswith("Accuracy first.")


def test_similarities_of_another_transcript_are_refused() -> None:
    turns = interview(ANSWERS, STRONG_DELIVERY)
    other = interview({"tools-throughput": PARAPHRASE + " That is all."}, STRONG_DELIVERY)
    with pytest.raises(ValueError, match="another transcript"):
        score_interview(other, SCRIPT, similarity=_record(turns, []))


def test_inputs_hold_each_answered_question_with_its_sentences_examples_and_own_texts() -> None:
    inputs = similarity_inputs(interview(ANSWERS, STRONG_DELIVERY), SCRIPT)
    assert dict(inputs.sentences) == {
        "tools-throughput": (
            "I never hurry through items to hit the number.",
            "I would rather warn my team lead early.",
        )
    }
    question = next(q for q in SCRIPT.questions() if q.id == "tools-throughput")
    assert dict(inputs.examples["tools-throughput"]) == {lf.id: tuple(lf.examples) for lf in question.look_fors}
    assert inputs.question_texts["tools-throughput"] == (question.prompt, question.clarification)
    assert len(inputs.texts()) == len(set(inputs.texts()))


def test_sentences_split_at_their_ends_and_long_runs_in_pieces() -> None:
    words = tuple(Word(t, n * 100, n * 100 + 80) for n, t in enumerate("First this. Then that; and more".split()))
    turn = Turn(1, "candidate", "", 0, 1000, words)
    assert split_sentences(turn) == ["First this.", "Then that;", "and more"]
    run = tuple(Word(f"w{n}", n * 100, n * 100 + 80) for n in range(7))
    assert split_sentences(Turn(1, "candidate", "", 0, 700, run), max_words=3) == ["w0 w1 w2", "w3 w4 w5", "w6"]


def test_a_look_for_is_met_only_by_a_sentence_nearer_its_examples_than_any_rival() -> None:
    inputs = SimilarityInputs(
        sentences={"q": ("alpha.", "beta.", "gamma.")},
        examples={"q": {"a": ("a1", "a2"), "b": ("b1",), "none": ()}},
        question_texts={"q": ("the question?",)},
    )
    rows = {  # unit vectors: cosines are the dot products
        "alpha.": [1, 0, 0, 0],
        "beta.": [0, 1, 0, 0],
        "gamma.": [0, 0, 1, 0],
        "a1": [0.9, 0.0, 0.0, np.sqrt(1 - 0.81)],  # alpha 0.9
        "a2": [0.0, 0.8, 0.6, 0.0],  # beta 0.8, gamma 0.6
        "b1": [0.0, 0.7, 0.0, np.sqrt(1 - 0.49)],  # beta 0.7
        "the question?": [0.0, 0.0, 0.75, np.sqrt(1 - 0.5625)],  # gamma 0.75
    }
    vectors = np.array([rows[t] for t in inputs.texts()], dtype=np.float32)
    record = match_look_fors(inputs, vectors, "unit", threshold=0.55, min_margin=0.13)
    found = {m.look_for_id: (m.sentence, m.similarity, m.margin, m.probe, m.rival) for m in record.matches}
    # a: alpha (0.9, nothing else near it) beats beta (0.8, but b1 is at 0.7 there: a margin of 0.1 only).
    assert found["a"] == ("alpha.", 0.9, 0.9, "a1", "b1")
    # b: its best sentence is beta at 0.7, but a2 is nearer beta: recorded, not met.
    assert found["b"] == ("beta.", 0.7, -0.1, "b1", "a2")
    assert "none" not in found  # a look-for without examples is left to its phrases
    assert set(record.credited("q")) == {"a"} and record.input_sha256 == inputs.digest()
