"""The snapshot picker: a video's snapshots, a page at a time, each with "Use as cover"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.slack.blocks.ids import ActionId, BlockId, action_id, block_id
from bot.slack.blocks.primitives import (
    MAX_BLOCKS,
    Message,
    button,
    context,
    esc,
    image,
    link,
    message,
    section,
)
from bot.slack.blocks.values import encode, use_cover_value
from bot.vod.models import Asset, Snapshot
from bot.vod.snapshot_url import is_snapshot_url

IMAGES_FAILED_NOTE = (
    "Slack could not download the pictures from the video service, so they are shown as "
    "links instead."
)



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
    blocks += snapshot_blocks(asset, enumerate(shown, start=first), nonce=nonce, images=images)

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
    blocks.append(capture_actions(asset.asset_id))
    return message(f"Pick a cover for {asset.title} ({len(snapshots)} snapshots)", blocks)


def snapshot_blocks(
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


def capture_actions(asset_id: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": str(BlockId.CAPTURE),
            "elements": [button("Capture at…", str(ActionId.CAPTURE_AT), encode(a=asset_id))]}
