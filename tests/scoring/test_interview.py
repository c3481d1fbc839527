"""The embedded interview scorer on three synthetic candidates for the built-in data-annotator script.

Transcripts are generated with word times from a known speaking rate, pauses and answer latency, so the delivery
measures have an exact oracle; the agent reads the script's prompts without stored question ids, so the scorer
must attribute answers itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts.builtin import builtin_script
from prompts.script import InterviewScript
from scoring.interview import (
    FILLERS,
    DimensionScore,
    EmbeddedConfig,
    EmbeddedScorer,
    Evidence,
    InterviewScores,
    QuestionScore,
    Scorer,
    score_interview,
    tokens,
)
from scoring.transcript import Turn, Word, find_quote

SCRIPT = builtin_script()
QUESTION_IDS = [q.id for q in SCRIPT.questions()]

STRONG = {
    "experience": "For the last two years I worked as an annotator at Appen, mostly on text and audio. First I did "
    "sentiment classification and entity tagging in Label Studio, then transcription of call audio. A typical day "
    "was about 600 items, roughly 80 per hour, and I tracked my own error rate because the project used a quality score.",
    "tools-throughput": "Accuracy first, I don't rush. First I batch similar items together and use keyboard "
    "shortcuts, so I can keep about 90 items per hour. Then I track my pace in a spreadsheet. If I'm still behind "
    "after two days, I flag it and tell my lead, because a missed quota is easier to fix than a bad batch.",
    "guideline-adherence": "First I read the whole guideline twice and take notes on the edge cases, then I make a "
    "one-page cheat sheet with examples. I do the practice batch and read the reviewer comments carefully. Every "
    "Monday I check the changelog and reread the sections that changed, because the guideline version often moves.",
    "ambiguity-escalation": "On a medical NER project I had a drug name inside a product review, and the guideline "
    "didn't cover it. I did not guess. I flagged the item and asked the project lead in the Slack channel, with the "
    "item ID and the two labels I was considering. The lead decided it was a product entity, and I wrote it down "
    "in our FAQ so the other 12 annotators could use the answer.",
    "guideline-disagreement": "Yes, once a rule said sarcasm should be labeled as positive. I still follow the rule "
    "until it changes, because consistency matters for the data. Then I collected 15 examples as evidence and sent "
    "a proposal through the feedback form to the lead, explaining why the label hurt the sentiment model.",
    "golden-sets": "I treat every item with the same care, since I can't tell which ones are gold anyway. When I get "
    "one wrong, first I review the item against the guideline to understand why, then I adjust my notes and ask "
    "for clarification if the rule is unclear. Gold items measure accuracy, so my quality score of 96 percent "
    "depends on them.",
    "inter-annotator-agreement": "First I would compare our labels side by side and look for a pattern, for example "
    "which categories cause the confusion. Then I would check our agreement with Cohen's kappa on a sample of 200 "
    "items. Finally we discuss the disagreements, and if we still differ a third annotator or the lead decides, and "
    "we clarify the guideline.",
    "consistency": "I work in short sessions of 50 minutes with a 10 minute break, because fatigue makes me drift. "
    "I keep my notes of past decisions as a reference, and at the end of the day I spot check 20 of my earlier "
    "items against the morning ones.",
    "rlhf-preference": "Accuracy matters more than style, so I prefer the plain but correct answer. First I verify "
    "the suspicious detail, for example I look it up in the official documentation. Then in the justification I "
    "point out the specific error, quoting which detail was invented, because a fluent hallucination is worse.",
    "red-team-reporting": "I would stop and report it immediately to the safety team through the incident form. The "
    "report includes the exact prompt, a screenshot of the response, the conversation ID and the timestamp, plus "
    "steps to reproduce it. I rate the severity as high risk, and I do not share the content or try it myself.",
}
AVERAGE = {
    "experience": "I did some labeling work for about a year, mostly text classification and some images. I used an "
    "internal tool and my day was labeling items and checking a few with the team.",
    "tools-throughput": "I try to keep a steady pace and not rush too much. If I fall behind I take shorter breaks "
    "and try to work a bit faster for a while, and usually it works out fine.",
    "guideline-adherence": "I read the guideline at the start and look at the examples. Later I go back to it when I "
    "am unsure about something, and I try to remember the main rules.",
    "ambiguity-escalation": "If the guideline doesn't cover an item I would probably ask someone on the team, or flag "
    "it so somebody can look at it later. Then I continue with the next item.",
    "guideline-disagreement": "I would tell the lead that I think the rule is not right and suggest a change. In the "
    "meantime I guess I would label the way I think is correct.",
    "golden-sets": "I think gold items are there for quality control. If I get one wrong I would look at the correct "
    "answer and try to learn from it for next time.",
    "inter-annotator-agreement": "I would talk with the other annotator and discuss the items where we disagree, and "
    "maybe ask the lead which one of us is right.",
    "consistency": "I take a break when I feel tired and I try to stay focused. Sometimes I double check a few items "
    "at the end.",
    "rlhf-preference": "I would pick the correct one, because being correct is more important. In the justification "
    "I would say the other one might have a mistake.",
    "red-team-reporting": "I would report it to the team and explain what happened, maybe with a screenshot so they "
    "can see it.",
}
WEAK = {
    "experience": "Um, I don't know, I did some, like, stuff on the computer. Uh, it was okay.",
    "tools-throughput": "Uh, I just go faster I guess. Um, you know, whatever works.",
    "guideline-adherence": "I mean, I read it. Um, maybe once. I don't know.",
    "ambiguity-escalation": "Um, I would just pick something I guess. Uh, it doesn't matter much.",
    "guideline-disagreement": "Uh, no, not really. I mean, I just do it.",
    "golden-sets": "I don't know what those are. Um, sorry.",
    "inter-annotator-agreement": "Uh, I guess they are wrong, or me, I don't know.",
    "consistency": "Um, coffee I guess. Like, you know, just keep going.",
    "rlhf-preference": "Uh, the nice one sounds good I guess. Um, I would write it is better.",
    "red-team-reporting": "Um, I don't know, I would maybe skip it. Uh, not sure.",
}


@dataclass(frozen=True)
class Delivery:
    """How a synthetic candidate speaks: words per minute, a long pause after every n-th word, answer latency."""

    wpm: float
    pause_every: int  # 0: never
    pause_ms: int
    latency_ms: int


STRONG_DELIVERY = Delivery(wpm=150, pause_every=0, pause_ms=0, latency_ms=800)
AVERAGE_DELIVERY = Delivery(wpm=125, pause_every=25, pause_ms=1800, latency_ms=1800)
WEAK_DELIVERY = Delivery(wpm=85, pause_every=4, pause_ms=2500, latency_ms=5000)
AGENT_MS_PER_WORD = 375  # 160 words per minute


def spoken(text: str, start_ms: int, delivery: Delivery) -> tuple[Word, ...]:
    """Timed words at the delivery's rate; a word takes 80% of its slot, the rest is a short gap."""
    slot = 60_000 / delivery.wpm
    words = []
    clock = float(start_ms)
    for n, token in enumerate(text.split(), start=1):
        words.append(Word(token, round(clock), round(clock + 0.8 * slot)))
        clock += slot
        if delivery.pause_every and n % delivery.pause_every == 0:
            clock += delivery.pause_ms
    return tuple(words)


