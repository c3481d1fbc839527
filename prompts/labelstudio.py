"""Label Studio interop: a labeling config with its annotated tasks becomes a task pack, and a candidate's answers
become Label Studio tasks with one annotation each.

Label Studio's task JSON is ``{"data": {...}, "annotations": [{"result": [...]}], "predictions": [...]}``; each
result names its control (``from_name``), the object it labels (``to_name``), a ``type`` and a ``value``:

- ``choices``: ``{"choices": ["spam"]}``
- ``labels`` (entities over ``<Text>``): ``{"start": 0, "end": 11, "text": "Maria Lopez", "labels": ["PERSON"]}``,
  character offsets into the text
- ``rectanglelabels`` (over ``<Image>``): ``{"x", "y", "width", "height", "rotation", "rectanglelabels": [...]}`` in
  percent of the image, with ``original_width`` / ``original_height`` (pixels) beside ``value``
- ``pairwise``: ``{"selected": "left" | "right"}``
- ``textarea``: ``{"text": ["..."]}``

Import maps one config to one task: ``<Choices>`` over ``<Text>`` → text_classification, ``<Labels>`` over
``<Text>`` → ner (character offsets become token spans of :func:`prompts.taskpack.tokenize`), ``<RectangleLabels>``
plus a ``<Choices>`` for the image class over one ``<Image>`` → image_labels (percent becomes pixels),
``<Pairwise>`` over two ``<Text>`` plus a third ``<Text>`` holding the prompt → llm_evaluation (left/right become
A/B). Ground truth comes from a task's annotation marked ``ground_truth``, else its first annotation that was not
cancelled, else its first prediction. Image files must come with the import (``asset_dir``): each image URL is
resolved to a file in that folder (by the ``?d=`` path of local storage, the URL's path, or its file name), which
is hashed and measured, and the asset's ``uri`` is the file's path inside the folder.

Export uses the names of :func:`labelstudio_config` (or of the config passed in). The Pairwise control cannot
express a tie, so a tie is exported with no pairwise result and ``meta.gaia.preference = "tie"``; ratings and the
flag/note/confidence of every answer are kept in ``meta.gaia`` as well.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import TypeAdapter, ValidationError

from prompts.answers import (
    Answer,
    AttentionAnswer,
    ClassificationAnswer,
    ImageAnswer,
    InstructionAnswer,
    NerAnswer,
    PairAnswer,
)
from prompts.checks import check_pack
from prompts.errors import ContentError, ContentIssue, issues_from_validation
from prompts.taskpack import (
    AttentionItem,
    AttentionToDetailTask,
    ClassificationItem,
    ImageItem,
    ImageLabelsTask,
    InstructionItem,
    ItemBase,
    LlmEvaluationTask,
    NerItem,
    NerTask,
    PairItem,
    Task,
    TaskPack,
    TextClassificationTask,
    tokenize,
)

SUPPORTED_TAGS: tuple[str, ...] = tuple(
    "View Header Style Text Image Choices Choice Labels Label RectangleLabels Pairwise TextArea".split()
)
"""Tags a labeling config may use; ``<TextArea>`` is ignored on import (free text carries no ground truth)."""

_TAGS = {tag.lower() for tag in SUPPORTED_TAGS}
_CONTROLS = ("choices", "labels", "rectanglelabels", "pairwise", "textarea")
_TASK_IDS = {"text_classification": "classification", "ner": "entities", "image_labels": "images"}
_GUIDELINES = {
    "text_classification": "Choose the one label that fits each text.",
    "ner": "Mark every entity in each text with its type.",
    "image_labels": "Choose each image's class and draw a box around every object of a listed kind.",
    "llm_evaluation": "Read the prompt and both responses, then choose the better response.",
}
_ANSWER: TypeAdapter[Any] = TypeAdapter(Answer)

Kind = Literal[
    "text_classification", "ner", "image_labels", "llm_evaluation", "attention_to_detail", "instruction_following"
]


@dataclass(frozen=True)
class _Option:
    value: str
    hint: str | None = None


@dataclass(frozen=True)
class _Config:
    """A labeling config reduced to what the mapping needs: control names, data fields and options."""

    kind: Kind
    control: str
    to_name: str
    objects: Mapping[str, tuple[str, str]]  # role -> (object name, value attribute: "$field" or literal text)
    options: tuple[_Option, ...] = ()
    class_control: str | None = None  # image_labels: the <Choices> over the image
    classes: tuple[_Option, ...] = ()
    textarea: tuple[str, str] | None = None  # (name, toName) of a free-text control
    guideline: str | None = None


# --- reading a labeling config ---------------------------------------------------------------------


def _show(el: ET.Element) -> str:
    for key in ("name", "value"):
        found = _attr(el, key)
        if found:
            return f"<{el.tag} {key}='{found}'>"
    return f"<{el.tag}>"


def _attr(el: ET.Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if key.lower() == name.lower():
            return value
    return None


def _config_error(source: str, message: str) -> ContentError:
    return ContentError(source, [ContentIssue("config", message)])


def _xml(config_xml: str, source: str) -> ET.Element:
    upper = config_xml.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise _config_error(source, "DTDs and entities are not allowed in a labeling config; remove them")
    try:
        return ET.fromstring(config_xml)
    except ET.ParseError as exc:
        line, column = exc.position
        raise _config_error(
            source, f"not well-formed XML at line {line} column {column + 1}; paste the project's labeling config"
        ) from exc


def _options(control: ET.Element, tag: str, source: str, minimum: int) -> tuple[_Option, ...]:
    options = []
    for el in control.iter():
        if el is not control and el.tag.lower() == tag:
            value = _attr(el, "value")
            if not value:
                raise _config_error(source, f"a <{el.tag}> in {_show(control)} has no value; add value='...'")
            if len(value) > 64:
                raise _config_error(source, f"<{el.tag} value='{value[:30]}…'> is over 64 characters; shorten it")
            options.append(_Option(value, _attr(el, "hint")))
    values = [o.value for o in options]
    twice = next((v for v in values if values.count(v) > 1), None)
    if twice is not None:
        raise _config_error(source, f"'{twice}' appears twice in {_show(control)}; keep one")
    if len(options) < minimum:
        raise _config_error(source, f"{_show(control)} needs at least {minimum} <{tag.title()}> entries")
    return tuple(options)


def _single(control: ET.Element, source: str) -> None:
    if (_attr(control, "choice") or "single").lower() != "single":
        raise _config_error(
            source, f"{_show(control)} allows several choices; an item has one label: set choice='single'"
        )


def _target(control: ET.Element, objects: Mapping[str, ET.Element], want: str, source: str) -> str:
    to_name = _attr(control, "toName")
    if not to_name:
        raise _config_error(source, f"{_show(control)} has no toName; name the <{want.title()}> it labels")
    obj = objects.get(to_name)
    if obj is None or obj.tag.lower() != want:
        raise _config_error(source, f"{_show(control)} toName='{to_name}' must name a <{want.title()}> of the config")
    return to_name


def _parse(config_xml: str, source: str) -> _Config:
    root = _xml(config_xml, source)
    parents = {child: parent for parent in root.iter() for child in parent}
    objects: dict[str, ET.Element] = {}
    controls: dict[str, list[ET.Element]] = {kind: [] for kind in _CONTROLS}
    headers: list[str] = []
    for el in root.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag not in _TAGS:
            raise _config_error(source, f"{_show(el)} is not supported; use only <{'>, <'.join(SUPPORTED_TAGS)}>")
        if tag in ("choice", "label"):
            owners = ("choices",) if tag == "choice" else ("labels", "rectanglelabels")
            parent = parents.get(el)
            while parent is not None and parent.tag.lower() not in owners:
                parent = parents.get(parent)
            if parent is None:
                raise _config_error(source, f"{_show(el)} must sit inside <{'> or <'.join(owners)}>")
        elif tag in ("text", "image"):
            name = _attr(el, "name")
            if not name or not _attr(el, "value"):
                raise _config_error(source, f"{_show(el)} needs name and value attributes")
            if name in objects:
                raise _config_error(source, f"two objects are named '{name}'; make names unique")
            objects[name] = el
        elif tag in controls:
            if not _attr(el, "name"):
                raise _config_error(source, f"a <{el.tag}> has no name; add name='...'")
            controls[tag].append(el)
        elif tag == "header":
            text = _attr(el, "value") or (el.text or "").strip()
            if text:
                headers.append(text)
    primary = controls["labels"] + controls["rectanglelabels"] + controls["pairwise"]
    choices = controls["choices"]
    textareas = controls["textarea"]
    textarea = (str(_attr(textareas[0], "name")), _attr(textareas[0], "toName") or "") if textareas else None
    guideline = " ".join(headers) or None

    def ref(name: str) -> tuple[str, str]:
        return name, str(_attr(objects[name], "value"))

    if len(primary) > 1:
        raise _config_error(source, f"{_show(primary[0])} and {_show(primary[1])} are two tasks; import one per config")
    if not primary:
        if len(choices) != 1:
            found = (
                f"{len(choices)} <Choices>" if choices else "no <Choices>, <Labels>, <RectangleLabels> or <Pairwise>"
            )
            raise _config_error(
                source, f"found {found}; a config must hold one labeling task to take ground truth from"
            )
        control = choices[0]
        _single(control, source)
        target = _target(control, objects, "text", source)
        return _Config(
            "text_classification",
            str(_attr(control, "name")),
            target,
            {"text": ref(target)},
            _options(control, "choice", source, 2),
            textarea=textarea,
            guideline=guideline,
        )
    control = primary[0]
    name = str(_attr(control, "name"))
    kind = control.tag.lower()
    if kind == "rectanglelabels":
        target = _target(control, objects, "image", source)
        classes = [c for c in choices if _attr(c, "toName") == target]
        if len(classes) != 1 or len(choices) != 1:
            raise _config_error(
                source,
                f"image labeling needs exactly one <Choices> over <Image name='{target}'> for the image class "
                f"(found {len(classes)}) and no other <Choices>; add <Choices name='class' toName='{target}'>",
            )
        _single(classes[0], source)
        return _Config(
            "image_labels",
            name,
            target,
            {"image": ref(target)},
            _options(control, "label", source, 1),
            class_control=str(_attr(classes[0], "name")),
            classes=_options(classes[0], "choice", source, 2),
            textarea=textarea,
            guideline=guideline,
        )
    if choices:
        raise _config_error(source, f"{_show(control)} and {_show(choices[0])} are two tasks; import one per config")
    if kind == "labels":
        target = _target(control, objects, "text", source)
        options = _options(control, "label", source, 1)
        return _Config("ner", name, target, {"text": ref(target)}, options, textarea=textarea, guideline=guideline)
    to_name = _attr(control, "toName") or ""
    pair = [n.strip() for n in to_name.split(",")]
    if (
        len(pair) != 2
        or pair[0] == pair[1]
        or any(objects.get(n) is None or objects[n].tag.lower() != "text" for n in pair)
    ):
        raise _config_error(source, f"{_show(control)} toName='{to_name}' must name two different <Text> objects")
    prompts = [n for n, el in objects.items() if el.tag.lower() == "text" and n not in pair]
    if len(prompts) != 1:
        raise _config_error(
            source,
            f"{_show(control)} needs exactly one more <Text> holding the prompt (found {len(prompts)}); "
            "add <Text name='prompt' value='$prompt'/>",
        )
    roles = {"prompt": ref(prompts[0]), "left": ref(pair[0]), "right": ref(pair[1])}
    return _Config("llm_evaluation", name, to_name, roles, textarea=textarea, guideline=guideline)


# --- import ----------------------------------------------------------------------------------------


def token_offsets(text: str) -> list[tuple[int, int]]:
    """Character ``[start, end)`` of each token of :func:`prompts.taskpack.tokenize`, in order."""
    offsets, position = [], 0
    for token in tokenize(text):
        # Only whitespace separates tokens, so the next occurrence is the token itself.
        start = text.index(token, position)
        position = start + len(token)
        offsets.append((start, position))
    return offsets


def _utf16_to_index(text: str) -> dict[int, int]:
    units, out = 0, {}
    for index, char in enumerate(text):
        out[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    out[units] = len(text)
    return out


@dataclass
class _TaskInput:
    """One Label Studio task while it is turned into an item; problems are collected, not raised."""

    where: str
    data: Mapping[str, Any]
    truth_path: str
    results: list[tuple[str, Any]]
    issues: list[ContentIssue] = field(default_factory=list)

    def problem(self, path: str, message: str) -> None:
        """Record an issue at ``path``."""
        self.issues.append(ContentIssue(path, message))

    def text(self, cfg: _Config, role: str) -> str | None:
        """The text an object shows: the data field its ``$field`` value names, or its literal value."""
        name, value = cfg.objects[role]
        if not value.startswith("$"):
            return value
        found = self.data.get(value[1:])
        if isinstance(found, str) and found.strip():
            return found
        self.problem(f"{self.where}.data.{value[1:]}", f"missing or empty; the config's '{name}' shows this field")
        return None

    def values(self, control: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """``(path, value)`` of each result of ``control``; a result of another type is an issue."""
        out = []
        for path, result in self.results:
            if not isinstance(result, dict) or result.get("from_name") != control:
                continue
            if result.get("type", kind) != kind:
                self.problem(
                    f"{path}.type", f"'{control}' results must have type '{kind}' (got {result.get('type')!r})"
                )
            elif not isinstance(result.get("value"), dict):
                self.problem(f"{path}.value", "missing; a result needs a value object")
            else:
                out.append((path, result["value"]))
        return out

    def one_of(self, values: list[Any], path: str, options: tuple[_Option, ...], what: str) -> str | None:
        """The single option a result chose, or None after recording why not."""
        allowed = [o.value for o in options]
        if len(values) != 1 or not isinstance(values[0], str):
            self.problem(path, f"must hold exactly one {what} (got {values!r}); keep one")
            return None
        if values[0] not in allowed:
            self.problem(path, f"'{values[0]}' is not a {what} of the config; use one of {allowed}")
            return None
        return values[0]

    def choice(self, control: str, options: tuple[_Option, ...]) -> str | None:
        """The label chosen with a ``<Choices>`` control."""
        found = self.values(control, "choices")
        if not found:
            self.problem(self.truth_path, f"no '{control}' choice; choose one of {[o.value for o in options]}")
            return None
        path, value = found[0]
        return self.one_of(value.get("choices") or [], f"{path}.value.choices", options, "choice")


def _number(value: Mapping[str, Any], key: str) -> float | None:
    found = value.get(key)
    return float(found) if isinstance(found, int | float) and not isinstance(found, bool) else None


def _classification_item(cfg: _Config, t: _TaskInput, _assets: Path | None) -> dict[str, Any] | None:
    text, label = t.text(cfg, "text"), t.choice(cfg.control, cfg.options)
    if text is None or label is None:
        return None
    return {"text": text, "ground_truth": {"label": label}}


def _char_span(text: str, start: int, end: int, shown: Any) -> tuple[int, int] | None:
    if 0 <= start < end <= len(text) and (shown is None or text[start:end] == shown):
        return start, end
    # Label Studio versions before 1.4 counted UTF-16 code units (an emoji is two); try that reading.
    units = _utf16_to_index(text)
    if start in units and end in units:
        begin, finish = units[start], units[end]
        if begin < finish and (shown is None or text[begin:finish] == shown):
            return begin, finish
    return None


def _ner_item(cfg: _Config, t: _TaskInput, _assets: Path | None) -> dict[str, Any] | None:
    text = t.text(cfg, "text")
    if text is None:
        return None
    offsets = token_offsets(text)
    starts = {s: i for i, (s, _) in enumerate(offsets)}
    ends = {e: i + 1 for i, (_, e) in enumerate(offsets)}
    spans: list[dict[str, Any]] = []
    for path, value in t.values(cfg.control, "labels"):
        start, end, shown = value.get("start"), value.get("end"), value.get("text")
        label = t.one_of(value.get("labels") or [], f"{path}.value.labels", cfg.options, "label")
        if not isinstance(start, int) or not isinstance(end, int):
            t.problem(f"{path}.value", f"start and end must be character offsets (got {start!r}, {end!r})")
            continue
        span = _char_span(text, start, end, shown)
        if span is None:
            t.problem(
                f"{path}.value",
                f"span [{start}, {end}) reads {text[start:end]!r} in the text, not {shown!r}; re-export the task",
            )
            continue
        begin, finish = span
        while begin < finish and text[begin].isspace():
            begin += 1
        while finish > begin and text[finish - 1].isspace():
            finish -= 1
        if begin not in starts or finish not in ends:
            t.problem(
                f"{path}.value",
                f"span [{start}, {end}) {text[begin:finish]!r} cuts a token (tokens: words, hyphenated words, "
                "punctuation); extend it to whole tokens",
            )
            continue
        if label is not None:
            spans.append({"start": starts[begin], "end": ends[finish], "type": label, "text": text[begin:finish]})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    for before, after in itertools.pairwise(spans):
        if after["start"] < before["end"]:
            t.problem(t.truth_path, f"spans {before['text']!r} and {after['text']!r} overlap; a token has one entity")
    return {"text": text, "ground_truth": {"spans": spans}}


def _image_file(ref: str, assets: Path) -> tuple[str, bytes] | list[str]:
    """The asset folder's file for a Label Studio image URL, as (posix path inside the folder, bytes)."""
    parts = urlsplit(ref)
    path = unquote(parts.path).lstrip("/")
    # Label Studio serves its media folder's upload/1/x.png as /data/upload/1/x.png.
    served = path.removeprefix("data/") if path.startswith("data/upload/") else ""
    names = [*parse_qs(parts.query).get("d", []), path, served, PurePosixPath(path).name]
    base = assets.resolve()
    tried = []
    for name in names:
        relative = PurePosixPath(name)
        if not name or relative.is_absolute() or ".." in relative.parts or relative.as_posix() in tried:
            continue
        tried.append(relative.as_posix())
        file = (base / relative).resolve()
        if file.is_relative_to(base) and file.is_file():
            return relative.as_posix(), file.read_bytes()
    return tried


