"""The ``gaia`` command: serve, validate, invite, export, rescore, talk, worker."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from prompts.errors import ContentError
from prompts.loader import load_content
from prompts.script import InterviewScript
from server.scorecards import Rescore, rescore
from server.services import Services, start_services
from server.settings import Settings
from server.store.models import InvitationMode
from server.store.repos.accounts import employer_by_slug
from server.store.repos.base import Conflict, NotFound
from server.store.repos.content import PackRepo, ScriptRepo, script_content

EPILOG = "Settings come from GAIA_* environment variables; see README.md, section Configuration."


def _describe(content: object) -> str:
    if isinstance(content, InterviewScript):
        return (
            f"interview script '{content.id}': {len(content.questions())} questions in {len(content.sections)} sections"
        )
    tasks = getattr(content, "tasks", [])
    items = sum(len(t.items) for t in tasks)
    return f"task pack '{getattr(content, 'id', '?')}': {len(tasks)} tasks, {items} items"


def cmd_validate(args: argparse.Namespace) -> int:
    """Lint content files; print every issue and exit 1 when any file fails."""
    failed = 0
    for name in args.files:
        try:
            content = load_content(Path(name))
        except ContentError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        print(f"ok  {name}: {_describe(content)}")
    if failed:
        print(f"{failed} of {len(args.files)} file(s) failed validation", file=sys.stderr)
    return 1 if failed else 0


async def _serve(settings: Settings, seed: bool) -> None:
    import uvicorn

    from server.app import create_app
    from server.seed import DEMO_ADMIN, DEMO_REVIEWER, seed_demo

    services = await start_services(settings)
    world = None
    if seed:
        async with services.sessions() as session:
            world = await seed_demo(session, services.clock(), settings.invitation_ttl_days)
            await session.commit()
    app = create_app(settings, services)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn exposes only a flag)
        await asyncio.sleep(0.05)
    if task.done():
        await services.close()
        await task
        raise SystemExit(f"could not start on {settings.host}:{settings.port} (is the port in use? set GAIA_PORT)")
    base = settings.base_url()
    print(f"GAIA is running at {base}  (health: {base}/healthz, API docs: {base}/docs)")
    demo: asyncio.Task[None] | None = None
    if world is not None:
        first = next(iter(world.invitations.values()), None)
        print(f"  Employer:  {base}/employer        sign in as {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}")
        if first is not None:
            print(f"  Reviewer:  {base}/review/{first.id}  sign in as {DEMO_REVIEWER[0]} / {DEMO_REVIEWER[1]}")
        print("  Candidate links (one per invitation mode):")
        for mode, invitation in world.invitations.items():
            print(f"    {mode.value:<22} {invitation.candidate_name:<14} {base}/c/{invitation.token}")
        if world.interviewees:
            print("  Demo candidates (interviewed by the real pipeline in the background unless GAIA_DEMO=0):")
            for invitation in world.interviewees:
                print(f"    {invitation.candidate_name:<22} {base}/review/{invitation.id}")
        if settings.demo:
            demo = await _start_demo(settings, services, world.employer_id)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        await task
    finally:
        if demo is not None:
            demo.cancel()
            await asyncio.wait([demo])
        await services.close()


async def _start_demo(settings: Settings, services: Services, employer_id: str) -> asyncio.Task[None] | None:
    """Run the demo interviews in the background while any is unfinished; progress goes to the terminal and the
    dashboard. Returns the task, or None when there is nothing to do."""
    import functools

    from server.demo import DemoProgress, load_demo_candidates, run_demo, wait_interview_stored

    async with services.sessions() as session:
        candidates = await load_demo_candidates(session, employer_id, services.clock())
    if not candidates or all(c.finished for c in candidates):
        return None
    if services.models.missing():
        print(f"demo: not run: {'; '.join(services.models.missing())}", flush=True)
        return None
    # The candidates call in over loopback, whatever address people use.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    local = f"http://{host}:{settings.port}"

    def progress(update: DemoProgress) -> None:
        services.demo = update
        print(update.message, flush=True)

    async def run() -> None:
        try:
            await run_demo(
                local,
                candidates,
                settings.data_dir,
                progress,
                voice=services.models.tts_voice,
                interview_stored=functools.partial(wait_interview_stored, services.voice.running),
            )
        except Exception as exc:  # the server keeps serving; the next start tries again
            services.demo = None
            print(f"demo: stopped ({type(exc).__name__}: {exc}); the next start tries again", flush=True)
            return
        await _print_demo_results(services, employer_id, [c.invitation_id for c in candidates])

    return asyncio.create_task(run())


async def _print_demo_results(services: Services, employer_id: str, invitation_ids: list[str]) -> None:
    from server.store.repos.invitations import InvitationRepo
    from server.store.repos.results import ResultsRepo

    async with services.sessions() as session:
        cards = await ResultsRepo(session, employer_id).latest_scorecards(invitation_ids)
        for invitation_id in invitation_ids:
            invitation = await InvitationRepo(session, employer_id).get(invitation_id)
            card = cards[invitation_id].content if invitation_id in cards else {}
            overall = card.get("overall")
            score = f"overall {overall:.0f}" if isinstance(overall, int | float) else "not scored"
            print(
                f"demo: {invitation.candidate_name:<16} {invitation.state:<12} {score}, "
                f"{card.get('recommendation', '-')}",
                flush=True,
            )


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the server (migrating the database and seeding the demo on first start)."""
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)
    try:
        asyncio.run(_serve(settings, seed=not args.no_seed))
    except KeyboardInterrupt:
        pass
    return 0


