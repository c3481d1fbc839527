"""Interview scoring: from a timed transcript and its script to 1–5 scores per question and per dimension, each
with a confidence and quotes that were said verbatim (located with ``find_quote``).

The embedded scorer is deterministic and offline. Per answer it measures look-for coverage (script phrases, with
short inflections), specificity (numbers, named tools and metrics, concrete examples), structure (sequence and
reason markers), length against the question's expected length, and "I don't know"; for the whole interview it
measures delivery (speaking rate, filler words, long pauses, answer onset latency, talk-time share). Every step
from a signal to a score is a field of ``EmbeddedConfig`` so it can be read, tuned and versioned.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from prompts.script import InterviewScript, Question
from scoring.lookfor_similarity import LookForMatch, LookForSimilarity, SimilarityInputs, answer_inputs
from scoring.transcript import Turn, Word, find_quote, timed_words

EMBEDDED_VERSION = "1.0"
"""Bump when the embedded scorer's logic changes; config changes show as a suffix of the version."""

Points = tuple[tuple[float, float], ...]

FILLERS = ("um", "umm", "uh", "uhm", "er", "erm", "hmm", "ah", "mm", "you know", "i mean")
# "like" is a filler only when it does not follow a word that makes it a verb or a comparison.
LIKE_NOT_FILLER_AFTER = frozenset(
    "i you we they would wd dont didnt doesnt really look looks looked feel feels sounds seems things something just".split()
)
STRUCTURE_MARKERS = (
    "first", "firstly", "second", "secondly", "third", "then", "next", "after that", "finally", "lastly",
    "because", "so that", "which means", "that way", "therefore", "in the end",
)  # fmt: skip
EXAMPLE_MARKERS = (
    "for example", "for instance", "e g", "such as", "one time", "once", "i remember", "last year", "last month",
    "last week", "in my last", "at my previous", "on one project", "in one project", "specifically",
)  # fmt: skip
TOOLS_AND_METRICS = (
    "label studio", "labelbox", "prodigy", "cvat", "doccano", "appen", "toloka", "mechanical turk", "mturk",
    "excel", "google sheets", "spreadsheet", "jira", "slack", "python", "sql", "kappa", "krippendorff", "f1",
    "precision", "recall", "accuracy", "error rate", "agreement", "iou", "rubric", "gold set", "honeypot",
)  # fmt: skip
NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred hundreds thousand thousands million percent half dozen twice".split()
)
DONT_KNOW = ("i dont know", "i do not know", "no idea", "not sure", "cant remember", "never done", "no experience")
HEDGES = ("i guess", "maybe", "kind of", "sort of", "whatever", "stuff", "something like that", "and so on")
_NOT_A_NAME = frozenset({"i", "im", "ive", "id", "ill"})
_SENTENCE_END = re.compile(r"[.?!…]['\")\]]*$")