def _media_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG or JPEG header (None for other formats)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    position = 2
    while data.startswith(b"\xff\xd8") and position + 9 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return int(width), int(height)
        position += 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
    return None


def _image_item(cfg: _Config, t: _TaskInput, assets: Path | None) -> dict[str, Any] | None:
    assert assets is not None and cfg.class_control is not None
    ref, image_class = t.text(cfg, "image"), t.choice(cfg.class_control, cfg.classes)
    if ref is None:
        return None
    field_path = f"{t.where}.data.{cfg.objects['image'][1].lstrip('$')}"
    found = _image_file(ref, assets)
    if isinstance(found, list):
        t.problem(field_path, f"no file for '{ref}' among the uploaded images (looked for {found}); add it")
        return None
    uri, data = found
    media_type, header = _media_type(data), _image_size(data)
    if media_type is None:
        t.problem(field_path, f"'{uri}' is not a PNG, JPEG or WebP image; convert it")
        return None
    boxes = t.values(cfg.control, "rectanglelabels")
    measured: set[tuple[int, int]] = set()
    for path, result in t.results:
        if isinstance(result, dict) and result.get("from_name") == cfg.control and "original_width" in result:
            w, h = result.get("original_width"), result.get("original_height")
            if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
                t.problem(path, f"original_width/original_height must be whole pixels (got {w!r}, {h!r})")
                return None
            measured.add((w, h))
    if len(measured) > 1:
        t.problem(t.truth_path, f"boxes disagree on the image size ({sorted(measured)}); re-export the task")
        return None
    size = next(iter(measured), None) or header
    if size is None:
        t.problem(t.truth_path, f"cannot tell the size of '{uri}'; add original_width/original_height to its boxes")
        return None
    if header is not None and size != header:
        t.problem(
            t.truth_path,
            f"Label Studio measured the image {size[0]}x{size[1]} but '{uri}' is {header[0]}x{header[1]}; "
            "upload the original file",
        )
        return None
    width, height = size
    pixels: list[dict[str, Any]] = []
    for path, value in boxes:
        label = t.one_of(value.get("rectanglelabels") or [], f"{path}.value.rectanglelabels", cfg.options, "label")
        numbers = [_number(value, key) for key in ("x", "y", "width", "height")]
        if _number(value, "rotation") not in (None, 0.0):
            t.problem(f"{path}.value.rotation", "rotated boxes are not supported; set rotation to 0")
            continue
        if any(n is None for n in numbers):
            t.problem(f"{path}.value", "x, y, width and height must be numbers (percent of the image)")
            continue
        x, y, w, h = (float(n or 0) for n in numbers)
        left, top = max(0.0, round(x * width / 100, 6)), max(0.0, round(y * height / 100, 6))
        box_w = min(round(w * width / 100, 6), width - left)
        box_h = min(round(h * height / 100, 6), height - top)
        if box_w <= 0 or box_h <= 0:
            t.problem(f"{path}.value", "the box has no area inside the image; redraw it")
            continue
        if label is not None:
            pixels.append({"label": label, "x": left, "y": top, "w": box_w, "h": box_h})
    if image_class is None:
        return None
    asset = {
        "uri": uri,
        "media_type": media_type,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": width,
        "height": height,
    }
    prompt = f"Choose the image's class and draw a box around every {', '.join(o.value for o in cfg.options)}."
    return {"prompt": prompt, "asset": asset, "ground_truth": {"image_class": image_class, "boxes": pixels}}


