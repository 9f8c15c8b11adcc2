"""The audit table of cover changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_PENDING_ONLY = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "cover_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name="pk_cover_changes"),
        sa.UniqueConstraint("idempotency_key", name="uq_cover_changes_idempotency_key"),
        sa.CheckConstraint(
            "source IN ('command', 'button', 'cli')", name="ck_cover_changes_source"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'denied')",
            name="ck_cover_changes_status",
        ),
    )
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


def downgrade() -> None:
    op.drop_index("uq_cover_changes_pending_asset", table_name="cover_changes")
    op.drop_index("ix_cover_changes_asset_history", table_name="cover_changes")
    op.drop_table("cover_changes")
