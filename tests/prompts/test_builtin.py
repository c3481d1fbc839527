"""The built-in script and pack validate and carry the trap items the product relies on."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image

from prompts.builtin import PACK_PATHS, SCRIPT_PATHS, builtin_asset_path, builtin_pack, builtin_script
from prompts.builtin.make_assets import write_all
from prompts.loader import load_content
from prompts.script import BUILTIN_DIMENSIONS
from prompts.taskpack import (
    AttentionToDetailTask,
    ImageLabelsTask,
    LlmEvaluationTask,
    NerTask,
    TextClassificationTask,
)


def test_builtin_files_validate_through_the_loader() -> None:
    assert load_content(SCRIPT_PATHS["data-annotator"]) == builtin_script()
    assert load_content(PACK_PATHS["annotation-core"]) == builtin_pack()


def test_script_has_8_to_12_questions_covering_the_required_topics() -> None:
    script = builtin_script()
    questions = script.questions()
    assert 8 <= len(questions) <= 12
    ids = {q.id for q in questions}
    required = {
        "guideline-adherence",
        "ambiguity-escalation",
        "inter-annotator-agreement",
        "golden-sets",
        "consistency",
        "rlhf-preference",
        "red-team-reporting",
        "guideline-disagreement",
    }
    assert required <= ids
    assert {q.dimension for q in questions} == set(BUILTIN_DIMENSIONS)
    assert script.task_pack == "annotation-core"
    assert all(q.look_fors and q.follow_ups and q.clarification for q in questions)
    assert "AI interviewer" in script.opening and "recorded" in script.opening


def test_pack_has_all_six_types_with_four_or_more_items() -> None:
    pack = builtin_pack()
    types = {task.type: task for task in pack.tasks}
    assert set(types) == {
        "instruction_following",
        "attention_to_detail",
        "text_classification",
        "ner",
        "image_labels",
        "llm_evaluation",
    }
    assert all(len(task.items) >= 4 for task in pack.tasks)


def test_trap_items_are_present() -> None:
    pack = builtin_pack()
    classification = next(t for t in pack.tasks if isinstance(t, TextClassificationTask))
    priority = next(i for i in classification.items if i.id == "cls-pii-priority")
    assert priority.ground_truth.label == "pii" and priority.ground_truth.clause == "c1"
    assert "even if it is also abusive" in next(c.text for c in classification.clauses if c.id == "c1")
    assert any(i.may_flag_ambiguous for i in classification.items)
    duplicate = next(i for i in classification.items if i.duplicate_of)
    original = next(i for i in classification.items if i.id == duplicate.duplicate_of)
    assert duplicate.ground_truth.label == original.ground_truth.label and duplicate.text != original.text

    pairs = next(t for t in pack.tasks if isinstance(t, LlmEvaluationTask))
    fabricated = next(i for i in pairs.items if i.id == "pair-fabricated")
    assert "dedupe" in fabricated.response_a and fabricated.ground_truth.preference == "B"
    assert {p.id for p in fabricated.ground_truth.justification_points} >= {
        "names-fabrication",
        "accuracy-over-fluency",
    }

    attention = next(t for t in pack.tasks if isinstance(t, AttentionToDetailTask))
    assert any(not i.ground_truth.discrepancies for i in attention.items)

    ner = next(t for t in pack.tasks if isinstance(t, NerTask))
    homonym = next(i for i in ner.items if i.id == "ner-homonym")
    assert {s.type for s in homonym.ground_truth.spans if s.text == "Amazon"} == {"LOCATION", "ORG"}

    images = next(t for t in pack.tasks if isinstance(t, ImageLabelsTask))
    assert any(not i.ground_truth.boxes for i in images.items), "an image with nothing to box"


def test_asset_files_match_their_metadata() -> None:
    pack = builtin_pack()
    images = next(t for t in pack.tasks if isinstance(t, ImageLabelsTask))
    for item in images.items:
        data = builtin_asset_path("annotation-core", item.asset.uri).read_bytes()
        assert len(data) == item.asset.size_bytes < 20_000
        assert hashlib.sha256(data).hexdigest() == item.asset.sha256


def test_make_assets_reproduces_the_pixels_and_the_boxes(tmp_path: Path) -> None:
    drawn = write_all(tmp_path)
    images = next(t for t in builtin_pack().tasks if isinstance(t, ImageLabelsTask))
    for item in images.items:
        name = Path(item.asset.uri).stem
        committed = Image.open(builtin_asset_path("annotation-core", item.asset.uri))
        fresh = Image.open(tmp_path / f"{name}.png")
        # Pixels, not bytes: another zlib may compress the same image differently.
        assert committed.tobytes() == fresh.tobytes()
        truth = sorted((b.label, b.x, b.y, b.w, b.h) for b in item.ground_truth.boxes)
        assert truth == sorted((b.label, b.x, b.y, b.w, b.h) for b in drawn[name])