def _pair_item(cfg: _Config, t: _TaskInput, _assets: Path | None) -> dict[str, Any] | None:
    prompt, left, right = t.text(cfg, "prompt"), t.text(cfg, "left"), t.text(cfg, "right")
    found = t.values(cfg.control, "pairwise")
    if not found:
        t.problem(t.truth_path, f"no '{cfg.control}' selection; pick left or right (a tie cannot be imported)")
        return None
    path, value = found[0]
    selected = value.get("selected")
    if selected not in ("left", "right"):
        t.problem(f"{path}.value.selected", f"must be 'left' or 'right' (got {selected!r})")
        return None
    if prompt is None or left is None or right is None:
        return None
    preference = "A" if selected == "left" else "B"
    return {"prompt": prompt, "response_a": left, "response_b": right, "ground_truth": {"preference": preference}}


_ITEM_BUILDERS = {
    "text_classification": _classification_item,
    "ner": _ner_item,
    "image_labels": _image_item,
    "llm_evaluation": _pair_item,
}


def _truth(task: Mapping[str, Any], where: str) -> tuple[str, list[Any]] | ContentIssue:
    for key in ("annotations", "completions", "predictions"):
        entries = task.get(key) or []
        if not isinstance(entries, list):
            return ContentIssue(f"{where}.{key}", "must be a list")
        usable = [(i, e) for i, e in enumerate(entries) if isinstance(e, dict) and not e.get("was_cancelled")]
        marked = [(i, e) for i, e in usable if e.get("ground_truth") is True and key != "predictions"]
        for index, entry in marked or usable:
            results = entry.get("result")
            if not isinstance(results, list):
                return ContentIssue(f"{where}.{key}[{index}].result", "must be a list of results")
            return f"{where}.{key}[{index}]", results
    return ContentIssue(where, "no annotation or prediction to take the ground truth from; annotate it or drop it")


