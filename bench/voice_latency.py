"""Voice pipeline latency on this machine, measured through real WebRTC and a real phone stream on loopback.

Prints (and writes to bench/results/voice_latency.json):
- end of candidate speech → first agent audio at the caller, p50/p95, on three paths measured in the same run,
  in interleaved rounds (each round runs one interview per path, in rotating order) so the ratios compare like
  with like on a shared machine:
  - WebRTC with the deterministic interviewer: the baseline;
  - WebRTC with the LLM interviewer against an OpenAI-compatible model on loopback that answers every answer at
    once with ``next_question(transition="Thank you.")``, so the lines match the baseline's and the difference is
    our own overhead (request building, the HTTP round trip, parsing, plan and guardrail checks); with the
    ratio LLM/baseline and the model's tool calls and fallbacks as stored in ``session_events``;
  - phone: a caller in Twilio's Media Streams format (the carrier is the only fake) sending the same espeak-ng
    answers as base64 μ-law 8 kHz in real time (20 ms ``media`` messages), timed to the first agent ``media``
    message carrying speech; with the ratio phone/WebRTC;
  and each path's per-stage metrics (endpointing wait, STT, interviewer first token, TTS first audio);
- cut-offs on answers with 0.5 / 1.0 / 1.5 s thinking pauses (agent audio while the candidate still talks);
- STT real-time factor and word error rate (jiwer) on fixed espeak-ng utterances;
- Piper time to first audio;
- the WebRTC baseline's latency with 1, 2 and 4 candidates at once, each a process of its own
  (``voice_clients.py``) answering different answers, and with four answering the same answers in step.
Run ``python bench/voice_latency.py [--quick]`` (``--quick``: one round of three answers, no 4-session run);
needs espeak-ng and sox (``make services`` installs them). The stand-ins for the model and the carrier are in
``bench/stand_ins.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import wave
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
import uvicorn
import yaml
from pydantic import SecretStr
from sqlalchemy import func, select
from stand_ins import InstantInterviewerModel, PhoneLine, free_port, instant_interviewer_model
from voice_clients import answer
from websockets.asyncio.client import connect

from agent.transports.phone import PHONE_RATE
from media.audio import Resampler
from media.models import resolve_models
from media.stt import STTOptions, WhisperSTT
from media.tts import PiperTTS, SpeechCache, TTSOptions
from server.app import create_app
from server.phone import access_code
from server.services import Services, secret_key, start_services
from server.settings import Settings
from server.store.models import InterviewSession, Role, SessionEventRow, TranscriptTurn
from server.store.repos.accounts import create_employer, create_user, issue_api_key

RESULTS = Path(__file__).parent / "results" / "voice_latency.json"
ANSWERS = [
    "I read the whole guideline before I start and keep notes on the edge cases.",
    "When an item is unclear I flag it and ask the project lead in the shared channel.",
    "I compare my labels with the gold items and reread the rule whenever I miss one.",
    "I take a short break every hour so my labels stay consistent through the day.",
    "I prefer the accurate answer even when the other one sounds more confident.",
    "I report harmful output to the safety team with the exact prompt and response.",
]
PAUSED = [
    ("I do not guess.", 0.5, "I mark the item as unclear and post it in the project channel with its id."),
    ("First I check the guideline.", 1.0, "Then I compare the item with the examples and decide carefully."),
    ("Hmm, let me think.", 1.5, "I would escalate it to the lead and write the answer in our notes."),
]
QUESTIONS = [f"Question number {n}. Please tell me more about your work." for n in range(1, 12)]
SCRIPT = {
    "kind": "interview_script",
    "id": "bench",
    "title": "Bench",
    "role": "Annotator",
    "opening": "Hello.",
    "closing": "Thank you.",
    "total_time_budget_s": 3600,
    "sections": [
        {
            "id": "s",
            "title": "S",
            "questions": [
                {
                    "id": f"q{n}",
                    "prompt": q,
                    "dimension": "communication",
                    "expected_length": {"min_words": 8, "max_words": 60},
                }
                for n, q in enumerate(QUESTIONS, 1)
            ],
        }
    ],
}


def speak(
    text: str, folder: Path, name: str, voice: str | None = None, speed: int = 160
) -> tuple[np.ndarray[Any, Any], int]:
    """espeak-ng speech, trimmed of its own leading/trailing silence, as 16 kHz mono int16."""
    raw, out = folder / f"{name}.raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", *(["-v", voice] if voice else []), "-s", str(speed), "-w", str(raw), text], check=True)
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), *trim], check=True)
    with wave.open(str(out)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16), 16_000


def pct(values: list[float], q: float) -> float:
    """Percentile q (0-100) of the values, nearest-rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    """Median, p95, min, max and count, in milliseconds."""
    if not values:
        return {"n": 0}
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms)),
        "p95_ms": round(pct(ms, 95)),
        "min_ms": round(min(ms)),
        "max_ms": round(max(ms)),
    }


