"""Voice pipeline latency on this machine, measured through real WebRTC on loopback.

Prints (and writes to bench/results/voice_latency.json):
- end of candidate speech → first agent audio frame at the client: p50/p95 over finished answers, with the
  session's per-stage metrics (endpointing wait, STT, interviewer first token, TTS first audio);
- cut-offs on answers with 0.5 / 1.0 / 1.5 s thinking pauses (agent audio while the candidate still talks);
- STT real-time factor and word error rate (jiwer) on fixed espeak-ng utterances;
- Piper time to first audio;
- the same end-to-end latency with 1, 2 and 4 concurrent sessions.
Run ``python bench/voice_latency.py [--quick]``; needs espeak-ng and sox (``make services`` installs them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
import uvicorn
from pydantic import SecretStr

from agent.talk import VoiceClient
from media.models import resolve_models
from media.stt import STTOptions, WhisperSTT
from media.tts import PiperTTS, TTSOptions
from server.app import create_app
from server.services import start_services
from server.settings import Settings
from server.store.models import Role
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


def speak(text: str, folder: Path, name: str) -> tuple[np.ndarray[Any, Any], int]:
    """espeak-ng speech, trimmed of its own leading/trailing silence, as 16 kHz mono int16."""
    raw, out = folder / f"{name}.raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-s", "160", "-w", str(raw), text], check=True)
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), *trim], check=True)
    import wave

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


def bench_stt(folder: Path) -> dict[str, Any]:
    """Real-time factor and WER of faster-whisper on the fixed utterances."""
    paths = resolve_models()
    assert paths.stt_model_dir is not None
    whisper = WhisperSTT(STTOptions(model_dir=paths.stt_model_dir))
    whisper.prewarm()
    rtfs, hyps = [], []
    for i, text in enumerate(ANSWERS):
        samples, rate = speak(text, folder, f"stt{i}")
        started = time.perf_counter()
        transcript = whisper.transcribe_samples(samples)
        rtfs.append((time.perf_counter() - started) / (len(samples) / rate))
        hyps.append(transcript.text)
    normalize = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    wer = jiwer.wer(ANSWERS, hyps, reference_transform=normalize, hypothesis_transform=normalize)
    return {
        "rtf_median": round(statistics.median(rtfs), 3),
        "rtf_max": round(max(rtfs), 3),
        "wer": round(wer, 3),
        "utterances": len(ANSWERS),
    }


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


async def _serve(tmp: Path) -> tuple[uvicorn.Server, asyncio.Task[None], Any, str]:
    settings = Settings(data_dir=tmp / "data", port=18766, secret_key=SecretStr("bench"))
    services = await start_services(settings)
    async with services.sessions() as db:
        employer = await create_employer(db, "Bench", "bench")
        await create_user(db, employer.id, "bench@bench.test", "Bench", Role.ADMIN, "bench-password")
        key = await issue_api_key(db, employer.id, "bench")
        await db.commit()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, services), port=settings.port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag)
        await asyncio.sleep(0.02)
    await services.voice.models()  # load once, outside the timings
    return server, task, services, key.secret


async def _token(base: str, key: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        script = (await http.post("/api/scripts", json={"content": SCRIPT})).json()
        invitation = (
            await http.post(
                "/api/invitations", json={"mode": "interview", "candidate_name": "Bench", "script_id": script["id"]}
            )
        ).json()
    return str(invitation["candidate_url"]).rsplit("/", 1)[1]


async def one_session(base: str, key: str, clips: list[tuple[np.ndarray[Any, Any], int]]) -> tuple[list[float], int]:
    """Answer each clip after the agent finishes; latencies from end of speech to first agent audio, and cut-offs."""
    client = VoiceClient()
    await client.connect(base, await _token(base, key))
    latencies, cutoffs = [], 0
    try:
        for index, (samples, rate) in enumerate(clips):
            await client.wait_event("caption", count=index + 1, speaker="agent")
            await client.wait_quiet(0.5)
            started = time.monotonic()
            client.mic.play(samples, rate)
            await client.wait_event("caption", count=index + 2, speaker="agent")
            while client.mic.playing:  # noqa: ASYNC110 (the mic track exposes only a flag)
                await asyncio.sleep(0.02)
            end_of_speech = client.mic.last_voiced_sent or time.monotonic()
            if client.voiced_between(started, end_of_speech):
                cutoffs += 1
                continue
            deadline = time.monotonic() + 10
            while client.last_voiced() is None or (client.last_voiced() or 0) < end_of_speech:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.01)
            first = next((at for at, voiced in client.heard if voiced and at >= end_of_speech), None)
            if first is not None:
                latencies.append(first - end_of_speech)
    finally:
        await client.close()
    return latencies, cutoffs


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


async def main(quick: bool) -> dict[str, Any]:
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
            },
            "stt": bench_stt(tmp),
            "tts_first_audio": await bench_tts(),
        }
        server, task, services, key = await _serve(tmp)
        base = "http://127.0.0.1:18766"
        interviews: list[Any] = []
        original_run = services.voice.run

        def run_and_keep(invitation_id: str, interview: Any, store: Any, client_id: str | None = None) -> None:
            interviews.append(interview)
            original_run(invitation_id, interview, store, client_id)

        services.voice.run = run_and_keep
        try:
            latencies, cutoffs = await one_session(base, key, finished if not quick else finished[:3])
            pause_latencies, pause_cutoffs = await one_session(base, key, paused)
            results["end_to_end"] = summary(latencies)
            results["paused_answers"] = {
                "answers": len(paused),
                "pauses_s": [p for _, p, _ in PAUSED],
                "cut_offs": pause_cutoffs,
                "latency": summary(pause_latencies),
            }
            results["finished_answer_cut_offs"] = cutoffs
            results["stages"] = stage_summary(interviews)
            concurrency: dict[str, Any] = {}
            for level in [1, 2] if quick else [1, 2, 4]:
                runs = await asyncio.gather(*(one_session(base, key, finished[:3]) for _ in range(level)))
                concurrency[str(level)] = summary([lat for lats, _ in runs for lat in lats]) | {
                    "cut_offs": sum(c for _, c in runs)
                }
            results["concurrent_sessions"] = concurrency
        finally:
            server.should_exit = True
            await task
            await services.close()
    return results


def report(results: dict[str, Any]) -> None:
    """Print the figures as a readable table."""
    e2e, stages = results["end_to_end"], results["stages"]
    print(f"machine: {results['machine']}")
    print(
        f"STT (faster-whisper {Path(str(resolve_models().stt_model_dir)).name}, int8): RTF median {results['stt']['rtf_median']} "
        f"(max {results['stt']['rtf_max']}), WER {results['stt']['wer']:.1%} on {results['stt']['utterances']} espeak-ng utterances"
    )
    print(
        f"TTS first audio (Piper): p50 {results['tts_first_audio']['p50_ms']} ms, p95 {results['tts_first_audio']['p95_ms']} ms"
    )
    print(
        f"end of speech -> first agent audio (WebRTC loopback): p50 {e2e.get('p50_ms')} ms, p95 {e2e.get('p95_ms')} ms over {e2e['n']} answers"
    )
    for name, s in stages.items():
        print(f"  stage {name:<28} p50 {s.get('p50_ms')} ms  p95 {s.get('p95_ms')} ms  (n={s['n']})")
    paused = results["paused_answers"]
    print(
        f"thinking pauses {paused['pauses_s']} s: {paused['cut_offs']} cut-off(s) in {paused['answers']} answers; "
        f"latency after them p50 {paused['latency'].get('p50_ms')} ms"
    )
    for level, s in results["concurrent_sessions"].items():
        print(
            f"{level} concurrent session(s): p50 {s.get('p50_ms')} ms, p95 {s.get('p95_ms')} ms, cut-offs {s['cut_offs']} (n={s['n']})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer answers and no 4-session run")
    args = parser.parse_args()
    figures = asyncio.run(main(args.quick))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    report(figures)
    print(f"wrote {RESULTS}")