def _item_id(task: Mapping[str, Any], index: int) -> str:
    ident = task.get("id")
    return (
        f"ls-{ident}" if isinstance(ident, int) and not isinstance(ident, bool) and ident >= 0 else f"item-{index + 1}"
    )


def _author_issue(issue: ContentIssue) -> ContentIssue:
    """Say where a pack-level issue sits in the import: item N is task N, the pack's id is pack_id."""
    path = issue.path
    if path.startswith("tasks[0].items["):
        index, _, rest = path[len("tasks[0].items[") :].partition("]")
        return ContentIssue(f"tasks[{index}]", f"{rest.lstrip('.')}: {issue.message}" if rest else issue.message)
    if path.startswith("tasks[0]."):
        return ContentIssue("config", f"{path[len('tasks[0].') :]}: {issue.message}")
    return ContentIssue("pack_id" if path == "id" else path, issue.message)


def pack_from_labelstudio(
    config_xml: str,
    tasks: list[Any],
    *,
    pack_id: str,
    title: str,
    pass_score: float = 0.7,
    time_limit_s: int = 3600,
    guideline: str | None = None,
    asset_dir: Path | None = None,
    source: str = "labelstudio",
) -> TaskPack:
    """A validated one-task pack from a Label Studio labeling config and its annotated tasks (images from asset_dir)."""
    cfg = _parse(config_xml, source)
    if not tasks:
        raise ContentError(source, [ContentIssue("tasks", "no tasks; export the project's tasks as JSON")])
    if cfg.kind == "image_labels" and asset_dir is None:
        raise ContentError(
            source,
            [ContentIssue("tasks", "image tasks need their image files; pass asset_dir (a .zip with the images)")],
        )
    issues: list[ContentIssue] = []
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(tasks):
        where = f"tasks[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
            issues.append(ContentIssue(f"{where}.data", 'missing; a task is {"data": {...}, "annotations": [...]}'))
            continue
        truth = _truth(raw, where)
        if isinstance(truth, ContentIssue):
            issues.append(truth)
            continue
        item_id = _item_id(raw, index)
        if item_id in seen:
            issues.append(ContentIssue(f"{where}.id", f"task id {raw['id']} is also tasks[{seen[item_id]}]'s"))
        seen[item_id] = index
        task_input = _TaskInput(
            where, raw["data"], truth[0], [(f"{truth[0]}.result[{i}]", r) for i, r in enumerate(truth[1])]
        )
        item = _ITEM_BUILDERS[cfg.kind](cfg, task_input, asset_dir)
        issues.extend(task_input.issues)
        if item is not None and not task_input.issues:
            items.append({"id": item_id, **item})
    if issues:
        raise ContentError(source, issues)
    task: dict[str, Any] = {
        "id": _TASK_IDS.get(cfg.kind, "pairwise"),
        "type": cfg.kind,
        "title": title,
        "guideline": guideline or cfg.guideline or _GUIDELINES[cfg.kind],
        "items": items,
    }
    options = [{"id": o.value, "description": o.hint or o.value} for o in cfg.options]
    if cfg.kind == "text_classification":
        task["labels"] = options
    elif cfg.kind == "ner":
        task["entity_types"] = options
    elif cfg.kind == "image_labels":
        task["classes"] = [{"id": o.value, "description": o.hint or o.value} for o in cfg.classes]
        task["box_labels"] = [o.value for o in cfg.options]
    document = {
        "kind": "task_pack",
        "id": pack_id,
        "title": title,
        "time_limit_s": time_limit_s,
        "pass_score": pass_score,
        "tasks": [task],
    }
    try:
        pack = TaskPack.model_validate(document)
    except ValidationError as exc:
        raise ContentError(source, [_author_issue(i) for i in issues_from_validation(exc)]) from exc
    problems = check_pack(pack, asset_dir)
    if problems:
        raise ContentError(source, [_author_issue(i) for i in problems])
    return pack


