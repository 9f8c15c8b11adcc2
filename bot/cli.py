"""`setcover-bot`: serve Slack, or use the same client and store from a terminal.

    setcover-bot [serve]              run the Slack app (HTTP, or Socket Mode with SLACK_APP_TOKEN)
    setcover-bot check                try Slack, VOD and the store with these settings
    setcover-bot search WORDS…        find videos by title: their asset ids
    setcover-bot snapshots ASSET_ID   show an asset's title, cover and snapshots (--scores)
    setcover-bot set-cover URL        set a snapshot as its asset's cover (recorded as `cli`)
    setcover-bot capture ASSET_ID TIME…  new snapshots at those times (1:23, 83s, 1:02:03)
    setcover-bot history ASSET_ID     the last changes of an asset (with their ids)
    setcover-bot undo CHANGE_ID       put back the cover the video had before that change
    setcover-bot demo-vod             a local VOD stand-in with sample videos, to try it out

Each subcommand is one `Subcommand` in `COMMANDS`: its `--help` text, its arguments and
the function that runs it. Exit status: 0 on success, 1 when VOD, Slack or the store
refused, 2 for bad input or settings, 3 when VOD did not confirm a change (it may be
live; running it again is safe).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, assert_never

from bot.check import Verdict, run_check
from bot.config import ConfigError, LogLevel, Settings, load_settings, read_settings
from bot.covers import (
    Actor,
    BadTimes,
    Busy,
    Captured,
    CaptureFailed,
    CaptureLimited,
    CaptureOutcome,
    CaptureRepeated,
    CaptureTimedOut,
    Changed,
    CoverRequest,
    CoverService,
    Denied,
    Duplicate,
    Failed,
    NotRecorded,
    NotUndoable,
    Outcome,
    Undone,
    UndoOutcome,
    Unknown,
)
from bot.logs import configure_logging
from bot.services import open_services
from bot.sheet import Frame, FrameScore, SheetMaker, suggest
from bot.store import AuditStore, ChangeRecord, Source, Status, StoreUnavailable
from bot.text import visible
from bot.timecodes import TimecodeError, parse_times
from bot.vod.client import VodClient
from bot.vod.errors import InvalidArgument, SnapshotUrlError, VodError
from bot.vod.models import Asset
from bot.vod.snapshot_url import MAX_URL_LENGTH
from bot.vod.url_auth import Sign, url_signer

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
Runner = Callable[[argparse.Namespace], int]
Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

SETTINGS_HELP = """\
Settings come from the environment and from a .env file in the working directory
(.env.example lists them all; --env-file reads another file). Variables set in the
environment win over the file."""
EXIT_HELP = """\
exit status:
  0  done
  1  VOD, Slack or the audit store refused or could not be reached (the reason, VOD's
     error code and request id are printed)
  2  bad arguments or settings (every bad variable is named at once)
  3  VOD did not confirm a change: it may be live; running the command again is safe"""
_VOD_REFUSED = ("VOD refused or could not be reached (the reason, VOD's error code and "
                "request id are printed)")
_STORE_REFUSED = "the audit store could not be used (the reason is printed)"


def exit_help(refused: str, *, done: str = "done", bad: str = "bad arguments or settings "
              "(every bad variable is named at once)", unknown: bool = False) -> str:
    """The `exit status:` part of one subcommand's --help: only the codes it returns."""
    lines = [f"  {EXIT_OK}  {done}", f"  {EXIT_REFUSED}  {refused}", f"  {EXIT_USAGE}  {bad}"]
    if unknown:
        lines.append(f"  {EXIT_UNKNOWN}  VOD did not confirm the change: it may be live; "
                     "running the command again is safe")
    return "exit status:\n" + "\n".join(lines)


