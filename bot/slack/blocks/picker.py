"""The snapshot picker: one contact sheet and a button per frame, or compact rows.

With a sheet (the bot composed the page's frames into one numbered picture and uploaded it
to Slack: `bot.slack.sheets`), the picker is one screen: the header, the sheet as an image
block naming the uploaded file (`slack_file`), ONE actions block with a button per frame
(`5 · 0:45`, `★ ` for a suggested frame, `(current)` on the cover's), a context line, and
Capture at… with the page buttons on one row.

Without one (`Fallback` says why, in one context line), compact rows: per frame a section
`*0:45* · frame 5 of 12` with the frame as its accessory picture (Slack draws it small),
then its own actions block with `Use this frame (0:45)`. When Slack cannot download the
frames either, the rows carry links instead of pictures.

Pages hold at most `PAGE_SIZE` frames in both layouts, so paging means the same frames
whichever layout a page ends up in; the rows of a full page stay within Slack's 50 blocks.
Button values carry the snapshot URL exactly as VOD lists it (a click needs no lookup);
only pictures and links are signed (`sign`, for a VOD account with hotlink protection).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.sheet import MAX_FRAMES, Frame
from bot.slack.blocks.ids import ActionId, BlockId, action_id, block_id
from bot.slack.blocks.primitives import (
    MAX_ALT_TEXT,
    Message,
    button,
    context,
    esc,
    link,
    message,
    section,
)
from bot.slack.blocks.values import encode, use_cover_value
from bot.text import shorten
from bot.timecodes import format_time
from bot.vod.models import Asset, Snapshot
from bot.vod.snapshot_url import is_snapshot_url
from bot.vod.url_auth import Sign

#: Frames on one picker page: a full sheet (5 rows of 4); as compact rows, 2 blocks each.
PAGE_SIZE = MAX_FRAMES
#: Shown before a suggested frame's button text.
STAR = "★ "


class Fallback(enum.StrEnum):
    """Why a picker is compact rows instead of a contact sheet."""

    NO_SCOPE = "no_scope"
    REFUSED = "refused"
    FRAMES = "frames"
    UPLOAD = "upload"
    LINKS = "links"


_WHY = {
    Fallback.NO_SCOPE: "No contact sheet: this Slack app may not upload files. An admin can "
                       "reinstall the app with the `files:write` scope (manifest.yaml has it) "
                       "to see all frames in one picture.",
    Fallback.REFUSED: "No contact sheet: Slack would not show the uploaded picture here, so "
                      "each frame is shown on its own.",
    Fallback.FRAMES: "No contact sheet: the frames could not be downloaded from the video "
                     "service in time, so each frame is shown on its own.",
    Fallback.UPLOAD: "No contact sheet: Slack did not take the picture, so each frame is "
                     "shown on its own.",
    Fallback.LINKS: "Slack could not download the pictures from the video service, so the "
                    "frames are shown as links.",
}


class Layout(enum.IntEnum):
    """What a page tries first; carried by the page buttons (so the next page does not try
    what failed on this one)."""

    SHEET = 2
    ROWS = 1
    LINKS = 0


@dataclass(frozen=True)
class PickerPage:
    """One page of frames to pick from, and where it sits among all of them."""

    asset: Asset
    frames: tuple[Frame, ...]
    total: int
    page: int = 0
    pages: int = 1
    left_out: int = 0


def page_count(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def usable_snapshots(asset: Asset, snapshot_hosts: Sequence[str]) -> list[Snapshot]:
    """The snapshots a click can make the cover: their URLs pass the snapshot-URL parse."""
    return [s for s in asset.snapshots if is_snapshot_url(s.url, snapshot_hosts)]


def frames_of(asset: Asset, usable: Sequence[Snapshot], shown: Sequence[Snapshot]) -> list[Frame]:
    """`shown` as frames numbered by their place among `usable` (so a capture's new frames
    keep the numbers the full picker gives them)."""
    numbers = {snapshot.url: number for number, snapshot in enumerate(usable, 1)}
    return [Frame(number=numbers[s.url], offset=float(s.offset), url=s.url,
                  is_current=s.url == asset.cover_url) for s in shown]


def picker_page(asset: Asset, *, snapshot_hosts: Sequence[str], page: int = 0) -> PickerPage:
    """Page `page` (clamped) of the asset's snapshots that can become covers."""
    usable = usable_snapshots(asset, snapshot_hosts)
    pages = page_count(len(usable))
    page = min(max(page, 0), pages - 1)
    shown = usable[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return PickerPage(asset, tuple(frames_of(asset, usable, shown)), len(usable), page,
                      pages, len(asset.snapshots) - len(usable))


@dataclass(frozen=True)
class SheetView:
    """The uploaded sheet a page shows: Slack's file id and the suggested frames' URLs."""

    file_id: str
    suggested: frozenset[str]


def frame_label(frame: Frame) -> str:
    return f"{frame.number} · {format_time(round(frame.offset))}"


def picker(
    page: PickerPage, *, nonce: str, sign: Sign, sheet: SheetView | None = None,
    why: Fallback | None = None, snapshot_hosts: Sequence[str] = (),
    intro: Sequence[dict[str, Any]] = (), text: str | None = None,
) -> Message:
    """One page: the sheet and its buttons when `sheet` is given, else compact rows (with
    pictures unless `why` is `Fallback.LINKS`) and a line saying `why`.

    `intro` and `text` replace the usual header and notification (a capture's "2 new
    snapshots of …").
    """
    asset = page.asset
    frame_urls = {frame.url for frame in page.frames}
    pictures = why is not Fallback.LINKS
    blocks = list(intro) or [_header(asset, sign=sign, pictures=pictures,
                                     cover_shown=asset.cover_url in frame_urls)]
    notes = [] if sheet is not None or why is None else [_WHY[why]]
    if page.left_out:
        notes.append(
            f"{page.left_out} snapshot(s) VOD lists are not shown: their URLs are not snapshot "
            f"URLs of an allowed host, so they cannot become covers. An admin can check "
            f"`VOD_SNAPSHOT_HOSTS` (now `{esc(', '.join(snapshot_hosts))}`)."
        )
    if notes:
        blocks.append(context(*notes, block=str(BlockId.PICKER_NOTE)))
    if not page.frames:
        blocks.append(_no_snapshots(asset))
        return message(f"{asset.title}: no snapshots to choose from", blocks)
    if sheet is not None:
        blocks += _sheet_blocks(page, sheet, nonce=nonce)
        layout = Layout.SHEET
    else:
        blocks += _row_blocks(page, nonce=nonce, sign=sign, pictures=pictures)
        layout = Layout.ROWS if pictures else Layout.LINKS
    if page.pages > 1:
        blocks.append(context(
            f"Page {page.page + 1} of {page.pages} · frames {page.frames[0].number} to "
            f"{page.frames[-1].number} of {page.total}", block=str(BlockId.PICKER_PAGES)))
    blocks.append(_picker_actions(page, nonce=nonce, layout=layout))
    return message(text or f"Pick a cover for {asset.title or asset.asset_id} ({page.total} "
                   "frames)", blocks)


def _header(asset: Asset, *, sign: Sign, pictures: bool,
            cover_shown: bool) -> dict[str, Any]:
    """Title, asset id and the current cover: a small picture of it when it is not one of
    the page's frames (those mark it themselves)."""
    text = f"*{esc(asset.title or asset.asset_id)}*\nAsset `{asset.asset_id}`"
    accessory = None
    if asset.cover_url:
        text += f"\nCurrent cover: {link(sign(asset.cover_url), 'open picture')}"
        if pictures and not cover_shown:
            accessory = {"type": "image", "image_url": sign(asset.cover_url),
                         "alt_text": "Current cover"}
    else:
        text += "\nNo cover set yet."
    return section(text, block=str(BlockId.PICKER_HEADER), accessory=accessory)


def _no_snapshots(asset: Asset) -> dict[str, Any]:
    why = asset.exec_desc or "VOD has not made any snapshots of this video yet."
    status = f" (thumbnail status: `{esc(asset.thumbnail_status)}`)" if \
        asset.thumbnail_status else ""
    return section(
        f":film_frames: This video has no snapshots to choose from{status}.\n"
        f"VOD says: {esc(why)}\nSnapshots are made when the video is transcoded with "
        "a snapshot (thumbnail) setting; ask whoever manages VOD to make some, then "
        "try again.")


def _sheet_blocks(page: PickerPage, sheet: SheetView, *, nonce: str) -> list[dict[str, Any]]:
    asset = page.asset
    numbers = f"{page.frames[0].number} to {page.frames[-1].number}"
    alt = (f"Frames {numbers} of {asset.title or asset.asset_id}, numbered as the buttons "
           "below, four a row" + ("; starred frames are suggested" if sheet.suggested else ""))
    buttons = []
    for index, frame in enumerate(page.frames):
        text = frame_label(frame)
        if frame.url in sheet.suggested:
            text = STAR + text
        buttons.append(_frame_button(asset.asset_id, frame, text, index, nonce=nonce))
    legend = ("★ suggested: the sharpest, most contrasted and colourful frames (dark, flat "
              "and blurry ones never are). Only you choose the cover.")
    return [
        {"type": "image", "block_id": str(BlockId.PICKER_SHEET),
         "slack_file": {"id": sheet.file_id}, "alt_text": shorten(alt, MAX_ALT_TEXT)},
        {"type": "actions", "block_id": str(BlockId.PICKER_FRAMES), "elements": buttons},
        *([context(legend, block=str(BlockId.PICKER_LEGEND))] if sheet.suggested else []),
    ]


def _row_blocks(page: PickerPage, *, nonce: str, sign: Sign,
                pictures: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for index, frame in enumerate(page.frames):
        time = format_time(round(frame.offset))
        text = f"*{time}* · frame {frame.number} of {page.total}"
        accessory = None
        if pictures:
            accessory = {"type": "image", "image_url": sign(frame.url),
                         "alt_text": f"Frame {frame.number} at {time}"}
        else:
            text += f" · {link(sign(frame.url), 'open picture')}"
        blocks.append(section(text, block=block_id(BlockId.SNAPSHOT_ROW, index),
                              accessory=accessory))
        label = f"Current cover ({time})" if frame.is_current else f"Use this frame ({time})"
        blocks.append({"type": "actions", "block_id": block_id(BlockId.SNAPSHOT_ACTIONS, index),
                       "elements": [_frame_button(page.asset.asset_id, frame, label, index,
                                                  nonce=nonce)]})
    return blocks


def _frame_button(asset_id: str, frame: Frame, text: str, index: int, *,
                  nonce: str) -> dict[str, Any]:
    """Sets the frame as the cover; the current cover's says so and changes nothing."""
    if frame.is_current:
        return button(f"{text} (current)" if "Current" not in text else text,
                      action_id(ActionId.CURRENT_COVER, index),
                      encode(a=asset_id, f=frame.number, t=round(frame.offset)))
    return button(text, action_id(ActionId.USE_COVER, index),
                  use_cover_value(asset_id, nonce, frame.url))


def _picker_actions(page: PickerPage, *, nonce: str, layout: Layout) -> dict[str, Any]:
    """Capture at…, then Previous / Next: one row under the frames."""
    asset_id = page.asset.asset_id
    elements = [button("Capture at…", str(ActionId.CAPTURE_AT), encode(a=asset_id))]
    mode = None if layout is Layout.SHEET else int(layout)
    if page.page > 0:
        elements.append(button("Previous", action_id(ActionId.PICKER_PAGE, "prev"),
                               encode(a=asset_id, n=nonce, p=page.page - 1, m=mode)))
    if page.page < page.pages - 1:
        elements.append(button("Next", action_id(ActionId.PICKER_PAGE, "next"),
                               encode(a=asset_id, n=nonce, p=page.page + 1, m=mode)))
    return {"type": "actions", "block_id": str(BlockId.PICKER_NAV), "elements": elements}


def already_the_cover(asset_id: str, number: int | None, seconds: int | None) -> Message:
    """A click on the current cover's button: nothing to do, and no VOD call."""
    which = f"Frame {number} ({format_time(seconds)})" if number and seconds is not None \
        else "That frame"
    return message(f"{which} is already the cover of {asset_id}.", [section(
        f":white_check_mark: {which} is already the cover of `{esc(asset_id)}`, so nothing "
        "was changed. Pick another frame to change it.")])


def captured_page(asset: Asset, new: Sequence[Snapshot], *,
                  snapshot_hosts: Sequence[str]) -> PickerPage:
    """The new snapshots of a capture as one page, numbered as in the full picker."""
    usable = usable_snapshots(asset, snapshot_hosts)
    listed = {s.url for s in usable}
    shown = [s for s in new if s.url in listed]
    return PickerPage(asset, tuple(frames_of(asset, usable, shown)), len(usable),
                      left_out=len(new) - len(shown))