# --- export ----------------------------------------------------------------------------------------


def _default_config(task: Task) -> _Config:
    text = {"text": ("text", "$text")}
    if isinstance(task, TextClassificationTask):
        options = tuple(_Option(o.id, o.description) for o in task.labels)
        return _Config("text_classification", "label", "text", text, options, guideline=task.guideline)
    if isinstance(task, NerTask):
        options = tuple(_Option(o.id, o.description) for o in task.entity_types)
        return _Config("ner", "label", "text", text, options, guideline=task.guideline)
    if isinstance(task, ImageLabelsTask):
        return _Config(
            "image_labels",
            "box",
            "image",
            {"image": ("image", "$image")},
            tuple(_Option(label) for label in task.box_labels),
            class_control="class",
            classes=tuple(_Option(o.id, o.description) for o in task.classes),
            guideline=task.guideline,
        )
    if isinstance(task, LlmEvaluationTask):
        roles = {
            "prompt": ("prompt", "$prompt"),
            "left": ("response_a", "$response_a"),
            "right": ("response_b", "$response_b"),
        }
        return _Config(
            "llm_evaluation",
            "preference",
            "response_a,response_b",
            roles,
            textarea=("justification", "prompt"),
            guideline=task.guideline,
        )
    if isinstance(task, AttentionToDetailTask):
        names = dict.fromkeys(f.name for item in task.items for f in item.fields)
        roles = {"prompt": ("prompt", "$prompt"), "record": ("record", "$record")}
        options = tuple(_Option(name) for name in names)
        return _Config("attention_to_detail", "discrepancies", "record", roles, options, guideline=task.guideline)
    roles = {"instruction": ("instruction", "$instruction"), "input": ("input", "$input")}
    return _Config(
        "instruction_following",
        "answer",
        "instruction",
        roles,
        textarea=("answer", "instruction"),
        guideline=task.guideline,
    )


