"""Capturing frames at chosen times: the modal, the wait, and the new snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.blocks.ids import ActionId, BlockId, action_id
from bot.slack.blocks.primitives import (
    COMMAND,
    Message,
    button,
    esc,
    link,
    message,
    plain_text,
    section,
)
from bot.slack.blocks.values import use_cover_value
from bot.text import shorten
from bot.timecodes import MAX_TIMES, format_time
from bot.vod.models import Asset, Snapshot
from bot.vod.url_auth import Sign

CAPTURE_CALLBACK = "capture_times"
CAPTURE_INPUT_BLOCK = "times"
CAPTURE_INPUT_ACTION = "times_input"


def capture_modal(asset_id: str, *, private_metadata: str) -> dict[str, Any]:
    """The modal "Capture at…" opens: one field for up to ten times."""
    return {
        "type": "modal",
        "callback_id": CAPTURE_CALLBACK,
        "private_metadata": private_metadata,
        "title": plain_text("Capture frames", 24),
        "submit": plain_text("Capture", 24),
        "close": plain_text("Cancel", 24),
        "blocks": [
            section(f"New snapshots of `{esc(asset_id)}` at the times you give. Snapshots "
                    "cost money; the cover does not change until you pick one."),
            {"type": "input", "block_id": CAPTURE_INPUT_BLOCK,
             "label": plain_text("Times", 2000),
             "hint": plain_text(f"Up to {MAX_TIMES}, separated by spaces: 0:05 1:23 1:02:03 or "
                            "83s", 2000),
             "element": {"type": "plain_text_input", "action_id": CAPTURE_INPUT_ACTION,
                         "placeholder": plain_text("0:05 1:23", 150)}},
        ],
    }


def capturing(asset_id: str, seconds: Sequence[int]) -> Message:
    times = ", ".join(format_time(s) for s in seconds)
    return message(f"Capturing {asset_id} at {times}…", [section(
        f":camera_with_flash: Capturing `{esc(asset_id)}` at {times}… VOD makes the "
        "snapshots in the background; they appear here when they are ready."
    )])


def nothing_captured(asset: Asset) -> Message:
    title = esc(asset.title or asset.asset_id)
    return message(f"VOD made no new snapshots of {asset.asset_id}", [section(
        f":film_frames: VOD finished the snapshot task of *{title}* (`{esc(asset.asset_id)}`)"
        " but made no new snapshots. Try other times."
    )])


def new_frames(count: int) -> str:
    return "1 new frame" if count == 1 else f"{count} new frames"


def captured_intro(
    asset: Asset, new: Sequence[Snapshot], *, nonce: str, cover_replaced: str | None = None,
    replaced_by: str | None = None, sign: Sign = str,
) -> list[dict[str, Any]]:
    """What heads the picker of a capture's new frames (`picker(..., intro=)`): how many,
    and whether VOD's task made one of them the cover."""
    title = esc(asset.title or asset.asset_id)
    blocks = [section(f":camera_with_flash: {new_frames(len(new))} of *{title}* "
                      f"(`{esc(asset.asset_id)}`). "
                      "Pick one to make it the cover.", block=str(BlockId.PICKER_HEADER))]
    if replaced_by is not None:
        blocks.append(_cover_replaced_note(asset, nonce, cover_replaced, replaced_by, sign))
    return blocks


def _cover_replaced_note(
    asset: Asset, nonce: str, before: str | None, after: str, sign: Sign
) -> dict[str, Any]:
    """VOD's snapshot task made one of its snapshots the cover: say which, by its time,
    and which was the cover before; offer to put that one back (the button carries it
    unsigned, as VOD lists it; links are shown through `sign`)."""
    text = (f":warning: VOD made {_frame_link(asset, after, 'one of the new frames', sign)} the "
            "cover (a snapshot task always does).")
    if before is None:
        return section(text + " The video had no cover before.", block=str(BlockId.CAPTURE_NOTE))
    if before not in asset.snapshot_urls:
        return section(text + f" Before, the cover was {link(sign(before), 'a picture')} "
                       "that is not one of its frames, so only the VOD console can put it back.",
                       block=str(BlockId.CAPTURE_NOTE))
    restore = button("Put it back", action_id(ActionId.USE_COVER, "restore"),
                     use_cover_value(asset.asset_id, nonce, before))
    return section(text + f" Before, the cover was {_frame_link(asset, before, 'a frame', sign)}.",
                   block=str(BlockId.CAPTURE_NOTE), accessory=restore)


def _frame_link(asset: Asset, url: str, otherwise: str, sign: Sign) -> str:
    """`the frame at 0:05` linked to its picture (`otherwise` when VOD does not list it)."""
    frame = asset.frame_of(url)
    return link(sign(url), f"the frame at {frame.time}" if frame else otherwise)


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