async def _invite(args: argparse.Namespace, settings: Settings) -> str:
    from server.store.repos.audit import AuditRepo
    from server.store.repos.invitations import InvitationRepo

    services = await start_services(settings)
    try:
        async with services.sessions() as session:
            employer = await employer_by_slug(session, args.employer)
            if employer is None:
                raise NotFound("employer", args.employer)
            mode = InvitationMode(args.mode)
            scripts, packs = ScriptRepo(session, employer.id), PackRepo(session, employer.id)
            script_version = pack_version = None
            if mode != InvitationMode.ASSESSMENT or args.pack is None:
                script_version = await scripts.latest((await scripts.by_slug(args.script)).id)
            if mode != InvitationMode.INTERVIEW:
                slug = args.pack or (script_content(script_version).task_pack if script_version else None)
                if slug is None:
                    raise Conflict("pass --pack: the script links no task pack")
                pack_version = await packs.latest((await packs.by_slug(slug)).id)
            invitation = await InvitationRepo(session, employer.id).create(
                mode=mode,
                candidate_name=args.name,
                candidate_email=args.email,
                script_version=script_version,
                pack_version=pack_version,
                ttl=timedelta(days=args.days or settings.invitation_ttl_days),
                now=services.clock(),
                created_by="cli",
            )
            AuditRepo(session, employer.id).record("cli", "invitation.created", "invitation", invitation.id)
            await session.commit()
            return f"{invitation.id}\t{settings.base_url()}/c/{invitation.token}"
    finally:
        await services.close()


def cmd_invite(args: argparse.Namespace) -> int:
    """Create an invitation from the terminal and print its id and candidate link."""
    try:
        print(asyncio.run(_invite(args, Settings())))
    except (NotFound, Conflict) as exc:
        print(f"gaia invite: {exc}", file=sys.stderr)
        return 1
    return 0


T = TypeVar("T")


async def _for_invitation(args: argparse.Namespace, work: Callable[[AsyncSession, str, str], Awaitable[T]]) -> T:
    """Run ``work(session, employer_id, invitation_id)`` for ``args.invitation`` of the employer ``args.employer``."""
    services = await start_services(Settings())
    try:
        async with services.sessions() as session:
            employer = await employer_by_slug(session, args.employer)
            if employer is None:
                raise NotFound("employer", args.employer)
            return await work(session, employer.id, args.invitation)
    finally:
        await services.close()


