"""Instruction following: the checks a task declares (format, required fields, length, forbidden words) and the
values the answer must contain."""

from __future__ import annotations

import re
from collections.abc import Mapping

from prompts.answers import InstructionAnswer
from prompts.taskpack import (
    ForbiddenCheck,
    FormatCheck,
    InstructionFollowingTask,
    InstructionItem,
    LengthCheck,
    RequiredFieldsCheck,
    TaskPack,
)
from scoring.grading.common import finish, grade_items
from scoring.grading.result import ItemGrade, TaskGrade

InstructionRule = FormatCheck | RequiredFieldsCheck | LengthCheck | ForbiddenCheck


def run_check(check: InstructionRule, text: str) -> tuple[bool, str]:
    """Whether the answer passes one check, and why."""
    if isinstance(check, FormatCheck):
        ok = re.search(check.pattern, text) is not None
        return ok, f"format ({check.description}): {'ok' if ok else 'not met'}"
    if isinstance(check, RequiredFieldsCheck):
        present = {m.group(1).lower() for m in re.finditer(r"^\s*([\w ]+?)\s*:", text, re.MULTILINE)}
        missing = [f for f in check.fields if f.lower() not in present]
        return not missing, "required fields: ok" if not missing else f"missing fields: {', '.join(missing)}"
    if isinstance(check, LengthCheck):
        words = len(text.split())
        ok = check.min_words <= words <= check.max_words
        return ok, f"length {words} words ({check.min_words}-{check.max_words} allowed)"
    used = [p for p in check.phrases if re.search(rf"\b{re.escape(p)}\b", text, re.IGNORECASE)]
    return not used, "no forbidden words" if not used else f"uses forbidden: {', '.join(used)}"


def grade_instructions(
    pack: TaskPack, task: InstructionFollowingTask, answers: Mapping[str, InstructionAnswer | None]
) -> TaskGrade:
    """Item score = points × share of checks passed (each required value is one more check)."""

    def grade_one(item: InstructionItem, answer: InstructionAnswer, points: float) -> ItemGrade:
        text = answer.text.strip()
        results = [run_check(check, text) for check in item.ground_truth.checks]
        for value in item.ground_truth.required_values:
            ok = value.lower() in text.lower()
            results.append((ok, f"contains '{value}'" if ok else f"should contain '{value}'"))
        if not results:
            return ItemGrade(item.id, points, points, ("no checks declared: answered",))
        share = sum(ok for ok, _ in results) / len(results)
        return ItemGrade(item.id, points * share, points, tuple(why for _, why in results))

    grades = grade_items(pack, task, task.items, answers, grade_one, is_blank=lambda a: not a.text.strip())
    passed_all = sum(1 for grade in grades if grade.answered and grade.score >= grade.max_score)
    return finish(task.id, task.type, grades, answers, {"fully_compliant": passed_all / len(task.items)})
