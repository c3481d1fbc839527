"""Look-for coverage by meaning: the candidate's answer, split into sentences, compared by sentence embeddings with
each look-for's example answers, so "I'd rather tell my lead than hurry" meets "does not trade accuracy for speed"
without any of its phrases.

A sentence meets a look-for when it is close to one of the look-for's examples (``LOOK_FOR_THRESHOLD``) and closer
to it, by ``LOOK_FOR_MARGIN``, than to the examples of the question's other look-fors and to the question itself:
a sentence that only restates the question ("gold items are the ones where the answer is known") is close to
every look-for of it and meets none. The look-for's description is not compared: it is written about an answer
("Names concrete data types"), not like one, and scores low against real answers (bench/lookfor_similarity.py).

The server embeds (``server.embeddings``) and stores what this module's records hold: for every look-for of every
answered question, its closest answer sentence and the similarity. Scoring (``scoring.interview``) reads only the
stored record, so a scorecard is recomputed byte for byte without the model. A record applies only to the inputs it
was computed from (``SimilarityInputs.digest``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from prompts.script import Question
from scoring.transcript import Turn, timed_words

# Measured by bench/lookfor_similarity.py with all-MiniLM-L6-v2 on the built-in script: 90 paraphrases of its 30
# look-fors that no phrase catches and 306 same-question sentences that do not make the point (other look-fors'
# paraphrases, weak answers, restated questions). At 0.55 / 0.13 36 of 90 paraphrases are credited and no negative
# is; at 0.50 / 0.10 there is still no false credit, so both numbers keep a margin.
LOOK_FOR_THRESHOLD = 0.55  # cosine between a sentence and the look-for's closest example
LOOK_FOR_MARGIN = 0.13  # how much closer than to any rival: another look-for's example, the question's own text
SENTENCE_MAX_WORDS = 40  # a longer unpunctuated stretch is cut into pieces: a mean-pooled vector blurs its meaning
_SENTENCE_END = re.compile(r"[.?!;…]['\")\]]*$")


class LookForMatch(BaseModel):
    """A look-for's best sentence in the answer to its question: its similarity to the closest example, how much
    closer that is than to the closest rival text, and the texts involved (so a reviewer can see why)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question_id: str
    look_for_id: str
    similarity: float
    margin: float
    sentence: str
    probe: str
    rival: str


class LookForSimilarity(BaseModel):
    """Stored sentence similarities of one interview: the model, the thresholds in force and the inputs' digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    threshold: float = Field(gt=0, le=1)
    min_margin: float = Field(ge=0, le=1)
    input_sha256: str
    matches: list[LookForMatch]

    def credited(self, question_id: str) -> dict[str, LookForMatch]:
        """The look-fors of one question met by meaning, by look-for id."""
        return {
            m.look_for_id: m
            for m in self.matches
            if m.question_id == question_id and m.similarity >= self.threshold and m.margin >= self.min_margin
        }


def split_sentences(turn: Turn, max_words: int = SENTENCE_MAX_WORDS) -> list[str]:
    """The turn's sentences as said (its words joined by spaces), so each is found verbatim by ``find_quote``."""
    sentences: list[str] = []
    current: list[str] = []
    for word in timed_words(turn):
        text = word.text.strip()
        if text:
            current.append(text)
        if current and (_SENTENCE_END.search(text) or len(current) >= max_words):
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    return sentences


def question_texts(question: Question) -> tuple[str, ...]:
    """What the interviewer asks: a sentence closest to this only restates the question."""
    return (question.prompt, question.clarification) if question.clarification else (question.prompt,)