def cmd_export(args: argparse.Namespace) -> int:
    """Write an invitation's stored results as JSON to stdout or a file."""
    try:
        from server.export import export_invitation

        doc = asyncio.run(_for_invitation(args, export_invitation))
    except NotFound as exc:
        print(f"gaia export: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(doc, indent=2, sort_keys=True)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    """Recompute an invitation's scorecard from stored inputs and compare it byte for byte with the stored one."""
    try:
        result: Rescore = asyncio.run(_for_invitation(args, rescore))
    except NotFound as exc:
        print(f"gaia rescore: {exc}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(result.recomputed + "\n", encoding="utf-8")
    if result.stored is None:
        print("no stored scorecard yet; the recomputed one is " + (f"in {args.output}" if args.output else "below"))
        if not args.output:
            print(result.recomputed)
        return 1
    if result.identical:
        print(f"identical: the recomputed scorecard matches the stored one byte for byte ({len(result.stored)} bytes)")
        return 0
    print("DIFFERENT: the recomputed scorecard does not match the stored one", file=sys.stderr)
    for line in difflib.unified_diff(
        json.dumps(json.loads(result.stored), indent=1, sort_keys=True).splitlines(),
        json.dumps(json.loads(result.recomputed), indent=1, sort_keys=True).splitlines(),
        "stored",
        "recomputed",
        lineterm="",
    ):
        print(line, file=sys.stderr)
    return 2


def cmd_talk(args: argparse.Namespace) -> int:
    """Join an interview over real WebRTC from the terminal, answering with WAV files or the microphone."""
    from agent.talk import talk

    try:
        return asyncio.run(talk(args.link, args.wav or []))
    except ValueError as exc:
        print(f"gaia talk: {exc}", file=sys.stderr)
        return 2
    except (OSError, ImportError) as exc:
        print(f"gaia talk: no microphone available ({exc}); pass --wav FILE instead", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a LiveKit agent worker: it runs one interview in each invitation room LiveKit dispatches it into."""
    import functools

    from livekit.agents import WorkerOptions, cli

    from agent.worker import InterviewWorker
    from media.models import resolve_models
    from server.livekit_tokens import AGENT_NAME, LiveKitCredentials, LiveKitNotConfigured, sql_interview_loader

    settings = Settings()
    try:
        credentials = LiveKitCredentials.from_settings(settings)
    except LiveKitNotConfigured as exc:
        print(f"gaia worker: {exc} (the worker registers with that LiveKit server)", file=sys.stderr)
        return 2
    paths = resolve_models(settings.stt_model, settings.tts_voice)
    if paths.missing():
        print(f"gaia worker: {'; '.join(paths.missing())}", file=sys.stderr)
        return 2
    worker = InterviewWorker(functools.partial(sql_interview_loader, settings), paths)
    options = WorkerOptions(
        entrypoint_fnc=worker.entrypoint,
        prewarm_fnc=worker.prewarm,
        agent_name=AGENT_NAME,
        ws_url=credentials.url,
        api_key=credentials.api_key,
        api_secret=credentials.api_secret,
    )
    # livekit's CLI reads its command from argv: run its production "start" command, not ours.
    sys.argv = [f"{sys.argv[0]} worker", "start", "--log-level", args.log_level]
    cli.run_app(options)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with help for every command."""
    parser = argparse.ArgumentParser(prog="gaia", description="GAIA voice interviews and work samples.", epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server (seeds a demo employer on first start)", epilog=EPILOG)
    serve.add_argument("--host", help="bind address (GAIA_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (GAIA_PORT, default 8000)")
    serve.add_argument("--no-seed", action="store_true", help="do not create the demo employer")
    serve.set_defaults(func=cmd_serve)

    validate = commands.add_parser("validate", help="lint interview scripts and task packs (YAML or JSON)")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(func=cmd_validate)

    invite = commands.add_parser("invite", help="create an invitation and print its candidate link", epilog=EPILOG)
    invite.add_argument("--employer", default="demo", help="employer slug (default: demo)")
    invite.add_argument("--mode", required=True, choices=[m.value for m in InvitationMode])
    invite.add_argument("--name", required=True, help="candidate name")
    invite.add_argument("--email", help="candidate email")
    invite.add_argument("--script", default="data-annotator", help="script id (default: data-annotator)")
    invite.add_argument("--pack", help="task pack id (default: the one the script links)")
    invite.add_argument("--days", type=int, help="days until the link expires (GAIA_INVITATION_TTL_DAYS)")
    invite.set_defaults(func=cmd_invite)

    export = commands.add_parser("export", help="print an invitation's results as JSON", epilog=EPILOG)
    export.add_argument("invitation", metavar="INVITATION_ID")
    export.add_argument("--employer", default="demo", help="employer slug the invitation belongs to (default: demo)")
    export.add_argument("--output", "-o", help="write to this file instead of stdout")
    export.set_defaults(func=cmd_export)

    rescore = commands.add_parser(
        "rescore",
        help="recompute an invitation's scorecard from stored inputs and compare it with the stored one",
        description="Exit 0 when identical byte for byte, 1 when none is stored, 2 with a diff when they differ.",
        epilog=EPILOG,
    )
    rescore.add_argument("invitation", metavar="INVITATION_ID")
    rescore.add_argument("--employer", default="demo", help="employer slug the invitation belongs to (default: demo)")
    rescore.add_argument("--output", "-o", help="also write the recomputed scorecard JSON to this file")
    rescore.set_defaults(func=cmd_rescore)
    talk = commands.add_parser(
        "talk", help="join an interview from the terminal over WebRTC (microphone, or WAV answers)", epilog=EPILOG
    )
    talk.add_argument("link", metavar="CANDIDATE_LINK", help="the candidate link, http://HOST:PORT/c/TOKEN")
    talk.add_argument(
        "--wav", action="append", metavar="FILE", help="answer with this audio file (repeat for each answer)"
    )
    talk.set_defaults(func=cmd_talk)

    worker = commands.add_parser(
        "worker",
        help="run a LiveKit agent worker (one interview per dispatched room; needs LIVEKIT_URL/KEY/SECRET)",
        description="Registers with the LiveKit server as agent 'gaia-interviewer'; candidates' tokens dispatch it "
        "into their invitation's room. Start as many as you need; see infra/README.md.",
        epilog=EPILOG,
    )
    worker.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARN", "ERROR"], help="default: INFO")
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gaia`` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
