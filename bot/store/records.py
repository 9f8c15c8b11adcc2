"""What the audit store takes and gives back, and the errors it raises.

    StoreError
     ├── DuplicateChange   the idempotency key was seen before: `.existing` is that row
     ├── AssetBusy         another change of the asset is pending: `.pending` is that row
     ├── ChangedSince      an undo's change is no longer the asset's latest: `.latest` is
     ├── SameCapture       the same capture is under way or just made: `.existing`
     ├── CaptureLimitReached  the user's captures of the last hour are used up
     └── StoreUnavailable  the store cannot be read or written (file, server, schema)

Every message is a sentence an operator can act on; none carries a password.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.text import one_line


class Source(enum.StrEnum):
    """Where a change was asked for."""

    COMMAND = "command"
    BUTTON = "button"
    CLI = "cli"
    UNDO = "undo"
    #: VOD's snapshot task made one of its new snapshots the cover (`cover_position`).
    CAPTURE = "capture"


class Status(enum.StrEnum):
    """Where a change stands; only `pending` holds its asset.

    `unknown`: VOD was (or may have been) sent the change and never confirmed it, so the
    cover may have changed. `denied`, `busy` and `duplicate` are attempts refused before
    VOD was called: not allowed, another change of the asset pending, the same request
    (idempotency key) already taken.
    """

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DENIED = "denied"
    BUSY = "busy"
    DUPLICATE = "duplicate"


class CaptureStatus(enum.StrEnum):
    """Where a snapshot task stands: `timed_out` when the bot stopped waiting for VOD."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


class FollowUpState(enum.StrEnum):
    """A CDN refresh follow-up: `pending` while VOD's task is followed, then what the
    channel was told (`live`, `unconfirmed` after the deadline, `failed`), or `expired`:
    not told, as Slack no longer takes posts to its `response_url` (30 minutes)."""

    PENDING = "pending"
    LIVE = "live"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"
    EXPIRED = "expired"


class _TitledRow:
    """A row holding a video's title: shown as one line (`one_line`), also when the row was
    written before titles were (the title comes from VOD, someone else's text)."""

    asset_title: str | None

    def __post_init__(self) -> None:
        if self.asset_title is not None:
            object.__setattr__(self, "asset_title", one_line(self.asset_title))


@dataclass(frozen=True)
class FollowUp(_TitledRow):
    """A follow-up to post once VOD's CDN refresh task `task_id` ends.

    `response_url` is a capability (anyone holding it can post to the channel): never log it,
    so it is kept out of the repr.
    """

    id: int
    change_id: int
    asset_id: str
    asset_title: str
    task_id: str
    response_url: str = field(repr=False)
    state: FollowUpState
    attempts: int
    created_at: datetime
    due_at: datetime


#: How a change that was begun can end (`AuditStore.finish`).
OUTCOME_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED, Status.UNKNOWN})
#: How an attempt refused before VOD ends (`AuditStore.record_refused`).
REFUSED_STATUSES = frozenset({Status.DENIED, Status.BUSY, Status.DUPLICATE})


@dataclass(frozen=True)
class Attempt:
    """A change someone asked for, before anything happened.

    `idempotency_key` may be None only for an attempt that is refused (it is recorded
    without one, so it never holds a key).
    """

    idempotency_key: str | None
    team_id: str
    channel_id: str
    user_id: str
    asset_id: str
    snapshot_url: str
    source: Source
    undoes: int | None = None


@dataclass(frozen=True)
class CaptureAttempt:
    """A snapshot task someone asked for: the asset and the whole seconds.

    `idempotency_key` names the Slack request (a command's trigger id, a modal's view
    id), so that a retry or a form submitted again asks for no second task.
    """

    team_id: str
    channel_id: str
    user_id: str
    asset_id: str
    seconds: tuple[int, ...]
    source: Source
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CaptureRules:
    """What `begin_capture` holds a capture to, as snapshot tasks cost money.

    `per_hour`: captures one user may ask for in an hour (None: no limit, the operator's
    command line); the same capture (asset and times) is asked of VOD once while it is
    under way and for `same_within` after; a pending capture older than `stale_after` was
    left by a process that died (no live one follows a task that long).
    """

    per_hour: int | None = 10
    same_within: timedelta = timedelta(minutes=5)
    stale_after: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class ChangeRecord(_TitledRow):
    """One row of `cover_changes`; times are timezone-aware UTC."""

    id: int
    requested_at: datetime
    finished_at: datetime | None
    team_id: str
    channel_id: str
    user_id: str
    asset_id: str
    asset_title: str | None
    previous_cover_url: str | None
    snapshot_url: str
    source: Source
    status: Status
    error_code: str | None
    error_msg: str | None
    request_id: str | None
    idempotency_key: str | None
    undoes: int | None = None


@dataclass(frozen=True)
class CaptureRecord:
    """One row of `captures`."""

    id: int
    requested_at: datetime
    finished_at: datetime | None
    team_id: str
    channel_id: str
    user_id: str
    asset_id: str
    seconds: tuple[int, ...]
    source: Source
    status: CaptureStatus
    new_snapshots: int | None
    error_code: str | None
    error_msg: str | None
    request_id: str | None
    idempotency_key: str | None = None


class StoreError(Exception):
    """Base of everything the audit store raises on purpose."""


class DuplicateChange(StoreError):
    """This idempotency key was already recorded: a repeated click or a Slack retry."""

    def __init__(self, existing: ChangeRecord) -> None:
        self.existing = existing
        super().__init__(
            f"change {existing.id} already has idempotency key {existing.idempotency_key!r} "
            f"({existing.status})"
        )


class ChangedSince(StoreError):
    """An undo was about to begin, but the change it undoes is no longer the asset's
    latest succeeded change: `.latest` is (putting the cover back would throw it away)."""

    def __init__(self, latest: ChangeRecord) -> None:
        self.latest = latest
        super().__init__(
            f"asset {latest.asset_id} was changed again since: change {latest.id} by "
            f"{latest.user_id} is its latest"
        )


class AssetBusy(StoreError):
    """Another change of the same asset is still pending; the caller should wait."""

    def __init__(self, pending: ChangeRecord) -> None:
        self.pending = pending
        super().__init__(
            f"asset {pending.asset_id} is busy: change {pending.id} by {pending.user_id} "
            f"is still pending"
        )


class SameCapture(StoreError):
    """The same capture was asked for already (`existing`): under way, or just made."""

    def __init__(self, existing: CaptureRecord) -> None:
        self.existing = existing
        super().__init__(
            f"capture {existing.id} of {existing.asset_id} at {existing.seconds} by "
            f"{existing.user_id} is {existing.status}"
        )


class CaptureLimitReached(StoreError):
    """The user asked for `per_hour` captures in the last hour; `next_at` frees the next."""

    def __init__(self, per_hour: int, next_at: datetime) -> None:
        self.per_hour = per_hour
        self.next_at = next_at
        super().__init__(f"{per_hour} captures in the last hour; the next at {next_at}")


class StoreUnavailable(StoreError):
    """The store cannot be reached, read or written; no cover change without a record."""