@dataclass(frozen=True)
class EmbeddedConfig:
    """Every weight and threshold of the embedded scorer; the defaults are the shipped calibration."""

    # An answer's content composite c in 0..1 becomes the score 1 + 4c.
    coverage_weight: float = 0.45
    specificity_weight: float = 0.20
    structure_weight: float = 0.15
    length_weight: float = 0.20
    dont_know_penalty: float = 0.25
    specificity_target: int = 3  # distinct numbers, names and example markers for full specificity
    hedge_discount: float = 0.5  # each hedge ("I guess", "stuff") cancels this much of one specific
    structure_target: int = 3  # distinct sequence/reason markers for full structure
    phrase_max_suffix: int = 4  # "flag" matches "flagged", "adjudicat" matches "adjudication"
    # Confidence: how much said material a score rests on.
    min_confidence: float = 0.3  # an answer of one word
    silent_confidence: float = 0.5  # asked, nothing answered: the low score is likely but could be a lost turn
    delivery_words_for_full_confidence: int = 150
    # Communication = content of its questions blended with delivery.
    delivery_weight: float = 0.5
    long_pause_ms: int = 1500
    rate_points: Points = ((60.0, 0.0), (110.0, 1.0), (170.0, 1.0), (240.0, 0.0))  # words per minute
    filler_points: Points = ((2.0, 1.0), (10.0, 0.0))  # fillers per 100 words
    pause_points: Points = ((1.0, 1.0), (6.0, 0.0))  # long pauses per minute of speech
    latency_points: Points = ((2000.0, 1.0), (8000.0, 0.0))  # median ms from question end to answer start
    share_points: Points = ((0.15, 0.0), (0.45, 1.0))  # candidate share of talk time
    measure_weights: tuple[tuple[str, float], ...] = (
        ("speaking_rate", 1.0),
        ("fillers", 1.0),
        ("long_pauses", 1.0),
        ("onset_latency", 1.0),
        ("talk_share", 0.5),
    )
    # Attribution of agent turns without a stored question id, by TF-IDF cosine to the script's texts.
    question_match_threshold: float = 0.35
    quote_words_before: int = 6
    quote_words_after: int = 10
    evidence_per_dimension: int = 16


@dataclass(frozen=True)
class AudioMeasures:
    """Measures taken from the audio itself (VAD speech time); they override the transcript's estimates."""

    candidate_speech_ms: int | None = None
    agent_speech_ms: int | None = None


@dataclass(frozen=True)
class Evidence:
    """A verbatim quote, where it was said, and which signal it supports."""

    quote: str
    seq: int
    start_ms: int
    end_ms: int
    question_id: str | None
    signal: str  # "look_for:<id>", "specific", "dont_know", "filler", "long_pause"
    note: str


@dataclass(frozen=True)
class QuestionScore:
    """One question: its 1–5 score (None if never asked), the signals behind it, and the evidence."""

    question_id: str
    dimension: str
    asked: bool
    answered: bool
    score: float | None
    confidence: float
    words: int
    coverage: float | None
    specificity: float
    structure: float
    length: float
    dont_know: bool
    look_fors_met: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class CommunicationMeasures:
    """Delivery measures over the candidate's turns; None where the transcript cannot tell."""

    candidate_words: int
    speaking_rate_wpm: float | None
    filler_per_100_words: float | None
    long_pauses_per_min: float | None
    onset_latency_ms: float | None
    talk_time_share: float | None
    delivery: float | None  # 0..1, the weighted mean of the mapped measures


