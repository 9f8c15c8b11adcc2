"""What VOD tells us about an asset, reduced to what the bot shows and sets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

SnapshotKind = Literal["sample", "dots", "quantity"]


class Snapshot(BaseModel):
    """One picture VOD cut from the video, at `offset` seconds."""

    kind: SnapshotKind
    offset: float
    url: str

    @property
    def offset_label(self) -> str:
        """`95.0` → `1:35`; with hours when the video is that long."""
        hours, rest = divmod(int(self.offset), 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Asset(BaseModel):
    """An asset's details: title, current cover and its snapshots in offset order."""

    asset_id: str
    title: str
    cover_url: str | None = None
    snapshots: list[Snapshot] = []
    thumbnail_status: str | None = None
    exec_desc: str | None = None


class AssetSummary(BaseModel):
    """One line of a search result."""

    asset_id: str
    title: str
    cover_url: str | None = None