NORMALIZE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)
PARAPHRASES = Path(__file__).parent / "data" / "lookfor_paraphrases.yaml"
VOICES = ["en-us", "en", "en-us+m3", "en+f3"]


def bench_stt(folder: Path) -> dict[str, Any]:
    """Real-time factor and WER of faster-whisper (as shipped) on the fixed utterances."""
    paths = resolve_models()
    assert paths.stt_model_dir is not None
    whisper = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir))
    whisper.prewarm()
    rtfs, decodes, hyps = [], [], []
    for i, text in enumerate(ANSWERS):
        samples, rate = speak(text, folder, f"stt{i}")
        started = time.perf_counter()
        transcript = whisper.transcribe_samples(samples)
        decodes.append(time.perf_counter() - started)
        rtfs.append(decodes[-1] / (len(samples) / rate))
        hyps.append(transcript.text)
    wer = jiwer.wer(ANSWERS, hyps, reference_transform=NORMALIZE, hypothesis_transform=NORMALIZE)
    return {
        "rtf_median": round(statistics.median(rtfs), 3),
        "rtf_max": round(max(rtfs), 3),
        "decode_p50_ms": round(statistics.median(decodes) * 1000),
        "wer": round(wer, 3),
        "utterances": len(ANSWERS),
    }


def _sentences(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    values = node.values() if isinstance(node, dict) else node
    return [s for value in values for s in _sentences(value)]


def _end_kept(reference: str, hypothesis: str) -> bool:
    """The answer's last word (or the one before it) is among the transcript's last three."""
    ref, hyp = NORMALIZE(reference)[0], NORMALIZE(hypothesis)[0]
    return bool(hyp) and any(word in hyp[-3:] for word in ref[-2:])


def bench_stt_window(folder: Path, count: int) -> dict[str, Any]:
    """The shipped encoder window (fitted to the utterance) against Whisper's fixed 30 s, in the same run.

    Utterances: the look-for paraphrases and weak answers of ``bench/data/lookfor_paraphrases.yaml`` spoken by
    espeak-ng in four voices at 140-190 words a minute, each followed by 0.1 s of silence (as a preflight decode
    sees it). Decodes alternate between the two models so load affects both alike.
    """
    paths = resolve_models()
    assert paths.stt_model_dir is not None
    shipped = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir))
    full = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir, window_s=30.0))
    texts = _sentences(yaml.safe_load(PARAPHRASES.read_text())["questions"])[:count]
    figures: dict[str, dict[str, list[Any]]] = {"shipped": {"ms": [], "hyp": []}, "full_30s": {"ms": [], "hyp": []}}
    for i, text in enumerate(texts):
        samples, _ = speak(text, folder, "window", voice=VOICES[i % 4], speed=140 + 13 * i % 50)
        samples = np.concatenate([samples, np.zeros(1600, dtype=np.int16)])
        for name, model in (("shipped", shipped), ("full_30s", full))[:: 1 if i % 2 else -1]:
            started = time.perf_counter()
            figures[name]["hyp"].append(model.transcribe_samples(samples).text)
            figures[name]["ms"].append((time.perf_counter() - started) * 1000)
    result: dict[str, Any] = {"utterances": len(texts), "window_s": shipped.options.window_s}
    for name, got in figures.items():
        result[name] = {
            "decode_p50_ms": round(statistics.median(got["ms"])),
            "decode_max_ms": round(max(got["ms"])),
            "wer": round(
                jiwer.wer(texts, got["hyp"], reference_transform=NORMALIZE, hypothesis_transform=NORMALIZE), 3
            ),
            "end_lost": sum(not _end_kept(t, h) for t, h in zip(texts, got["hyp"], strict=True)),
        }
    result["decode_ratio_p50"] = round(result["shipped"]["decode_p50_ms"] / result["full_30s"]["decode_p50_ms"], 2)
    return result