@dataclass(frozen=True)
class DimensionScore:
    """One dimension: its 1–5 score (None without material), confidence, the questions and quotes behind it."""

    dimension: str
    score: float | None
    confidence: float
    questions: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class InterviewScores:
    """A scored interview, with what produced it so it can be recomputed and compared."""

    scorer: str
    version: str
    model: str | None
    prompt_version: str | None
    questions: tuple[QuestionScore, ...]
    dimensions: tuple[DimensionScore, ...]
    communication: CommunicationMeasures

    def dimension(self, name: str) -> DimensionScore:
        """The score of one dimension; KeyError names the dimensions there are."""
        for d in self.dimensions:
            if d.dimension == name:
                return d
        raise KeyError(f"no dimension {name!r}; scored: {', '.join(d.dimension for d in self.dimensions)}")

    def question(self, question_id: str) -> QuestionScore:
        """The score of one question."""
        for q in self.questions:
            if q.question_id == question_id:
                return q
        raise KeyError(f"no question {question_id!r}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready, deterministic copy (floats rounded)."""
        return dict(plain(self))


class Scorer(Protocol):
    """Turns a transcript into interview scores; embedded now, an LLM scorer behind the same call later."""

    def score(
        self, turns: Sequence[Turn], script: InterviewScript, audio: AudioMeasures | None = None
    ) -> InterviewScores:
        """Score every question and dimension of ``script`` from ``turns``."""
        ...


def plain(value: Any, digits: int = 4) -> Any:
    """A JSON-ready copy: dataclasses and mappings to key-sorted dicts, tuples to lists, floats rounded, ISO times."""
    # Keys are sorted so the dict itself, not only its JSON, has one order.
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name), digits) for name in sorted(f.name for f in fields(value))}
    if isinstance(value, Mapping):
        return {str(k): plain(v, digits) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [plain(v, digits) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        # -0.0 and 0.0 must serialize alike for byte-identical recomputations.
        return round(value, digits) + 0.0
    return value


# --- text signals ------------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Lowercase word tokens: apostrophes dropped ("don't" → "dont"), other punctuation splits words."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "").replace("'", "")
    return re.sub(r"[^\w]+|_", " ", text).split()


def _phrase_hits(toks: Sequence[str], phrase: Sequence[str], max_suffix: int) -> list[int]:
    """Start indexes where ``phrase`` occurs; its last token may carry a short inflection."""
    hits = []
    k = len(phrase)
    for i in range(len(toks) - k + 1):
        if all(toks[i + j] == phrase[j] for j in range(k - 1)):
            last = toks[i + k - 1]
            if last.startswith(phrase[-1]) and len(last) - len(phrase[-1]) <= max_suffix:
                hits.append(i)
    return hits


@dataclass(frozen=True)
class _TimedTokens:
    """A candidate turn's tokens, each knowing the word it came from."""

    turn: Turn
    words: tuple[Word, ...]
    toks: tuple[str, ...]
    word_of: tuple[int, ...]

    @staticmethod
    def of(turn: Turn) -> _TimedTokens:
        words = timed_words(turn)
        toks: list[str] = []
        word_of: list[int] = []
        for index, word in enumerate(words):
            for tok in tokens(word.text):
                toks.append(tok)
                word_of.append(index)
        return _TimedTokens(turn, words, tuple(toks), tuple(word_of))

    def find(self, phrase: str, max_suffix: int = 0) -> list[tuple[int, int]]:
        """Word ranges (first, last) where the phrase was said."""
        wanted = tokens(phrase)
        if not wanted:
            return []
        return [
            (self.word_of[i], self.word_of[i + len(wanted) - 1]) for i in _phrase_hits(self.toks, wanted, max_suffix)
        ]


def _quote_range(words: Sequence[Word], first: int, last: int, config: EmbeddedConfig) -> tuple[int, int]:
    """Widen a matched word range to the surrounding sentence, within a few words either side."""
    lo = first
    while lo > 0 and first - lo < config.quote_words_before and not _SENTENCE_END.search(words[lo - 1].text):
        lo -= 1
    hi = last
    while hi < len(words) - 1 and hi - last < config.quote_words_after and not _SENTENCE_END.search(words[hi].text):
        hi += 1
    return lo, hi


def _evidence(
    turns: Sequence[Turn],
    timed: _TimedTokens,
    span: tuple[int, int],
    question_id: str | None,
    signal: str,
    note: str,
    config: EmbeddedConfig,
) -> Evidence | None:
    lo, hi = _quote_range(timed.words, span[0], span[1], config)
    quote = " ".join(w.text.strip() for w in timed.words[lo : hi + 1]).strip()
    # Times come from find_quote, the same check any quote (ours or an LLM's) must pass.
    found = find_quote(turns, quote, speaker="candidate")
    if found is None:
        return None
    return Evidence(quote, found.seq, found.start_ms, found.end_ms, question_id, signal, note)


def _specifics(timed: _TimedTokens) -> tuple[set[str], list[tuple[int, int]]]:
    """Distinct specific things said (numbers, tools and metrics, names, example markers) and where."""
    found: set[str] = set()
    where: list[tuple[int, int]] = []
    for i, tok in enumerate(timed.toks):
        if any(ch.isdigit() for ch in tok) or tok in NUMBER_WORDS:
            found.add(f"number:{tok}")
            where.append((timed.word_of[i], timed.word_of[i]))
    for term in TOOLS_AND_METRICS + EXAMPLE_MARKERS:
        spans = timed.find(term)
        if spans:
            found.add(f"term:{term}")
            where.extend(spans)
    for index, word in enumerate(timed.words):
        stripped = word.text.strip().strip("\"'([{")
        # A capitalised word inside a sentence is usually a name: a tool, a company, a guideline.
        if (
            index > 0
            and stripped[:1].isupper()
            and not _SENTENCE_END.search(timed.words[index - 1].text)
            and "".join(tokens(stripped)) not in _NOT_A_NAME
        ):
            found.add(f"name:{''.join(tokens(stripped))}")
            where.append((index, index))
    return found, sorted(where)


def _fillers(timed: _TimedTokens) -> list[tuple[int, int]]:
    spans = [span for filler in FILLERS for span in timed.find(filler)]
    for i, tok in enumerate(timed.toks):
        if tok == "like" and (i == 0 or timed.toks[i - 1] not in LIKE_NOT_FILLER_AFTER):
            spans.append((timed.word_of[i], timed.word_of[i]))
    return sorted(spans)


# --- attribution -------------------------------------------------------------------------------------------

_FRAME = "\x00frame"  # the opening and closing: what follows them answers no question


def attribute(turns: Sequence[Turn], script: InterviewScript, threshold: float) -> dict[int, str | None]:
    """The question each turn belongs to: its stored ``question_id``, else inferred from what the agent said."""
    known = {q.id for q in script.questions()}
    labels: list[str] = [_FRAME, _FRAME]
    docs: list[str] = [script.opening, script.closing]
    for q in script.questions():
        for text in (q.prompt, q.clarification, *(rule.text for rule in q.follow_ups)):
            if text:
                labels.append(q.id)
                docs.append(text)
    agent_texts = [t.text for t in turns if t.speaker == "agent" and t.question_id not in known]
    inferred: list[str | None] = []
    if agent_texts:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        matrix = vectorizer.fit_transform(docs)
        similarity = linear_kernel(vectorizer.transform(agent_texts), matrix)
        for row in similarity:
            best = int(np.argmax(row))
            inferred.append(labels[best] if row[best] >= threshold else None)
    out: dict[int, str | None] = {}
    current: str | None = None
    guesses = iter(inferred)
    for turn in turns:
        if turn.question_id in known:
            current = turn.question_id
        elif turn.speaker == "agent":
            label = next(guesses)
            if label == _FRAME:
                current = None
            elif label is not None:
                current = label
            # No match: an acknowledgement or small talk, still inside the current question.
        out[turn.seq] = current
    return out


# --- scoring -----------------------------------------------------------------------------------------------


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))