@dataclass(frozen=True)
class Subcommand:
    """One `setcover-bot` subcommand: what `--help` says, its arguments, what runs."""

    run: Runner
    summary: str
    description: str
    exit_help: str
    arguments: Callable[[argparse.ArgumentParser], object] = lambda parser: None
    reads_settings: bool = True


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = COMMANDS[args.command or "serve"]
    try:
        return command.run(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="setcover-bot",
        description="Set a Huawei Cloud VOD video's cover from Slack or from a terminal. "
                    "Without a command: serve.",
        epilog=f"{SETTINGS_HELP}\n\n{EXIT_HELP}\n\n"
               "`setcover-bot COMMAND --help` describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file", metavar="FILE", type=Path,
        help="read settings from FILE instead of ./.env (the environment still wins)",
    )
    parser.set_defaults(env_file=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        settings_help = f"{SETTINGS_HELP}\n\n" if command.reads_settings else ""
        command.arguments(sub.add_parser(
            name, help=command.summary, description=command.description,
            epilog=settings_help + command.exit_help,
            parents=[common] if command.reads_settings else [],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        ))
    return parser


def _settings(args: argparse.Namespace, *, serving: bool = False) -> Settings:
    """The settings for this run (`ConfigError` names every bad one); logging set up."""
    settings = load_settings(serving=serving, _env_file=_env_file(args))
    _configure_logging(settings, terminal=not serving)
    return settings


def _configure_logging(settings: Settings, *, terminal: bool) -> None:
    """In a terminal the printed answer is the point: the log shows warnings and errors
    only, unless LOG_LEVEL is set."""
    if terminal and "log_level" not in settings.model_fields_set:
        settings = settings.model_copy(update={"log_level": LogLevel.WARNING})
    configure_logging(settings)


def _env_file(args: argparse.Namespace) -> Path:
    env_file: Path | None = args.env_file
    if env_file is not None and not env_file.is_file():
        raise ConfigError({"--env-file": f"{env_file} is not a file"})
    return env_file or Path(".env")


def _with_settings(command: Command) -> Runner:
    """A subcommand that reads the settings, then runs `command` on an event loop."""

    def run(args: argparse.Namespace) -> int:
        return asyncio.run(command(_settings(args), args))

    return run


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args, serving=True)
    # The store is migrated here first so that an unreachable database is one clear line,
    # not the server's start-up traceback; the server's own migration is then a no-op.
    try:
        asyncio.run(_prepare_store(settings))
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    from bot.web import serve  # both modes: Socket Mode serves its health checks on PORT

    _freeze_start_up_heap()
    serve(settings)
    return EXIT_OK


def _freeze_start_up_heap() -> None:
    """Move what start-up created (modules, classes, settings: it lives as long as the
    process) out of the garbage collector's reach. Its full passes otherwise walk that
    whole heap, stalling the event loop for 50-300 ms under load (issue 10). (No collection
    first: start-up leaves next to no garbage, and a full pass would cost 0.1-0.3 s.)"""
    gc.freeze()


async def _snapshots(settings: Settings, args: argparse.Namespace) -> int:
    async with VodClient.from_settings(settings) as vod:
        try:
            asset = await vod.get_asset(args.asset_id)
        except VodError as exc:
            return _vod_failure(exc)
        scores = (await _scores(vod, asset, url_signer(settings))
                  if args.scores and asset.snapshots else None)
    print("\n".join(snapshot_table(asset, scores)))
    return EXIT_OK


async def _scores(vod: VodClient, asset: Asset, sign: Sign) -> list[FrameScore]:
    """Each snapshot's score, as the picker's suggestion judges it (Pillow loads here);
    downloads signed as `VOD_URL_AUTH` says."""
    maker = SheetMaker(vod.http, sign=sign)
    try:
        return await maker.score(frames_of(asset))
    finally:
        maker.close()


SNAPSHOT_KINDS = ("Kinds: sample = taken at regular intervals by VOD's snapshot setting, "
                  "dots = at times someone chose (`capture`), quantity = a set number spread "
                  "over the video.")
SCORE_LEGEND = ("Score: 0 to 1 against the best frame here (sharpness, contrast, colour); "
                "* = suggested; dark, flat and blurry frames are never suggested.")


