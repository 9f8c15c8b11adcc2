"""Statuses `unknown` (VOD never confirmed), `busy` and `duplicate` (refused attempts).

Interrupted changes were recorded as `failed` with error code `INTERRUPTED`, although VOD
may have applied them: they become `unknown`, which is what they are.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PENDING_ONLY = sa.text("status = 'pending'")
_OLD = ("pending", "succeeded", "failed", "denied")
_NEW = ("pending", "succeeded", "failed", "unknown", "denied", "busy", "duplicate")


def _status_check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def _replace_status_check(statuses: tuple[str, ...]) -> None:
    # SQLite rebuilds the table to change a CHECK; its indexes are dropped and re-made
    # around that explicitly, since the partial one's WHERE is not reflected everywhere.
    op.drop_index("uq_cover_changes_pending_asset", table_name="cover_changes")
    op.drop_index("ix_cover_changes_asset_history", table_name="cover_changes")
    with op.batch_alter_table("cover_changes") as batch:
        batch.drop_constraint("ck_cover_changes_status", type_="check")
        batch.create_check_constraint("ck_cover_changes_status", _status_check(statuses))
    op.create_index(
        "ix_cover_changes_asset_history", "cover_changes", ["asset_id", "requested_at"]
    )
    op.create_index(
        "uq_cover_changes_pending_asset",
        "cover_changes",
        ["asset_id"],
        unique=True,
        sqlite_where=_PENDING_ONLY,
        postgresql_where=_PENDING_ONLY,
    )


def upgrade() -> None:
    _replace_status_check(_NEW)
    op.execute(
        "UPDATE cover_changes SET status = 'unknown' "
        "WHERE status = 'failed' AND error_code = 'INTERRUPTED'"
    )


def downgrade() -> None:
    op.execute("UPDATE cover_changes SET status = 'failed' WHERE status = 'unknown'")
    op.execute("DELETE FROM cover_changes WHERE status IN ('busy', 'duplicate')")
    _replace_status_check(_OLD)
