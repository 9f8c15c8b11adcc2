"""What the cover service is asked (`Actor`, `CoverRequest`) and every outcome it returns.

An outcome is a frozen dataclass; each operation returns one of its union (`Outcome`,
`CaptureOutcome`, `UndoOutcome`), and the Slack app and the CLI render each case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store import CaptureRecord, ChangeRecord, Source
from bot.vod.errors import VodError, VodOutcomeUnknown
from bot.vod.models import Asset, FramePosition, Snapshot


@dataclass(frozen=True)
class Actor:
    """Who asks, and where: the three things the policy decides on."""

    team_id: str
    channel_id: str
    user_id: str


@dataclass(frozen=True)
class CoverRequest:
    """A change to make. `asset_id`: the asset the asker means (a picker's); None takes it
    from the URL. `undoes`: the change an undo puts back the cover of."""

    actor: Actor
    snapshot_url: str
    source: Source
    idempotency_key: str
    asset_id: str | None = None
    undoes: int | None = None


@dataclass(frozen=True)
class CdnRefresh:
    """The CDN refresh asked for once a change is told (`CoverService.refresh_cdn`): VOD's
    `task_id`, or why VOD refused."""

    task_id: str | None = None
    refused: str | None = None


@dataclass(frozen=True)
class Changed:
    asset_id: str
    asset_title: str
    snapshot_url: str
    previous_cover_url: str | None
    request_id: str | None
    change_id: int | None = None
    #: Where the new cover, and the one it replaced, sit among the video's snapshots
    #: (`0:45, frame 5 of 12`); None for a cover that is not one of them.
    frame: FramePosition | None = None
    previous_frame: FramePosition | None = None


@dataclass(frozen=True)
class Failed:
    asset_id: str
    error: VodError


@dataclass(frozen=True)
class Unknown:
    """VOD was sent the change and never confirmed it: the cover may or may not be live.

    Sending the same change again is safe (setting the same cover twice changes nothing).
    """

    asset_id: str
    error: VodOutcomeUnknown


@dataclass(frozen=True)
class Denied:
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """The same request (same idempotency key) was already taken; nothing was done again."""

    existing: ChangeRecord


@dataclass(frozen=True)
class Busy:
    """Another change of this asset is in flight; this one was not started."""

    pending: ChangeRecord


@dataclass(frozen=True)
class NotRecorded:
    """The audit store could not be written, so the change was refused."""

    reason: str


Outcome = Changed | Failed | Unknown | Denied | Duplicate | Busy | NotRecorded


@dataclass(frozen=True)
class Captured:
    """The snapshot task finished: `new` are the snapshots it made (in offset order).

    `cover_replaced` is the cover before the task when VOD replaced it meanwhile (a
    snapshot task makes one of its snapshots the cover, VOD's `cover_position`), else None;
    `replaced_by` the new cover.
    """

    asset: Asset
    new: list[Snapshot]
    cover_replaced: str | None = None
    replaced_by: str | None = None
    #: That replacement as a change (source `capture`, undoable; `change_id` None when the
    #: store could not record it), told to the channel as any change is.
    changed: Changed | None = None


@dataclass(frozen=True)
class CaptureFailed:
    """VOD ran the snapshot task and reported THUMBNAIL_FAILED; `reason` is its exec_desc."""

    asset_id: str
    reason: str


@dataclass(frozen=True)
class CaptureTimedOut:
    """VOD had not finished the snapshot task when the bot stopped waiting."""

    asset_id: str
    waited_s: float
    status: str | None


@dataclass(frozen=True)
class CaptureRepeated:
    """The same capture was asked for already (`existing`, under way or just made), so
    VOD was not asked again."""

    existing: CaptureRecord


@dataclass(frozen=True)
class CaptureLimited:
    """The user has asked for `per_hour` captures in the last hour; the next is possible
    at `next_at` (None: `per_hour` is 0, captures are off). VOD was not called."""

    per_hour: int
    next_at: datetime | None


@dataclass(frozen=True)
class BadTimes:
    """The times cannot be captured (e.g. past the end of the video); nothing was sent."""

    problem: str


CaptureOutcome = (
    Captured | CaptureFailed | CaptureTimedOut | CaptureRepeated | CaptureLimited | BadTimes
    | Denied | Failed | NotRecorded
)


@dataclass(frozen=True)
class NotUndoable:
    """The change cannot be undone (not the video's latest, or no earlier cover the bot
    can put back); nothing was sent to VOD.

    `pick_from`: the asset whose snapshots to pick from instead, which each surface says
    in its own words (Slack's command, the CLI's)."""

    reason: str
    pick_from: str | None = None
    #: The change made since, the one to undo instead (None: no later change on record).
    later: ChangeRecord | None = None


@dataclass(frozen=True)
class Undone:
    """The cover the video had before `undone` is back: `changed` is the undo itself."""

    changed: Changed
    undone: ChangeRecord


UndoOutcome = Undone | NotUndoable | Failed | Unknown | Denied | Duplicate | Busy | NotRecorded