def snapshot_table(asset: Asset, scores: Sequence[FrameScore] | None = None) -> list[str]:
    """`snapshots`' answer: the asset, then one line a snapshot under column headers, the
    current cover marked, and what the kinds (and scores) mean."""
    on_list = asset.cover_url in asset.snapshot_urls
    cover = asset.cover_url or "(none)"
    lines = [f"Title:         {asset.title}", f"Asset id:      {asset.asset_id}",
             f"Current cover: {cover}" + ("" if on_list or not asset.cover_url
                                          else " (not one of its snapshots)")]
    if not asset.snapshots:
        why = asset.exec_desc or asset.thumbnail_status or "VOD has not made any yet"
        return [*lines, f"No snapshots: {why}"]
    suggested = suggest(scores) if scores is not None else frozenset[str]()
    score_column = scores is not None

    def row(number: str, kind: str, time: str, score: str, current: str, url: str) -> str:
        scored = f"{score:<12}" if score_column else ""
        return f"{number:>3}  {kind:<9} {time:<7}  {scored}{current:<8} {url}".rstrip()

    lines += ["", row("#", "KIND", "TIME", "SCORE", "COVER", "URL")]
    for index, snapshot in enumerate(asset.snapshots):
        score = ""
        if scores is not None:
            frame = scores[index]
            score = frame.dropped or f"{frame.score:.2f}"
            score += " *" if frame.url in suggested else ""
        current = "current" if snapshot.url == asset.cover_url else ""
        lines.append(row(str(index + 1), snapshot.kind, snapshot.offset_label, score, current,
                         visible(snapshot.url, MAX_URL_LENGTH)))
    lines.append(SNAPSHOT_KINDS)
    if scores is not None:
        lines.append(SCORE_LEGEND)
        if any(frame.dropped == "unavailable" for frame in scores):
            lines.append("unavailable: the picture could not be downloaded or read "
                         "(LOG_LEVEL=INFO says why).")
    return lines


def frames_of(asset: Asset) -> list[Frame]:
    """The asset's snapshots as numbered frames, in offset order (the picker's order)."""
    return [Frame(number=n, offset=s.offset, url=s.url, is_current=s.url == asset.cover_url)
            for n, s in enumerate(asset.snapshots, start=1)]


async def _set_cover(settings: Settings, args: argparse.Namespace) -> int:
    request = CoverRequest(
        actor=Actor(team_id="", channel_id="", user_id=f"cli:{_os_user()}"),
        snapshot_url=args.snapshot_url,
        source=Source.CLI,
        idempotency_key=f"cli:{uuid.uuid4()}",
    )
    try:
        async with open_services(settings, slack_client=None) as services:
            # The operator's own cloud credentials: recorded, but no Slack policy to ask.
            outcome = await services.covers.change(request, apply_policy=False)
            status = _report(outcome)  # the change first, then the CDN refresh
            if isinstance(outcome, Changed):
                await _refresh_cdn(services.covers, outcome)
    except VodError as exc:
        return _vod_failure(exc)
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return status


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
                                                    source=Source.CLI, apply_policy=False)
            status = _report_capture(outcome, args.asset_id)
            if isinstance(outcome, Captured) and outcome.changed is not None:
                # VOD's task changed the cover: its CDN copies are refreshed as after any
                # change, once that is printed.
                await _refresh_cdn(services.covers, outcome.changed)
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return status


def _report_capture(outcome: CaptureOutcome, asset_id: str) -> int:
    """Print how a capture ended; the exit status."""
    match outcome:
        case Captured():
            for snapshot in outcome.new:
                print(f"{snapshot.offset_label:>8}  {snapshot.url}")
            if not outcome.new:
                print("VOD finished the snapshot task but made no new snapshots.")
            if outcome.replaced_by is not None:
                change_id = outcome.changed.change_id if outcome.changed else None
                undo = f"; change {change_id}: `setcover-bot undo {change_id}` puts it back" \
                    if change_id is not None else ""
                print(f"note: VOD made {outcome.replaced_by} the cover (the cover before was "
                      f"{outcome.cover_replaced or 'none'}){undo}", file=sys.stderr)
            return EXIT_OK
        case CaptureFailed():
            print(f"error: VOD could not make the snapshots: {outcome.reason}", file=sys.stderr)
        case CaptureTimedOut():
            print(f"error: VOD had not finished after {int(outcome.waited_s)} s "
                  f"(status {outcome.status or 'unknown'}); run `setcover-bot snapshots "
                  f"{asset_id}` later.", file=sys.stderr)
        case CaptureRepeated():
            existing = outcome.existing
            print(f"error: the same capture was asked for already (capture {existing.id} by "
                  f"{existing.user_id}, {existing.status}), so VOD was not asked again; its "
                  f"snapshots: `setcover-bot snapshots {asset_id}`.", file=sys.stderr)
        case CaptureLimited():  # Slack users only: the command line is not counted
            print(f"error: captures are limited to {outcome.per_hour} an hour",
                  file=sys.stderr)
        case BadTimes():
            print(f"error: {outcome.problem}", file=sys.stderr)
            return EXIT_USAGE
        case Failed():
            return _vod_failure(outcome.error)
        case Denied() | NotRecorded():
            print(f"error: {outcome.reason}", file=sys.stderr)
        case _:
            assert_never(outcome)
    return EXIT_REFUSED


