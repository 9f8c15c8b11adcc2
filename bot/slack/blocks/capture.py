"""Capturing frames at chosen times: the modal, the wait, and the new snapshots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
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
    who,
)
from bot.slack.blocks.values import use_cover_value
from bot.store.records import CaptureRecord, CaptureStatus
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


def capture_asked(asset_id: str, seconds: Sequence[int]) -> Message:
    """A capture command's acknowledgement: said before the bot knows whether VOD will be
    asked (the same capture may be under way, the hourly limit reached), so it promises
    only an answer."""
    times = _times(seconds)
    return message(f"New frames of {asset_id} at {times}: one moment…", [section(
        f":camera_with_flash: New frames of `{esc(asset_id)}` at {times}: one moment. The "
        "frames, or why there are none, follow here."
    )])


def capturing(asset_id: str, seconds: Sequence[int]) -> Message:
    """VOD has taken the snapshot task (posted only then)."""
    times = _times(seconds)
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


#: A capture asked for again: how far its task got, and where its frames are or will be.
_ASKED_AGAIN = {
    CaptureStatus.PENDING: (":hourglass_flowing_sand:", ", and VOD is making them now",
                            "They will be among its snapshots: {look} in a minute or two."),
    CaptureStatus.SUCCEEDED: (":film_frames:", ", and VOD made them", "Pick one with {look}."),
    CaptureStatus.TIMED_OUT: (":hourglass:", "; VOD had not finished them when I stopped "
                              "waiting", "They will be among its snapshots: {look} in a few "
                              "minutes."),
}


def capture_repeated(existing: CaptureRecord, *, asker_id: str, now: datetime) -> Message:
    """The same capture was asked for already (`existing`: pending, or made or timed out
    minutes ago) by another Slack request, so VOD was not asked again: by whom, when, and
    where its frames are or will be. (The same request again is not answered at all.)"""
    asset = esc(existing.asset_id)
    times = _times(existing.seconds)
    whose = "You" if existing.user_id == asker_id else who(existing.user_id)
    asked = f"{whose} asked for frames of `{asset}` at {times} {_ago(existing.requested_at, now)}"
    icon, state, then = _ASKED_AGAIN[existing.status]
    text = (f"{icon} {asked}{state}, so I did not ask again (snapshots cost money). "
            + then.format(look=f"`{COMMAND} {asset}`"))
    return message(f"Frames of {existing.asset_id} at {times} were already asked for",
                   [section(text)])


def captures_limited(per_hour: int, next_at: datetime | None, *, now: datetime) -> Message:
    """The user's captures of the last hour are used up (`SETCOVER_CAPTURES_PER_HOUR`):
    when the next is possible. `next_at` None: captures are turned off."""
    if next_at is None:
        return message("Capturing new frames is turned off", [section(
            ":no_entry: Capturing new frames is turned off here. Pick a cover among the "
            f"video's snapshots instead: `{COMMAND} {esc('<asset id>')}`."
        )])
    captures = "1 capture" if per_hour == 1 else f"{per_hour} captures"
    text = (f"You have asked for {captures} in the last hour; the next is possible at "
            f"{next_at:%H:%M} UTC ({_in(next_at, now)}).")
    return message(text, [section(
        f":hourglass: {text} Snapshots cost money, so each person may ask for {captures} "
        "an hour."
    )])


def _times(seconds: Sequence[int]) -> str:
    return ", ".join(format_time(s) for s in seconds)


def _ago(when: datetime, now: datetime) -> str:
    minutes = int((now - when).total_seconds() // 60)
    return "just now" if minutes < 1 else f"{_minutes(minutes)} ago"


def _in(when: datetime, now: datetime) -> str:
    return f"in {_minutes(max(1, math.ceil((when - now).total_seconds() / 60)))}"


def _minutes(count: int) -> str:
    return "a minute" if count == 1 else f"{count} minutes"