def _score_question(
    question: Question,
    answer: Sequence[Turn],
    asked: bool,
    turns: Sequence[Turn],
    config: EmbeddedConfig,
    similar: Mapping[str, LookForMatch],
) -> QuestionScore:
    timed = [_TimedTokens.of(t) for t in answer]
    words = sum(len(t.words) for t in timed)
    evidence: list[Evidence] = []

    def add(t: _TimedTokens, span: tuple[int, int], signal: str, note: str, overlap: bool = True) -> None:
        found = _evidence(turns, t, span, question.id, signal, note, config)
        if found is None or found in evidence:
            return
        # A second quote over the same stretch of speech adds nothing for a reviewer.
        if not overlap and any(
            e.seq == found.seq and e.start_ms < found.end_ms and found.start_ms < e.end_ms for e in evidence
        ):
            return
        evidence.append(found)

    met: list[str] = []
    for look_for in question.look_fors:
        hit = next(((t, s) for t in timed for p in look_for.phrases for s in t.find(p, config.phrase_max_suffix)), None)
        if hit is not None:
            met.append(look_for.id)
            add(hit[0], hit[1], f"look_for:{look_for.id}", look_for.description)
            continue
        match = similar.get(look_for.id)
        # Credited by meaning only with its sentence found in this answer: the quote is the evidence.
        said = find_quote(answer, match.sentence, speaker="candidate") if match is not None else None
        if match is not None and said is not None:
            met.append(look_for.id)
            note = f"{look_for.description} (close in meaning, similarity {match.similarity:.2f})"
            evidence.append(
                Evidence(
                    match.sentence,
                    said.seq,
                    said.start_ms,
                    said.end_ms,
                    question.id,
                    f"look_for:{look_for.id}",
                    note,
                )
            )
    total_weight = sum(lf.weight for lf in question.look_fors)
    coverage = (
        sum(lf.weight for lf in question.look_fors if lf.id in met) / total_weight if question.look_fors else None
    )

    specifics: set[str] = set()
    hedges = 0
    markers: set[str] = set()
    dont_know = False
    for t in timed:
        hedges += sum(len(t.find(h)) for h in HEDGES)
        markers |= {m for m in STRUCTURE_MARKERS if t.find(m)}
        for phrase in DONT_KNOW:
            for span in t.find(phrase):
                dont_know = True
                add(t, span, "dont_know", "says they do not know")
    for t in timed:
        found, where = _specifics(t)
        specifics |= found
        for span in where:
            add(t, span, "specific", "names a number, tool, metric or concrete example", overlap=False)
    specificity = _unit((len(specifics) - config.hedge_discount * hedges) / config.specificity_target)
    structure = _unit(len(markers) / config.structure_target)
    length = _unit(words / max(1, question.expected_length.min_words))

    answered = words > 0
    score: float | None = None
    if asked or answered:
        parts = [
            (coverage, config.coverage_weight),
            (specificity, config.specificity_weight),
            (structure, config.structure_weight),
            (length, config.length_weight),
        ]
        weight = sum(w for value, w in parts if value is not None)
        composite = sum(value * w for value, w in parts if value is not None) / weight
        composite = _unit(composite - (config.dont_know_penalty if dont_know else 0.0))
        score = 1.0 + 4.0 * composite if answered else 1.0
    confidence = (
        config.min_confidence + (1.0 - config.min_confidence) * length
        if answered
        else (config.silent_confidence if asked else 0.0)
    )
    return QuestionScore(
        question_id=question.id,
        dimension=question.dimension,
        asked=asked,
        answered=answered,
        score=score,
        confidence=confidence,
        words=words,
        coverage=coverage,
        specificity=specificity,
        structure=structure,
        length=length,
        dont_know=dont_know,
        look_fors_met=tuple(met),
        evidence=tuple(sorted(evidence, key=lambda e: (e.seq, e.start_ms, e.signal))),
    )