def _render(cfg: _Config) -> str:
    view = ET.Element("View")
    if cfg.guideline:
        ET.SubElement(view, "Header", value=cfg.guideline)
    for role, (name, value) in cfg.objects.items():
        ET.SubElement(view, "Image" if role == "image" else "Text", name=name, value=value)

    def control(tag: str, name: str, to_name: str, child: str, options: tuple[_Option, ...], **extra: str) -> None:
        el = ET.SubElement(view, tag, {"name": name, "toName": to_name, **extra})
        for option in options:
            attrs = {"value": option.value} | (
                {"hint": option.hint} if option.hint and option.hint != option.value else {}
            )
            ET.SubElement(el, child, attrs)

    if cfg.kind in ("text_classification", "attention_to_detail"):
        choice = "single" if cfg.kind == "text_classification" else "multiple"
        control("Choices", cfg.control, cfg.to_name, "Choice", cfg.options, choice=choice)
    elif cfg.kind == "ner":
        control("Labels", cfg.control, cfg.to_name, "Label", cfg.options)
    elif cfg.kind == "image_labels":
        assert cfg.class_control is not None
        control("Choices", cfg.class_control, cfg.to_name, "Choice", cfg.classes, choice="single")
        control("RectangleLabels", cfg.control, cfg.to_name, "Label", cfg.options)
    elif cfg.kind == "llm_evaluation":
        control("Pairwise", cfg.control, cfg.to_name, "", ())
    if cfg.textarea is not None:
        ET.SubElement(view, "TextArea", name=cfg.textarea[0], toName=cfg.textarea[1])
    return ET.tostring(view, encoding="unicode")


