"""`setcover-bot`: serve Slack, or use the same client and store from a terminal.

    setcover-bot [serve]              run the Slack app (HTTP, or Socket Mode with SLACK_APP_TOKEN)
    setcover-bot snapshots ASSET_ID   show an asset's title, cover and snapshots
    setcover-bot set-cover URL        set a snapshot as its asset's cover (recorded as `cli`)
    setcover-bot capture ASSET_ID TIME…  new snapshots at those times (1:23, 83s, 1:02:03)
    setcover-bot history ASSET_ID     the last changes of an asset from the audit store
    setcover-bot check                check settings, credentials, VOD, the store and Slack

Exit status: 0 on success, 1 when VOD or the store refused, 2 for bad input or settings,
3 when VOD did not confirm a change (it may be live; running it again is safe).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from bot.covers import (
    Actor,
    BadTimes,
    Busy,
    Captured,
    CaptureFailed,
    CaptureTimedOut,
    Changed,
    CoverRequest,
    Denied,
    Duplicate,
    Failed,
    NotRecorded,
    Outcome,
    Unknown,
    open_services,
)
from bot.logs import configure_logging
from bot.store import AuditStore, ChangeRecord, Source, StoreUnavailable
from bot.timecodes import TimecodeError, parse_times
from bot.vod.client import VodClient
from bot.vod.errors import InvalidArgument, VodError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings)
    command: str = args.command or "serve"
    if command == "serve":
        return _serve(settings)
    runner: Command = _COMMANDS[command]
    try:
        return asyncio.run(runner(settings, args))
    except KeyboardInterrupt:
        return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="setcover-bot",
        description="Set a Huawei Cloud VOD video's cover from Slack or from a terminal.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("serve", help="run the Slack app (the default)")
    snapshots = sub.add_parser("snapshots", help="show an asset's snapshots")
    snapshots.add_argument("asset_id")
    set_cover = sub.add_parser("set-cover", help="set a snapshot URL as its asset's cover")
    set_cover.add_argument("snapshot_url")
    capture = sub.add_parser("capture", help="new snapshots of an asset at chosen times")
    capture.add_argument("asset_id")
    capture.add_argument("times", nargs="+", metavar="TIME", help="1:23, 83s or 1:02:03")
    history = sub.add_parser("history", help="the last cover changes of an asset")
    history.add_argument("asset_id")
    sub.add_parser("check", help="check settings, credentials, VOD, the store and Slack")
    return parser


def _serve(settings: Settings) -> int:
    try:
        settings.require_slack()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    # The store is migrated here first so that an unreachable database is one clear line,
    # not the server's start-up traceback; the server's own migration is then a no-op.
    try:
        asyncio.run(_prepare_store(settings))
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if settings.socket_mode:
        from bot.slack.socket_mode import run

        asyncio.run(run(settings))
    else:
        from bot.web import serve

        serve(settings)
    return EXIT_OK


async def _snapshots(settings: Settings, args: argparse.Namespace) -> int:
    async with VodClient.from_settings(settings) as vod:
        try:
            asset = await vod.get_asset(args.asset_id)
        except VodError as exc:
            return _vod_failure(exc)
    print(f"Title:         {asset.title}")
    print(f"Asset id:      {asset.asset_id}")
    print(f"Current cover: {asset.cover_url or '(none)'}")
    if not asset.snapshots:
        why = asset.exec_desc or asset.thumbnail_status or "VOD has not made any yet"
        print(f"No snapshots: {why}")
    for snapshot in asset.snapshots:
        print(f"{snapshot.kind:<9} {snapshot.offset_label:>8}  {snapshot.url}")
    return EXIT_OK


async def _set_cover(settings: Settings, args: argparse.Namespace) -> int:
    request = CoverRequest(
        actor=Actor(team_id="", channel_id="", user_id=f"cli:{_os_user()}"),
        snapshot_url=args.snapshot_url,
        source=Source.CLI,
        idempotency_key=f"cli:{uuid.uuid4()}",
    )
    try:
        async with open_services(settings, slack_client=None) as services:
            outcome = await services.covers.change(request)
    except VodError as exc:
        return _vod_failure(exc)
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return _report(outcome)


async def _capture(settings: Settings, args: argparse.Namespace) -> int:
    try:
        seconds = parse_times(args.times)
    except TimecodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    actor = Actor(team_id="", channel_id="", user_id=f"cli:{_os_user()}")
    try:
        async with open_services(settings, slack_client=None) as services:
            outcome = await services.covers.capture(actor, args.asset_id, seconds,
                                                    source=Source.CLI)
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    match outcome:
        case Captured():
            for snapshot in outcome.new:
                print(f"{snapshot.offset_label:>8}  {snapshot.url}")
            if not outcome.new:
                print("VOD finished the snapshot task but made no new snapshots.")
            if outcome.replaced_by is not None:
                print(f"note: VOD made {outcome.replaced_by} the cover (the cover before was "
                      f"{outcome.cover_replaced or 'none'})", file=sys.stderr)
            return EXIT_OK
        case CaptureFailed():
            print(f"error: VOD could not make the snapshots: {outcome.reason}", file=sys.stderr)
        case CaptureTimedOut():
            print(f"error: VOD had not finished after {int(outcome.waited_s)} s "
                  f"(status {outcome.status or 'unknown'}); run `setcover-bot snapshots "
                  f"{args.asset_id}` later.", file=sys.stderr)
        case BadTimes():
            print(f"error: {outcome.problem}", file=sys.stderr)
            return EXIT_USAGE
        case Failed():
            return _vod_failure(outcome.error)
        case Denied():
            print(f"error: {outcome.reason}", file=sys.stderr)
    return EXIT_REFUSED


@asynccontextmanager
async def _migrated_store(settings: Settings) -> AsyncIterator[AuditStore]:
    async with AuditStore.from_url(settings.database_url) as store:
        await store.migrate()
        yield store


async def _prepare_store(settings: Settings) -> None:
    async with _migrated_store(settings):
        pass


async def _history(settings: Settings, args: argparse.Namespace) -> int:
    try:
        async with _migrated_store(settings) as store:
            records = await store.history(args.asset_id)
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if not records:
        print(f"No cover changes recorded for {args.asset_id}.")
    for record in records:
        print(format_history_line(record))
    return EXIT_OK


async def _check(settings: Settings, args: argparse.Namespace) -> int:
    print(f"ok    settings: VOD {settings.vod_endpoint}, project {settings.vod_project_id}, "
          f"auth {settings.auth_mode.value}")
    failures = 0
    async with VodClient.from_settings(settings) as vod:
        try:
            total = await vod.count_assets()
            print(f"ok    VOD: {settings.auth_mode.value} credentials accepted, "
                  f"{total} asset(s) in the library")
        except VodError as exc:
            failures += 1
            print(f"FAIL  VOD: {_describe_vod_error(exc)}")
    try:
        async with _migrated_store(settings) as store:
            await store.ping()
        print("ok    audit store: reachable and migrated")
    except StoreUnavailable as exc:
        failures += 1
        print(f"FAIL  audit store: {exc}")
    slack_problems = settings.slack_problems()
    if slack_problems:
        failures += 1
        for name, why in slack_problems.items():
            print(f"FAIL  Slack: {name}: {why}")
    else:
        print("ok    Slack: settings present" + (" (Socket Mode)" if settings.socket_mode else ""))
    return EXIT_REFUSED if failures else EXIT_OK


_COMMANDS: dict[str, Command] = {
    "snapshots": _snapshots,
    "set-cover": _set_cover,
    "capture": _capture,
    "history": _history,
    "check": _check,
}


def _report(outcome: Outcome) -> int:
    match outcome:
        case Changed():
            print(f"Cover of {outcome.asset_title} ({outcome.asset_id}) set to "
                  f"{outcome.snapshot_url}. VOD takes 3 to 5 minutes to show it everywhere.")
            return EXIT_OK
        case Failed():
            return _vod_failure(outcome.error)
        case Unknown():
            print(f"unknown: VOD did not confirm the new cover of {outcome.asset_id}: "
                  f"{_describe_vod_error(outcome.error)}", file=sys.stderr)
            return EXIT_UNKNOWN
        case Busy():
            print(f"error: another cover change of {outcome.pending.asset_id} is in progress; "
                  "try again in a minute.", file=sys.stderr)
        case Duplicate():
            print("error: this change was already requested.", file=sys.stderr)
        case Denied() | NotRecorded():
            print(f"error: {outcome.reason}", file=sys.stderr)
    return EXIT_REFUSED


def _vod_failure(error: VodError) -> int:
    print(f"error: {_describe_vod_error(error)}", file=sys.stderr)
    return EXIT_USAGE if isinstance(error, InvalidArgument) else EXIT_REFUSED


def _describe_vod_error(error: VodError) -> str:
    details = [part for part in (error.code, error.request_id and f"request id {error.request_id}")
               if part]
    suffix = f" [{', '.join(details)}]" if details else ""
    return f"{error.message} {error.explanation}{suffix}"


def format_history_line(record: ChangeRecord) -> str:
    when = record.requested_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    error = f" {record.error_code}" if record.error_code else ""
    return (f"{when}  {record.status.value:<9}{error}  {record.user_id} ({record.source.value})  "
            f"{record.snapshot_url}")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