def communication_measures(
    turns: Sequence[Turn], config: EmbeddedConfig, audio: AudioMeasures | None = None
) -> tuple[CommunicationMeasures, list[Evidence]]:
    """Delivery measures over the candidate's turns, with quotes of fillers and long pauses."""
    candidate = [t for t in turns if t.speaker == "candidate"]
    timed = [_TimedTokens.of(t) for t in candidate]
    words = sum(len(t.words) for t in timed)
    evidence: list[Evidence] = []
    speaking_ms = 0
    pauses: list[tuple[int, _TimedTokens, int]] = []  # (gap ms, turn, index of the word after the gap)
    for t in timed:
        if not t.turn.words:
            continue  # without word times a turn tells nothing about pace or pauses
        speaking_ms += max(0, t.words[-1].end_ms - t.words[0].start_ms)
        for i in range(1, len(t.words)):
            gap = t.words[i].start_ms - t.words[i - 1].end_ms
            if gap > config.long_pause_ms:
                pauses.append((gap, t, i))
    timed_words_count = sum(len(t.words) for t in timed if t.turn.words)
    minutes = speaking_ms / 60_000
    rate = timed_words_count / minutes if minutes > 0 else None
    pauses_per_min = len(pauses) / minutes if minutes > 0 else None
    filler_spans = [(t, s) for t in timed for s in _fillers(t)]
    filler_rate = 100.0 * len(filler_spans) / words if words else None

    latencies = [
        max(0, turn.start_ms - previous.end_ms)
        for previous, turn in pairwise(turns)
        if previous.speaker == "agent" and turn.speaker == "candidate"
    ]
    latency = float(np.median(latencies)) if latencies else None

    candidate_ms = sum(max(0, t.end_ms - t.start_ms) for t in candidate)
    agent_ms = sum(max(0, t.end_ms - t.start_ms) for t in turns if t.speaker == "agent")
    if audio is not None and audio.candidate_speech_ms is not None and audio.agent_speech_ms is not None:
        candidate_ms, agent_ms = audio.candidate_speech_ms, audio.agent_speech_ms
    share = candidate_ms / (candidate_ms + agent_ms) if candidate_ms + agent_ms > 0 else None

    mapped = {
        "speaking_rate": _interp(rate, config.rate_points),
        "fillers": _interp(filler_rate, config.filler_points),
        "long_pauses": _interp(pauses_per_min, config.pause_points),
        "onset_latency": _interp(latency, config.latency_points),
        "talk_share": _interp(share, config.share_points),
    }
    weights = dict(config.measure_weights)
    available = [(value, weights.get(name, 0.0)) for name, value in mapped.items() if value is not None]
    total = sum(w for _, w in available)
    delivery = sum(v * w for v, w in available) / total if total > 0 else None

    for t, span in filler_spans[:3]:
        found = _evidence(turns, t, span, None, "filler", "filler word", config)
        if found is not None and found not in evidence:
            evidence.append(found)
    for gap, t, i in sorted(pauses, key=lambda p: (-p[0], p[1].turn.seq, p[2]))[:3]:
        found = _evidence(turns, t, (i - 1, i), None, "long_pause", f"pause of {gap / 1000:.1f} s", config)
        if found is not None and found not in evidence:
            evidence.append(found)
    measures = CommunicationMeasures(words, rate, filler_rate, pauses_per_min, latency, share, delivery)
    return measures, evidence


