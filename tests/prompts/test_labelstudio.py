"""Label Studio import and export, without a server: each config type, character offsets to tokens, percent to
pixels, every error path, and the round trip export → import that gives back the ground truth."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from prompts.answers import NerAnswer, SpanAnswer
from prompts.builtin import PACK_PATHS, builtin_pack
from prompts.errors import ContentError
from prompts.labelstudio import (
    SUPPORTED_TAGS,
    labelstudio_annotations,
    labelstudio_config,
    pack_from_labelstudio,
    token_offsets,
)
from prompts.taskpack import NerTask, tokenize
from scoring.grading.reference import reference_answer

PACK = builtin_pack()
PACK_DIR = PACK_PATHS["annotation-core"].parent

SENTIMENT = """
<View>
  <Header value="Is the review positive or negative?"/>
  <Text name="review" value="$review"/>
  <Choices name="sentiment" toName="review" choice="single">
    <Choice value="positive" hint="The writer liked it"/>
    <Choice value="negative"/>
  </Choices>
</View>
"""

NER = """
<View>
  <Labels name="ents" toName="txt">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
  <Text name="txt" value="$text"/>
</View>
"""

BOXES = """
<View>
  <Image name="img" value="$image"/>
  <Choices name="scene" toName="img"><Choice value="street"/><Choice value="indoor"/></Choices>
  <RectangleLabels name="bbox" toName="img"><Label value="car"/><Label value="person"/></RectangleLabels>
</View>
"""

PAIRWISE = """
<View>
  <Text name="question" value="$prompt"/>
  <Pairwise name="pw" toName="left_answer,right_answer"/>
  <Text name="left_answer" value="$answer1"/>
  <Text name="right_answer" value="$answer2"/>
</View>
"""


def annotated(data: dict[str, Any], *results: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A task as Label Studio exports it, with one annotation."""
    return {"data": data, "annotations": [{"result": list(results)}], **extra}


def choice(name: str, to: str, *values: str) -> dict[str, Any]:
    return {"from_name": name, "to_name": to, "type": "choices", "value": {"choices": list(values)}}


def entity(start: int, end: int, label: str, text: str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"from_name": "ents", "to_name": "txt", "type": "labels", "value": value}


def box(
    x: float, y: float, w: float, h: float, label: str = "car", size: tuple[int, int] = (200, 100)
) -> dict[str, Any]:
    return {
        "from_name": "bbox",
        "to_name": "img",
        "type": "rectanglelabels",
        "original_width": size[0],
        "original_height": size[1],
        "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]},
    }


def png(path: Path, size: tuple[int, int] = (200, 100), fmt: str = "PNG") -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, fmt)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def issues(exc: pytest.ExceptionInfo[ContentError]) -> list[tuple[str, str]]:
    return [(i.path, i.message) for i in exc.value.issues]


def load(config: str, tasks: list[Any], **kwargs: Any) -> Any:
    return pack_from_labelstudio(config, tasks, pack_id="ls-import", title="Imported", **kwargs)


# --- each config type ------------------------------------------------------------------------------


def test_choices_over_text_become_text_classification_with_header_as_guideline() -> None:
    tasks = [
        annotated({"review": "Loved it."}, choice("sentiment", "review", "positive"), id=7),
        annotated({"review": "Broke in a day."}, choice("sentiment", "review", "negative"), id=8),
    ]
    pack = load(SENTIMENT, tasks, pass_score=0.8, time_limit_s=600)
    task = pack.tasks[0]
    assert task.type == "text_classification" and (pack.pass_score, pack.time_limit_s) == (0.8, 600)
    assert task.guideline == "Is the review positive or negative?"
    assert [(o.id, o.description) for o in task.labels] == [
        ("positive", "The writer liked it"),
        ("negative", "negative"),
    ]
    assert [(i.id, i.text, i.ground_truth.label) for i in task.items] == [
        ("ls-7", "Loved it.", "positive"),
        ("ls-8", "Broke in a day.", "negative"),
    ]


