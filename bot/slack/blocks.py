"""Pure Block Kit builders: data in, a message (`{"text": …, "blocks": […]}`) out.

Nothing here talks to Slack, VOD or the store, so every message the bot can send is built
and checked in unit tests (against Slack's limits and slack_sdk's block models:
`tests/blockkit.py`). Handlers add `response_type` and `replace_original` when they send.

Ids are enums (`ActionId`, `BlockId`); an id that must be unique within a message gets a
`:<n>` suffix, and listeners match the prefix. Button values are compact JSON (`encode` /
`decode`) carrying what a click needs: the asset id, the snapshot URL (a snapshot URL is at
most `MAX_URL_LENGTH` characters, so it always fits), and the picker's nonce, from which
the idempotency key of the change is made, so a double click or a Slack retry of the same
click changes nothing twice.
"""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.store.records import ChangeRecord, FollowUpState, Status
from bot.text import shorten, visible
from bot.timecodes import MAX_TIMES, format_time
from bot.vod.errors import InvalidArgument, VodError
from bot.vod.models import Asset, AssetSummary, Snapshot
from bot.vod.snapshot_url import is_snapshot_url

Message = dict[str, Any]

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_BUTTON_TEXT = 75
MAX_SECTION_TEXT = 3000
MAX_ALT_TEXT = 2000

COMMAND = "/setcover"
VOD_DELAY_NOTE = "VOD takes 3 to 5 minutes to show the new cover everywhere."
IMAGES_FAILED_NOTE = (
    "Slack could not download the pictures from the video service, so they are shown as "
    "links instead."
)


class ActionId(enum.StrEnum):
    """The `action_id` prefixes the listeners match (`use_cover:3`, `picker_page:next`)."""

    USE_COVER = "use_cover"
    PICKER_PAGE = "picker_page"
    PICK_ASSET = "pick_asset"
    TRY_AGAIN = "try_again"
    CAPTURE_AT = "capture_at"
    UNDO = "undo"


class BlockId(enum.StrEnum):
    CDN_REFUSED = "cdn_refused"
    PICKER_HEADER = "picker_header"
    PICKER_NOTE = "picker_note"
    SNAPSHOT_IMAGE = "snapshot_image"
    SNAPSHOT_ACTIONS = "snapshot_actions"
    PICKER_PAGES = "picker_pages"
    PICKER_NAV = "picker_nav"
    SEARCH_RESULT = "search_result"
    HISTORY_ENTRY = "history_entry"
    OUTCOME = "outcome"
    OUTCOME_IMAGE = "outcome_image"
    RETRY = "retry"
    CAPTURE = "capture"
    CAPTURE_NOTE = "capture_note"
    UNDO = "undo"
    UNDONE = "undone"


def action_id(base: ActionId, suffix: object | None = None) -> str:
    return str(base) if suffix is None else f"{base}:{suffix}"


def block_id(base: BlockId, suffix: object | None = None) -> str:
    return str(base) if suffix is None else f"{base}:{suffix}"


# ---- button values ------------------------------------------------------------------


def new_nonce() -> str:
    """A fresh picker / try-again nonce: one nonce, at most one cover change."""
    return secrets.token_urlsafe(9)


#: Made once: `json.dumps` with arguments builds a new encoder on every call (issue 10).
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def encode(**fields: Any) -> str:
    return _COMPACT_JSON.encode({k: v for k, v in fields.items() if v is not None})


def decode(value: str | None) -> dict[str, Any]:
    """A button value back to its fields; `{}` for anything that is not ours."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def use_cover_value(asset_id: str, nonce: str, url: str) -> str:
    """What "Use as cover" and "Try again" carry; the URL is checked again on the click."""
    return encode(a=asset_id, n=nonce, u=url)


# ---- small helpers --------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{esc(label).replace('|', '¦')}>"


def slack_date(when: datetime) -> str:
    """A date Slack shows in the reader's own time zone, with a UTC fallback."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": shorten(text, MAX_SECTION_TEXT)}


def _plain(text: str, limit: int = MAX_BUTTON_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit), "emoji": True}


def section(text: str, *, block: str | None = None, accessory: dict | None = None) -> dict:
    out: dict[str, Any] = {"type": "section", "text": _mrkdwn(text)}
    if block:
        out["block_id"] = block
    if accessory:
        out["accessory"] = accessory
    return out


