"""`/setcover`: its grammar (`parse_command`, pure) and its listener (`register`).

    (empty) | help            usage, with examples
    <asset_id>                snapshot picker (ephemeral)
    <asset_id> at <times>     new snapshots at those times (`1:23`, `83s`, `1:02:03`; ≤ 10)
    <snapshot URL>            set that snapshot as its asset's cover now, outcome to channel
    search <words>            matching assets, each with a "Pick a cover" button
    history <asset_id>        the last changes of that asset

The listener acknowledges at once (help and mistakes are answered in the acknowledgement
itself, costing no `response_url` post) and leaves VOD and store work to a tracked task.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot import observe
from bot.slack import blocks
from bot.store import Source
from bot.text import visible
from bot.timecodes import TimecodeError, parse_times
from bot.vod.client import search_words
from bot.vod.errors import InvalidArgument, SnapshotUrlError
from bot.vod.snapshot_url import is_asset_id, parse_snapshot_url
from bot.vod.url_auth import unsign

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncAck, AsyncApp

    from bot.slack.runtime import Runtime

@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ShowPicker:
    asset_id: str


@dataclass(frozen=True)
class Capture:
    asset_id: str
    seconds: list[int]


@dataclass(frozen=True)
class SetFromUrl:
    url: str
    asset_id: str


@dataclass(frozen=True)
class Search:
    words: str


@dataclass(frozen=True)
class History:
    asset_id: str


@dataclass(frozen=True)
class Invalid:
    problem: str


Command = Help | ShowPicker | Capture | SetFromUrl | Search | History | Invalid

#: More than any command of the grammar needs (a snapshot URL is at most 1,024 characters,
#: and Slack may send it twice, as `<url|url>`); longer text is refused before any parse,
#: so no part of the grammar ever works on an attacker's megabyte.
MAX_COMMAND_TEXT = 3000


def parse_command(text: str | None, snapshot_hosts: list[str]) -> Command:
    """What the text after `/setcover` asks for; `Invalid` says what was wrong."""
    if text is not None and len(text) > MAX_COMMAND_TEXT:
        return Invalid(f"That is {len(text):,} characters; a `{blocks.COMMAND}` command is "
                       f"at most {MAX_COMMAND_TEXT:,}.")
    text = " ".join((text or "").split())
    if not text or text.lower() in {"help", "-h", "--help", "?"}:
        return Help()
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    if verb == "search":
        if not rest.strip():
            return Invalid("`search` needs words to look for, e.g. "
                           f"`{blocks.COMMAND} search launch trailer`.")
        try:
            words = search_words(html.unescape(rest))
        except InvalidArgument as exc:
            return Invalid(exc.message)
        return Search(words)
    if verb == "history":
        if not rest:
            return Invalid(f"`history` needs an asset id, e.g. `{blocks.COMMAND} history "
                           "2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4`.")
        if " " in rest or not is_asset_id(rest):
            return Invalid(f"`{visible(rest)}` is not an asset id: asset ids are one "
                           "word of letters, digits, `-` and `_`.")
        return History(rest)
    url = _unwrap_link(text)
    if url is not None:
        if " " in url:
            return Invalid("Give the snapshot URL alone, with nothing after it.")
        try:
            # A signed URL (hotlink protection) names the same snapshot as the plain one.
            ref = parse_snapshot_url(unsign(url), snapshot_hosts)
        except SnapshotUrlError as exc:
            return Invalid(f"{exc.message} {exc.explanation}")
        return SetFromUrl(url=ref.url, asset_id=ref.asset_id)
    if " " not in text and is_asset_id(text):
        return ShowPicker(text)
    first, _, times = text.partition(" ")
    if is_asset_id(first) and times.lower().startswith("at"):
        word, _, rest = times.partition(" ")
        if word.lower() == "at":
            try:
                return Capture(first, parse_times(rest.split()))
            except TimecodeError as exc:
                return Invalid(str(exc))
    return Invalid(f"I did not understand `{visible(text)}`.")


def _unwrap_link(text: str) -> str | None:
    """`<https://…>`, `<https://…|label>` (how Slack sends links) or a bare URL; else None."""
    if text.startswith("<") and text.endswith(">"):
        inner = text[1:-1]
        if inner.startswith(("@", "#", "!")):
            return None
        return html.unescape(inner.split("|", 1)[0]).strip()
    if "://" in text.split(" ", 1)[0]:
        return html.unescape(text)
    return None


# ---- the listener ---------------------------------------------------------------------


def register(app: AsyncApp, runtime: Runtime) -> None:
    from bot.slack import flows

    async def setcover(ack: AsyncAck, body: dict[str, Any]) -> None:
        command = parse_command(body.get("text"), runtime.settings.vod_snapshot_hosts)
        named = command if isinstance(command, ShowPicker | SetFromUrl | History) else None
        observe.note(kind=observe.snake(type(command).__name__),
                     asset=named.asset_id if named else None)
        if isinstance(command, Help):
            await ack(**blocks.usage())
            return
        if isinstance(command, Invalid):
            await ack(**blocks.usage(command.problem))
            return
        if isinstance(command, SetFromUrl):
            await ack(text=f":hourglass_flowing_sand: Setting the cover of `{command.asset_id}`…")
        elif isinstance(command, Capture):
            await ack(**blocks.capture_asked(command.asset_id, command.seconds))
        else:
            await ack()
        actor = flows.command_actor(body)
        reply = runtime.response_url(body.get("response_url"))
        # What makes a command once: its trigger id, the same in Slack's retries of it.
        key = f"slack-command:{body.get('trigger_id') or uuid.uuid4()}"
        match command:
            case ShowPicker(asset_id):
                work = flows.show_picker(runtime, actor, reply, asset_id,
                                          source=Source.COMMAND)
            case Capture(asset_id, seconds):
                work = flows.capture(runtime, actor, reply, asset_id, seconds,
                                     source=Source.COMMAND, key=key)
            case SetFromUrl(url, asset_id):
                work = flows.change_cover(runtime, actor, reply, asset_id=asset_id, url=url,
                                          key=key, source=Source.COMMAND)
            case Search(words):
                work = flows.search(runtime, actor, reply, words)
            case History(asset_id):
                work = flows.history(runtime, actor, reply, asset_id)
        runtime.spawn(work, reply, replace=False)

    app.command(blocks.COMMAND)(setcover)