def interview(
    answers: dict[str, str], delivery: Delivery, script: InterviewScript = SCRIPT, question_ids: bool = False
) -> tuple[Turn, ...]:
    """The opening, each prompt read by the agent (no word times) and answered, then the closing."""
    turns: list[Turn] = []
    clock = 0

    def agent(text: str, question_id: str | None = None) -> None:
        nonlocal clock
        end = clock + AGENT_MS_PER_WORD * len(text.split())
        turns.append(Turn(len(turns) + 1, "agent", text, clock, end, (), question_id))
        clock = end + delivery.latency_ms

    def candidate(text: str, question_id: str | None = None) -> None:
        nonlocal clock
        words = spoken(text, clock, delivery)
        turns.append(Turn(len(turns) + 1, "candidate", text, clock, words[-1].end_ms, words, question_id))
        clock = words[-1].end_ms + 600

    agent(script.opening)
    candidate("Hi, thanks, happy to be here.")
    for question in script.questions():
        if question.id in answers:
            qid = question.id if question_ids else None
            agent(question.prompt, qid)
            candidate(answers[question.id], qid)
    agent(script.closing)
    candidate("Thank you, bye.")
    return tuple(turns)


Scored = dict[str, tuple[tuple[Turn, ...], InterviewScores]]


@pytest.fixture(scope="module")
def scored() -> Scored:
    out = {}
    for name, answers, delivery in (
        ("strong", STRONG, STRONG_DELIVERY),
        ("average", AVERAGE, AVERAGE_DELIVERY),
        ("weak", WEAK, WEAK_DELIVERY),
    ):
        turns = interview(answers, delivery)
        out[name] = (turns, score_interview(turns, SCRIPT))
    return out