def test_ground_truth_prefers_the_marked_annotation_then_the_first_kept_then_a_prediction() -> None:
    marked = {
        "data": {"review": "Fine."},
        "annotations": [
            {"result": [choice("sentiment", "review", "negative")]},
            {"result": [choice("sentiment", "review", "positive")], "ground_truth": True},
        ],
    }
    cancelled = {
        "data": {"review": "Meh."},
        "annotations": [
            {"result": [choice("sentiment", "review", "positive")], "was_cancelled": True},
            {"result": [choice("sentiment", "review", "negative")]},
        ],
    }
    predicted = {"data": {"review": "Great."}, "predictions": [{"result": [choice("sentiment", "review", "positive")]}]}
    pack = load(SENTIMENT, [marked, cancelled, predicted])
    assert [i.ground_truth.label for i in pack.tasks[0].items] == ["positive", "negative", "positive"]
    assert [i.id for i in pack.tasks[0].items] == ["item-1", "item-2", "item-3"]


def test_labels_over_text_become_ner_with_character_offsets_turned_into_token_spans() -> None:
    text = "Dr. Ana Bălan joined Kestrel-Bank in São Paulo."
    tasks = [
        annotated(
            {"text": text},
            entity(4, 13, "PER", "Ana Bălan"),
            entity(21, 33, "ORG", "Kestrel-Bank"),
            entity(36, 46, "LOC", " São Paulo"),  # a selection with a leading space is trimmed
        )
    ]
    task = load(NER, tasks).tasks[0]
    tokens = tokenize(text)
    assert task.type == "ner" and [t.id for t in task.entity_types] == ["PER", "ORG", "LOC"]
    spans = task.items[0].ground_truth.spans
    assert [(s.start, s.end, s.type) for s in spans] == [(2, 4, "PER"), (5, 6, "ORG"), (7, 9, "LOC")]
    assert [" ".join(tokens[s.start : s.end]) for s in spans] == ["Ana Bălan", "Kestrel-Bank", "São Paulo"]


def test_utf16_offsets_of_older_label_studio_versions_are_understood() -> None:
    text = "🚀 Launch by Nasa today"
    # "Nasa" is at code points 12..16, at UTF-16 units 13..17 (the rocket counts twice).
    task = load(NER, [annotated({"text": text}, entity(13, 17, "ORG", "Nasa"))]).tasks[0]
    assert [(s.start, s.end) for s in task.items[0].ground_truth.spans] == [(3, 4)]


def test_rectangle_labels_over_an_image_become_image_labels_in_pixels(tmp_path: Path) -> None:
    data = png(tmp_path / "upload" / "1" / "a1b2-street.png")
    png(tmp_path / "images" / "room.png")
    tasks = [
        annotated(
            {"image": "/data/upload/1/a1b2-street.png"},
            choice("scene", "img", "street"),
            box(10, 20, 25, 50),
            box(50, 0, 50, 100, "person"),
        ),
        annotated({"image": "/data/local-files/?d=images/room.png"}, choice("scene", "img", "indoor")),
    ]
    task = load(BOXES, tasks, asset_dir=tmp_path).tasks[0]
    assert task.type == "image_labels" and task.box_labels == ["car", "person"]
    assert [c.id for c in task.classes] == ["street", "indoor"]
    first, second = task.items
    assert first.asset.uri == "upload/1/a1b2-street.png" and first.asset.size_bytes == len(data)
    assert (first.asset.media_type, first.asset.width, first.asset.height) == ("image/png", 200, 100)
    assert [(b.label, b.x, b.y, b.w, b.h) for b in first.ground_truth.boxes] == [
        ("car", 20.0, 20.0, 50.0, 50.0),
        ("person", 100.0, 0.0, 100.0, 100.0),
    ]
    assert second.asset.uri == "images/room.png" and second.ground_truth.boxes == []


