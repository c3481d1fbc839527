"""Load scripts and packs from YAML or JSON text or files, with errors that name file, path and fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from prompts.checks import check_pack, check_script
from prompts.errors import ContentError, ContentIssue, issues_from_validation
from prompts.script import InterviewScript
from prompts.taskpack import TaskPack

ContentKind = Literal["interview_script", "task_pack"]
Content = InterviewScript | TaskPack


def parse_text(text: str, source: str) -> Any:
    """Parse YAML (a superset of JSON) or JSON text; syntax errors name the line and column."""
    if source.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContentError(
                source, [ContentIssue(f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}")]
            ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(source, [ContentIssue(where, f"invalid YAML: {problem}")]) from exc


def detect_kind(data: Any, source: str) -> ContentKind:
    """Say whether a parsed document is a script or a pack, from ``kind`` or its shape."""
    if not isinstance(data, dict):
        raise ContentError(
            source, [ContentIssue("", f"expected a mapping at the top level, got {type(data).__name__}")]
        )
    kind = data.get("kind")
    if kind in ("interview_script", "task_pack"):
        return kind  # type: ignore[no-any-return]
    if kind is not None:
        raise ContentError(
            source, [ContentIssue("kind", f"unknown kind {kind!r}; use 'interview_script' or 'task_pack'")]
        )
    if "sections" in data:
        return "interview_script"
    if "tasks" in data:
        return "task_pack"
    raise ContentError(
        source,
        [ContentIssue("kind", "cannot tell a script from a pack; add kind: interview_script or task_pack")],
    )


def build_script(data: Any, source: str) -> InterviewScript:
    """Validate parsed data as an interview script; raise ContentError with every issue."""
    try:
        script = InterviewScript.model_validate(data)
    except ValidationError as exc:
        raise ContentError(source, issues_from_validation(exc)) from exc
    issues = check_script(script)
    if issues:
        raise ContentError(source, issues)
    return script


def build_pack(data: Any, source: str, base_dir: Path | None = None) -> TaskPack:
    """Validate parsed data as a task pack; ``base_dir`` enables asset file checks."""
    try:
        pack = TaskPack.model_validate(data)
    except ValidationError as exc:
        raise ContentError(source, issues_from_validation(exc)) from exc
    issues = check_pack(pack, base_dir)
    if issues:
        raise ContentError(source, issues)
    return pack


def load_content(path: Path) -> Content:
    """Load and validate a script or pack file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(source, [ContentIssue("", f"cannot read file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ContentError(source, [ContentIssue("", "file is not UTF-8 text; save it as UTF-8")]) from exc
    data = parse_text(text, source)
    if detect_kind(data, source) == "interview_script":
        return build_script(data, source)
    return build_pack(data, source, base_dir=path.parent)


def load_script(path: Path) -> InterviewScript:
    """Load a file that must be an interview script."""
    content = load_content(path)
    if not isinstance(content, InterviewScript):
        raise ContentError(str(path), [ContentIssue("kind", "expected an interview script, found a task pack")])
    return content


def load_pack(path: Path) -> TaskPack:
    """Load a file that must be a task pack."""
    content = load_content(path)
    if not isinstance(content, TaskPack):
        raise ContentError(str(path), [ContentIssue("kind", "expected a task pack, found an interview script")])
    return content