async def bench_tts() -> dict[str, Any]:
    """Piper's time to the first audio chunk, per reply."""
    voice = resolve_models().tts_voice
    assert voice is not None
    piper = PiperTTS(TTSOptions(voice_path=voice))
    firsts = []
    for text in ["Thank you.", *QUESTIONS[:5], *ANSWERS]:
        started = time.perf_counter()
        async for _chunk in piper.synthesize(text):
            firsts.append(time.perf_counter() - started)
            break
    return summary(firsts)


@dataclasses.dataclass
class Stack:
    """The service under test: one set of services (models, database, live interviews) behind two apps on
    loopback, one with the deterministic interviewer and one with the LLM interviewer configured."""

    services: Services
    key: str
    base: str
    llm_base: str
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]]
    interviews: dict[str, Any]  # invitation id → its live interview, for the per-stage metrics

    async def close(self) -> None:
        """Stop both apps, then the services."""
        for server, _ in self.servers:
            server.should_exit = True
        for _, task in self.servers:
            await task
        await self.services.close()


async def _serve(tmp: Path, model_url: str) -> Stack:
    common = {"data_dir": tmp / "data", "secret_key": SecretStr("bench")}
    settings = Settings(**common, port=free_port(), llm_model=None, openai_base_url=None)
    llm_settings = Settings(
        **common, port=free_port(), llm_model="bench-instant", openai_base_url=model_url, interviewer_llm=True
    )
    services = await start_services(settings)
    async with services.sessions() as db:
        employer = await create_employer(db, "Bench", "bench")
        await create_user(db, employer.id, "bench@bench.test", "Bench", Role.ADMIN, "bench-password")
        key = await issue_api_key(db, employer.id, "bench")
        await db.commit()
    servers = []
    for app_settings in (settings, llm_settings):
        app = create_app(app_settings, dataclasses.replace(services, settings=app_settings))
        server = uvicorn.Server(uvicorn.Config(app, port=app_settings.port, log_level="error"))
        servers.append((server, asyncio.create_task(server.serve())))
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag)
            await asyncio.sleep(0.02)
    await services.voice.models()  # load once, outside the timings
    interviews: dict[str, Any] = {}
    original_run = services.voice.run

    def run_and_keep(invitation_id: str, interview: Any, store: Any, client_id: str | None = None) -> None:
        interviews[invitation_id] = interview
        original_run(invitation_id, interview, store, client_id)

    services.voice.run = run_and_keep
    return Stack(services, key.secret, settings.base_url(), llm_settings.base_url(), servers, interviews)


async def _invite(base: str, key: str) -> tuple[str, str]:
    """A new interview invitation for the bench script: its id and candidate token."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        script = (await http.post("/api/scripts", json={"content": SCRIPT})).json()
        invitation = (
            await http.post(
                "/api/invitations", json={"mode": "interview", "candidate_name": "Bench", "script_id": script["id"]}
            )
        ).json()
    return str(invitation["id"]), str(invitation["candidate_url"]).rsplit("/", 1)[1]


Session = tuple[str, list[float], int]  # invitation id, latencies (s), cut-offs


async def one_session(base: str, key: str, clips: list[tuple[np.ndarray[Any, Any], int]]) -> Session:
    """One interview answered in this process: latencies from end of speech to first agent audio, and cut-offs."""
    invitation_id, token = await _invite(base, key)
    latencies, cutoffs = await answer(base, token, clips)
    return invitation_id, latencies, cutoffs


async def _stream_parameters(stack: Stack, invitation_id: str) -> tuple[str, dict[str, str]]:
    """Dial in as the carrier does: post the invitation's access code to the TwiML webhook, read the stream."""
    async with stack.services.sessions() as db:
        code = await access_code(db, secret_key(stack.services.settings), invitation_id)
    async with httpx.AsyncClient(base_url=stack.base) as http:
        twiml = ET.fromstring((await http.post("/phone/code", data={"CallSid": "CAbench", "Digits": str(code)})).text)
    stream = twiml.find("Connect/Stream")
    assert stream is not None, f"the code step did not connect a stream: {ET.tostring(twiml).decode()}"
    parameters = {str(p.get("name")): str(p.get("value")) for p in stream.findall("Parameter")}
    return str(stream.get("url")), parameters


