"""The audit store: every cover change on record, each one exactly once.

See `bot.store.changes` for the exactly-once guarantees and `bot.store.engine` for accepted
URLs.
"""

from bot.store.audit import AuditStore
from bot.store.records import (
    AssetBusy,
    Attempt,
    CaptureAttempt,
    CaptureLimitReached,
    CaptureRecord,
    CaptureRules,
    CaptureStatus,
    ChangedSince,
    ChangeRecord,
    DuplicateChange,
    FollowUp,
    FollowUpState,
    SameCapture,
    Source,
    Status,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "AssetBusy",
    "Attempt",
    "AuditStore",
    "CaptureAttempt",
    "CaptureLimitReached",
    "CaptureRecord",
    "CaptureRules",
    "CaptureStatus",
    "ChangeRecord",
    "ChangedSince",
    "DuplicateChange",
    "FollowUp",
    "FollowUpState",
    "SameCapture",
    "Source",
    "Status",
    "StoreError",
    "StoreUnavailable",
]