def labelstudio_config(task: Task) -> str:
    """The labeling config whose names the export of this task uses; it imports back for the four importable types."""
    return _render(_default_config(task))


def _result(from_name: str, to_name: str, kind: str, value: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"from_name": from_name, "to_name": to_name, "type": kind, "value": value, **extra}


def _shown(item: ItemBase) -> dict[str, str]:
    """What each object role of the config shows for this item."""
    if isinstance(item, ClassificationItem | NerItem):
        return {"text": item.text}
    if isinstance(item, ImageItem):
        return {"image": item.asset.uri}
    if isinstance(item, PairItem):
        return {"prompt": item.prompt, "left": item.response_a, "right": item.response_b}
    if isinstance(item, AttentionItem):
        record = "\n".join(f"{f.name}: {f.source} | {f.copy_value}" for f in item.fields)
        return {"prompt": item.prompt, "record": record}
    assert isinstance(item, InstructionItem)
    return {"instruction": item.instruction, "input": item.input or ""}


def _data(cfg: _Config, item: ItemBase) -> dict[str, str]:
    shown = _shown(item)
    return {
        value[1:]: shown[role] for role, (_, value) in cfg.objects.items() if value.startswith("$") and role in shown
    }


def _box_results(cfg: _Config, item: ImageItem, answer: ImageAnswer, where: str) -> list[dict[str, Any]]:
    out = []
    if answer.image_class and cfg.class_control:
        out.append(_result(cfg.class_control, cfg.to_name, "choices", {"choices": [answer.image_class]}))
    width, height = item.asset.width, item.asset.height
    if answer.boxes and not (width and height):
        raise ContentError("pack", [ContentIssue(f"{where}.asset", "has no width/height for percent boxes; add them")])
    for n, box in enumerate(answer.boxes):
        assert width and height
        value = {
            "x": box.x / width * 100,
            "y": box.y / height * 100,
            "width": box.w / width * 100,
            "height": box.h / height * 100,
            "rotation": 0,
            "rectanglelabels": [box.label],
        }
        size = {"original_width": width, "original_height": height, "image_rotation": 0}
        out.append(_result(cfg.control, cfg.to_name, "rectanglelabels", value, id=f"{item.id}-{n}", **size))
    return out


