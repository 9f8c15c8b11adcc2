"""The store's tables (`cover_changes`, `captures`, `follow_ups`, `slack_uploads`), as
SQLAlchemy Core metadata.

The migrations under `migrations/versions/` create the same schema; a test compares the
two so they cannot drift apart.

Two indexes of `cover_changes` carry the store's guarantees:
- `uq_cover_changes_idempotency_key`: a repeated click or Slack retry cannot record a
  second change (NULL keys, used by denied rows, never collide);
- `uq_cover_changes_pending_asset`, unique on `asset_id` where `status = 'pending'`: one
  change in flight per asset, across every process that shares the database.

And two of `captures` (paid snapshot tasks): `uq_captures_idempotency_key` (a Slack retry
or a form submitted again asks VOD once) and `uq_captures_pending_times`, unique on
`(asset_id, seconds)` while pending: one task per same capture under way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.store.records import CaptureStatus, FollowUpState, Source, Status

PENDING_ONLY = sa.text("status = 'pending'")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC, answers timezone-aware UTC, on SQLite (naive text) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the audit store; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(
    column: str,
    enum: type[Source] | type[Status] | type[CaptureStatus] | type[FollowUpState],
) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in enum)})"


cover_changes = sa.Table(
    "cover_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("team_id", sa.String(32), nullable=False),
    sa.Column("channel_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("asset_id", sa.String(255), nullable=False),
    sa.Column("asset_title", sa.Text, nullable=True),
    sa.Column("previous_cover_url", sa.Text, nullable=True),
    sa.Column("snapshot_url", sa.Text, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Column("error_msg", sa.Text, nullable=True),
    sa.Column("request_id", sa.String(128), nullable=True),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    #: The change this one undoes (source `undo`).
    sa.Column("undoes", sa.Integer, sa.ForeignKey("cover_changes.id"), nullable=True),
    sa.UniqueConstraint("idempotency_key"),
    sa.CheckConstraint(_one_of("source", Source), name="source"),
    sa.CheckConstraint(_one_of("status", Status), name="status"),
    sa.Index("ix_cover_changes_asset_history", "asset_id", "requested_at"),
    sa.Index(
        "uq_cover_changes_pending_asset",
        "asset_id",
        unique=True,
        sqlite_where=PENDING_ONLY,
        postgresql_where=PENDING_ONLY,
    ),
)

#: Snapshot tasks asked of VOD ("capture at 1:23"): they cost money, so each is on record.
captures = sa.Table(
    "captures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("team_id", sa.String(32), nullable=False),
    sa.Column("channel_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("asset_id", sa.String(255), nullable=False),
    sa.Column("seconds", sa.Text, nullable=False),  # "5,83"
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("new_snapshots", sa.Integer, nullable=True),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Column("error_msg", sa.Text, nullable=True),
    sa.Column("request_id", sa.String(128), nullable=True),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.UniqueConstraint("idempotency_key"),
    sa.CheckConstraint(_one_of("source", Source), name="source"),
    sa.CheckConstraint(_one_of("status", CaptureStatus), name="status"),
    sa.Index("ix_captures_asset_id", "asset_id", "requested_at"),
    #: The per-user limit counts a user's captures of the last hour.
    sa.Index("ix_captures_user_requested_at", "team_id", "user_id", "requested_at"),
    sa.Index(
        "uq_captures_pending_times",
        "asset_id",
        "seconds",
        unique=True,
        sqlite_where=PENDING_ONLY,
        postgresql_where=PENDING_ONLY,
    ),
)

#: What to tell the channel once VOD's CDN refresh after a change ends: rows survive a
#: restart, and a lease (`lease_owner` until `lease_until`) lets one process at a time
#: work on a row (see `AuditStore.claim_follow_ups`).
follow_ups = sa.Table(
    "follow_ups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("change_id", sa.Integer, sa.ForeignKey("cover_changes.id"), nullable=False),
    sa.Column("asset_id", sa.String(255), nullable=False),
    sa.Column("asset_title", sa.Text, nullable=False),
    sa.Column("task_id", sa.String(128), nullable=False),
    sa.Column("response_url", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.CheckConstraint(_one_of("state", FollowUpState), name="state"),
    sa.Index("ix_follow_ups_state_due_at", "state", "due_at"),
)

#: The pictures the bot uploaded to Slack (the pickers' contact sheets), so that each is
#: deleted a day later (`files.delete`) even when the process that uploaded it is gone.
slack_uploads = sa.Table(
    "slack_uploads",
    metadata,
    sa.Column("file_id", sa.String(64), primary_key=True),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
    sa.Index("ix_slack_uploads_uploaded_at", "uploaded_at"),
)