def context(*texts: str, block: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "context", "elements": [_mrkdwn(t) for t in texts]}
    if block:
        out["block_id"] = block
    return out


def button(
    text: str, action: str, value: str, *, style: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": _plain(text),
        "action_id": action,
        "value": value,
    }
    if style:
        out["style"] = style
    return out


def image(url: str, alt: str, *, title: str | None = None, block: str | None = None) -> dict:
    out: dict[str, Any] = {"type": "image", "image_url": url,
                           "alt_text": shorten(alt, MAX_ALT_TEXT)}
    if title:
        out["title"] = _plain(title, 2000)
    if block:
        out["block_id"] = block
    return out


def message(text: str, blocks: list[dict[str, Any]], *, mrkdwn: bool = False) -> Message:
    """`text` is the notification and screen-reader fallback of the blocks.

    Slack reads it as mrkdwn too, so a title or a typed word holding `<!channel>` would
    notify a channel: it is escaped here, unless the caller built it as mrkdwn (`mrkdwn`,
    to keep a mention) and escaped what it put in.
    """
    return {"text": shorten(text if mrkdwn else esc(text), 3000), "blocks": blocks}


# ---- usage ----------------------------------------------------------------------------

USAGE = "\n".join(
    [
        f"*`{COMMAND}`* sets a video's cover from one of its snapshots.",
        f"• `{COMMAND} <asset id>`: show the video's snapshots and pick one",
        f"• `{COMMAND} <snapshot URL>`: use that snapshot as its video's cover now",
        f"• `{COMMAND} <asset id> at 1:23 …`: new snapshots at those times (up to "
        f"{MAX_TIMES}), to pick from",
        f"• `{COMMAND} search <words>`: find videos by title",
        f"• `{COMMAND} history <asset id>`: the last cover changes of a video",
        f"• `{COMMAND} help`: this message",
    ]
)
EXAMPLES = "\n".join(
    [
        "*Examples*",
        f"`{COMMAND} 2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4`",
        f"`{COMMAND} https://1.cdn-vod.huaweicloud.com/…/asset/2f8a9c1e…/snapshot/sample/3.jpg`",
        f"`{COMMAND} 2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4 at 0:05 1:23`",
        f"`{COMMAND} search launch trailer`",
        f"`{COMMAND} history 2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4`",
    ]
)


def usage(problem: str | None = None) -> Message:
    """Help; with `problem` first when the command was not understood."""
    blocks: list[dict[str, Any]] = []
    if problem:  # mrkdwn, but what the user typed in it may hold `<!channel>`: escaped
        blocks.append(section(f":warning: {esc(problem)}"))
    blocks += [section(USAGE), section(EXAMPLES)]
    text = f"{problem} " if problem else ""
    return message(text + f"Usage: {COMMAND} <asset id> [at <times>] | <snapshot URL> | "
                   "search <words> | history <asset id> | help", blocks)


# ---- the snapshot picker --------------------------------------------------------------

#: Blocks a picker page uses besides its snapshots: header, one note, page line,
#: navigation, "Capture at…" (the links-only page, with its second note, uses one block per
#: snapshot).
_PICKER_OVERHEAD = 5
#: Snapshots on one page: each is an image block and an actions block.
PAGE_SIZE = (MAX_BLOCKS - _PICKER_OVERHEAD) // 2


