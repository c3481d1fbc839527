"""Turns on a shared model: the most urgent waiting job goes next, equals in arrival order (real threads)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from media.model_queue import ModelQueue, Urgency


def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_the_most_urgent_waiting_job_goes_next_and_equals_keep_their_order() -> None:
    turns = ModelQueue()
    done: list[str] = []
    started, release = threading.Event(), threading.Event()

    def job(name: str, urgency: Urgency) -> None:
        with turns.turn(urgency):
            if name == "running":
                started.set()
                release.wait(10)
            done.append(name)

    threads = [threading.Thread(target=job, args=("running", Urgency.CAPTION))]
    threads[0].start()
    assert started.wait(10)
    arrivals = [
        ("later sentence", Urgency.MORE_AUDIO),
        ("first sentence A", Urgency.FIRST_AUDIO),
        ("caption", Urgency.CAPTION),
        ("transcript", Urgency.TRANSCRIPT),
        ("first sentence B", Urgency.FIRST_AUDIO),
    ]
    for count, (name, urgency) in enumerate(arrivals, 1):
        threads.append(threading.Thread(target=job, args=(name, urgency)))
        threads[-1].start()
        _until(lambda count=count: turns.waiting == count)  # in line, behind the running job
    assert done == []  # a running job is never interrupted
    release.set()
    for thread in threads:
        thread.join(10)
    assert done == ["running", "transcript", "first sentence A", "first sentence B", "later sentence", "caption"]
    assert turns.waiting == 0


def test_a_job_that_raises_gives_up_its_turn() -> None:
    turns = ModelQueue()
    try:
        with turns.turn(Urgency.TRANSCRIPT):
            raise RuntimeError("model failed")
    except RuntimeError:
        pass
    finished = threading.Event()

    def next_job() -> None:
        with turns.turn(Urgency.CAPTION):
            finished.set()

    threading.Thread(target=next_job).start()
    assert finished.wait(10)


def test_a_model_with_two_slots_runs_two_jobs_at_once_and_the_most_urgent_waiting_takes_the_first_freed() -> None:
    """Whisper's two CTranslate2 workers: two answers that end together are decoded side by side."""
    turns = ModelQueue(slots=2)
    running: list[str] = []
    done: list[str] = []
    release = {name: threading.Event() for name in ("a", "b", "caption", "transcript")}

    def job(name: str, urgency: Urgency) -> None:
        with turns.turn(urgency):
            running.append(name)
            release[name].wait(10)
            done.append(name)

    threads = [threading.Thread(target=job, args=(name, Urgency.TRANSCRIPT)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    _until(lambda: len(running) == 2)  # both at once, neither waits
    for count, (name, urgency) in enumerate((("caption", Urgency.CAPTION), ("transcript", Urgency.TRANSCRIPT)), 1):
        threads.append(threading.Thread(target=job, args=(name, urgency)))
        threads[-1].start()
        _until(lambda count=count: turns.waiting == count)
    release["a"].set()
    _until(lambda: len(running) == 3)
    assert running[2] == "transcript" and turns.waiting == 1  # the caption still waits for a slot
    for event in release.values():
        event.set()
    for thread in threads:
        thread.join(10)
    assert sorted(done) == ["a", "b", "caption", "transcript"] and turns.waiting == 0


def test_a_model_needs_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ModelQueue(slots=0)