def test_an_image_url_is_matched_by_file_name_and_a_jpeg_is_measured_from_its_header(tmp_path: Path) -> None:
    png(tmp_path / "cat.jpg", (64, 48), "JPEG")
    tasks = [annotated({"image": "https://cdn.example.org/x/cat.jpg"}, choice("scene", "img", "indoor"))]
    asset = load(BOXES, tasks, asset_dir=tmp_path).tasks[0].items[0].asset
    assert (asset.uri, asset.media_type, asset.width, asset.height) == ("cat.jpg", "image/jpeg", 64, 48)


def test_pairwise_becomes_llm_evaluation_with_left_as_a_and_right_as_b() -> None:
    data = {"prompt": "Capital of France?", "answer1": "Paris.", "answer2": "Lyon."}
    selection = {"from_name": "pw", "to_name": "left_answer,right_answer", "type": "pairwise"}
    tasks = [
        annotated(data, {**selection, "value": {"selected": "left"}}),
        annotated(data, {**selection, "value": {"selected": "right"}}),
    ]
    task = load(PAIRWISE, tasks).tasks[0]
    assert task.type == "llm_evaluation"
    item = task.items[0]
    assert (item.prompt, item.response_a, item.response_b) == ("Capital of France?", "Paris.", "Lyon.")
    assert [i.ground_truth.preference for i in task.items] == ["A", "B"]


# --- offsets, tokens and percent (generated cases) --------------------------------------------------

