"""Composition root and CLI of the long-running bot.

python app.py serve                      HTTP service (POST /ingest, /healthz)
python app.py ingest FILE... [--json]    the same use case as POST /ingest, from files
python app.py report [--date D] [--force] the daily report, now
python app.py manifest --url URL | --socket  the Slack app manifest, as YAML
python app.py replay-dlq [--queue-url URL] [--max N] [--dry-run]  an ingest dead-letter queue, again
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import Settings, get_settings
from bot.errors import MonitoringException, ValidationError
from bot.metrics import Metrics
from bot.models import IngestResult, Rejection
from bot.services import Services

log = logging.getLogger("app")

FLUSH_ROUNDS = 20  # `ingest` sends its due Slack work in at most this many flushes


def build_services(settings: Settings, metrics: Metrics | None = None) -> Services:
    """The adapters the settings name and the use cases, from the composition root;
    `metrics` records the bot's own (the service's, for GET /metrics). A store that does
    not answer or a bad routes file is a StartupError naming the setting."""
    from handlers.startup import start_services

    return start_services(settings, metrics=metrics)


def setup_logging(settings: Settings) -> None:
    """Log lines on stderr (text on a terminal, else JSON; LOG_FORMAT chooses): stdout
    stays the CLI's output."""
    from handlers.logs import setup_logging as route_logs

    route_logs(settings.log_level, settings.log_format)


def cmd_serve(settings: Settings) -> int:
    """The HTTP service and the scheduler; Slack's requests come to POST /slack/events, or,
    with SLACK_APP_TOKEN set, over Socket Mode's WebSocket (HTTP still serves the rest)."""
    import uvicorn

    import scheduler
    from adapters.prometheus import PrometheusMetrics
    from handlers.http import create_app
    from handlers.slack import build_app
    from handlers.slack.socket_mode import check_app_token, start_socket_mode

    app_token = settings.slack_app_token
    if app_token:
        check_app_token(app_token)  # ValueError: exit 2 before the store is opened
    services = build_services(settings, PrometheusMetrics())
    # Socket Mode needs the Bolt app whatever the signing secret: build_app says what is missing.
    wanted = bool(settings.slack_signing_secret or app_token)
    slack = build_app(services) if wanted else None  # ValueError: both
    if slack is None:
        log.warning("SLACK_SIGNING_SECRET is not set: POST /slack/events answers 503")
    socket = start_socket_mode(slack, app_token) if slack is not None and app_token else None
    if socket is not None:
        log.info("Slack mode: Socket Mode (SLACK_APP_TOKEN is set); no public URL is needed")
    elif slack is not None:
        log.info("Slack mode: HTTP, Slack's requests come to POST /slack/events")
    chat = "Slack" if settings.slack_bot_token else "the console (SLACK_BOT_TOKEN unset)"
    jobs = scheduler.start(services)
    log.info(
        "serving on http://%s:%d (store: %s, alerts to %s)",
        settings.host,
        settings.port,
        settings.store,
        chat,
    )
    _exit_cleanly_on_signals()
    try:
        # log_config=None: uvicorn's own loggers go through the root handler, as JSON too.
        uvicorn.run(
            create_app(services, slack), host=settings.host, port=settings.port, log_config=None
        )
    finally:
        if socket is not None:
            socket.close()  # its threads stop, and it no longer reconnects
        jobs.shutdown(wait=False)
    return 0