@dataclass(frozen=True)
class SimilarityInputs:
    """What gets embedded, per answered question: its sentences, its look-fors' examples and its own texts."""

    sentences: Mapping[str, tuple[str, ...]]  # by question id
    examples: Mapping[str, Mapping[str, tuple[str, ...]]]  # question id → look-for id → example answers
    question_texts: Mapping[str, tuple[str, ...]]  # question id → prompt and clarification

    def texts(self) -> list[str]:
        """Every sentence, example and question text, each once, in a fixed order (the embedding matrix's rows)."""
        seen: dict[str, None] = {}
        for question_id, sentences in sorted(self.sentences.items()):
            seen.update(dict.fromkeys(sentences))
            for texts in self.examples[question_id].values():
                seen.update(dict.fromkeys(texts))
            seen.update(dict.fromkeys(self.question_texts[question_id]))
        return list(seen)

    def digest(self) -> str:
        """sha256 of the inputs, so a stored record is only used for the transcript and script it was made from."""
        body = {
            q: {"sentences": list(s), "examples": dict(self.examples[q]), "question": list(self.question_texts[q])}
            for q, s in self.sentences.items()
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def answer_inputs(answers: Mapping[str, Sequence[Turn]], questions: Sequence[Question]) -> SimilarityInputs:
    """The inputs for the candidate turns attributed to each question; questions whose look-fors have no examples
    are left out, as there is nothing to compare with."""
    by_id = {q.id: q for q in questions if any(lf.examples for lf in q.look_fors)}
    sentences = {qid: tuple(s for turn in answers.get(qid, ()) for s in split_sentences(turn)) for qid in by_id}
    kept = {qid: s for qid, s in sentences.items() if s}
    return SimilarityInputs(
        sentences=kept,
        examples={qid: {lf.id: tuple(lf.examples) for lf in by_id[qid].look_fors} for qid in kept},
        question_texts={qid: question_texts(by_id[qid]) for qid in kept},
    )


def match_look_fors(
    inputs: SimilarityInputs,
    vectors: npt.NDArray[np.float32],
    model: str,
    threshold: float = LOOK_FOR_THRESHOLD,
    min_margin: float = LOOK_FOR_MARGIN,
) -> LookForSimilarity:
    """For each look-for with examples of each answered question, its best answer sentence: the most similar one
    among those that meet it, else the most similar one (``vectors``: unit-length rows, ``inputs.texts()`` order)."""
    row = {text: n for n, text in enumerate(inputs.texts())}
    matches: list[LookForMatch] = []
    for question_id, sentences in sorted(inputs.sentences.items()):
        examples = {lf: texts for lf, texts in inputs.examples[question_id].items() if texts}
        # Every text that stands for something: each example (owned by its look-for) and the question's own texts.
        owners = [lf for lf, texts in examples.items() for _ in texts]
        probes = [t for texts in examples.values() for t in texts]
        owners += [""] * len(inputs.question_texts[question_id])
        probes += inputs.question_texts[question_id]
        # Compared as stored (4 decimals), so the stored numbers alone say what was credited.
        sims = np.round(vectors[[row[p] for p in probes]] @ vectors[[row[s] for s in sentences]].T, 4)
        for look_for_id in examples:
            mine = np.array([owner == look_for_id for owner in owners])
            best = sims[mine].max(axis=0)  # per sentence
            margin = np.round(best - sims[~mine].max(axis=0), 4)
            meets = (best >= threshold) & (margin >= min_margin)
            pick = int(np.argmax(np.where(meets, best, -np.inf) if meets.any() else best))
            probe = int(np.flatnonzero(mine)[np.argmax(sims[mine, pick])])
            rival = int(np.flatnonzero(~mine)[np.argmax(sims[~mine, pick])])
            matches.append(
                LookForMatch(
                    question_id=question_id,
                    look_for_id=look_for_id,
                    similarity=round(float(best[pick]), 4),
                    margin=round(float(margin[pick]), 4),
                    sentence=sentences[pick],
                    probe=probes[probe],
                    rival=probes[rival],
                )
            )
    return LookForSimilarity(
        model=model, threshold=threshold, min_margin=min_margin, input_sha256=inputs.digest(), matches=matches
    )
