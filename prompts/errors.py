"""Content errors that name the file, the path inside it and the fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from prompts.script import FOLLOW_UP_KINDS
from prompts.taskpack import TASK_TYPES

# Discriminator tags pydantic inserts into error locations of tagged unions; they are not part of the
# author's path (``tasks[2].items`` reads better than ``tasks[2].ner.items``).
_UNION_TAGS = frozenset(TASK_TYPES) | frozenset(FOLLOW_UP_KINDS)

_FIXES = {
    "missing": "add this required field",
    "extra_forbidden": "remove this field or check its spelling",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "string_too_short": "write a non-empty value",
    "too_short": "add at least the minimum number of entries",
    "union_tag_invalid": "use one of the listed types",
    "union_tag_not_found": "add a 'type' field",
}


@dataclass(frozen=True)
class ContentIssue:
    """One problem in a content file: where it is and what to do about it."""

    path: str
    message: str

    def render(self, source: str) -> str:
        """Format as ``source: path: message``."""
        where = f"{source}: {self.path}" if self.path else source
        return f"{where}: {self.message}"


class ContentError(ValueError):
    """Raised when a script or task pack does not validate; carries every issue found."""

    def __init__(self, source: str, issues: Sequence[ContentIssue]) -> None:
        self.source = source
        self.issues = list(issues)
        super().__init__("\n".join(issue.render(source) for issue in self.issues))

    def as_dicts(self) -> list[dict[str, str]]:
        """Issues as ``{"field", "message"}`` rows for API error bodies."""
        return [{"field": issue.path, "message": issue.message} for issue in self.issues]


def format_path(loc: Iterable[str | int], union_tags: frozenset[str] = frozenset()) -> str:
    """Turn a pydantic location tuple into ``sections[2].questions[0].time_budget_s``.

    ``union_tags`` are the caller's own discriminator values, dropped wherever they appear (request bodies have no
    field named like a tag); the content schemas' tags are dropped after a list index.
    """
    out = ""
    previous_was_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            previous_was_index = True
            continue
        if part in union_tags or (previous_was_index and part in _UNION_TAGS):
            previous_was_index = False
            continue
        # Function-validator locations such as "function-after[...]" carry no author meaning.
        if part.startswith(("function-", "tagged-union[")):
            continue
        out += f".{part}" if out else part
        previous_was_index = False
    return out


def _describe(error: Any) -> str:
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    kind = error["type"]
    if kind not in {"missing", "extra_forbidden"} and "input" in error:
        shown = repr(error["input"])
        if len(shown) <= 60:
            message += f" (got {shown})"
    fix = _FIXES.get(kind)
    return f"{message}; {fix}" if fix else message


def issues_from_validation(exc: ValidationError) -> list[ContentIssue]:
    """Convert a pydantic ValidationError into content issues with author-facing paths."""
    issues = []
    for err in exc.errors():
        loc = list(err["loc"])
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            # The error sits on the item; the author's mistake is the discriminator field inside it.
            loc.append(str(err.get("ctx", {}).get("discriminator", "type")).strip("'\""))
        issues.append(ContentIssue(format_path(loc), _describe(err)))
    return issues
