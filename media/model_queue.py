"""Turns on a model shared by every session: a fixed number of jobs at a time, the most urgent first.

Whisper and Piper are each loaded once per process. Whisper runs as many decodes at once as its CTranslate2
workers (each on one core); Piper one sentence at a time (its phonemizer and ONNX session are not thread-safe).
When several candidates finish answering at the same moment, the order of the waiting jobs decides who waits: on
the STT, transcripts of finished answers before live captions; on the TTS, the first sentence of every reply (the
candidate hears silence until it exists) before the later sentences of any (the earlier ones are playing
meanwhile). A running job is never interrupted.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum


class Urgency(IntEnum):
    """What a job is for; lower goes first."""

    TRANSCRIPT = 0  # the end of an answer: the reply waits on it
    FIRST_AUDIO = 1  # a reply's first sentence
    MORE_AUDIO = 2  # a reply's later sentences
    CAPTION = 3  # an interim transcript while the candidate speaks


class ModelQueue:
    """Turns on one model, ``slots`` jobs at a time, taken from worker threads (never from the event loop)."""

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("a model runs at least one job at a time")
        self.slots = slots
        self._changed = threading.Condition()
        self._running = 0
        self._waiting: list[tuple[int, int]] = []  # heap of (urgency, arrival)
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        """How many jobs wait for a turn."""
        with self._changed:
            return len(self._waiting)

    @contextmanager
    def turn(self, urgency: Urgency) -> Iterator[None]:
        """Block until a slot is free and this is the most urgent waiting (the oldest among equals); run the body."""
        with self._changed:
            ticket = (int(urgency), next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            self._changed.wait_for(lambda: self._running < self.slots and self._waiting[0] == ticket)
            heapq.heappop(self._waiting)
            self._running += 1
            self._changed.notify_all()  # the next waiting may take another free slot
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()