async def agent_lines_played(stack: Stack, invitation_id: str, count: int, timeout: float = 90) -> None:
    """Until ``count`` agent lines of the invitation are stored, which happens once each was played in full (the
    phone has no captions to wait on, as the WebRTC client does)."""
    deadline = time.monotonic() + timeout
    query = (
        select(func.count())
        .select_from(TranscriptTurn)
        .join(InterviewSession, InterviewSession.id == TranscriptTurn.session_id)
        .where(InterviewSession.invitation_id == invitation_id, TranscriptTurn.speaker == "agent")
    )
    while True:
        async with stack.services.sessions() as db:
            if (await db.scalar(query) or 0) >= count:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"no {count} agent lines played on the phone within {timeout} s")
        await asyncio.sleep(0.05)


async def agent_lines(stack: Stack, invitation_id: str) -> list[str]:
    """What the agent said in an invitation's interview, in order (to check that paths compare the same lines)."""
    async with stack.services.sessions() as db:
        turns = await db.scalars(
            select(TranscriptTurn.text)
            .join(InterviewSession, InterviewSession.id == TranscriptTurn.session_id)
            .where(InterviewSession.invitation_id == invitation_id, TranscriptTurn.speaker == "agent")
            .order_by(TranscriptTurn.seq)
        )
        return list(turns)


async def phone_session(stack: Stack, clips: list[np.ndarray[Any, Any]]) -> Session:
    """One call answering each 8 kHz clip after the agent finishes; end of speech → first agent speech message."""
    invitation_id, _ = await _invite(stack.base, stack.key)
    url, parameters = await _stream_parameters(stack, invitation_id)
    latencies, cutoffs = [], 0
    async with connect(url) as ws:
        line = PhoneLine(ws)
        await line.start(parameters)
        try:
            for index, pcm in enumerate(clips):
                await agent_lines_played(stack, invitation_id, index + 1)
                await line.wait_quiet(0.5)
                started = time.monotonic()
                line.speak(pcm)
                while line.speaking:  # noqa: ASYNC110 (the line exposes only a flag)
                    await asyncio.sleep(0.02)
                end_of_speech = line.last_voiced_sent or time.monotonic()
                if line.voiced_between(started, end_of_speech):
                    cutoffs += 1
                    continue
                deadline = time.monotonic() + 15
                while (line.last_voiced() or 0) < end_of_speech and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                first = next((at for at, voiced in line.heard if voiced and at >= end_of_speech), None)
                if first is not None:
                    latencies.append(first - end_of_speech)
            await agent_lines_played(stack, invitation_id, len(clips) + 1)  # hang up after the last reply
        finally:
            await line.hang_up()
    return invitation_id, latencies, cutoffs


async def model_calls(services: Services, invitation_ids: list[str], answers: int) -> dict[str, Any]:
    """The LLM interviewer's stored ``llm.tool_call`` / ``llm.fallback`` events over the given interviews."""
    async with services.sessions() as db:
        rows = list(
            await db.scalars(
                select(SessionEventRow)
                .join(InterviewSession, InterviewSession.id == SessionEventRow.session_id)
                .where(
                    InterviewSession.invitation_id.in_(invitation_ids),
                    SessionEventRow.kind.in_(["llm.tool_call", "llm.fallback"]),
                )
            )
        )
    calls = [row.detail for row in rows if row.kind == "llm.tool_call"]
    fallbacks = [row.detail for row in rows if row.kind == "llm.fallback"]
    return {
        "answers": answers,
        "tool_calls_accepted": sum(1 for d in calls if d.get("accepted")),
        "tool_calls_refused": sum(1 for d in calls if not d.get("accepted")),
        "tools": dict(Counter(str(d.get("tool")) for d in calls)),
        "fallbacks": len(fallbacks),
        "fallback_reasons": dict(Counter(str(d.get("reason")) for d in fallbacks)),
    }


