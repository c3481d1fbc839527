"""Graders against independent oracles (scikit-learn, seqeval, a brute-force box matcher) on generated cases,
plus the properties every grader keeps: perfect sheets score 100 %, empty ones 0 %, item order never matters."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score as seq_f1
from seqeval.metrics import precision_score as seq_precision
from seqeval.metrics import recall_score as seq_recall
from sklearn.metrics import accuracy_score, f1_score

from prompts.answers import (
    AttentionAnswer,
    BoxAnswer,
    ClassificationAnswer,
    ImageAnswer,
    InstructionAnswer,
    NerAnswer,
    PairAnswer,
    SpanAnswer,
)
from prompts.builtin import builtin_pack
from prompts.taskpack import (
    AttentionToDetailTask,
    Box,
    ImageLabelsTask,
    InstructionFollowingTask,
    LlmEvaluationTask,
    NerTask,
    Task,
    TaskPack,
    TextClassificationTask,
)
from scoring.grading import grade_task
from scoring.grading.image import iou, match_boxes
from scoring.grading.reference import reference_answer as perfect_answer

PACK = builtin_pack()


def _task(kind: type) -> Any:
    return next(t for t in PACK.tasks if isinstance(t, kind))


@pytest.mark.parametrize("task", PACK.tasks, ids=[t.id for t in PACK.tasks])
def test_a_perfect_sheet_scores_100_and_an_empty_one_0(task: Task) -> None:
    perfect = grade_task(PACK, task, {item.id: perfect_answer(task, item) for item in task.items})
    assert perfect.fraction == pytest.approx(1.0), [g.details for g in perfect.items if g.fraction < 1]
    empty = grade_task(PACK, task, {})
    assert empty.score == 0 and empty.max_score == perfect.max_score
    assert all(not g.answered and g.details == ("not answered",) for g in empty.items)


@pytest.mark.parametrize("task", PACK.tasks, ids=[t.id for t in PACK.tasks])
def test_item_order_never_changes_the_score(task: Task) -> None:
    answers = {item.id: perfect_answer(task, item) for item in task.items[::2]}
    shuffled = task.model_copy(update={"items": list(reversed(task.items))})
    assert grade_task(PACK, task, answers).score == pytest.approx(grade_task(PACK, shuffled, answers).score)


def test_answer_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="not ner"):
        grade_task(PACK, _task(NerTask), {"ner-hire": ClassificationAnswer(label="ok")})


# --- classification against scikit-learn ------------------------------------------------------------

CLS: TextClassificationTask = _task(TextClassificationTask)
LABELS = [label.id for label in CLS.labels]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*LABELS, None]), min_size=len(CLS.items), max_size=len(CLS.items)))
def test_classification_matches_sklearn(choices: list[str | None]) -> None:
    answers = {
        item.id: ClassificationAnswer(label=label) for item, label in zip(CLS.items, choices, strict=True) if label
    }
    grade = grade_task(PACK, CLS, answers)
    truth = [item.ground_truth.label for item in CLS.items]
    predicted = [label or "<none>" for label in choices]
    assert grade.metrics["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert grade.metrics["macro_f1"] == pytest.approx(
        f1_score(truth, predicted, labels=LABELS, average="macro", zero_division=0)
    )
    # No flags here, so every item (the flaggable one too) is graded on its label.
    assert grade.score == sum(label == item.ground_truth.label for item, label in zip(CLS.items, choices, strict=True))


def test_priority_trap_cites_the_deciding_clause() -> None:
    grade = grade_task(PACK, CLS, {"cls-pii-priority": ClassificationAnswer(label="abusive")})
    item = next(g for g in grade.items if g.item_id == "cls-pii-priority")
    assert item.score == 0 and "expected 'pii' (clause c1" in item.details[0]


def test_ambiguity_flag_needs_a_note_and_is_only_credited_where_allowed() -> None:
    with_note = ClassificationAnswer(label="ok", flagged_ambiguous=True, note="could be a threat or venting")
    bare = ClassificationAnswer(label="ok", flagged_ambiguous=True)
    grades = grade_task(PACK, CLS, {"cls-ambiguous": with_note, "cls-ok": with_note, "cls-spam": bare}).items
    by_id = {g.item_id: g for g in grades}
    assert by_id["cls-ambiguous"].fraction == 1.0
    assert by_id["cls-ok"].fraction == 1.0  # not flaggable: graded on its label, which is right
    assert by_id["cls-spam"].fraction == 0.0


def test_consistency_and_calibration_are_reported() -> None:
    answers = {
        "cls-ok": ClassificationAnswer(label="ok", confidence=0.9),
        "cls-ok-dup": ClassificationAnswer(label="spam", confidence=0.8),
    }
    grade = grade_task(PACK, CLS, answers)
    assert grade.metrics["consistency"] == 0.0 and "cls-ok and cls-ok-dup" in grade.notes[0]
    assert grade.metrics["brier"] == pytest.approx(((0.9 - 1) ** 2 + (0.8 - 0) ** 2) / 2)


# --- NER against seqeval -------------------------------------------------------------------------------

NER: NerTask = _task(NerTask)
TYPES = [t.id for t in NER.entity_types]


def _iob(length: int, spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * length
    for start, end, kind in spans:
        tags[start] = f"B-{kind}"
        for i in range(start + 1, end):
            tags[i] = f"I-{kind}"
    return tags


@st.composite
def span_sets(draw: st.DrawFn, length: int) -> list[tuple[int, int, str]]:
    """Non-overlapping spans over ``length`` tokens."""
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)))
    spans = []
    for start, end in itertools.pairwise(cuts):
        if draw(st.booleans()):
            spans.append((start, end, draw(st.sampled_from(TYPES))))
    return spans


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_ner_exact_scores_match_seqeval(data: st.DataObject) -> None:
    gold_tags, pred_tags, answers, items = [], [], {}, []
    for item in NER.items:
        length = len(item.tokens())
        gold = data.draw(span_sets(length))
        pred = data.draw(span_sets(length))
        items.append(
            item.model_copy(
                update={
                    "ground_truth": item.ground_truth.model_copy(
                        update={"spans": [type(item.ground_truth.spans[0])(start=s, end=e, type=k) for s, e, k in gold]}
                    )
                }
            )
        )
        answers[item.id] = NerAnswer(spans=[SpanAnswer(start=s, end=e, type=k) for s, e, k in pred])
        gold_tags.append(_iob(length, gold))
        pred_tags.append(_iob(length, pred))
    task = NER.model_copy(update={"items": items})
    grade = grade_task(PACK, task, answers)
    if not any(t != "O" for tags in gold_tags + pred_tags for t in tags):
        return  # seqeval is undefined without any entity
    assert grade.metrics["precision"] == pytest.approx(seq_precision(gold_tags, pred_tags, zero_division=0))
    assert grade.metrics["recall"] == pytest.approx(seq_recall(gold_tags, pred_tags, zero_division=0))
    assert grade.metrics["f1"] == pytest.approx(seq_f1(gold_tags, pred_tags, zero_division=0))


def test_ner_lists_missed_and_spurious_spans_and_gives_partial_credit() -> None:
    item = next(i for i in NER.items if i.id == "ner-press")
    answer = NerAnswer(spans=[SpanAnswer(start=0, end=4, type="PERSON"), SpanAnswer(start=7, end=8, type="LOCATION")])
    grade = grade_task(PACK, NER, {item.id: answer})
    details = next(g for g in grade.items if g.item_id == item.id).details
    assert "missed PERSON “Samuel Okoye”" in details
    assert "spurious PERSON “Dr . Samuel Okoye”" in details
    assert grade.metrics["partial_f1"] > grade.metrics["f1"]


def test_ner_answer_with_overlapping_spans_is_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        NerAnswer(spans=[SpanAnswer(start=0, end=2, type="PERSON"), SpanAnswer(start=1, end=3, type="ORG")])


# --- image boxes against brute force -------------------------------------------------------------------

boxes = st.builds(
    Box,
    label=st.sampled_from(["car", "person"]),
    x=st.integers(0, 200).map(float),
    y=st.integers(0, 150).map(float),
    w=st.integers(5, 120).map(float),
    h=st.integers(5, 90).map(float),
)


def brute_force(gold: list[Box], pred: list[BoxAnswer], threshold: float) -> tuple[int, float]:
    """Best (number of matches, total IoU) over every one-to-one assignment."""
    best = (0, 0.0)
    small, large, swap = (gold, pred, False) if len(gold) <= len(pred) else (pred, gold, True)
    for chosen in itertools.permutations(range(len(large)), len(small)):
        count, total = 0, 0.0
        for i, j in enumerate(chosen):
            g, p = (large[j], small[i]) if swap else (small[i], large[j])
            overlap = iou(g, p)
            if g.label == p.label and overlap >= threshold:
                count, total = count + 1, total + overlap
        best = max(best, (count, total))
    return best


@settings(max_examples=120, deadline=None)
@given(st.lists(boxes, max_size=5), st.lists(boxes, max_size=5), st.sampled_from([0.1, 0.3, 0.5]))
def test_box_matching_is_optimal(gold: list[Box], predicted: list[Box], threshold: float) -> None:
    pred = [BoxAnswer(**b.model_dump()) for b in predicted]
    matches = match_boxes(gold, pred, threshold)
    count, total = brute_force(gold, pred, threshold)
    assert len(matches) == count
    assert sum(m[2] for m in matches) == pytest.approx(total)
    assert len({i for i, _, _ in matches}) == len(matches) == len({j for _, j, _ in matches})


def test_image_grade_explains_class_and_boxes() -> None:
    task: ImageLabelsTask = _task(ImageLabelsTask)
    item = next(i for i in task.items if i.id == "img-street-cars")
    shifted = [BoxAnswer(**b.model_dump() | {"x": b.x + 5}) for b in item.ground_truth.boxes[:2]]
    grade = grade_task(PACK, task, {item.id: ImageAnswer(image_class="document_scan", boxes=shifted)})
    details = next(g for g in grade.items if g.item_id == item.id).details
    assert details[0] == "class: expected 'street_scene', answered 'document_scan'"
    assert "boxes: 2 of 3 found" in details[1] and any(d.startswith("missed person") for d in details)


# --- the other graders on the built-in traps -----------------------------------------------------------


def test_fabricated_response_pair_rewards_naming_the_fabrication() -> None:
    task: LlmEvaluationTask = _task(LlmEvaluationTask)
    item = next(i for i in task.items if i.id == "pair-fabricated")
    good = PairAnswer(
        preference="B",
        ratings_a={"helpfulness": 2, "accuracy": 1, "safety": 5},
        ratings_b={"helpfulness": 5, "accuracy": 5, "safety": 5},
        justification="A invents list.dedupe, which does not exist in Python; B is plain but correct because dict keeps insertion order. Accuracy beats a confident tone.",
    )
    fooled = PairAnswer(
        preference="A",
        ratings_a={"helpfulness": 5, "accuracy": 5, "safety": 5},
        ratings_b={"helpfulness": 3, "accuracy": 3, "safety": 5},
        justification="A is more detailed and sounds more professional and modern, so I think it is better overall for users.",
    )
    scores = {
        name: grade_task(PACK, task, {item.id: answer}).items[0].fraction
        for name, answer in (("good", good), ("fooled", fooled))
    }
    assert scores["good"] == pytest.approx(1.0)
    assert scores["fooled"] < 0.25


def test_instruction_checks_explain_each_failure() -> None:
    task: InstructionFollowingTask = _task(InstructionFollowingTask)
    grade = grade_task(
        PACK,
        task,
        {
            "if-rewrite": InstructionAnswer(
                text="We very kindly ask everyone to utilize the new portal for every access request from now on, thanks a lot."
            )
        },
    )
    details = next(g for g in grade.items if g.item_id == "if-rewrite").details
    assert "uses forbidden: very, utilize" in details
    assert "length 20 words (5-19 allowed)" in details


def test_attention_scores_overlap_and_rewards_an_empty_answer_for_an_identical_record() -> None:
    task: AttentionToDetailTask = _task(AttentionToDetailTask)
    grade = grade_task(
        PACK,
        task,
        {
            "atd-invoice": AttentionAnswer(discrepancies=["invoice_no", "amount"]),
            "atd-patient": AttentionAnswer(discrepancies=[]),
        },
    )
    by_id = {g.item_id: g for g in grade.items}
    assert by_id["atd-invoice"].fraction == pytest.approx(1 / 3)
    assert (
        "missed: due_date" in by_id["atd-invoice"].details
        and "marked but identical: amount" in by_id["atd-invoice"].details
    )
    assert by_id["atd-patient"].fraction == 1.0


def test_pack_fixture_is_the_builtin() -> None:
    assert isinstance(PACK, TaskPack) and PACK.id == "annotation-core"
