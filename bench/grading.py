"""Grader throughput: answers graded per second for each task type of the built-in pack.

Each figure is the median of 5 runs; the baseline is validating the same answers with their pydantic
models (what the API does before grading), measured in the same run, so the ratio shows what grading
costs relative to parsing. Run ``python bench/grading.py [--answers N]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from pydantic import TypeAdapter

from prompts.answers import Answer
from prompts.builtin import builtin_pack
from scoring.grading import grade_task
from scoring.grading.reference import reference_answer

ANSWER = TypeAdapter(Answer)


def sheets(task: Any, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` answers in sheets of one task: perfect answers, some items left out at random."""
    out, made = [], 0
    while made < count:
        sheet = {item.id: reference_answer(task, item) for item in task.items if rng.random() < 0.8}
        out.append(sheet)
        made += max(1, len(sheet))
    return out


def median_seconds(run: Any, repeats: int = 5) -> float:
    """Median wall time of ``run()``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(count: int) -> None:
    pack = builtin_pack()
    rng = random.Random(7)
    print(f"grader throughput, median of 5 runs over ~{count} answers per task type")
    print(f"{'task type':<24}{'answers/s':>12}{'validate/s':>12}{'grade ÷ validate':>18}")
    for task in pack.tasks:
        batch = sheets(task, count, rng)
        answers = sum(len(sheet) for sheet in batch)
        dumped = [[a.model_dump() for a in sheet.values()] for sheet in batch]
        grading = median_seconds(lambda batch=batch, task=task: [grade_task(pack, task, sheet) for sheet in batch])
        validating = median_seconds(
            lambda dumped=dumped: [[ANSWER.validate_python(a) for a in sheet] for sheet in dumped]
        )
        print(f"{task.type:<24}{answers / grading:>12,.0f}{answers / validating:>12,.0f}{grading / validating:>18.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=5000, help="answers per task type (default 5000)")
    main(parser.parse_args().answers)