def _exit_cleanly_on_signals() -> None:
    """uvicorn shuts down gracefully on SIGTERM or SIGINT, then raises the signal again:
    SIGTERM's default action would kill the process before `finally` closes the Slack
    socket and the scheduler, and SIGINT's would print a traceback. Exit 0 instead."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)


def _ingest_file(path: str, services: Services) -> IngestResult:
    try:
        body = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as err:
        return IngestResult(rejected=[Rejection(index=0, error=f"cannot read file: {err}")])
    try:
        return services.ingest_raw(body)
    except ValidationError as err:
        return IngestResult(rejected=[Rejection(index=0, error=str(err))])
    except MonitoringException as err:  # the store failed; run the file again later
        log.error("store failed on %s: %s", path, err)
        return IngestResult(rejected=[Rejection(index=0, error=f"store failed: {err}")])


def cmd_ingest(settings: Settings, files: Sequence[str], as_json: bool) -> int:
    services = build_services(settings)
    failed = False
    for path in files:
        result = _ingest_file(path, services)
        failed = failed or bool(result.rejected)
        if as_json:
            print(json.dumps({"file": path, **result.model_dump()}), flush=True)
            continue
        print(
            f"{path}: {result.stored} stored, {result.duplicates} duplicates, "
            f"{result.rejected_count} rejected"
        )
        for rejection in result.rejected:
            print(f"  event {rejection.index}: {rejection.error}")
        if result.rejected_count > len(result.rejected):
            print(f"  and {result.rejected_count - len(result.rejected)} more")
    send_due_work(services)
    return 1 if failed else 0


def send_due_work(services: Services, rounds: int = FLUSH_ROUNDS) -> int:
    """Before a one-shot command exits: the Slack work due now (posts to retry, posts a
    budget held back), flushed until none is left or after `rounds` flushes. What is due
    later (a coalesced edit, a post waiting on Slack's budget) is left to the service."""
    from bot.delivery import flush

    delivery = services.delivery
    done = 0
    for _ in range(rounds):
        try:
            sent = flush(delivery)
        except MonitoringException as err:  # the store failed: the service sends it later
            log.error("could not send the due Slack work: %s", err)
            break
        if not sent:
            break
        done += sent
    return done


def cmd_routes_check(settings: Settings, routes_path: str, event_path: str) -> int:
    """Where each signal of an event file would go under a routes file; nothing is stored
    or posted. Exit 2, with one line on stderr, when either file is bad (unreadable, not
    JSON, no event in it)."""
    import time

    from adapters.routes_file import RoutesFileError, load_routes
    from bot.envelopes import decode_body, split_units
    from bot.ingest import read_unit_events
    from bot.inhibition import roles
    from bot.routing import decide
    from bot.services import reading_context

    try:
        routes = load_routes(routes_path)
    except RoutesFileError as err:
        print(err, file=sys.stderr)
        return 2
    try:
        body = decode_body(Path(event_path).read_bytes())
        units = list(split_units(body))
        ctx = reading_context(settings)
        now = int(time.time())
        events = [
            pair
            for unit in units
            for pair in read_unit_events(unit, received_at=now, ttl=0, ctx=ctx)
        ]
    except (OSError, ValueError, MonitoringException) as err:
        print(f"{event_path}: {_one_line(err)}", file=sys.stderr)
        return 2
    if not events:
        print(f"{event_path}: no event in it to route", file=sys.stderr)
        return 2
    default = settings.slack_alerts_channel or "(SLACK_ALERTS_CHANNEL)"
    for event, signals in events:
        for signal in signals:
            decision = decide(signal, routes, default)
            print(f"{event.id}: {signal.severity.value} {signal.state.value}: {signal.title}")
            if not decision.routes:
                print(f"  dropped by rule {decision.dropped_by}")
            for route in decision.routes:
                mention = f", mentions {route.mention}" if route.mention else ""
                runbook = f", runbook {route.runbook}" if route.runbook else ""
                oncall = f", on call: {route.oncall}" if route.oncall else ""
                print(f"  → {route.channel} (rule {route.rule}{mention}{runbook}{oncall})")
            for role in roles(routes, signal) if decision.routes else []:
                print(f"  {role}")
    return 0


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def cmd_report(settings: Settings, day_text: str | None, force: bool) -> int:
    """The daily report now: of `day_text` (YYYY-MM-DD) or the previous UTC day. Exit 2
    for a bad day, 1 when the report could not be posted (run it again: it goes on where
    it stopped)."""
    from bot.daily_report import parse_day

    services = build_services(settings)
    try:
        day = parse_day(day_text, services.clock.now()) if day_text else None
    except ValidationError as err:
        print(f"report: {err}", file=sys.stderr)
        return 2
    try:
        outcome = services.send_report(day, force=force)
    except MonitoringException as err:
        print(f"report failed: {err}; run it again to go on where it stopped", file=sys.stderr)
        return 1
    where = services.report_channel
    if outcome.status == "already_posted":
        print(f"the report for {outcome.day} was already posted to {where}; --force posts it again")
    elif outcome.status == "in_progress":
        print(f"the report for {outcome.day} is being posted by another run")
    elif outcome.status == "before_first_start":
        print(f"{outcome.day} ended before the bot first started and has nothing to report; "
              "--force posts it anyway")  # fmt: skip
    else:
        report = outcome.report
        assert report is not None
        print(
            f"report for {outcome.day} posted to {where}: {outcome.posted} messages; "
            f"{report.events} events, {report.alerts} alerts, {report.opened} opened, "
            f"{report.resolved} resolved, {report.still_open} still open"
        )
    return 0


def cmd_replay_dlq(
    settings: Settings, queue_url: str | None, limit: int, visibility: int, dry_run: bool
) -> int:
    """Replay an ingest dead-letter queue (INGEST_DLQ_URL's, or the ingest queue's given
    by --queue-url): one line per message and a summary. Exit 0 when every message was
    stored or already was, 1 when any is left in the queue (or the store failed: run it
    again), 2 with no queue URL."""
    import boto3

    from adapters.sqs import DeadLetters
    from bot.replay import Outcome, replay

    queue_url = queue_url or settings.ingest_dlq_url
    if not queue_url:
        print("replay-dlq: no queue: set INGEST_DLQ_URL or pass --queue-url", file=sys.stderr)
        return 2
    services = build_services(settings)
    client = boto3.client("sqs", region_name=settings.aws_region)
    queue = DeadLetters(client, queue_url, visibility=visibility)

    def show(outcome: Outcome) -> None:
        ids = f" {', '.join(outcome.ids)}" if outcome.ids else ""
        kind = f" ({outcome.kind})" if outcome.kind else ""
        reason = f": {outcome.reason}" if outcome.reason else ""
        print(f"{outcome.message_id}: {outcome.status}{ids}{kind}{reason}", flush=True)

    report = replay(queue, services, limit=limit, dry_run=dry_run, on_outcome=show)
    total = len(report.outcomes)
    messages = f"{total} message{'' if total == 1 else 's'}"
    if dry_run:
        print(
            f"dry run: {messages}: {report.count('valid')} valid, "
            f"{report.count('rejected')} rejected; nothing was ingested or deleted"
        )
    else:
        print(
            f"replayed {messages}: {report.count('stored')} stored, "
            f"{report.count('duplicate')} duplicate, {report.count('rejected')} rejected; "
            f"{report.left} left in the queue"
        )
    if report.stopped:
        print(f"replay-dlq stopped: {report.stopped}; run it again", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_init_db(settings: Settings) -> int:
    """Create the table serverless.yml defines, from the one schema in the adapter."""
    from adapters.dynamodb.schema import TableSetupError, create_table

    where = f"{settings.aws_dynamodb_table} ({settings.aws_endpoint or settings.aws_region})"
    try:
        created = create_table(settings)
    except TableSetupError as err:
        print(f"init-db failed: {err}", file=sys.stderr)
        return 1
    print(f"table {where} {'created' if created else 'already exists'}; TTL on expired_at")
    return 0


def cmd_manifest(url: str | None, socket_mode: bool) -> int:
    """Print the Slack app manifest; it needs no token, no settings and no store."""
    from handlers.slack.manifest import manifest_yaml

    print(manifest_yaml(url, socket_mode=socket_mode), end="")
    print(
        "Paste it at https://api.slack.com/apps → Create New App → From a manifest.",
        file=sys.stderr,
    )
    return 0


def _https_url(text: str) -> str:
    """argparse's check of --url: a bad one is a usage error (exit 2) that says why."""
    from handlers.slack.manifest import ManifestUrlError, request_url

    try:
        request_url(text)
    except ManifestUrlError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return text


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    """argparse's check of a count: out of range is a usage error (exit 2) that says why."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from err
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="app.py", description="AWS monitoring chat-ops bot")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP service")
    ingest = commands.add_parser("ingest", help="ingest events from JSON files ('-' is stdin)")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--json", action="store_true", help="one JSON object per file")
    report = commands.add_parser("report", help="post the daily report now")
    report.add_argument("--date", metavar="YYYY-MM-DD", help="the UTC day (default: yesterday)")
    report.add_argument("--force", action="store_true", help="post it again if it was posted")
    commands.add_parser("init-db", help="create the DynamoDB table (AWS_DYNAMODB_TABLE)")
    routes = commands.add_parser("routes", help="routing rules")
    checks = routes.add_subparsers(dest="routes_command", required=True)
    check = checks.add_parser("check", help="show where an event would go under a routes file")
    check.add_argument("routes_file", metavar="FILE")
    check.add_argument("event_file", metavar="EVENT.json")
    dlq = commands.add_parser("replay-dlq", help="replay an ingest dead-letter queue")
    dlq.add_argument(
        "--queue-url",
        metavar="URL",
        help="the queue (default: INGEST_DLQ_URL), e.g. the ingest queue's dead-letter queue",
    )
    dlq.add_argument(
        "--max",
        type=_bounded_int(1, 100_000),
        default=1000,
        metavar="N",
        help="replay at most N messages (default: 1000)",
    )
    dlq.add_argument(
        "--visibility",
        type=_bounded_int(1, 43_200),  # SQS's own bounds: up to 12 hours
        default=60,
        metavar="S",
        help="seconds each received message stays hidden while it is replayed (default: 60)",
    )
    dlq.add_argument(
        "--dry-run", action="store_true", help="unwrap and check only; store and delete nothing"
    )
    manifest = commands.add_parser("manifest", help="print the Slack app manifest (YAML)")
    where = manifest.add_mutually_exclusive_group()  # neither: Socket Mode, as manifest.yaml
    where.add_argument(
        "--url",
        type=_https_url,
        help="the service's public https base URL; Slack's requests go to URL/slack/events",
    )
    where.add_argument(
        "--socket", action="store_true", help="Socket Mode (serve with SLACK_APP_TOKEN): no URLs"
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "manifest":  # before the settings: it must print on a bare machine
        return cmd_manifest(args.url, args.socket or args.url is None)
    from pydantic import ValidationError as SettingsError

    from handlers.startup import settings_error

    try:
        settings = get_settings()
    except SettingsError as err:
        print(f"configuration error: {settings_error(err)}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    setup_logging(settings)
    try:
        if args.command == "serve":
            return cmd_serve(settings)
        if args.command == "report":
            return cmd_report(settings, args.date, args.force)
        if args.command == "init-db":
            return cmd_init_db(settings)
        if args.command == "replay-dlq":
            return cmd_replay_dlq(settings, args.queue_url, args.max, args.visibility, args.dry_run)
        if args.command == "routes":
            return cmd_routes_check(settings, args.routes_file, args.event_file)
        return cmd_ingest(settings, args.files, args.json)
    except (OSError, ValueError) as err:  # a store that cannot be opened where settings say
        print(f"configuration error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