def stage_summary(interviews: list[Any]) -> dict[str, Any]:
    """Per-stage figures from each message's latency report (livekit's ChatMessage.metrics)."""
    stages: dict[str, list[float]] = {
        "transcription_delay": [],
        "end_of_turn_delay": [],
        "llm_node_ttft": [],
        "tts_node_ttfb": [],
        "playback_latency": [],
        "e2e_latency": [],
    }
    for interview in interviews:
        for report in interview.metrics:
            for key, values in stages.items():
                if isinstance(report.get(key), float):
                    values.append(report[key])
    return {key: summary(values) for key, values in stages.items()}


PATHS = ("webrtc", "llm", "phone")  # the baseline first: the ratios are against it


def ratio(path: dict[str, Any], baseline: dict[str, Any], key: str) -> float | None:
    """A path's figure over the baseline's, both from this run."""
    return round(path[key] / baseline[key], 2) if path.get(key) and baseline.get(key) else None


async def run_path(stack: Stack, path: str, clips: list[tuple[np.ndarray[Any, Any], int]]) -> Session:
    """One interview on a path, returned once the server has stored its end (scorecard included), so no
    session's wrap-up overlaps the next one's timings."""
    if path == "phone":
        session = await phone_session(stack, [Resampler(PHONE_RATE).push(samples, rate) for samples, rate in clips])
    else:
        session = await one_session(stack.llm_base if path == "llm" else stack.base, stack.key, clips)
    await stack.services.voice.stop(session[0])
    return session


CLIENTS = Path(__file__).parent / "voice_clients.py"
# The stand-in candidates run at a lower CPU priority than the server: real candidates' browsers have devices of
# their own, while here four clients' Opus and RTP work (~0.1 core each) shares the server's 2 cores. A starved
# client can only hear the agent later, never sooner, so this does not flatter the figures.
CLIENT_NICENESS = 10


def write_clips(folder: Path, clips: list[tuple[np.ndarray[Any, Any], int]]) -> list[Path]:
    """The clips as WAV files, for client processes to play."""
    paths = []
    for index, (samples, rate) in enumerate(clips):
        path = folder / f"clip{index}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(samples.astype(np.int16).tobytes())
        paths.append(path)
    return paths


async def client_process(base: str, token: str, clips: list[Path]) -> tuple[list[float], int]:
    """One candidate answering in a process of its own (``voice_clients.py``, at ``CLIENT_NICENESS``), as a real
    candidate's browser does its own Opus work: N clients in the server's process would load its event loop with N
    clients' work."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLIENTS),
        base,
        token,
        *map(str, clips),
        stdout=asyncio.subprocess.PIPE,
        preexec_fn=lambda: os.nice(CLIENT_NICENESS),
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"{CLIENTS.name} exited with {process.returncode}")
    answered = json.loads(out)
    return answered["latencies"], answered["cut_offs"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    """Candidates at once; whether each starts at a different answer; whether the agent's lines said before play
    from the TTS's cache (as in production) or are all synthesized anew."""

    candidates: int
    rotate: bool = True
    speech_cache: bool = True


CONCURRENCY = {
    "1": Scenario(1),
    "2": Scenario(2),
    "4": Scenario(4),
    "4_same_answers": Scenario(4, rotate=False),
    "1_no_speech_cache": Scenario(1, speech_cache=False),
    "4_no_speech_cache": Scenario(4, speech_cache=False),
}


def baseline_of(name: str, scenarios: list[str]) -> str | None:
    """The one-candidate scenario ``name`` is compared with: the same cache setting."""
    cache = CONCURRENCY[name].speech_cache
    return next((s for s in scenarios if CONCURRENCY[s].candidates == 1 and CONCURRENCY[s].speech_cache == cache), None)