async def _undo(settings: Settings, args: argparse.Namespace) -> int:
    actor = Actor(team_id="", channel_id="", user_id=f"cli:{_os_user()}")
    try:
        async with open_services(settings, slack_client=None) as services:
            # The operator's own cloud credentials: recorded, but no Slack policy to ask.
            outcome = await services.covers.undo(actor, args.change_id, apply_policy=False)
            status = _report_undo(args.change_id, outcome)
            if isinstance(outcome, Undone):
                await _refresh_cdn(services.covers, outcome.changed)
    except VodError as exc:
        return _vod_failure(exc)
    except StoreUnavailable as exc:
        print(f"error: the audit store cannot be used: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return status


def _report_undo(change_id: int, outcome: UndoOutcome) -> int:
    match outcome:
        case Undone():
            changed = outcome.changed
            print(f"changed: change {changed.change_id} undid change {change_id}: the "
                  f"cover of {changed.asset_title} ({changed.asset_id}) is "
                  f"{changed.snapshot_url} again.{_undo_hint(changed)}", flush=True)
            return EXIT_OK
        case NotUndoable() if outcome.later is not None:
            print(f"error: change {change_id} cannot be undone: the cover was changed "
                  f"again after it (change {outcome.later.id}, by {outcome.later.user_id}). "
                  f"Undo that one first (setcover-bot undo {outcome.later.id}), or pick a "
                  f"snapshot: `setcover-bot snapshots {outcome.later.asset_id}`.",
                  file=sys.stderr)
            return EXIT_REFUSED
        case NotUndoable():
            pick = (f" `setcover-bot snapshots {outcome.pick_from}` lists its snapshots, for "
                    "`setcover-bot set-cover`.") if outcome.pick_from else ""
            print(f"error: change {change_id} cannot be undone: {outcome.reason}{pick}",
                  file=sys.stderr)
            return EXIT_REFUSED
        case Duplicate() if outcome.existing.status is Status.SUCCEEDED:
            print(f"error: change {change_id} was already undone (change "
                  f"{outcome.existing.id}).", file=sys.stderr)
            return EXIT_REFUSED
    return _report(outcome)  # the rest as any change's outcome


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


def _check(args: argparse.Namespace) -> int:
    # Bad VOD or store settings stop here with every bad variable, Slack's too; with those
    # right, whatever Slack lacks is reported among the findings.
    settings, problems = read_settings(_env_file=_env_file(args))
    if problems:
        raise ConfigError(
            problems | (settings.slack_problems() if settings.slack_configured else {}))
    _configure_logging(settings, terminal=True)
    findings = asyncio.run(run_check(settings))
    for finding in findings:
        print(finding)
    return EXIT_OK if all(f.verdict is not Verdict.FAIL for f in findings) else EXIT_REFUSED


async def _search(settings: Settings, args: argparse.Namespace) -> int:
    words = " ".join(args.words)
    async with VodClient.from_settings(settings) as vod:
        try:
            found = await vod.search_assets(words)
        except VodError as exc:
            return _vod_failure(exc)
    if not found:
        print(f"No video matches {words!r}.")
    for asset in found:
        print(f"{asset.asset_id}  {asset.title}")
    return EXIT_OK


def _report(outcome: Outcome) -> int:
    match outcome:
        case Changed():
            print(f"changed: change {outcome.change_id}: the cover of {outcome.asset_title} "
                  f"({outcome.asset_id}) is now {outcome.snapshot_url}. VOD takes 3 to 5 "
                  f"minutes to show it everywhere.{_undo_hint(outcome)}", flush=True)
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
        case _:
            assert_never(outcome)
    return EXIT_REFUSED


def _undo_hint(changed: Changed) -> str:
    return f" To undo: setcover-bot undo {changed.change_id}" if changed.change_id else ""


async def _refresh_cdn(covers: CoverService, changed: Changed) -> None:
    """Once the change is printed: a refused CDN refresh is a note, the cover is changed
    all the same."""
    refresh = await covers.refresh_cdn(changed)
    if refresh is not None and refresh.refused is not None:
        print(f"note: VOD refused to refresh its CDN copies ({refresh.refused}): viewers may "
              "see the old cover for a while; the cover is changed.", file=sys.stderr)


def _vod_failure(error: VodError) -> int:
    print(f"error: {_describe_vod_error(error)}", file=sys.stderr)
    return EXIT_USAGE if isinstance(error, InvalidArgument) else EXIT_REFUSED


def _describe_vod_error(error: VodError) -> str:
    details = [part for part in (error.code, error.request_id and f"request id {error.request_id}")
               if part]
    suffix = f" [{', '.join(details)}]" if details else ""
    pick = "`setcover-bot snapshots ASSET_ID` lists them." \
        if isinstance(error, SnapshotUrlError) else ""
    return " ".join(part for part in (error.message, error.explanation, pick) if part) + suffix


def format_history_line(record: ChangeRecord) -> str:
    """One line a change; what was recorded is shown escaped, so a URL stored before the
    snapshot rule cannot send escape sequences to the operator's terminal."""
    when = record.requested_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    error = f" {record.error_code}" if record.error_code else ""
    source = record.source.value + (f" of {record.undoes}" if record.undoes is not None else "")
    return (f"{record.id:>6}  {when}  {record.status.value:<9}{error}  {record.user_id} "
            f"({source})  {visible(record.snapshot_url, MAX_URL_LENGTH)}")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _asset_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("asset_id", metavar="ASSET_ID",
                        help="a VOD asset id (32 letters and digits; `search` finds them)")


def _snapshots_arguments(parser: argparse.ArgumentParser) -> None:
    _asset_id(parser)
    parser.add_argument("--scores", action="store_true",
                        help="download each snapshot and score it as the picker's suggestion "
                             "does: a score from 0 to 1, or why it is dropped (dark, flat, "
                             "blurry)")


def _snapshot_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot_url", metavar="URL",
                        help="a snapshot URL as `snapshots` lists it, https://…/asset/"
                             "<asset_id>/snapshot/…jpg, on a host of VOD_SNAPSHOT_HOSTS")


