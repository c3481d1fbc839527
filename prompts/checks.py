"""Semantic checks that need the whole document: unique ids, references, spans, weights, assets."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from prompts.errors import ContentIssue
from prompts.script import InterviewScript
from prompts.taskpack import (
    AttentionToDetailTask,
    FormatCheck,
    ImageLabelsTask,
    InstructionFollowingTask,
    LengthCheck,
    LlmEvaluationTask,
    NerTask,
    Task,
    TaskPack,
    TextClassificationTask,
    tokenize,
)


def _duplicates(ids: Iterable[str]) -> list[str]:
    return [key for key, count in Counter(ids).items() if count > 1]


def check_script(script: InterviewScript) -> list[ContentIssue]:
    """Issues in a validated script that the field schema cannot see."""
    issues: list[ContentIssue] = []
    known = set(script.dimensions())
    for dup in _duplicates(s.id for s in script.sections):
        issues.append(ContentIssue("sections", f"section id '{dup}' is used more than once; make ids unique"))
    for dup in _duplicates(q.id for q in script.questions()):
        issues.append(ContentIssue("sections", f"question id '{dup}' is used more than once; make ids unique"))
    for dim, weight in script.dimension_weights.items():
        if dim not in known:
            issues.append(
                ContentIssue(
                    f"dimension_weights.{dim}",
                    f"unknown dimension '{dim}'; use one of {sorted(known)} or declare it in custom_dimensions",
                )
            )
        if weight < 0:
            issues.append(ContentIssue(f"dimension_weights.{dim}", f"weight must be >= 0 (got {weight})"))
    if script.dimension_weights and sum(script.dimension_weights.values()) <= 0:
        issues.append(ContentIssue("dimension_weights", "weights must not all be zero; give one a positive weight"))
    for si, section in enumerate(script.sections):
        for qi, question in enumerate(section.questions):
            where = f"sections[{si}].questions[{qi}]"
            if question.dimension not in known:
                issues.append(
                    ContentIssue(
                        f"{where}.dimension",
                        f"unknown dimension '{question.dimension}'; use one of {sorted(known)} "
                        "or declare it in custom_dimensions",
                    )
                )
            for dup in _duplicates(lf.id for lf in question.look_fors):
                issues.append(ContentIssue(f"{where}.look_fors", f"look-for id '{dup}' is used more than once"))
            kinds = [rule.when for rule in question.follow_ups]
            for dup in _duplicates(kinds):
                issues.append(ContentIssue(f"{where}.follow_ups", f"two '{dup}' rules; keep one rule per condition"))
            if question.follow_ups and question.max_follow_ups == 0:
                issues.append(
                    ContentIssue(
                        f"{where}.max_follow_ups",
                        "is 0 but follow_ups are defined; raise max_follow_ups or remove the rules",
                    )
                )
    budget = sum(q.time_budget_s for q in script.questions())
    if budget > script.total_time_budget_s:
        issues.append(
            ContentIssue(
                "total_time_budget_s",
                f"questions' time budgets add up to {budget} s, more than the total "
                f"{script.total_time_budget_s} s; raise the total or shorten the questions",
            )
        )
    return issues


def _asset_issues(where: str, uri: str, size: int, sha256: str, base_dir: Path | None) -> Iterator[ContentIssue]:
    if "://" in uri:
        if not uri.startswith("https://"):
            yield ContentIssue(f"{where}.uri", f"'{uri}' must be an https URL or a path beside the pack")
        return
    if base_dir is None:
        yield ContentIssue(
            f"{where}.uri",
            f"'{uri}' is a file path but no files came with the pack; upload a .zip bundle with "
            "pack.yaml and its assets, or use an https URL",
        )
        return
    path = (base_dir / uri).resolve()
    if not path.is_relative_to(base_dir.resolve()):
        yield ContentIssue(f"{where}.uri", f"'{uri}' points outside the pack's folder; keep assets beside it")
        return
    if not path.is_file():
        yield ContentIssue(f"{where}.uri", f"file '{uri}' not found next to the pack; add it or fix the path")
        return
    data = path.read_bytes()
    if len(data) != size:
        yield ContentIssue(f"{where}.size_bytes", f"file is {len(data)} bytes, not {size}; update size_bytes")
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        yield ContentIssue(f"{where}.sha256", f"file's sha256 is {digest}; update sha256")


def check_pack(pack: TaskPack, base_dir: Path | None = None) -> list[ContentIssue]:
    """Issues in a validated pack: ids, ground truth that references unknown labels, spans, assets."""
    issues: list[ContentIssue] = []
    for dup in _duplicates(t.id for t in pack.tasks):
        issues.append(ContentIssue("tasks", f"task id '{dup}' is used more than once; make ids unique"))
    for ti, task in enumerate(pack.tasks):
        where_task = f"tasks[{ti}]"
        item_ids = [item.id for item in task.items]
        for dup in _duplicates(item_ids):
            issues.append(ContentIssue(f"{where_task}.items", f"item id '{dup}' is used more than once"))
        for ii, item in enumerate(task.items):
            if item.duplicate_of is not None and (item.duplicate_of not in item_ids or item.duplicate_of == item.id):
                issues.append(
                    ContentIssue(
                        f"{where_task}.items[{ii}].duplicate_of",
                        f"'{item.duplicate_of}' must name another item of this task",
                    )
                )
        issues.extend(_task_issues(task, where_task, base_dir))
    return issues


def _task_issues(task: Task, where_task: str, base_dir: Path | None) -> Iterator[ContentIssue]:
    clause_ids = {c.id for c in task.clauses}
    if isinstance(task, TextClassificationTask):
        labels = {label.id for label in task.labels}
        for ii, c_item in enumerate(task.items):
            where = f"{where_task}.items[{ii}].ground_truth"
            if c_item.ground_truth.label not in labels:
                yield ContentIssue(
                    f"{where}.label",
                    f"'{c_item.ground_truth.label}' is not a label of this task; use one of {sorted(labels)}",
                )
            if c_item.ground_truth.clause is not None and c_item.ground_truth.clause not in clause_ids:
                yield ContentIssue(f"{where}.clause", f"no clause '{c_item.ground_truth.clause}' in this task")
    elif isinstance(task, NerTask):
        types = {t.id for t in task.entity_types}
        for ii, n_item in enumerate(task.items):
            tokens = n_item.tokens()
            for si, span in enumerate(n_item.ground_truth.spans):
                at = f"{where_task}.items[{ii}].ground_truth.spans[{si}]"
                if span.type not in types:
                    yield ContentIssue(f"{at}.type", f"'{span.type}' is not an entity type; use one of {sorted(types)}")
                if span.end <= span.start or span.end > len(tokens):
                    yield ContentIssue(
                        f"{at}.end",
                        f"span [{span.start}, {span.end}) is outside the item's {len(tokens)} tokens",
                    )
                    continue
                found = " ".join(tokens[span.start : span.end])
                if span.text is not None and found != " ".join(tokenize(span.text)):
                    yield ContentIssue(
                        f"{at}.text",
                        f"tokens [{span.start}, {span.end}) read '{found}', not '{span.text}'; fix the indices",
                    )
    elif isinstance(task, InstructionFollowingTask):
        for ii, f_item in enumerate(task.items):
            for ci, check in enumerate(f_item.ground_truth.checks):
                if isinstance(check, FormatCheck):
                    try:
                        re.compile(check.pattern)
                    except re.error as exc:
                        yield ContentIssue(
                            f"{where_task}.items[{ii}].ground_truth.checks[{ci}].pattern",
                            f"not a valid regular expression ({exc}); fix or quote it",
                        )
                elif isinstance(check, LengthCheck) and check.min_words > check.max_words:
                    yield ContentIssue(
                        f"{where_task}.items[{ii}].ground_truth.checks[{ci}].min_words",
                        f"min_words ({check.min_words}) exceeds max_words ({check.max_words})",
                    )
    elif isinstance(task, AttentionToDetailTask):
        for ii, a_item in enumerate(task.items):
            names = [f.name for f in a_item.fields]
            for dup in _duplicates(names):
                yield ContentIssue(f"{where_task}.items[{ii}].fields", f"field name '{dup}' is used more than once")
            for name in a_item.ground_truth.discrepancies:
                if name not in names:
                    yield ContentIssue(
                        f"{where_task}.items[{ii}].ground_truth.discrepancies",
                        f"no field '{name}' in this item",
                    )
    elif isinstance(task, ImageLabelsTask):
        classes = {c.id for c in task.classes}
        for ii, i_item in enumerate(task.items):
            where = f"{where_task}.items[{ii}]"
            truth, asset = i_item.ground_truth, i_item.asset
            if truth.image_class not in classes:
                yield ContentIssue(
                    f"{where}.ground_truth.image_class",
                    f"'{truth.image_class}' is not a class of this task; use one of {sorted(classes)}",
                )
            for bi, box in enumerate(truth.boxes):
                if box.label not in task.box_labels:
                    yield ContentIssue(
                        f"{where}.ground_truth.boxes[{bi}].label",
                        f"'{box.label}' is not in box_labels {task.box_labels}",
                    )
                if asset.width and asset.height and (box.x + box.w > asset.width or box.y + box.h > asset.height):
                    yield ContentIssue(
                        f"{where}.ground_truth.boxes[{bi}]",
                        f"box extends past the {asset.width}x{asset.height} image; fix x/y/w/h",
                    )
            yield from _asset_issues(f"{where}.asset", asset.uri, asset.size_bytes, asset.sha256, base_dir)
    elif isinstance(task, LlmEvaluationTask):
        for ii, p_item in enumerate(task.items):
            truth_p = p_item.ground_truth
            for side, ratings in (("ratings_a", truth_p.ratings_a), ("ratings_b", truth_p.ratings_b)):
                for dim, value in ratings.items():
                    at = f"{where_task}.items[{ii}].ground_truth.{side}.{dim}"
                    if dim not in task.dimensions:
                        yield ContentIssue(at, f"'{dim}' is not a rated dimension; use one of {task.dimensions}")
                    elif not 1 <= value <= task.rating_scale:
                        yield ContentIssue(at, f"rating must be 1..{task.rating_scale} (got {value})")