async def concurrent_sessions(stack: Stack, clips: list[Path], scenarios: list[str], rounds: int) -> dict[str, Any]:
    """The baseline with several candidates at once, each in its own process, scenarios interleaved over the rounds.

    Candidate k answers the clips starting at clip k (and wraps around), so their answers differ in length and
    end at different moments, colliding now and then, as real candidates' do. ``4_same_answers`` is the worst
    case: four candidates answering the same clip in step, so every answer of the four ends within a few frames
    of the others' and all four need the decoder, then the voice, at once. The bench's interviewer says the same
    lines to every candidate, as a script does, so most of its lines play from the TTS's cache; the
    ``no_speech_cache`` scenarios synthesize every line anew, as for an LLM interviewer's own follow-ups. A
    one-candidate scenario runs twice per round, so that its p95 is not simply its slowest answer."""
    runs: dict[str, list[Session]] = {name: [] for name in scenarios}
    tts = (await stack.services.voice.models()).tts
    cache = tts.cache
    for _ in range(rounds):
        for name in scenarios:
            scenario = CONCURRENCY[name]
            tts.cache = cache if scenario.speech_cache else SpeechCache(0)
            for _ in range(2 if scenario.candidates == 1 else 1):
                invitations = [await _invite(stack.base, stack.key) for _ in range(scenario.candidates)]
                orders = [
                    clips[k % len(clips) :] + clips[: k % len(clips)] if scenario.rotate else clips
                    for k in range(scenario.candidates)
                ]
                answered = await asyncio.gather(
                    *(
                        client_process(stack.base, token, order)
                        for (_, token), order in zip(invitations, orders, strict=True)
                    )
                )
                for (invitation_id, _), (latencies, cutoffs) in zip(invitations, answered, strict=True):
                    await stack.services.voice.stop(invitation_id)
                    runs[name].append((invitation_id, latencies, cutoffs))
    tts.cache = cache
    figures: dict[str, Any] = {}
    for name, sessions in runs.items():
        figures[name] = summary([lat for _, lats, _ in sessions for lat in lats]) | {
            "cut_offs": sum(c for _, _, c in sessions),
            "stages": stage_summary([stack.interviews[invitation_id] for invitation_id, _, _ in sessions]),
        }
    for name in scenarios:
        baseline = baseline_of(name, scenarios)
        if baseline is not None and baseline != name:
            one = figures[baseline]
            figures[name] |= {f"ratio_{key}": ratio(figures[name], one, key) for key in ("p50_ms", "p95_ms")}
    figures["speech_cache"] = {"hits": cache.hits, "misses": cache.misses}
    return figures


async def compare_paths(
    stack: Stack, model: InstantInterviewerModel, clips: list[tuple[np.ndarray[Any, Any], int]], rounds: int
) -> dict[str, Any]:
    """After one unmeasured answer per path (first-use work: imports, the embedder loaded at the first session's
    end, the first model request), each round runs one interview per path in rotating order."""
    for path in PATHS:
        await run_path(stack, path, clips[:1])
    warm_up_requests = model.tool_requests
    sessions: dict[str, list[Session]] = {path: [] for path in PATHS}
    for index in range(rounds):
        for path in PATHS[index % 3 :] + PATHS[: index % 3]:
            sessions[path].append(await run_path(stack, path, clips))
    figures: dict[str, Any] = {}
    for path, runs in sessions.items():
        figures[path] = summary([lat for _, lats, _ in runs for lat in lats]) | {
            "cut_offs": sum(cuts for _, _, cuts in runs),
            "per_round_p50_ms": [summary(lats).get("p50_ms") for _, lats, _ in runs],
            "stages": stage_summary([stack.interviews[i] for i, _, _ in runs if i in stack.interviews]),
        }
    baseline_lines = await agent_lines(stack, sessions["webrtc"][0][0])
    for path in PATHS[1:]:
        per_round = [
            round(p / b, 2) if p and b else None
            for p, b in zip(figures[path]["per_round_p50_ms"], figures["webrtc"]["per_round_p50_ms"], strict=True)
        ]
        figures[path] |= {f"ratio_{key}": ratio(figures[path], figures["webrtc"], key) for key in ("p50_ms", "p95_ms")}
        figures[path] |= {
            "per_round_ratio_p50": per_round,
            "median_per_round_ratio_p50": statistics.median(valid) if (valid := [r for r in per_round if r]) else None,
            "agent_lines_match_baseline": all(
                [await agent_lines(stack, i) == baseline_lines for i, _, _ in sessions[path]]
            ),
        }
    llm_ids = [i for i, _, _ in sessions["llm"]]
    figures["llm"]["model"] = await model_calls(stack.services, llm_ids, rounds * len(clips)) | {
        "requests": model.tool_requests - warm_up_requests
    }
    return figures


