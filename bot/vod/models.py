"""What VOD tells us about an asset, reduced to what the bot shows and sets."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel

from bot.text import one_line
from bot.timecodes import format_time

SnapshotKind = Literal["sample", "dots", "quantity"]
#: A video's title as VOD gives it, made one line where it enters the bot (`one_line`), so
#: that every message, record and terminal line that shows it shows the same safe text.
Title = Annotated[str, AfterValidator(one_line)]


class Snapshot(BaseModel):
    """One picture VOD cut from the video, at `offset` seconds."""

    kind: SnapshotKind
    offset: float
    url: str

    @property
    def offset_label(self) -> str:
        """`95.0` → `1:35`; with hours when the video is that long."""
        return format_time(int(self.offset))


class ThumbnailStatus(enum.StrEnum):
    """`thumbnail_info.thumbnail_status`: where the asset's snapshot task stands."""

    THUMBNAILING = "THUMBNAILING"
    SUCCEEDED = "THUMBNAIL_SUCCEED"
    FAILED = "THUMBNAIL_FAILED"


@dataclass(frozen=True)
class FramePosition:
    """Where a snapshot sits among its video's snapshots, numbered as the picker numbers
    them: 1-based, in offset order, over all of them (`0:45, frame 5 of 12`)."""

    offset: float
    number: int
    count: int

    @property
    def time(self) -> str:
        return format_time(int(self.offset))

    @property
    def label(self) -> str:
        return f"{self.time}, frame {self.number} of {self.count}"


class Asset(BaseModel):
    """An asset's details: title, current cover and its snapshots in offset order."""

    asset_id: str
    title: Title
    cover_url: str | None = None
    snapshots: list[Snapshot] = []
    #: None also when VOD gives a status this bot does not know.
    thumbnail_status: ThumbnailStatus | None = None
    exec_desc: str | None = None
    #: Length of the video in seconds (`base_info.meta_data.duration`), when VOD says.
    duration: float | None = None

    @property
    def snapshot_urls(self) -> set[str]:
        return {snapshot.url for snapshot in self.snapshots}

    def frame_of(self, url: str | None) -> FramePosition | None:
        """Where the snapshot at `url` (as VOD lists it) sits; None if it is not one."""
        for number, snapshot in enumerate(self.snapshots, start=1):
            if snapshot.url == url:
                return FramePosition(snapshot.offset, number, len(self.snapshots))
        return None


class AssetSummary(BaseModel):
    """One line of a search result."""

    asset_id: str
    title: Title
    cover_url: str | None = None


class RefreshStatus(enum.StrEnum):
    """Where a CDN refresh task stands (VOD's `refresh_results[].status`, upper-cased)."""

    PROCESSING = "PROCESSING"
    SUCCEED = "SUCCEED"
    FAILED = "FAILED"
