"""Every way content can be wrong yields a message that names the file, the path inside it and the fix."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from prompts.errors import ContentError
from prompts.loader import load_content

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


def minimal_script() -> dict[str, Any]:
    return {
        "kind": "interview_script",
        "id": "mini",
        "title": "Mini",
        "role": "Annotator",
        "opening": "Hello.",
        "closing": "Bye.",
        "total_time_budget_s": 600,
        "sections": [
            {
                "id": "s1",
                "title": "Section",
                "questions": [
                    {
                        "id": "q1",
                        "prompt": "Tell me about labeling.",
                        "dimension": "communication",
                        "time_budget_s": 120,
                        "look_fors": [{"id": "lf", "description": "Mentions data", "phrases": ["data"]}],
                        "follow_ups": [{"when": "too_short", "max_words": 10, "text": "Say more?"}],
                    }
                ],
            }
        ],
    }


def minimal_pack() -> dict[str, Any]:
    asset = {
        "uri": "assets/a.png",
        "media_type": "image/png",
        "size_bytes": len(PNG),
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "width": 100,
        "height": 80,
    }
    return {
        "kind": "task_pack",
        "id": "mini-pack",
        "title": "Mini pack",
        "tasks": [
            {
                "id": "cls",
                "type": "text_classification",
                "title": "Classify",
                "guideline": "Pick one.",
                "clauses": [{"id": "c1", "text": "Rule one."}],
                "labels": [{"id": "a", "description": "A"}, {"id": "b", "description": "B"}],
                "items": [{"id": "i1", "text": "Hello", "ground_truth": {"label": "a", "clause": "c1"}}],
            },
            {
                "id": "ner",
                "type": "ner",
                "title": "Entities",
                "guideline": "Tag.",
                "entity_types": [{"id": "PERSON", "description": "A person"}],
                "items": [
                    {
                        "id": "n1",
                        "text": "Ada Lovelace wrote notes.",
                        "ground_truth": {"spans": [{"start": 0, "end": 2, "type": "PERSON", "text": "Ada Lovelace"}]},
                    }
                ],
            },
            {
                "id": "atd",
                "type": "attention_to_detail",
                "title": "Compare",
                "guideline": "Find differences.",
                "items": [
                    {
                        "id": "d1",
                        "prompt": "Compare.",
                        "fields": [
                            {"name": "x", "source": "1", "copy": "2"},
                            {"name": "y", "source": "a", "copy": "a"},
                        ],
                        "ground_truth": {"discrepancies": ["x"]},
                    }
                ],
            },
            {
                "id": "img",
                "type": "image_labels",
                "title": "Images",
                "guideline": "Box things.",
                "classes": [{"id": "street", "description": "Street"}, {"id": "doc", "description": "Doc"}],
                "box_labels": ["car"],
                "items": [
                    {
                        "id": "m1",
                        "prompt": "Box cars.",
                        "asset": asset,
                        "ground_truth": {
                            "image_class": "street",
                            "boxes": [{"label": "car", "x": 1, "y": 1, "w": 10, "h": 10}],
                        },
                    }
                ],
            },
            {
                "id": "pair",
                "type": "llm_evaluation",
                "title": "Compare responses",
                "guideline": "Pick the better one.",
                "items": [
                    {
                        "id": "p1",
                        "prompt": "Q?",
                        "response_a": "A.",
                        "response_b": "B.",
                        "ground_truth": {"preference": "A", "ratings_a": {"accuracy": 5}},
                    }
                ],
            },
            {
                "id": "inst",
                "type": "instruction_following",
                "title": "Do it",
                "guideline": "Follow.",
                "items": [
                    {
                        "id": "f1",
                        "instruction": "Say hi.",
                        "ground_truth": {"checks": [{"check": "format", "pattern": "^hi$", "description": "hi"}]},
                    }
                ],
            },
        ],
    }


def _write(tmp_path: Path, data: dict[str, Any], name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    (tmp_path / "assets").mkdir(exist_ok=True)
    (tmp_path / "assets" / "a.png").write_bytes(PNG)
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data, sort_keys=False))
    return path


def _error(path: Path) -> str:
    with pytest.raises(ContentError) as info:
        load_content(path)
    return str(info.value)


def test_minimal_documents_are_valid(tmp_path: Path) -> None:
    load_content(_write(tmp_path, minimal_script(), "script.yaml"))
    load_content(_write(tmp_path, minimal_pack(), "pack.json"))


Mutation = Callable[[dict[str, Any]], None]


def _q(d: dict[str, Any]) -> dict[str, Any]:
    question: dict[str, Any] = d["sections"][0]["questions"][0]
    return question


SCRIPT_CASES: list[tuple[str, Mutation, str, str]] = [
    ("missing-field", lambda d: d.pop("opening"), "opening", "add this required field"),
    ("unknown-field", lambda d: d.update(openning="hi"), "openning", "remove this field or check its spelling"),
    ("wrong-type", lambda d: d.update(total_time_budget_s="long"), "total_time_budget_s", "valid integer"),
    ("negative-budget", lambda d: _q(d).update(time_budget_s=-5), "sections[0].questions[0].time_budget_s", "-5"),
    ("bad-id", lambda d: d.update(id="Has Spaces"), "id", "pattern"),
    (
        "bad-follow-up-kind",
        lambda d: _q(d)["follow_ups"].append({"when": "too_long", "text": "x"}),
        "sections[0].questions[0].follow_ups[1].when",
        "too_short",
    ),
    ("empty-sections", lambda d: d.update(sections=[]), "sections", "at least 1"),
    (
        "duplicate-question",
        lambda d: d["sections"][0]["questions"].append(copy.deepcopy(_q(d))),
        "sections",
        "question id 'q1' is used more than once",
    ),
    (
        "unknown-dimension",
        lambda d: _q(d).update(dimension="charisma"),
        "sections[0].questions[0].dimension",
        "custom_dimensions",
    ),
    (
        "unknown-weight-key",
        lambda d: d.update(dimension_weights={"charm": 1.0}),
        "dimension_weights.charm",
        "unknown dimension",
    ),
    (
        "over-budget",
        lambda d: d.update(total_time_budget_s=60),
        "total_time_budget_s",
        "raise the total or shorten the questions",
    ),
    (
        "duplicate-rule",
        lambda d: _q(d)["follow_ups"].append({"when": "too_short", "max_words": 5, "text": "x"}),
        "sections[0].questions[0].follow_ups",
        "keep one rule per condition",
    ),
    (
        "bad-expected-length",
        lambda d: _q(d).update(expected_length={"min_words": 50, "max_words": 10}),
        "sections[0].questions[0].expected_length",
        "must not exceed",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "hint"), [c[1:] for c in SCRIPT_CASES], ids=[c[0] for c in SCRIPT_CASES])
def test_script_errors_name_file_field_and_fix(tmp_path: Path, mutate: Mutation, field: str, hint: str) -> None:
    data = minimal_script()
    mutate(data)
    message = _error(_write(tmp_path, data))
    assert "broken.yaml: " + field + ":" in message, message
    assert hint in message, message


def _task(d: dict[str, Any], task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = next(t for t in d["tasks"] if t["id"] == task_id)
    return task


def _item(d: dict[str, Any], task_id: str) -> dict[str, Any]:
    item: dict[str, Any] = _task(d, task_id)["items"][0]
    return item


PACK_CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown-task-type", lambda d: d["tasks"][0].update(type="poetry"), "tasks[0].type", "text_classification"),
    ("missing-task-type", lambda d: d["tasks"][0].pop("type"), "tasks[0].type", "add a 'type' field"),
    (
        "unknown-item-field",
        lambda d: _item(d, "cls").update(answer="a"),
        "tasks[0].items[0].answer",
        "remove this field",
    ),
    ("pass-score-range", lambda d: d.update(pass_score=1.5), "pass_score", "1.5"),
    ("duplicate-task", lambda d: d["tasks"].append(copy.deepcopy(d["tasks"][0])), "tasks", "task id 'cls'"),
    (
        "label-not-in-labels",
        lambda d: _item(d, "cls")["ground_truth"].update(label="zebra"),
        "tasks[0].items[0].ground_truth.label",
        "use one of ['a', 'b']",
    ),
    (
        "unknown-clause",
        lambda d: _item(d, "cls")["ground_truth"].update(clause="c9"),
        "tasks[0].items[0].ground_truth.clause",
        "no clause 'c9'",
    ),
    (
        "duplicate-of-unknown",
        lambda d: _item(d, "cls").update(duplicate_of="nope"),
        "tasks[0].items[0].duplicate_of",
        "must name another item",
    ),
    (
        "span-out-of-range",
        lambda d: _item(d, "ner")["ground_truth"]["spans"][0].update(end=40),
        "tasks[1].items[0].ground_truth.spans[0].end",
        "outside the item's 5 tokens",
    ),
    (
        "span-text-mismatch",
        lambda d: _item(d, "ner")["ground_truth"]["spans"][0].update(end=1),
        "tasks[1].items[0].ground_truth.spans[0].text",
        "read 'Ada', not 'Ada Lovelace'; fix the indices",
    ),
    (
        "span-unknown-type",
        lambda d: _item(d, "ner")["ground_truth"]["spans"][0].update(type="ORG"),
        "tasks[1].items[0].ground_truth.spans[0].type",
        "use one of ['PERSON']",
    ),
    (
        "discrepancy-unknown-field",
        lambda d: _item(d, "atd")["ground_truth"].update(discrepancies=["z"]),
        "tasks[2].items[0].ground_truth.discrepancies",
        "no field 'z'",
    ),
    (
        "box-label-unknown",
        lambda d: _item(d, "img")["ground_truth"]["boxes"][0].update(label="bus"),
        "tasks[3].items[0].ground_truth.boxes[0].label",
        "not in box_labels",
    ),
    (
        "box-outside-image",
        lambda d: _item(d, "img")["ground_truth"]["boxes"][0].update(x=95),
        "tasks[3].items[0].ground_truth.boxes[0]",
        "extends past the 100x80 image",
    ),
    (
        "image-class-unknown",
        lambda d: _item(d, "img")["ground_truth"].update(image_class="beach"),
        "tasks[3].items[0].ground_truth.image_class",
        "not a class",
    ),
    (
        "asset-missing",
        lambda d: _item(d, "img")["asset"].update(uri="assets/missing.png"),
        "tasks[3].items[0].asset.uri",
        "not found next to the pack",
    ),
    (
        "asset-escapes",
        lambda d: _item(d, "img")["asset"].update(uri="../../etc/passwd"),
        "tasks[3].items[0].asset.uri",
        "outside the pack's folder",
    ),
    (
        "asset-wrong-size",
        lambda d: _item(d, "img")["asset"].update(size_bytes=999),
        "tasks[3].items[0].asset.size_bytes",
        "update size_bytes",
    ),
    (
        "asset-wrong-sha",
        lambda d: _item(d, "img")["asset"].update(sha256="0" * 64),
        "tasks[3].items[0].asset.sha256",
        "update sha256",
    ),
    (
        "asset-http",
        lambda d: _item(d, "img")["asset"].update(uri="http://example.com/a.png"),
        "tasks[3].items[0].asset.uri",
        "https",
    ),
    (
        "asset-media-type",
        lambda d: _item(d, "img")["asset"].update(media_type="image/tiff"),
        "tasks[3].items[0].asset.media_type",
        "image/png",
    ),
    (
        "rating-out-of-scale",
        lambda d: _item(d, "pair")["ground_truth"].update(ratings_a={"accuracy": 9}),
        "tasks[4].items[0].ground_truth.ratings_a.accuracy",
        "rating must be 1..5 (got 9)",
    ),
    (
        "rating-unknown-dimension",
        lambda d: _item(d, "pair")["ground_truth"].update(ratings_b={"humour": 3}),
        "tasks[4].items[0].ground_truth.ratings_b.humour",
        "not a rated dimension",
    ),
    (
        "bad-preference",
        lambda d: _item(d, "pair")["ground_truth"].update(preference="C"),
        "tasks[4].items[0].ground_truth.preference",
        "'A', 'B' or 'tie'",
    ),
    (
        "bad-regex",
        lambda d: _item(d, "inst")["ground_truth"]["checks"][0].update(pattern="(unclosed"),
        "tasks[5].items[0].ground_truth.checks[0].pattern",
        "not a valid regular expression",
    ),
    (
        "bad-check-kind",
        lambda d: _item(d, "inst")["ground_truth"]["checks"].append({"check": "vibes"}),
        "tasks[5].items[0].ground_truth.checks[1].check",
        "format",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "hint"), [c[1:] for c in PACK_CASES], ids=[c[0] for c in PACK_CASES])
def test_pack_errors_name_file_field_and_fix(tmp_path: Path, mutate: Mutation, field: str, hint: str) -> None:
    data = minimal_pack()
    mutate(data)
    message = _error(_write(tmp_path, data))
    assert "broken.yaml: " + field + ":" in message, message
    assert hint in message, message


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ntitle: [unclosed\nrole: r\n")
    message = _error(path)
    assert message.startswith(f"{path}: line ")
    assert "column" in message and "invalid YAML" in message


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"id": "x",\n "title": }')
    message = _error(path)
    assert f"{path}: line 2 column 11: invalid JSON" in message


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("- just\n- a list\n", "expected a mapping at the top level, got list"),
        ("kind: quiz\n", "unknown kind 'quiz'; use 'interview_script' or 'task_pack'"),
        ("id: x\n", "add kind: interview_script or task_pack"),
    ],
    ids=["not-a-mapping", "unknown-kind", "no-kind"],
)
def test_document_shape_errors(tmp_path: Path, text: str, hint: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    assert hint in _error(path)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    assert "cannot read file" in _error(tmp_path / "absent.yaml")
    binary = tmp_path / "broken.yaml"
    binary.write_bytes(b"\xff\xfe\xfa")
    assert "not UTF-8" in _error(binary)


def test_every_issue_is_reported_at_once(tmp_path: Path) -> None:
    data = minimal_pack()
    _item(data, "cls")["ground_truth"]["label"] = "zebra"
    _item(data, "atd")["ground_truth"]["discrepancies"] = ["z"]
    with pytest.raises(ContentError) as info:
        load_content(_write(tmp_path, data))
    assert len(info.value.issues) == 2
    assert [row["field"] for row in info.value.as_dicts()] == [
        "tasks[0].items[0].ground_truth.label",
        "tasks[2].items[0].ground_truth.discrepancies",
    ]