async def single_sessions(
    stack: Stack,
    model: InstantInterviewerModel,
    finished: list[tuple[np.ndarray[Any, Any], int]],
    paused: list[tuple[np.ndarray[Any, Any], int]],
    quick: bool,
) -> dict[str, Any]:
    """One candidate at a time: the three paths compared, then the answers with thinking pauses."""
    rounds = 1 if quick else 3
    paths = await compare_paths(stack, model, finished[:3] if quick else finished, rounds)
    baseline = paths.pop("webrtc")
    _, pause_latencies, pause_cutoffs = await run_path(stack, "webrtc", paused)
    return {
        "rounds": rounds,
        "end_to_end": {k: v for k, v in baseline.items() if k not in ("stages", "cut_offs")},
        "finished_answer_cut_offs": baseline["cut_offs"],
        "stages": baseline["stages"],
        "llm_path": paths["llm"],
        "phone_path": paths["phone"],
        "paused_answers": {
            "answers": len(paused),
            "pauses_s": [p for _, p, _ in PAUSED],
            "cut_offs": pause_cutoffs,
            "latency": summary(pause_latencies),
        },
    }


async def main(quick: bool, concurrency_only: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        silence16 = lambda s: np.zeros(int(16_000 * s), dtype=np.int16)  # noqa: E731
        finished = [speak(text, tmp, f"a{i}") for i, text in enumerate(ANSWERS)]
        finished = [(np.concatenate([s, silence16(0.05)]), r) for s, r in finished]
        paused = []
        for i, (first, pause, second) in enumerate(PAUSED):
            a, _ = speak(first, tmp, f"p{i}a")
            b, _ = speak(second, tmp, f"p{i}b")
            paused.append((np.concatenate([a, silence16(pause), b]), 16_000))

        results: dict[str, Any] = {
            "machine": {
                "cpus": os.cpu_count(),
                "processor": platform.processor() or platform.machine(),
                "python": platform.python_version(),
                "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            },
        }
        if not concurrency_only:
            results["stt"] = bench_stt(tmp)
            results["stt_window"] = bench_stt_window(tmp, 30 if quick else 200)
            results["tts_first_audio"] = await bench_tts()
        async with instant_interviewer_model() as model:
            stack = await _serve(tmp, model.url)
            try:
                if concurrency_only:
                    await run_path(stack, "webrtc", finished[:1])  # first-use work, unmeasured
                else:
                    results |= await single_sessions(stack, model, finished, paused, quick)
                results["concurrent_sessions"] = await concurrent_sessions(
                    stack,
                    write_clips(tmp, finished[:3] if quick else finished),
                    ["1", "2"] if quick else list(CONCURRENCY),
                    1 if quick else 2,
                )
                whisper = (await stack.services.voice.models()).stt
                results["stt_scheduling"] = {
                    "preflight_decodes": whisper.preflights,
                    "preflights_discarded_speech_resumed": whisper.preflights_discarded,
                    "interims_skipped_decoder_busy": whisper.interims_skipped,
                }
                results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            finally:
                await stack.close()
    return results


def _ms(figures: dict[str, Any]) -> str:
    return f"p50 {figures.get('p50_ms')} ms, p95 {figures.get('p95_ms')} ms"


def report(results: dict[str, Any]) -> None:
    """Print the figures as readable tables."""
    print(f"machine: {results['machine']}")
    if "end_to_end" in results:
        report_single(results)
    print("several candidates at once (each a process of its own, at lower CPU priority than the server):")
    for level, s in results["concurrent_sessions"].items():
        if level == "speech_cache":
            print(f"  over the whole run, agent lines from the TTS's cache: {s['hits']}, synthesized: {s['misses']}")
            continue
        stages = ", ".join(f"{k} {v.get('p50_ms')}/{v.get('p95_ms')}" for k, v in s["stages"].items())
        ratios = f"; ratio to one: p50 {s['ratio_p50_ms']}, p95 {s['ratio_p95_ms']}" if "ratio_p50_ms" in s else ""
        print(f"  {level}: {_ms(s)}{ratios}; cut-offs {s['cut_offs']} (n={s['n']})")
        print(f"    stages p50/p95 ms: {stages}")
    sched = results["stt_scheduling"]
    print(
        f"over the whole run: {sched['preflight_decodes']} preflight decodes (at the first silent VAD window), "
        f"{sched['preflights_discarded_speech_resumed']} discarded as speech resumed; "
        f"{sched['interims_skipped_decoder_busy']} captions skipped while the decoder was busy"
    )


def report_single(results: dict[str, Any]) -> None:
    """The one-candidate figures."""
    e2e, llm, phone = results["end_to_end"], results["llm_path"], results["phone_path"]
    print(
        f"STT (faster-whisper {Path(str(resolve_models().stt_model_dir)).name}, int8): RTF median {results['stt']['rtf_median']} "
        f"(max {results['stt']['rtf_max']}), WER {results['stt']['wer']:.1%} on {results['stt']['utterances']} espeak-ng utterances"
    )
    window = results["stt_window"]
    print(f"  a decode takes {results['stt']['decode_p50_ms']} ms (p50)")
    print(
        f"  encoder window fitted to the utterance (>= {window['window_s']} s) vs Whisper's 30 s, {window['utterances']} utterances:"
    )
    for name in ("shipped", "full_30s"):
        got = window[name]
        print(
            f"    {name:9} decode p50 {got['decode_p50_ms']} ms (max {got['decode_max_ms']}), WER {got['wer']:.1%}, "
            f"last words lost {got['end_lost']}"
        )
    print(f"    decode time ratio (p50): {window['decode_ratio_p50']}")
    print(f"TTS first audio (Piper): {_ms(results['tts_first_audio'])}")
    print(f"end of speech -> first agent audio, {results['rounds']} interleaved round(s), p50/p95 over all answers:")
    print(
        f"  WebRTC loopback, deterministic (baseline): {_ms(e2e)} over {e2e['n']} answers; "
        f"per-round p50 {e2e['per_round_p50_ms']} ms; cut-offs {results['finished_answer_cut_offs']}"
    )
    print(
        f"  WebRTC loopback, LLM interviewer (zero-delay model): {_ms(llm)} over {llm['n']} answers; "
        f"per-round p50 {llm['per_round_p50_ms']} ms; cut-offs {llm['cut_offs']}"
    )
    print(
        f"    ratio LLM/deterministic: p50 {llm['ratio_p50_ms']}, p95 {llm['ratio_p95_ms']}; per round (p50) "
        f"{llm['per_round_ratio_p50']}, median {llm['median_per_round_ratio_p50']}; "
        f"same agent lines as the baseline: {llm['agent_lines_match_baseline']}"
    )
    model = llm["model"]
    print(
        f"    model: {model['requests']} tool requests for {model['answers']} answers; tool calls accepted "
        f"{model['tool_calls_accepted']}, refused {model['tool_calls_refused']} {model['tools']}; "
        f"fallbacks {model['fallbacks']} {model['fallback_reasons']}"
    )
    print(
        f"  phone (Media Streams, mu-law 8 kHz): {_ms(phone)} over {phone['n']} answers; "
        f"per-round p50 {phone['per_round_p50_ms']} ms; cut-offs {phone['cut_offs']}"
    )
    print(
        f"    ratio phone/WebRTC: p50 {phone['ratio_p50_ms']}, p95 {phone['ratio_p95_ms']}; per round (p50) "
        f"{phone['per_round_ratio_p50']}, median {phone['median_per_round_ratio_p50']}; "
        f"same agent lines as the baseline: {phone['agent_lines_match_baseline']}"
    )
    print(f"  {'stage (p50 / p95 ms)':<30}{'WebRTC':>14}{'LLM':>14}{'phone':>14}")
    for name, s in results["stages"].items():
        cells = [f"{f.get('p50_ms')} / {f.get('p95_ms')}" for f in (s, llm["stages"][name], phone["stages"][name])]
        print(f"  {name:<30}" + "".join(f"{cell:>14}" for cell in cells))
    paused = results["paused_answers"]
    print(
        f"thinking pauses {paused['pauses_s']} s: {paused['cut_offs']} cut-off(s) in {paused['answers']} answers; "
        f"latency after them p50 {paused['latency'].get('p50_ms')} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one round of three answers and no 4-session run")
    parser.add_argument(
        "--concurrency-only",
        action="store_true",
        help="only the 1/2/4-session figures (not written to the results file)",
    )
    args = parser.parse_args()
    figures = asyncio.run(main(args.quick, args.concurrency_only))
    if not args.concurrency_only:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    report(figures)
    if not args.concurrency_only:
        print(f"wrote {RESULTS}")