def _capture_arguments(parser: argparse.ArgumentParser) -> None:
    _asset_id(parser)
    parser.add_argument("times", metavar="TIME", nargs="+",
                        help="a time in the video: 1:23, 83s or 1:02:03")


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    from bot.standin.demo import DEFAULT_PORT  # the stand-in is no part of a served bot

    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"the port on 127.0.0.1 to serve on (default {DEFAULT_PORT})")
    parser.add_argument("--write", metavar="FILE", type=Path, default=Path("demo.env"),
                        help="where to write the settings (default demo.env); in an existing "
                             "file only the stand-in's own lines are rewritten")


def _demo_vod(args: argparse.Namespace) -> int:
    from bot.standin.demo import run

    return run(args.port, args.write)


def _change_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("change_id", metavar="CHANGE_ID", type=int,
                        help="a change id, as `history` shows it (first column)")


def _words(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", metavar="WORDS", nargs="+",
                        help="words of the title or description (under 128 characters)")


#: The subcommands, in the order `--help` lists them.
COMMANDS: dict[str, Subcommand] = {
    "serve": Subcommand(
        _serve, "run the Slack app (the default)",
        "Run the Slack app: in Socket Mode when SLACK_APP_TOKEN is set, else over HTTP on "
        "$PORT (POST /slack/events, GET /healthz, GET /readyz). Needs the Slack settings "
        "as well as VOD's; stops cleanly on SIGTERM or Ctrl-C.",
        exit_help(_STORE_REFUSED, done="stopped with SIGTERM or Ctrl-C"),
    ),
    "check": Subcommand(
        _check, "try Slack, VOD and the audit store with these settings",
        "Try every part with these settings, changing nothing: Slack's auth.test with the "
        "bot token (workspace, bot user, missing scopes), the app token (Socket Mode), the "
        "allowed user groups, one read-only VOD call, the audit store. One line a part: "
        "ok, FAIL with what to check, or skip for a part not configured yet.",
        exit_help("a part failed (its line says FAIL, and what to check)",
                  done="every part configured works (a part not configured yet says skip)",
                  bad="bad settings (every bad variable is named at once)"),
    ),
    "search": Subcommand(
        _with_settings(_search), "find videos by title: their asset ids",
        "Search the VOD library by title or description and print up to ten matches, "
        "one a line: asset id, title.", exit_help(_VOD_REFUSED), _words,
    ),
    "snapshots": Subcommand(
        _with_settings(_snapshots), "show an asset's title, current cover and snapshots",
        "Print a video's title, asset id and current cover, then each snapshot in offset "
        "order: its number (as on the picker's buttons), kind, time, `current` for the "
        "cover, and its URL (what `set-cover` takes). With --scores, also each snapshot's "
        "score, the suggested ones starred.", exit_help(_VOD_REFUSED), _snapshots_arguments,
    ),
    "set-cover": Subcommand(
        _with_settings(_set_cover), "set a snapshot as its video's cover",
        "Set the snapshot at URL as its video's cover and print the change id (what `undo` "
        "takes). Recorded in the audit store with source `cli` and your login name; the "
        "Slack policy (SETCOVER_ALLOWED_*) does not apply to a terminal.",
        exit_help("VOD or the audit store refused or could not be reached, or another "
                  "change of the video is under way (the reason is printed)", unknown=True),
        _snapshot_url,
    ),
    "capture": Subcommand(
        _with_settings(_capture), "new snapshots of a video at chosen times",
        "Ask VOD for snapshots of a video at the times given, wait for them (bounded) and "
        "print each new one: offset and URL, ready for `set-cover`. Recorded in the audit "
        "store with source `cli`.",
        exit_help("VOD or the audit store refused, the snapshot task failed, or it had not "
                  "finished in time (the reason is printed)"),
        _capture_arguments,
    ),
    "undo": Subcommand(
        _with_settings(_undo), "put back the cover a video had before a change",
        "Undo change CHANGE_ID: set again the snapshot of the video's previous succeeded "
        "change, or the cover VOD reported before it when that is still one of its "
        "snapshots. Recorded with source `undo`, linked to the change; once per change. "
        "Only the video's latest change can be undone, while VOD still shows its cover; "
        "any Slack workspace's change may be.",
        exit_help("the change cannot be undone, or VOD or the audit store refused or could "
                  "not be reached (the reason is printed)", unknown=True),
        _change_id,
    ),
    "history": Subcommand(
        _with_settings(_history), "the last cover changes of a video",
        "Print the last 10 recorded cover changes of a video, newest first: change id, "
        "when, outcome (and VOD's error code), who, from where, which snapshot.",
        exit_help(_STORE_REFUSED), _asset_id,
    ),
    "demo-vod": Subcommand(
        _demo_vod, "a local VOD stand-in with sample videos, to try the bot",
        "Start a stand-in for Huawei Cloud VOD on 127.0.0.1 with sample videos (the tests' "
        "fake VOD: it checks AK/SK signatures like the cloud), write the settings that reach "
        "it to FILE, and serve until Ctrl-C. Every other command then works against it with "
        "--env-file FILE; add Slack tokens to FILE to try Socket Mode. Needs no settings.",
        exit_help("the port is taken, or FILE cannot be written",
                  done="stopped with Ctrl-C or SIGTERM", bad="bad arguments"),
        _demo_arguments,
        reads_settings=False,
    ),
}


if __name__ == "__main__":
    raise SystemExit(main())