def _interp(value: float | None, points: Points) -> float | None:
    if value is None or math.isnan(value):
        return None
    xs, ys = zip(*points, strict=True)
    # np.interp holds the end values beyond the first and last points: the mapping saturates.
    return float(np.interp(value, xs, ys))


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else 0.0


_EVIDENCE_PRIORITY = {"look_for": 0, "dont_know": 1, "long_pause": 2, "filler": 2, "specific": 3}


def aggregate_dimension(
    name: str,
    questions: Sequence[QuestionScore],
    extra: Sequence[Evidence],
    delivery: CommunicationMeasures | None,
    config: EmbeddedConfig,
) -> DimensionScore:
    """One dimension's 1–5 score, confidence and evidence from its questions (and delivery, for communication)."""
    scored = [q for q in questions if q.score is not None]
    content = _mean([q.score for q in scored if q.score is not None]) if scored else None
    asked_share = len(scored) / len(questions) if questions else 0.0
    confidence = _mean([q.confidence for q in scored]) * asked_share
    score = content
    if delivery is not None and delivery.delivery is not None:
        delivery_score = 1.0 + 4.0 * delivery.delivery
        delivery_confidence = _unit(delivery.candidate_words / config.delivery_words_for_full_confidence)
        if content is None:
            score, confidence = delivery_score, delivery_confidence
        else:
            score = (1 - config.delivery_weight) * content + config.delivery_weight * delivery_score
            confidence = (1 - config.delivery_weight) * confidence + config.delivery_weight * delivery_confidence
    # Keep the quotes that explain the score best (look-fors first), then show them in the order they were said.
    kept = sorted(
        {e for q in scored for e in q.evidence} | set(extra),
        key=lambda e: (_EVIDENCE_PRIORITY.get(e.signal.split(":")[0], 9), e.seq, e.start_ms, e.signal, e.quote),
    )[: config.evidence_per_dimension]
    return DimensionScore(
        dimension=name,
        score=score,
        confidence=_unit(confidence),
        questions=tuple(q.question_id for q in questions),
        evidence=tuple(sorted(kept, key=lambda e: (e.seq, e.start_ms, e.signal, e.quote))),
    )