def _plain_words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", "", text.lower()).split()


def _dimension_scores(scores: InterviewScores) -> dict[str, float]:
    return {d.dimension: d.score for d in scores.dimensions if d.score is not None}


def test_the_strong_candidate_outranks_the_weak_one_on_every_dimension(scored: Scored) -> None:
    strong, average, weak = (_dimension_scores(scored[n][1]) for n in ("strong", "average", "weak"))
    assert set(strong) == set(weak) == set(SCRIPT.dimensions())
    for dimension in SCRIPT.dimensions():
        assert strong[dimension] > average[dimension] > weak[dimension], dimension
    assert all(1.0 <= s <= 5.0 for s in (*strong.values(), *weak.values()))
    assert min(strong.values()) >= 4.0 and max(weak.values()) <= 2.0


def test_the_strong_candidate_outranks_the_weak_one_on_every_question(scored: Scored) -> None:
    strong, weak = scored["strong"][1], scored["weak"][1]
    for question_id in QUESTION_IDS:
        high, low = strong.question(question_id).score, weak.question(question_id).score
        assert high is not None and low is not None and high > low, question_id


def test_every_evidence_quote_is_said_verbatim_by_the_candidate_at_its_times(scored: Scored) -> None:
    for name, (turns, scores) in scored.items():
        evidence: list[Evidence] = [e for d in scores.dimensions for e in d.evidence]
        evidence += [e for q in scores.questions for e in q.evidence]
        assert evidence, name
        by_seq = {t.seq: t for t in turns}
        for e in evidence:
            assert find_quote(turns, e.quote, speaker="candidate") == (e.seq, e.start_ms, e.end_ms), e
            turn = by_seq[e.seq]
            assert turn.speaker == "candidate"
            # Independent of find_quote: the quote's tokens are a contiguous run of the turn's tokens.
            said, quoted = _plain_words(turn.text), _plain_words(e.quote)
            assert any(said[i : i + len(quoted)] == quoted for i in range(len(said))), e
            assert turn.start_ms <= e.start_ms < e.end_ms <= turn.end_ms


def test_answers_are_attributed_to_the_questions_the_agent_read(scored: Scored) -> None:
    scores = scored["strong"][1]
    for question_id in QUESTION_IDS:
        q = scores.question(question_id)
        assert q.asked and q.answered
        assert q.words == len(STRONG[question_id].split()), question_id


def test_look_fors_are_met_with_a_quote_each_and_missed_without_one(scored: Scored) -> None:
    strong = scored["strong"][1].question("experience")
    assert strong.look_fors_met == ("data-types", "scale", "platform") and strong.coverage == 1.0
    quoted = {e.signal for e in strong.evidence}
    assert {"look_for:data-types", "look_for:scale", "look_for:platform"} <= quoted
    average = scored["average"][1].question("tools-throughput")
    assert average.look_fors_met == ("quality-first", "tactics")  # "not rush" and "breaks", nothing measured
    assert average.coverage == pytest.approx(2.5 / 3.0)


def test_saying_i_dont_know_is_flagged_with_its_quote(scored: Scored) -> None:
    weak = scored["weak"][1].question("golden-sets")
    assert weak.dont_know
    assert any(e.signal == "dont_know" and "know" in e.quote.lower() for e in weak.evidence)
    assert not any(q.dont_know for q in scored["strong"][1].questions)


