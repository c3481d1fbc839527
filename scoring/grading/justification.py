"""A pairwise justification scored against its rubric points. A point is credited when any of three sources finds
it, and the details say which: a phrase look-for in the text, a sentence whose embedding is close enough to the
point (similarities computed by the server and stored), or the LLM judge in both A/B orders with a verified quote
(raw verdicts stored). Without stored evidence only the look-fors run, as before."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from prompts.taskpack import JustificationPoint, PairItem
from scoring.grading.judge import JudgeOutcome, JudgeRecord, judge_outcome

# Cosine similarity (all-MiniLM-L6-v2) at which a sentence makes a point. Measured on the built-in pack's four
# pairs: 34 paraphrases of the 9 rubric points that no look-for phrase catches, against 219 sentences that do not
# make the point (other points' paraphrases and typical weak justifications: "Response A is better written.",
# "The answer I picked is the better one."). The highest non-matching sentence scored 0.499; at 0.50 11/34
# paraphrases are credited, at 0.55 10/34, in both cases with 0 false credits. 0.55 keeps a 0.05 margin: the
# model rewards shared words ("Response A", "method") as much as meaning, so similarity only adds clear
# paraphrases ("Response A claims a method that isn't real." 0.67) to what the look-fors find.
SIMILARITY_THRESHOLD = 0.55
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


class PointSimilarity(BaseModel):
    """The justification sentence closest to a rubric point, and the probe text (description or phrase) it matched."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    point_id: str
    similarity: float
    sentence: str
    probe: str


class SimilarityRecord(BaseModel):
    """Stored sentence similarities of one justification: the model that made them and the threshold in force."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    threshold: float = Field(gt=0, le=1)
    points: list[PointSimilarity]


class JustificationEvidence(BaseModel):
    """Everything beyond the text that grading a justification used, stored beside the grades."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text_sha256: str
    similarity: SimilarityRecord | None = None
    judge: JudgeRecord | None = None
    notes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class JustificationScore:
    """Share of the rubric's weight earned (0..1), the reasons, and judge credits dropped for unverified quotes."""

    share: float
    details: tuple[str, ...]
    judge_dropped: int = 0


def text_digest(text: str) -> str:
    """sha256 of a justification, so stored evidence is only used for the text it was computed from."""
    return hashlib.sha256(text.encode()).hexdigest()


def split_sentences(text: str) -> list[str]:
    """Sentences (and ;-clauses) of a justification, the units compared with each rubric point."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def similarity_probes(point: JustificationPoint) -> list[str]:
    """Texts that stand for a point when comparing embeddings: its description, then its phrases."""
    return [point.description, *point.phrases]


def match_points(
    item: PairItem,
    sentences: Sequence[str],
    sentence_vectors: npt.NDArray[np.float32],
    probe_vectors: Mapping[str, npt.NDArray[np.float32]],
    model: str,
    threshold: float = SIMILARITY_THRESHOLD,
) -> SimilarityRecord:
    """For each point, the best cosine between its probes and any sentence (rows must be unit-length vectors)."""
    found = []
    for point in item.ground_truth.justification_points:
        if not sentences:
            break
        sims = probe_vectors[point.id] @ sentence_vectors.T  # probes × sentences
        probe, sentence = np.unravel_index(int(np.argmax(sims)), sims.shape)
        found.append(
            PointSimilarity(
                point_id=point.id,
                similarity=round(float(sims[probe, sentence]), 4),
                sentence=sentences[int(sentence)],
                probe=similarity_probes(point)[int(probe)],
            )
        )
    return SimilarityRecord(model=model, threshold=threshold, points=found)


def _phrase_hit(point: JustificationPoint, lowered: str) -> str | None:
    return next((p for p in point.phrases if re.search(rf"\b{re.escape(p.lower())}", lowered)), None)


def score_justification(
    item: PairItem, text: str, min_words: int, evidence: JustificationEvidence | None = None
) -> JustificationScore:
    """Credit per rubric point from look-fors, stored similarities and the stored judge verdicts (any one suffices)."""
    points = item.ground_truth.justification_points
    if not points:
        return JustificationScore(1.0, ("no rubric points for the justification",))
    words = len(text.split())
    if words < min_words:
        return JustificationScore(0.0, (f"justification has {words} words; at least {min_words} are needed",))
    notes: list[str] = []
    if evidence is not None and evidence.text_sha256 != text_digest(text):
        notes.append("stored similarity and judge evidence belong to another text of this answer: not used")
        evidence = None
    similar = {p.point_id: p for p in evidence.similarity.points} if evidence and evidence.similarity else {}
    threshold = evidence.similarity.threshold if evidence and evidence.similarity else SIMILARITY_THRESHOLD
    judged = judge_outcome(evidence.judge, item, text) if evidence and evidence.judge else JudgeOutcome()
    lowered = text.lower()
    earned, details = 0.0, []
    for point in points:
        reasons = []
        if (hit := _phrase_hit(point, lowered)) is not None:
            reasons.append(f"mentions “{hit}”")
        match = similar.get(point.id)
        if match is not None and match.similarity >= threshold:
            reasons.append(
                f"“{match.sentence}” is {match.similarity:.2f} similar to “{match.probe}” (threshold {threshold:.2f})"
            )
        if point.id in judged.credited:
            reasons.append(f"LLM judge in both A/B orders, quoting “{judged.credited[point.id]}”")
        if reasons:
            earned += point.weight
            details.append(f"credited “{point.description}” ({'; '.join(reasons)})")
        else:
            details.append(f"not found: {point.description}")
    if evidence is not None:
        notes += evidence.notes
    details += [*judged.notes, *notes]
    return JustificationScore(earned / sum(p.weight for p in points), tuple(details), judged.dropped)