def config_version(config: EmbeddedConfig) -> str:
    """The scorer version, with a digest of the config when it is not the shipped one."""
    if config == EmbeddedConfig():
        return EMBEDDED_VERSION
    digest = hashlib.sha256(repr(sorted(asdict(config).items())).encode()).hexdigest()[:8]
    return f"{EMBEDDED_VERSION}+cfg.{digest}"


def _answers(
    ordered: Sequence[Turn], script: InterviewScript, owner: Mapping[int, str | None]
) -> dict[str, list[Turn]]:
    return {q.id: [t for t in ordered if t.speaker == "candidate" and owner[t.seq] == q.id] for q in script.questions()}


def similarity_inputs(
    turns: Sequence[Turn], script: InterviewScript, config: EmbeddedConfig | None = None
) -> SimilarityInputs:
    """The answer sentences, look-for examples and question texts to embed for ``score_interview``'s similarity
    evidence."""
    config = config or EmbeddedConfig()
    ordered = sorted(turns, key=lambda t: t.seq)
    answers = _answers(ordered, script, attribute(ordered, script, config.question_match_threshold))
    return answer_inputs(answers, script.questions())


def score_interview(
    turns: Sequence[Turn],
    script: InterviewScript,
    audio: AudioMeasures | None = None,
    config: EmbeddedConfig | None = None,
    similarity: LookForSimilarity | None = None,
) -> InterviewScores:
    """Score every question and dimension of ``script`` from the transcript, deterministically and offline; with
    ``similarity`` (computed for these very turns) a look-for is also met by an answer sentence close in meaning."""
    config = config or EmbeddedConfig()
    ordered = sorted(turns, key=lambda t: t.seq)
    owner = attribute(ordered, script, config.question_match_threshold)
    asked = {owner[t.seq] for t in ordered if t.speaker == "agent"}
    answers = _answers(ordered, script, owner)
    if similarity is not None and similarity.input_sha256 != answer_inputs(answers, script.questions()).digest():
        raise ValueError("look-for similarities were computed for another transcript or script")
    questions = tuple(
        _score_question(
            q,
            answers[q.id],
            q.id in asked,
            ordered,
            config,
            similarity.credited(q.id) if similarity is not None else {},
        )
        for q in script.questions()
    )
    measures, delivery_evidence = communication_measures(ordered, config, audio)
    dimensions = tuple(
        aggregate_dimension(
            name,
            [q for q in questions if q.dimension == name],
            delivery_evidence if name == "communication" else (),
            measures if name == "communication" else None,
            config,
        )
        for name in script.dimensions()
    )
    return InterviewScores(
        scorer="embedded",
        version=config_version(config),
        model=similarity.model if similarity is not None else None,
        prompt_version=None,
        questions=questions,
        dimensions=dimensions,
        communication=measures,
    )


@dataclass(frozen=True)
class EmbeddedScorer:
    """The offline scorer behind the ``Scorer`` protocol."""

    config: EmbeddedConfig = field(default_factory=EmbeddedConfig)

    def score(
        self, turns: Sequence[Turn], script: InterviewScript, audio: AudioMeasures | None = None
    ) -> InterviewScores:
        """Score every question and dimension of ``script`` from ``turns``."""
        return score_interview(turns, script, audio, self.config)