WORDS = st.lists(st.text(alphabet=st.sampled_from("abcXYZé-'.,!🚀0"), min_size=1, max_size=6), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(words=WORDS, gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t "]), min_size=12, max_size=12))
def test_token_offsets_slice_back_to_exactly_the_tokens(words: list[str], gaps: list[str]) -> None:
    text = "".join(word + gap for word, gap in zip(words, gaps, strict=False))
    offsets = token_offsets(text)
    assert [text[start:end] for start, end in offsets] == tokenize(text)
    assert all(a[1] <= b[0] and not text[a[1] : b[0]].strip() for a, b in itertools.pairwise(offsets))


@settings(max_examples=100, deadline=None)
@given(words=WORDS, data=st.data())
def test_any_token_spans_survive_export_and_import(words: list[str], data: st.DataObject) -> None:
    text = " ".join(words)
    count = len(tokenize(text))
    cuts = sorted(set(data.draw(st.lists(st.integers(0, count), max_size=8))))
    spans = [SpanAnswer(start=a, end=b, type="PER") for a, b in itertools.pairwise(cuts)]
    base = load(NER, [annotated({"text": text})])
    answers = {"entities": {"item-1": NerAnswer(spans=spans).model_dump(mode="json")}}
    exported = labelstudio_annotations(base, answers, config_xml=NER)
    again = load(NER, exported).tasks[0].items[0].ground_truth.spans
    assert [(s.start, s.end, s.type) for s in again] == [(s.start, s.end, s.type) for s in spans]


@settings(max_examples=100, deadline=None)
@given(
    size=st.tuples(st.integers(1, 4000), st.integers(1, 4000)),
    corner=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    extent=st.tuples(st.floats(0.01, 1), st.floats(0.01, 1)),
)
def test_percent_boxes_become_pixels_inside_the_image(
    tmp_path_factory: pytest.TempPathFactory,
    size: tuple[int, int],
    corner: tuple[float, float],
    extent: tuple[float, float],
) -> None:
    folder = tmp_path_factory.mktemp("img")
    (folder / "a.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")  # no header size: Label Studio's size counts
    x, y = corner[0] * 99, corner[1] * 99
    w, h = max(extent[0] * (100 - x), 0.5), max(extent[1] * (100 - y), 0.5)
    task = annotated({"image": "a.webp"}, choice("scene", "img", "street"), box(x, y, w, h, size=size))
    (got,) = load(BOXES, [task], asset_dir=folder).tasks[0].items[0].ground_truth.boxes
    assert got.x == pytest.approx(x * size[0] / 100, abs=1e-5) and got.w == pytest.approx(w * size[0] / 100, abs=1e-5)
    assert got.y == pytest.approx(y * size[1] / 100, abs=1e-5) and got.h == pytest.approx(h * size[1] / 100, abs=1e-5)
    assert got.x + got.w <= size[0] and got.y + got.h <= size[1]


# --- errors ----------------------------------------------------------------------------------------


def test_an_unsupported_tag_is_named_with_the_supported_ones() -> None:
    config = '<View><Text name="t" value="$t"/><Rating name="stars" toName="t"/></View>'
    with pytest.raises(ContentError) as exc:
        load(config, [annotated({"t": "x"})])
    ((path, message),) = issues(exc)
    assert path == "config" and message.startswith("<Rating name='stars'> is not supported")
    assert all(f"<{tag}>" in message for tag in SUPPORTED_TAGS)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("<View><Text name='t' value='$t'>", "not well-formed XML at line 1"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><View/>', "DTDs and entities are not allowed"),
        ("<View><Text name='t' value='$t'/></View>", "found no <Choices>, <Labels>, <RectangleLabels> or <Pairwise>"),
        (NER.replace("</View>", SENTIMENT.replace("<View>", "").replace("</View>", "") + "</View>"), "two tasks"),
        (SENTIMENT.replace('choice="single"', 'choice="multiple"'), "allows several choices"),
        (SENTIMENT.replace('toName="review"', 'toName="nope"'), "toName='nope' must name a <Text>"),
        (SENTIMENT.replace('<Choice value="negative"/>', ""), "needs at least 2 <Choice> entries"),
        (SENTIMENT.replace('"negative"', '"positive"'), "'positive' appears twice"),
        (SENTIMENT.replace('"negative"', '"' + "n" * 65 + '"'), "is over 64 characters; shorten it"),
        ("<View><Choice value='a'/></View>", "<Choice value='a'> must sit inside <choices>"),
        (BOXES.replace("<Choices", "<Rectangle").replace("</Choices>", "</Rectangle>"), "not supported"),
        (BOXES.replace('name="scene" toName="img"', 'name="scene" toName="x"'), "needs exactly one <Choices> over"),
        (PAIRWISE.replace('<Text name="question" value="$prompt"/>', ""), "one more <Text> holding the prompt"),
        (PAIRWISE.replace("left_answer,right_answer", "left_answer"), "must name two different <Text>"),
    ],
)
def test_config_errors_name_the_tag_and_the_fix(config: str, expected: str) -> None:
    with pytest.raises(ContentError) as exc:
        load(config, [annotated({"review": "x"})])
    ((path, message),) = issues(exc)
    assert path == "config" and expected in message, message


def test_a_task_without_ground_truth_is_named_by_index() -> None:
    tasks = [
        annotated({"review": "ok"}, choice("sentiment", "review", "positive")),
        {"data": {"review": "no annotation"}},
        {"data": {"review": "cancelled"}, "annotations": [{"result": [], "was_cancelled": True}]},
        annotated({"review": "empty"}),
    ]
    with pytest.raises(ContentError) as exc:
        load(SENTIMENT, tasks, source="project.json")
    assert issues(exc) == [
        ("tasks[1]", "no annotation or prediction to take the ground truth from; annotate it or drop it"),
        ("tasks[2]", "no annotation or prediction to take the ground truth from; annotate it or drop it"),
        ("tasks[3].annotations[0]", "no 'sentiment' choice; choose one of ['positive', 'negative']"),
    ]
    assert str(exc.value).startswith("project.json: tasks[1]: no annotation")


def test_task_shape_and_value_errors_name_their_path() -> None:
    tasks: list[Any] = [
        "not a task",
        annotated({}, choice("sentiment", "review", "positive")),
        annotated({"review": "a"}, choice("sentiment", "review", "great")),
        annotated({"review": "b"}, choice("sentiment", "review", "positive", "negative")),
        annotated({"review": "c"}, {"from_name": "sentiment", "type": "labels", "value": {}}),
        annotated({"review": "d"}, choice("sentiment", "review", "positive"), id=3),
        annotated({"review": "e"}, choice("sentiment", "review", "positive"), id=3),
    ]
    with pytest.raises(ContentError) as exc:
        load(SENTIMENT, tasks)
    found = issues(exc)
    assert ("tasks[0].data", 'missing; a task is {"data": {...}, "annotations": [...]}') in found
    assert ("tasks[1].data.review", "missing or empty; the config's 'review' shows this field") in found
    assert (
        "tasks[2].annotations[0].result[0].value.choices",
        "'great' is not a choice of the config; use one of ['positive', 'negative']",
    ) in found
    assert any(p == "tasks[3].annotations[0].result[0].value.choices" and "exactly one choice" in m for p, m in found)
    assert (
        "tasks[4].annotations[0].result[0].type",
        "'sentiment' results must have type 'choices' (got 'labels')",
    ) in found
    assert ("tasks[6].id", "task id 3 is also tasks[5]'s") in found


def test_a_span_off_token_boundaries_names_the_task_and_the_span() -> None:
    text = "Maria Lopez joined Northwind."
    tasks = [
        annotated({"text": text}, entity(0, 11, "PER")),
        annotated({"text": text}, entity(0, 3, "PER", "Mar")),
        annotated({"text": text}, entity(0, 11, "PER", "Someone")),
        annotated({"text": text}, entity(0, 11, "PER"), entity(6, 18, "ORG")),
        annotated({"text": text}, entity(0, 11, "PERSON")),
    ]
    with pytest.raises(ContentError) as exc:
        load(NER, tasks)
    found = issues(exc)
    assert found[0] == (
        "tasks[1].annotations[0].result[0].value",
        "span [0, 3) 'Mar' cuts a token (tokens: words, hyphenated words, punctuation); extend it to whole tokens",
    )
    assert found[1] == (
        "tasks[2].annotations[0].result[0].value",
        "span [0, 11) reads 'Maria Lopez' in the text, not 'Someone'; re-export the task",
    )
    assert found[2] == (
        "tasks[3].annotations[0]",
        "spans 'Maria Lopez' and 'Lopez joined' overlap; a token has one entity",
    )
    assert found[3][0] == "tasks[4].annotations[0].result[0].value.labels" and "'PERSON' is not a label" in found[3][1]


def test_image_errors_name_the_file_size_and_rotation(tmp_path: Path) -> None:
    png(tmp_path / "a.png", (200, 100))
    (tmp_path / "notes.png").write_text("not an image")
    rotated = box(10, 10, 10, 10)
    rotated["value"]["rotation"] = 30
    tasks = [
        annotated({"image": "/data/upload/9/missing.png"}, choice("scene", "img", "street")),
        annotated({"image": "notes.png"}, choice("scene", "img", "street")),
        annotated({"image": "a.png"}, choice("scene", "img", "street"), box(0, 0, 10, 10, size=(400, 200))),
        annotated({"image": "a.png"}, choice("scene", "img", "street"), rotated),
        annotated({"image": "a.png"}, box(0, 0, 10, 10)),
        annotated(
            {"image": "a.png"}, choice("scene", "img", "street"), box(0, 0, 10, 10), box(0, 0, 5, 5, size=(7, 7))
        ),
    ]
    with pytest.raises(ContentError) as exc:
        load(BOXES, tasks, asset_dir=tmp_path)
    assert issues(exc) == [
        (
            "tasks[0].data.image",
            "no file for '/data/upload/9/missing.png' among the uploaded images "
            "(looked for ['data/upload/9/missing.png', 'upload/9/missing.png', 'missing.png']); add it",
        ),
        ("tasks[1].data.image", "'notes.png' is not a PNG, JPEG or WebP image; convert it"),
        (
            "tasks[2].annotations[0]",
            "Label Studio measured the image 400x200 but 'a.png' is 200x100; upload the original file",
        ),
        ("tasks[3].annotations[0].result[1].value.rotation", "rotated boxes are not supported; set rotation to 0"),
        ("tasks[4].annotations[0]", "no 'scene' choice; choose one of ['street', 'indoor']"),
        ("tasks[5].annotations[0]", "boxes disagree on the image size ([(7, 7), (200, 100)]); re-export the task"),
    ]


def test_image_tasks_without_their_files_are_refused() -> None:
    with pytest.raises(ContentError) as exc:
        load(BOXES, [annotated({"image": "a.png"}, choice("scene", "img", "street"))])
    assert issues(exc) == [("tasks", "image tasks need their image files; pass asset_dir (a .zip with the images)")]


def test_a_pairwise_tie_or_missing_selection_cannot_be_ground_truth() -> None:
    data = {"prompt": "p", "answer1": "a", "answer2": "b"}
    tie = {"from_name": "pw", "to_name": "left_answer,right_answer", "type": "pairwise", "value": {"selected": "none"}}
    with pytest.raises(ContentError) as exc:
        load(PAIRWISE, [annotated(data), annotated(data, tie), annotated({"prompt": "p", "answer1": "a"})])
    assert issues(exc)[:2] == [
        ("tasks[0].annotations[0]", "no 'pw' selection; pick left or right (a tie cannot be imported)"),
        ("tasks[1].annotations[0].result[0].value.selected", "must be 'left' or 'right' (got 'none')"),
    ]


def test_pack_level_problems_use_the_import_fields() -> None:
    with pytest.raises(ContentError) as exc:
        pack_from_labelstudio(
            SENTIMENT,
            [annotated({"review": "x" * 20_001}, choice("sentiment", "review", "positive"))],
            pack_id="Bad Id",
            title="T",
            pass_score=2,
        )
    paths = {path for path, _ in issues(exc)}
    assert paths == {"pack_id", "pass_score", "tasks[0]"}
    assert any(m.startswith("text: String should have at most 20000 characters") for _, m in issues(exc))


def test_no_tasks_is_refused() -> None:
    with pytest.raises(ContentError) as exc:
        load(SENTIMENT, [])
    assert issues(exc) == [("tasks", "no tasks; export the project's tasks as JSON")]


# --- export ----------------------------------------------------------------------------------------


def reference_sheet() -> dict[str, dict[str, dict[str, Any]]]:
    return {t.id: {i.id: reference_answer(t, i).model_dump(mode="json") for i in t.items} for t in PACK.tasks}


def exported(task_id: str, answers: dict[str, dict[str, dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    everything = labelstudio_annotations(PACK, reference_sheet() if answers is None else answers)
    return [t for t in everything if t["meta"]["gaia"]["task_id"] == task_id]


def test_export_writes_one_annotation_per_item_in_label_studio_result_format() -> None:
    everything = labelstudio_annotations(PACK, reference_sheet())
    assert len(everything) == sum(len(t.items) for t in PACK.tasks)
    assert all(len(t["annotations"]) == 1 for t in everything)
    (cls,) = [t for t in exported("moderation") if t["meta"]["gaia"]["item_id"] == "cls-ok"]
    assert cls["annotations"][0]["result"] == [
        {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["ok"]}}
    ]
    ner = exported("entities")[0]
    text = ner["data"]["text"]
    first = ner["annotations"][0]["result"][0]
    assert first["type"] == "labels" and first["value"]["labels"] == ["PERSON"]
    assert text[first["value"]["start"] : first["value"]["end"]] == first["value"]["text"] == "Maria Lopez"


def test_export_gives_boxes_in_percent_with_the_image_class_as_a_choice() -> None:
    image = exported("images")[0]
    assert image["data"] == {"image": "assets/street-two-cars.png"}
    class_result, first_box = image["annotations"][0]["result"][:2]
    assert class_result["value"] == {"choices": ["street_scene"]} and class_result["from_name"] == "class"
    assert (first_box["original_width"], first_box["original_height"]) == (320, 240)
    value = first_box["value"]
    assert (value["x"], value["width"], value["rectanglelabels"]) == (30 / 320 * 100, 71 / 320 * 100, ["car"])
    assert value["y"] == pytest.approx(140 / 240 * 100) and value["height"] == pytest.approx(43 / 240 * 100)


def test_export_of_pairwise_maps_a_b_to_left_right_and_a_tie_to_meta_only() -> None:
    by_preference = {t["meta"]["gaia"]["preference"]: t for t in exported("preferences")}
    results = by_preference["A"]["annotations"][0]["result"]
    assert results[0] == {
        "from_name": "preference",
        "to_name": "response_a,response_b",
        "type": "pairwise",
        "value": {"selected": "left"},
    }
    assert results[1]["type"] == "textarea" and results[1]["from_name"] == "justification"
    assert by_preference["B"]["annotations"][0]["result"][0]["value"] == {"selected": "right"}
    tie = by_preference["tie"]
    assert [r["type"] for r in tie["annotations"][0]["result"]] == ["textarea"]
    assert tie["meta"]["gaia"]["ratings_a"]


def test_export_of_attention_and_instruction_items_uses_choices_and_textarea() -> None:
    atd = exported("discrepancies")[0]
    assert atd["annotations"][0]["result"][0]["value"] == {"choices": ["invoice_no", "due_date"]}
    assert 'choice="multiple"' in labelstudio_config(next(t for t in PACK.tasks if t.id == "discrepancies"))
    instruction = exported("instructions")[0]
    (result,) = instruction["annotations"][0]["result"]
    assert result["type"] == "textarea" and result["value"]["text"][0].startswith('{"label": "positive"')
    assert set(instruction["data"]) == {"instruction", "input"}


def test_unanswered_items_export_an_empty_result_and_say_so() -> None:
    nothing = labelstudio_annotations(PACK, {})
    assert all(t["annotations"] == [{"result": []}] and t["meta"]["gaia"]["answered"] is False for t in nothing)


# --- round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", ["moderation", "entities", "images", "preferences"])
def test_exported_reference_answers_import_back_as_the_same_ground_truth(task_id: str) -> None:
    task: Any = next(t for t in PACK.tasks if t.id == task_id)
    rows = exported(task_id)
    items: list[Any] = list(task.items)
    if task.type == "llm_evaluation":  # Pairwise cannot express a tie (see the module docstring)
        rows = [r for r in rows if r["meta"]["gaia"]["preference"] != "tie"]
        items = [i for i in items if i.ground_truth.preference != "tie"]
    pack = pack_from_labelstudio(labelstudio_config(task), rows, pack_id="again", title="Again", asset_dir=PACK_DIR)
    again: Any = pack.tasks[0]
    assert again.type == task.type and again.guideline == task.guideline
    got = [i.ground_truth for i in again.items]
    if task.type == "text_classification":
        assert [g.label for g in got] == [i.ground_truth.label for i in items]
    elif task.type == "llm_evaluation":
        assert [g.preference for g in got] == [i.ground_truth.preference for i in items]
    else:
        assert got == [i.ground_truth for i in items]
    if isinstance(task, NerTask):
        assert [t.model_dump() for t in again.entity_types] == [t.model_dump() for t in task.entity_types]


def test_round_trip_with_a_project_config_uses_its_names(tmp_path: Path) -> None:
    png(tmp_path / "street.png")
    original = load(
        BOXES,
        [annotated({"image": "street.png"}, choice("scene", "img", "street"), box(10, 20, 30, 40, "person"))],
        asset_dir=tmp_path,
    )
    task = original.tasks[0]
    answers = {task.id: {i.id: reference_answer(task, i).model_dump(mode="json") for i in task.items}}
    rows = labelstudio_annotations(original, answers, config_xml=BOXES)
    assert {r["from_name"] for r in rows[0]["annotations"][0]["result"]} == {"scene", "bbox"}
    assert rows[0]["data"] == {"image": "street.png"}
    again = load(BOXES, rows, asset_dir=tmp_path)
    assert [i.ground_truth for i in again.tasks[0].items] == [i.ground_truth for i in task.items]
