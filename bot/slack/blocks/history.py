"""Looking things up: videos by title, and the change history of one video."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.blocks.ids import ActionId, BlockId, action_id, block_id
from bot.slack.blocks.primitives import (
    COMMAND,
    MAX_BLOCKS,
    Message,
    button,
    context,
    esc,
    inert,
    link,
    message,
    section,
    slack_date,
    who,
)
from bot.slack.blocks.values import encode
from bot.store.records import ChangeRecord, Source, Status
from bot.vod.client import SEARCH_LIMIT
from bot.vod.models import AssetSummary
from bot.vod.snapshot_url import is_snapshot_url
from bot.vod.url_auth import Sign


def search_results(words: str, assets: Sequence[AssetSummary]) -> Message:
    if not assets:
        return message(f"No video title matches {words}", [section(
            f"No video title matches *{esc(words)}*. Try fewer or other words, or give the "
            f"asset id: `{COMMAND} {esc('<asset id>')}`."
        )])
    if len(assets) >= SEARCH_LIMIT:
        heading = (f"The first {len(assets)} videos matching *{esc(words)}* (more words "
                   "narrow it down):")
    else:
        heading = f"{_count(len(assets), 'video')} matching *{esc(words)}*:"
    blocks = [section(heading)]
    for index, asset in enumerate(assets[: MAX_BLOCKS - 1]):
        blocks.append(section(
            f"*{esc(asset.title or asset.asset_id)}*\n`{asset.asset_id}`",
            block=block_id(BlockId.SEARCH_RESULT, index),
            accessory=button("Pick a cover", action_id(ActionId.PICK_ASSET, index),
                             encode(a=asset.asset_id)),
        ))
    return message(f"{_count(len(assets), 'video')} match {words}", blocks)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def history(
    asset_id: str, records: Sequence[ChangeRecord], *, snapshot_hosts: Sequence[str],
    sign: Sign = str,
) -> Message:
    """The last changes of an asset, newest first.

    A recorded URL is a link (through `sign`) only if it passes the snapshot-URL parse on
    `snapshot_hosts`; any other (a row written before that rule) is shown as inert code
    text.
    """
    if not records:
        return message(f"No cover changes recorded for {asset_id}", [section(
            f"No cover changes of `{esc(asset_id)}` are on record."
        )])
    title = next((r.asset_title for r in records if r.asset_title), None)
    name = f"*{esc(title)}* (`{esc(asset_id)}`)" if title else f"`{esc(asset_id)}`"
    blocks = [section(f"The last {_count(len(records), 'cover change')} of {name}, newest "
                      "first:")]
    for index, record in enumerate(records[: MAX_BLOCKS - 1]):
        snapshot = _recorded_snapshot(record.snapshot_url, snapshot_hosts, sign)
        blocks.append(context(
            f"*{record.id}* · {slack_date(record.requested_at)} · {who(record.user_id)} · "
            f"{snapshot} · {_status_text(record)} · {_SOURCE_WORDS[record.source]}"
            + (f" of change {record.undoes}" if record.undoes is not None else ""),
            block=block_id(BlockId.HISTORY_ENTRY, index),
        ))
    return message(f"Last cover changes of {asset_id}", blocks)


def _recorded_snapshot(url: str, snapshot_hosts: Sequence[str], sign: Sign) -> str:
    """A link named after the snapshot's own file (`sample/2.jpg`), so the entries of a
    history can be told apart; a recorded URL that is not a snapshot URL stays inert."""
    if not url:
        return "no snapshot"
    if is_snapshot_url(url, snapshot_hosts):
        return link(sign(url), "/".join(url.rsplit("/", 2)[-2:]))
    return f"not a snapshot URL: `{inert(url)}`"


_STATUS_ICONS = {
    Status.PENDING: ":hourglass_flowing_sand:",
    Status.SUCCEEDED: ":white_check_mark:",
    Status.FAILED: ":x:",
    Status.UNKNOWN: ":grey_question:",
    Status.DENIED: ":no_entry:",
    Status.BUSY: ":hourglass:",
    Status.DUPLICATE: ":repeat:",
}
_STATUS_WORDS = {
    Status.PENDING: "in progress",
    Status.SUCCEEDED: "changed",
    Status.FAILED: "failed",
    Status.UNKNOWN: "not confirmed by VOD (may be live)",
    Status.DENIED: "not allowed",
    Status.BUSY: "refused: another change was under way",
    Status.DUPLICATE: "repeated",
}
#: VOD's error code says more than the status only for these.
_CODED = {Status.FAILED, Status.UNKNOWN}
_SOURCE_WORDS = {
    Source.COMMAND: "typed in Slack",
    Source.BUTTON: "picked in Slack",
    Source.CLI: "from a terminal",
    Source.UNDO: "undo",
    Source.CAPTURE: "set by VOD's snapshot task (a capture)",
}


def _status_text(record: ChangeRecord) -> str:
    text = f"{_STATUS_ICONS[record.status]} {_STATUS_WORDS[record.status]}"
    if record.error_code and record.status in _CODED:
        text += f" (`{esc(record.error_code)}`)"
    return text