def test_delivery_measures_match_how_the_transcript_was_generated(scored: Scored) -> None:
    for name, delivery in (("strong", STRONG_DELIVERY), ("weak", WEAK_DELIVERY)):
        turns, scores = scored[name]
        measures = scores.communication
        candidate = [t for t in turns if t.speaker == "candidate"]
        words = sum(len(t.words) for t in candidate)
        pauses = sum((len(t.words) - 1) // delivery.pause_every for t in candidate) if delivery.pause_every else 0
        speaking_min = sum(t.words[-1].end_ms - t.words[0].start_ms for t in candidate) / 60_000
        assert measures.candidate_words == words
        assert measures.speaking_rate_wpm == pytest.approx(words / speaking_min)
        assert measures.long_pauses_per_min == pytest.approx(pauses / speaking_min)
        assert measures.onset_latency_ms == delivery.latency_ms
    # The weak speaker's rate without pauses is the generated 85 wpm; with pauses it is lower.
    weak_rate, strong_rate = (scored[n][1].communication.speaking_rate_wpm for n in ("weak", "strong"))
    assert weak_rate is not None and strong_rate is not None and weak_rate < 85 < strong_rate


def test_fillers_are_counted_and_quoted_but_like_as_a_verb_is_not(scored: Scored) -> None:
    weak = scored["weak"][1]
    spoken_fillers = sum(
        1 for text in WEAK.values() for tok in tokens(text) if tok in {f for f in FILLERS if " " not in f}
    )
    # Two-word fillers ("you know", "I mean") and the one "like," used as a filler.
    phrases = sum(" ".join(tokens(t)).count(p) for t in WEAK.values() for p in ("you know", "i mean"))
    likes = sum(tokens(t).count("like") for t in WEAK.values())
    expected = spoken_fillers + phrases + likes
    words = weak.communication.candidate_words
    assert weak.communication.filler_per_100_words == pytest.approx(100 * expected / words)
    assert any(e.signal == "filler" for e in weak.dimension("communication").evidence)
    turns = interview({"experience": "I would like to label text, I like audio too."}, STRONG_DELIVERY)
    assert score_interview(turns, SCRIPT).communication.filler_per_100_words == 0


def test_stored_question_ids_win_over_what_the_agent_said() -> None:
    turns = interview(STRONG, STRONG_DELIVERY, question_ids=True)
    # The agent's words no longer name any question: attribution must come from the stored ids.
    turns = tuple(replace(t, text="Next one.") if t.speaker == "agent" and t.question_id else t for t in turns)
    scores = score_interview(turns, SCRIPT)
    assert all(scores.question(q).answered for q in QUESTION_IDS)
    assert scores.question("consistency").words == len(STRONG["consistency"].split())


def test_a_question_never_reached_has_no_score_and_a_silent_one_scores_1() -> None:
    turns = list(interview({"experience": STRONG["experience"]}, STRONG_DELIVERY))
    silent = Turn(99, "agent", SCRIPT.questions()[1].prompt, turns[-1].end_ms + 1000, turns[-1].end_ms + 9000)
    scores = score_interview([*turns, silent], SCRIPT)
    reached, unanswered, never = (scores.question(q) for q in QUESTION_IDS[:3])
    assert reached.score is not None and reached.score > 3
    assert unanswered.asked and not unanswered.answered and unanswered.score == 1.0
    assert not never.asked and never.score is None and never.confidence == 0
    assert scores.dimension("process_maturity").score is None


def test_recomputing_gives_identical_json_and_a_tuned_config_is_a_new_version(scored: Scored) -> None:
    turns, first = scored["average"]
    again = EmbeddedScorer().score(turns, SCRIPT)
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(again.to_dict(), sort_keys=True)
    assert first.scorer == "embedded" and first.version == "1.0" and first.model is None
    tuned = score_interview(turns, SCRIPT, config=EmbeddedConfig(coverage_weight=0.6))
    assert tuned.version.startswith("1.0+cfg.") and tuned.version != first.version


def test_the_embedded_scorer_satisfies_the_scorer_protocol() -> None:
    scorer: Scorer = EmbeddedScorer()
    assert scorer.score(interview(WEAK, WEAK_DELIVERY), SCRIPT).scorer == "embedded"


def test_custom_dimensions_are_scored_from_their_questions() -> None:
    data = SCRIPT.model_dump()
    data["custom_dimensions"] = ["safety_judgment"]
    data["sections"][-1]["questions"][-1]["dimension"] = "safety_judgment"
    script = InterviewScript.model_validate(data)
    strong = score_interview(interview(STRONG, STRONG_DELIVERY, script), script).dimension("safety_judgment")
    weak = score_interview(interview(WEAK, WEAK_DELIVERY, script), script).dimension("safety_judgment")
    assert strong.questions == ("red-team-reporting",)
    assert strong.score is not None and weak.score is not None and strong.score > weak.score


# --- properties ----------------------------------------------------------------------------------------------

ACKS = ["Okay.", "Mm-hm.", "Got it.", "Right.", "I see."]
_VOCAB = [
    *"flag the lead guideline because first then finally um uh like you know I don't know 20 items per hour".split(),
    "Label",
    "Studio,",
    "kappa.",
    "escalate",
    "break.",
]


@settings(max_examples=40, deadline=None)
@given(
    answers=st.lists(st.lists(st.sampled_from(_VOCAB), min_size=0, max_size=40), min_size=10, max_size=10),
    wpm=st.floats(30, 300),
    pause_every=st.integers(0, 10),
    latency=st.integers(0, 20_000),
)
def test_scores_stay_within_1_to_5_and_confidences_within_0_to_1(
    answers: list[list[str]], wpm: float, pause_every: int, latency: int
) -> None:
    sheet = {q: " ".join(words) for q, words in zip(QUESTION_IDS, answers, strict=True) if words}
    turns = interview(sheet, Delivery(wpm, pause_every, 2000, latency))
    scores = score_interview(turns, SCRIPT)
    items: list[QuestionScore | DimensionScore] = [*scores.questions, *scores.dimensions]
    for item in items:
        assert item.score is None or 1.0 <= item.score <= 5.0
        assert 0.0 <= item.confidence <= 1.0
    delivery = scores.communication.delivery
    assert delivery is None or 0.0 <= delivery <= 1.0


def _content(scores: InterviewScores) -> list[tuple[object, ...]]:
    return [(q.score, q.confidence, q.look_fors_met, tuple(e.quote for e in q.evidence)) for q in scores.questions]


@settings(max_examples=25, deadline=None)
@given(
    who=st.sampled_from(["strong", "average", "weak"]),
    where=st.sets(st.integers(0, len(QUESTION_IDS))),
    ack=st.sampled_from(ACKS),
    ack_ms=st.integers(200, 3000),
)
def test_agent_acknowledgements_change_only_talk_time_share(who: str, where: set[int], ack: str, ack_ms: int) -> None:
    answers, delivery = {"strong": (STRONG, STRONG_DELIVERY), "average": (AVERAGE, AVERAGE_DELIVERY)}.get(
        who, (WEAK, WEAK_DELIVERY)
    )
    base = interview(answers, delivery)
    # An acknowledgement goes after a candidate turn, just before the agent's next question (or the closing).
    agent_at = [i for i, t in enumerate(base) if t.speaker == "agent"][1:]
    chosen = {agent_at[k % len(agent_at)] for k in where}
    grown: list[Turn] = []
    for i, turn in enumerate(base):
        if i in chosen:
            before = base[i - 1]
            grown.append(Turn(0, "agent", ack, before.end_ms + 1, before.end_ms + 1 + ack_ms))
        grown.append(turn)
    grown = [replace(t, seq=n) for n, t in enumerate(grown, start=1)]
    a, b = score_interview(base, SCRIPT), score_interview(grown, SCRIPT)
    assert _content(a) == _content(b)
    for dimension in ("role_fit", "process_maturity"):
        assert a.dimension(dimension).score == b.dimension(dimension).score
    ca, cb = a.communication, b.communication
    assert (ca.speaking_rate_wpm, ca.filler_per_100_words, ca.long_pauses_per_min, ca.onset_latency_ms) == (
        cb.speaking_rate_wpm,
        cb.filler_per_100_words,
        cb.long_pauses_per_min,
        cb.onset_latency_ms,
    )
    assert ca.talk_time_share is not None and cb.talk_time_share is not None
    assert cb.talk_time_share < ca.talk_time_share if chosen else cb.talk_time_share == ca.talk_time_share


@settings(max_examples=15, deadline=None)
@given(who=st.sampled_from(["strong", "average", "weak"]), offset=st.integers(0, 10_000_000))
def test_shifting_the_session_clock_changes_only_evidence_times(who: str, offset: int) -> None:
    answers, delivery = {"strong": (STRONG, STRONG_DELIVERY), "average": (AVERAGE, AVERAGE_DELIVERY)}.get(
        who, (WEAK, WEAK_DELIVERY)
    )
    base = interview(answers, delivery)
    shifted = tuple(
        replace(
            t,
            start_ms=t.start_ms + offset,
            end_ms=t.end_ms + offset,
            words=tuple(Word(w.text, w.start_ms + offset, w.end_ms + offset) for w in t.words),
        )
        for t in base
    )
    a, b = score_interview(base, SCRIPT), score_interview(shifted, SCRIPT)
    moved = [
        replace(
            d, evidence=tuple(replace(e, start_ms=e.start_ms + offset, end_ms=e.end_ms + offset) for e in d.evidence)
        )
        for d in a.dimensions
    ]
    assert moved == list(b.dimensions)
    assert a.communication == b.communication