def page_count(snapshots: Sequence[Snapshot]) -> int:
    return max(1, -(-len(snapshots) // PAGE_SIZE))


def snapshot_label(snapshot: Snapshot) -> str:
    return f"Snapshot at {snapshot.offset_label}"


def picker(
    asset: Asset, *, nonce: str, snapshot_hosts: Sequence[str], page: int = 0,
    images: bool = True,
) -> Message:
    """One page of the snapshot picker; `images=False` is the links-only fallback.

    Only snapshots whose URL passes the snapshot-URL parse on `snapshot_hosts` are offered
    (a click on any other would be refused); a note says how many were left out and why.
    """
    snapshots = [s for s in asset.snapshots if is_snapshot_url(s.url, snapshot_hosts)]
    left_out = len(asset.snapshots) - len(snapshots)
    pages = page_count(snapshots)
    page = min(max(page, 0), pages - 1)
    title = esc(asset.title or asset.asset_id)
    header_text = f"*{title}*\nAsset `{asset.asset_id}`"
    if asset.cover_url:
        header_text += f"\nCurrent cover: {link(asset.cover_url, 'open picture')}"
    else:
        header_text += "\nNo cover set yet."
    accessory = (
        {"type": "image", "image_url": asset.cover_url, "alt_text": "Current cover"}
        if asset.cover_url and images
        else None
    )
    blocks = [section(header_text, block=str(BlockId.PICKER_HEADER), accessory=accessory)]
    notes = [IMAGES_FAILED_NOTE] if not images else []
    if left_out:
        notes.append(
            f"{left_out} snapshot(s) VOD lists are not shown: their URLs are not snapshot "
            f"URLs of an allowed host, so they cannot become covers. An admin can check "
            f"`VOD_SNAPSHOT_HOSTS` (now `{esc(', '.join(snapshot_hosts))}`)."
        )
    if notes:
        blocks.append(context(*notes, block=str(BlockId.PICKER_NOTE)))

    if not snapshots:
        why = asset.exec_desc or "VOD has not made any snapshots of this video yet."
        status = f" (thumbnail status: `{esc(asset.thumbnail_status)}`)" if \
            asset.thumbnail_status else ""
        blocks.append(section(
            f":film_frames: This video has no snapshots to choose from{status}.\n"
            f"VOD says: {esc(why)}\nSnapshots are made when the video is transcoded with "
            "a snapshot (thumbnail) setting; ask whoever manages VOD to make some, then "
            "try again."
        ))
        return message(f"{asset.title}: no snapshots to choose from", blocks)

    first = page * PAGE_SIZE
    shown = snapshots[first : first + PAGE_SIZE]
    blocks += _snapshot_blocks(asset, enumerate(shown, start=first), nonce=nonce, images=images)

    if pages > 1:
        blocks.append(context(
            f"Page {page + 1} of {pages} · snapshots {first + 1} to {first + len(shown)} of "
            f"{len(snapshots)}", block=str(BlockId.PICKER_PAGES)))
        nav = []
        mode = None if images else 0
        if page > 0:
            nav.append(button("Previous", action_id(ActionId.PICKER_PAGE, "prev"),
                              encode(a=asset.asset_id, n=nonce, p=page - 1, m=mode)))
        if page < pages - 1:
            nav.append(button("Next", action_id(ActionId.PICKER_PAGE, "next"),
                              encode(a=asset.asset_id, n=nonce, p=page + 1, m=mode)))
        blocks.append({"type": "actions", "block_id": str(BlockId.PICKER_NAV), "elements": nav})
    blocks.append(_capture_actions(asset.asset_id))
    return message(f"Pick a cover for {asset.title} ({len(snapshots)} snapshots)", blocks)


def _snapshot_blocks(
    asset: Asset, indexed: Iterable[tuple[int, Snapshot]], *, nonce: str, images: bool
) -> list[dict[str, Any]]:
    """A picture (or a link) and a "Use as cover" button for each (index, snapshot); the
    index only makes the block and action ids unique."""
    blocks: list[dict[str, Any]] = []
    for index, snapshot in indexed:
        label = snapshot_label(snapshot)
        use = button("Use as cover", action_id(ActionId.USE_COVER, index),
                     use_cover_value(asset.asset_id, nonce, snapshot.url),
                     style="primary")
        if images:
            blocks.append(image(snapshot.url, label,
                                title=f"{snapshot.offset_label} · {snapshot.kind}",
                                block=block_id(BlockId.SNAPSHOT_IMAGE, index)))
            blocks.append({"type": "actions", "block_id": block_id(BlockId.SNAPSHOT_ACTIONS, index),
                           "elements": [use]})
        else:
            blocks.append(section(
                f"*{snapshot.offset_label}* ({snapshot.kind}) · "
                f"{link(snapshot.url, label)}",
                block=block_id(BlockId.SNAPSHOT_ACTIONS, index), accessory=use))
    return blocks


def _capture_actions(asset_id: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": str(BlockId.CAPTURE),
            "elements": [button("Capture at…", str(ActionId.CAPTURE_AT), encode(a=asset_id))]}


# ---- capturing frames at chosen times -------------------------------------------------

CAPTURE_CALLBACK = "capture_times"
CAPTURE_INPUT_BLOCK = "times"
CAPTURE_INPUT_ACTION = "times_input"


def capture_modal(asset_id: str, *, private_metadata: str) -> dict[str, Any]:
    """The modal "Capture at…" opens: one field for up to ten times."""
    return {
        "type": "modal",
        "callback_id": CAPTURE_CALLBACK,
        "private_metadata": private_metadata,
        "title": _plain("Capture frames", 24),
        "submit": _plain("Capture", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            section(f"New snapshots of `{esc(asset_id)}` at the times you give. Snapshots "
                    "cost money; the cover does not change until you pick one."),
            {"type": "input", "block_id": CAPTURE_INPUT_BLOCK,
             "label": _plain("Times", 2000),
             "hint": _plain(f"Up to {MAX_TIMES}, separated by spaces: 0:05 1:23 1:02:03 or "
                            "83s", 2000),
             "element": {"type": "plain_text_input", "action_id": CAPTURE_INPUT_ACTION,
                         "placeholder": _plain("0:05 1:23", 150)}},
        ],
    }


def capturing(asset_id: str, seconds: Sequence[int]) -> Message:
    times = ", ".join(format_time(s) for s in seconds)
    return message(f"Capturing {asset_id} at {times}…", [section(
        f":camera_with_flash: Capturing `{esc(asset_id)}` at {times}… VOD makes the "
        "snapshots in the background; they appear here when they are ready."
    )])


def captured(
    asset: Asset, new: Sequence[Snapshot], *, nonce: str, images: bool = True,
    cover_replaced: str | None = None, replaced_by: str | None = None,
) -> Message:
    """The new snapshots of a capture, each with "Use as cover"."""
    title = esc(asset.title or asset.asset_id)
    if not new:
        return message(f"VOD made no new snapshots of {asset.asset_id}", [section(
            f":film_frames: VOD finished the snapshot task of *{title}* (`{esc(asset.asset_id)}`)"
            " but made no new snapshots. Try other times."
        )])
    positions = {snapshot.url: index for index, snapshot in enumerate(asset.snapshots)}
    indexed = [(positions.get(s.url, 0), s) for s in new]
    blocks = [section(f":camera_with_flash: {len(new)} new snapshot(s) of *{title}* "
                      f"(`{esc(asset.asset_id)}`). Pick one to make it the cover.",
                      block=str(BlockId.PICKER_HEADER))]
    if not images:
        blocks.append(context(IMAGES_FAILED_NOTE, block=str(BlockId.PICKER_NOTE)))
    if replaced_by is not None:
        blocks.append(_cover_replaced_note(asset, nonce, cover_replaced, replaced_by))
    blocks += _snapshot_blocks(asset, indexed, nonce=nonce, images=images)
    blocks.append(_capture_actions(asset.asset_id))
    return message(f"{len(new)} new snapshot(s) of {asset.title or asset.asset_id}", blocks)


def _cover_replaced_note(
    asset: Asset, nonce: str, before: str | None, after: str
) -> dict[str, Any]:
    """VOD's snapshot task made one of its snapshots the cover: say so, offer the old one."""
    text = (":warning: VOD made one of the new snapshots the cover (a snapshot task does, "
            f"unless told otherwise): now {link(after, 'this picture')}.")
    if before is None:
        return section(text + " The video had no cover before.", block=str(BlockId.CAPTURE_NOTE))
    if before not in asset.snapshot_urls:
        return section(text + f" The cover before was {link(before, 'this picture')}, which is "
                       "not a snapshot, so only the VOD console can put it back.",
                       block=str(BlockId.CAPTURE_NOTE))
    restore = button("Put it back", action_id(ActionId.USE_COVER, "restore"),
                     use_cover_value(asset.asset_id, nonce, before))
    return section(text + f" The cover before was {link(before, 'this picture')}.",
                   block=str(BlockId.CAPTURE_NOTE), accessory=restore)


def capture_failed(asset_id: str, reason: str) -> Message:
    return message(f"VOD could not capture {asset_id}: {reason}", [section(
        f":warning: VOD could not make the snapshots of `{esc(asset_id)}`; the cover is "
        f"unchanged.\nVOD says: {esc(shorten(reason, 500))}"
    )])


def capture_timed_out(asset_id: str, *, waited_s: float, status: str | None) -> Message:
    state = f" (it still says `{esc(status)}`)" if status else ""
    return message(f"VOD has not finished capturing {asset_id}", [section(
        f":hourglass: VOD has not finished the snapshots of `{esc(asset_id)}` after "
        f"{int(waited_s)} s{state}, so I stopped waiting. Run `{COMMAND} {esc(asset_id)}` "
        "in a few minutes: they will be among its snapshots."
    )])


# ---- search and history ---------------------------------------------------------------


def search_results(words: str, assets: Sequence[AssetSummary]) -> Message:
    if not assets:
        return message(f"No video title matches {words}", [section(
            f"No video title matches *{esc(words)}*. Try fewer or other words, or give the "
            f"asset id: `{COMMAND} <asset id>`."
        )])
    blocks = [section(f"Videos matching *{esc(words)}* (first {len(assets)}):")]
    for index, asset in enumerate(assets[: MAX_BLOCKS - 1]):
        blocks.append(section(
            f"*{esc(asset.title or asset.asset_id)}*\n`{asset.asset_id}`",
            block=block_id(BlockId.SEARCH_RESULT, index),
            accessory=button("Pick a cover", action_id(ActionId.PICK_ASSET, index),
                             encode(a=asset.asset_id)),
        ))
    return message(f"{len(assets)} video(s) match {words}", blocks)


def history(
    asset_id: str, records: Sequence[ChangeRecord], *, snapshot_hosts: Sequence[str]
) -> Message:
    """The last changes of an asset, newest first.

    A recorded URL is a link only if it passes the snapshot-URL parse on `snapshot_hosts`;
    any other (a row written before that rule) is shown as inert code text.
    """
    if not records:
        return message(f"No cover changes recorded for {asset_id}", [section(
            f"No cover changes of `{esc(asset_id)}` are on record."
        )])
    title = next((r.asset_title for r in records if r.asset_title), None)
    name = f"*{esc(title)}* (`{esc(asset_id)}`)" if title else f"`{esc(asset_id)}`"
    blocks = [section(f"Last {len(records)} cover change(s) of {name}, newest first:")]
    for index, record in enumerate(records[: MAX_BLOCKS - 1]):
        status = _status_text(record)
        snapshot = _recorded_snapshot(record.snapshot_url, snapshot_hosts)
        source = record.source.value
        if record.undoes is not None:
            source += f" of change {record.undoes}"
        blocks.append(context(
            f"*{record.id}* · {slack_date(record.requested_at)} · {_who(record.user_id)} · "
            f"{snapshot} · {status} · via {source}",
            block=block_id(BlockId.HISTORY_ENTRY, index),
        ))
    return message(f"Last cover changes of {asset_id}", blocks)


def _recorded_snapshot(url: str, snapshot_hosts: Sequence[str]) -> str:
    if not url:
        return "no snapshot"
    if is_snapshot_url(url, snapshot_hosts):
        return link(url, "snapshot")
    return f"not a snapshot URL: `{inert(url)}`"


def inert(text: str, limit: int = 100) -> str:
    """`text` for inside a code span: shortened, every odd character visible as an escape,
    no backtick to close the span and no `<…>` Slack would read as a link or a mention."""
    return esc(visible(text, limit).replace("`", "'"))


_STATUS_ICONS = {
    Status.PENDING: ":hourglass_flowing_sand:",
    Status.SUCCEEDED: ":white_check_mark:",
    Status.FAILED: ":x:",
    Status.UNKNOWN: ":grey_question:",
    Status.DENIED: ":no_entry:",
    Status.BUSY: ":hourglass:",
    Status.DUPLICATE: ":repeat:",
}
_STATUS_WORDS = {Status.UNKNOWN: "unknown (VOD did not confirm; may be live)"}


def _status_text(record: ChangeRecord) -> str:
    status = _STATUS_WORDS.get(record.status, record.status.value)
    text = f"{_STATUS_ICONS[record.status]} {status}"
    if record.error_code:
        text += f" (`{esc(record.error_code)}`)"
    return text


def _is_slack_user(user_id: str) -> bool:
    return bool(user_id) and user_id[0] in "UW" and user_id.isalnum()


# ---- a change and its outcome ---------------------------------------------------------


def setting_cover(asset_id: str) -> Message:
    """What replaces the picker while the change runs: nothing left to click."""
    return message(f"Setting the cover of {asset_id}…", [section(
        f":hourglass_flowing_sand: Setting the cover of `{esc(asset_id)}`…"
    )])


def changed_in_channel(
    *, user_id: str, asset_id: str, asset_title: str, snapshot_url: str,
    request_id: str | None, images: bool = True, change_id: int | None = None,
    undoes: ChangeRecord | None = None, undone_by: str | None = None,
    cdn_refused: str | None = None,
) -> Message:
    """The channel's news: who set the cover of which video, and the new cover.

    `change_id` adds an Undo button for that change; `undoes` says the change put back
    an earlier cover; `undone_by` marks an outcome someone has since undone (no button);
    `cdn_refused` is VOD's reason for refusing the CDN refresh (the change stands).
    """
    title = esc(asset_title or asset_id)
    if undoes is not None:
        headline = (f":leftwards_arrow_with_hook: <@{user_id}> undid change {undoes.id} by "
                    f"{_who(undoes.user_id)}: the cover of *{title}* (`{esc(asset_id)}`) is "
                    "back to what it was.")
        text = f"<@{user_id}> undid a cover change of {title}."
    else:
        headline = (f":frame_with_picture: <@{user_id}> set the cover of *{title}* "
                    f"(`{esc(asset_id)}`).")
        text = f"<@{user_id}> set the cover of {title}."
    blocks = [section(headline, block=str(BlockId.OUTCOME))]
    if images:
        blocks.append(image(snapshot_url, f"New cover of {asset_title or asset_id}",
                            block=str(BlockId.OUTCOME_IMAGE)))
    else:
        blocks.append(section(f"New cover: {link(snapshot_url, 'open picture')}"))
        blocks.append(context(
            "Slack could not download the picture from the video service, so it is shown "
            "as a link."))
    notes = [VOD_DELAY_NOTE]
    if change_id is not None:
        notes.append(f"change {change_id}")
    if request_id:
        notes.append(f"VOD request id `{esc(request_id)}`")
    blocks.append(context(" · ".join(notes)))
    if cdn_refused is not None:
        blocks.append(context(
            f":information_source: VOD did not refresh its CDN ({esc(shorten(cdn_refused, 300))}"
            "), so some viewers may see the old cover a while longer. The cover is changed.",
            block=str(BlockId.CDN_REFUSED)))
    if undone_by is not None:
        blocks.append(context(f":leftwards_arrow_with_hook: Undone by <@{undone_by}>.",
                              block=str(BlockId.UNDONE)))
    elif change_id is not None:
        blocks.append({"type": "actions", "block_id": str(BlockId.UNDO), "elements": [
            button("Undo", str(ActionId.UNDO), encode(c=change_id))]})
    return message(f"{text} {VOD_DELAY_NOTE}", blocks, mrkdwn=True)


def cdn_follow_up(
    state: FollowUpState, *, asset_id: str, asset_title: str, change_id: int, waited_s: float,
) -> Message:
    """What the channel hears once VOD's CDN refresh after change `change_id` ended:
    live, failed, or (after `waited_s` without an answer) not confirmed yet."""
    waited = (f"{round(waited_s / 60)} minutes" if waited_s >= 120
              else f"{round(waited_s)} seconds")
    name = asset_title or asset_id
    video = f"*{esc(name)}* (`{esc(asset_id)}`)"
    match FollowUpState(state):
        case FollowUpState.LIVE:
            text = f"The new cover of {name} is live."
            line = f":white_check_mark: The new cover of {video} is live: VOD refreshed its CDN."
        case FollowUpState.FAILED:
            text = f"VOD could not refresh its CDN for {name}."
            line = (f":warning: VOD could not refresh its CDN for {video}: some viewers may see "
                    "the old cover until their copies expire. The cover itself is changed.")
        case FollowUpState.UNCONFIRMED:
            text = f"VOD has not confirmed yet that the new cover of {name} is live."
            line = (f":hourglass: VOD has not confirmed yet that the new cover of {video} is live "
                    f"everywhere (its CDN refresh was still running after {waited}). "
                    "The cover itself is changed.")
        case _:
            raise ValueError(f"no follow-up is posted while {state}")
    return message(text, [section(line), context(f"change {change_id}")])


def not_undoable(reason: str) -> Message:
    return message(f"That change cannot be undone: {reason}", [section(
        f":no_entry_sign: That change cannot be undone. {esc(reason)}")])


def _who(user_id: str) -> str:
    return f"<@{user_id}>" if _is_slack_user(user_id) else f"`{esc(user_id)}`"


def confirmation(*, asset_id: str, asset_title: str) -> Message:
    """What the picker becomes once the cover is set."""
    title = esc(asset_title or asset_id)
    return message(f"Cover of {asset_title or asset_id} set.", [section(
        f":white_check_mark: Cover of *{title}* (`{esc(asset_id)}`) set; the channel has been "
        f"told. {VOD_DELAY_NOTE}"
    )])


def failure(*, asset_id: str, error: VodError, snapshot_url: str | None) -> Message:
    """Ephemeral: why it failed, VOD's code and request id, and a Try again button that
    sets `snapshot_url` (none without one: a failed capture is not a change to retry).

    A change the bot refused itself (`InvalidArgument`: nothing was sent to VOD) says what
    was wrong and what to do instead, with no VOD code and no Try again.
    """
    if isinstance(error, InvalidArgument):
        return message(f"The cover of {asset_id} was not changed: {error.message}", [section(
            f":no_entry: The cover of `{esc(asset_id)}` was *not* changed; nothing was sent "
            f"to VOD. {esc(error.message)}\n{esc(error.explanation)}",
            block=str(BlockId.OUTCOME),
        )])
    reason = esc(error.explanation)
    detail = esc(error.message) if error.message and error.message != error.explanation else ""
    blocks = [section(
        f":warning: The cover of `{esc(asset_id)}` was *not* changed. {reason}"
        + (f"\n> {shorten(detail, 500)}" if detail else ""),
        block=str(BlockId.OUTCOME),
    )]
    blocks.append(context(
        f"VOD error code: `{esc(error.code)}`" if error.code else "VOD error code: none",
        f"request id: `{esc(error.request_id)}`" if error.request_id else "request id: none",
    ))
    if snapshot_url is not None:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    code = f" [{error.code}]" if error.code else ""
    return message(f"The cover of {asset_id} was not changed: {error.explanation}{code}", blocks)


def unknown(*, asset_id: str, error: VodError, snapshot_url: str | None) -> Message:
    """Ephemeral: VOD never confirmed the change, which may be live; a safe Try again."""
    detail = esc(error.message) if error.message else ""
    blocks = [section(
        f":grey_question: VOD did not confirm the new cover of `{esc(asset_id)}`, so it may "
        "or may not be changed: it may already be live. Check the video's cover. *Try "
        "again* is safe: setting the same cover twice changes nothing."
        + (f"\n> {shorten(detail, 500)}" if detail else ""),
        block=str(BlockId.OUTCOME),
    )]
    if snapshot_url:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    return message(f"VOD did not confirm the new cover of {asset_id}; it may already be live.",
                   blocks)


def interrupted(*, asset_id: str, snapshot_url: str | None) -> Message:
    """Ephemeral: the bot is stopping and gave up on this change before VOD confirmed it."""
    blocks = [section(
        f":grey_question: The bot is restarting and stopped before VOD confirmed the new "
        f"cover of `{esc(asset_id)}`, so it may or may not be changed. Check the video's "
        "cover in a minute. *Try again* is safe: setting the same cover twice changes "
        "nothing.",
        block=str(BlockId.OUTCOME),
    )]
    if snapshot_url:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    return message(f"The bot restarted before VOD confirmed the cover of {asset_id}.", blocks)


def restarting() -> Message:
    """Ephemeral: the bot is stopping and gave up on a request that changed nothing."""
    return message("The bot is restarting; nothing was changed. Try again in a minute.", [
        section(":warning: The bot is restarting and could not finish this; nothing was "
                "changed. Try again in a minute.")
    ])


def _retry_actions(asset_id: str, snapshot_url: str) -> dict[str, Any]:
    value = use_cover_value(asset_id, new_nonce(), snapshot_url)
    return {"type": "actions", "block_id": str(BlockId.RETRY),
            "elements": [button("Try again", str(ActionId.TRY_AGAIN), value)]}


def denied(*, reason: str, user_id: str) -> Message:
    """Who may do this, and the requester's id so an admin can add them.

    `reason` is the policy's own mrkdwn (it mentions the allowed groups and channels as
    `<!subteam^S…>` and `<#C…>`), so it is not escaped.
    """
    return message(f"You may not change video covers here. {reason}", [
        section(f":no_entry: You may not change video covers here. {reason}"),
        context(f"Your Slack user id is `{esc(user_id)}`: an admin can add it to "
                "`SETCOVER_ALLOWED_USERS`."),
    ], mrkdwn=True)


def duplicate(*, asset_id: str, status: Status, error_code: str | None = None) -> Message:
    """The same click (or a Slack retry of it) arrived again: nothing done twice.

    No follow-up is promised for a pending change: the process making it may be gone.
    """
    if status is Status.SUCCEEDED:
        text = (f":white_check_mark: That cover change of `{esc(asset_id)}` was already made; "
                f"nothing was changed again. {VOD_DELAY_NOTE}")
    elif status is Status.PENDING:
        text = (f":hourglass_flowing_sand: That cover change of `{esc(asset_id)}` is already "
                f"under way, so it was not started again. Its outcome will show in "
                f"`{COMMAND} history {esc(asset_id)}` within a few minutes.")
    elif status is Status.UNKNOWN:
        text = (f":grey_question: That cover change of `{esc(asset_id)}` was already sent, and "
                "VOD did not confirm it: it may already be live. Check the video's cover, or "
                f"run `{COMMAND} {esc(asset_id)}` to pick again (setting the same cover twice "
                "changes nothing).")
    else:
        code = f" (`{esc(error_code)}`)" if error_code else ""
        text = (f":warning: That cover change of `{esc(asset_id)}` was already tried and "
                f"{esc(status)}{code}. Run `{COMMAND} {esc(asset_id)}` to pick again.")
    return message(f"That cover change of {asset_id} was already requested.", [section(text)])


def busy(*, asset_id: str, pending_user_id: str | None, snapshot_url: str | None) -> Message:
    """Another change of the video is in flight; Try again sets `snapshot_url` (an undo
    has none: it is tried again with its own Undo button)."""
    who = f" by <@{pending_user_id}>" if pending_user_id and _is_slack_user(pending_user_id) \
        else ""
    blocks = [section(
        f":hourglass_flowing_sand: Another cover change of `{esc(asset_id)}` is in progress"
        f"{who}. Wait a minute, then try again."
    )]
    if snapshot_url:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    return message(f"Another cover change of {asset_id} is in progress.", blocks)


def not_recorded(*, asset_id: str) -> Message:
    """A change refused because its record could not be written."""
    return message("The cover was not changed: the audit log cannot be written.", [section(
        f":no_entry: The cover of `{esc(asset_id)}` was *not* changed: the audit log cannot "
        "be written right now, and covers are never changed without a record. Try again "
        "later, or tell an admin."
    )])


def store_unavailable() -> Message:
    """Anything else that needed the audit log while it could not be reached."""
    return message("The audit log cannot be reached right now.", [section(
        ":no_entry: The audit log cannot be reached right now, so this cannot be done; "
        "nothing was changed. Try again later, or tell an admin."
    )])


def error_message(text: str, *, error_id: str | None = None) -> Message:
    blocks = [section(f":warning: {esc(text)}")]
    if error_id:
        blocks.append(context(f"Error id `{error_id}`: quote it to your admin."))
    return message(text, blocks)


def image_urls(msg: Message) -> list[str]:
    """Every picture Slack would download to show `msg`."""
    urls = []
    for block in msg.get("blocks") or []:
        if block.get("type") == "image":
            urls.append(block["image_url"])
        accessory = block.get("accessory") or {}
        if accessory.get("type") == "image":
            urls.append(accessory["image_url"])
        for element in block.get("elements") or []:
            if element.get("type") == "image":
                urls.append(element["image_url"])
    return urls