def _results(cfg: _Config, item: ItemBase, answer: Any, where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(answer, ClassificationAnswer) and answer.label:
        out.append(_result(cfg.control, cfg.to_name, "choices", {"choices": [answer.label]}))
    elif isinstance(answer, NerAnswer) and isinstance(item, NerItem):
        offsets = token_offsets(item.text)
        for n, span in enumerate(answer.spans):
            if span.end <= len(offsets):
                start, end = offsets[span.start][0], offsets[span.end - 1][1]
                value = {"start": start, "end": end, "text": item.text[start:end], "labels": [span.type]}
                out.append(_result(cfg.control, cfg.to_name, "labels", value, id=f"{item.id}-{n}"))
    elif isinstance(answer, ImageAnswer) and isinstance(item, ImageItem):
        out.extend(_box_results(cfg, item, answer, where))
    elif isinstance(answer, PairAnswer) and answer.preference in ("A", "B"):
        selected = "left" if answer.preference == "A" else "right"
        out.append(_result(cfg.control, cfg.to_name, "pairwise", {"selected": selected}))
    elif isinstance(answer, AttentionAnswer) and answer.discrepancies:
        out.append(_result(cfg.control, cfg.to_name, "choices", {"choices": list(answer.discrepancies)}))
    free_text = answer.justification if isinstance(answer, PairAnswer) else getattr(answer, "text", "")
    if isinstance(answer, PairAnswer | InstructionAnswer) and free_text.strip() and cfg.textarea is not None:
        out.append(_result(cfg.textarea[0], cfg.textarea[1], "textarea", {"text": [free_text]}))
    return out


def labelstudio_annotations(
    pack: TaskPack, answers: Mapping[str, Mapping[str, Mapping[str, Any]]], *, config_xml: str | None = None
) -> list[dict[str, Any]]:
    """A candidate's answers (task id → item id → answer JSON) as Label Studio tasks with one annotation each."""
    custom = _parse(config_xml, "config_xml") if config_xml is not None else None
    tasks: list[dict[str, Any]] = []
    for ti, task in enumerate(pack.tasks):
        cfg = custom if custom is not None and custom.kind == task.type else _default_config(task)
        for ii, item in enumerate(task.items):
            raw = answers.get(task.id, {}).get(item.id)
            answer = _ANSWER.validate_python(raw) if raw is not None else None
            if answer is not None and answer.type != task.type:
                answer = None
            meta: dict[str, Any] = {"task_id": task.id, "item_id": item.id, "answered": answer is not None}
            if answer is not None:
                meta |= {
                    "flagged_ambiguous": answer.flagged_ambiguous,
                    "note": answer.note,
                    "confidence": answer.confidence,
                }
            if isinstance(answer, PairAnswer):
                meta |= {"preference": answer.preference, "ratings_a": answer.ratings_a, "ratings_b": answer.ratings_b}
            result = _results(cfg, item, answer, f"tasks[{ti}].items[{ii}]")
            tasks.append({"data": _data(cfg, item), "annotations": [{"result": result}], "meta": {"gaia": meta}})
    return tasks
