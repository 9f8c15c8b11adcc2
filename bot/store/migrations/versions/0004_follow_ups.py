"""The `follow_ups` table: what to tell the channel once VOD's CDN refresh ends.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("change_id", sa.Integer, nullable=False),
        sa.Column("asset_id", sa.String(255), nullable=False),
        sa.Column("asset_title", sa.Text, nullable=False),
        sa.Column("task_id", sa.String(128), nullable=False),
        sa.Column("response_url", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_follow_ups"),
        sa.ForeignKeyConstraint(["change_id"], ["cover_changes.id"],
                                name="fk_follow_ups_change_id_cover_changes"),
        sa.CheckConstraint("state IN ('pending', 'live', 'unconfirmed', 'failed')",
                           name="ck_follow_ups_state"),
    )
    op.create_index("ix_follow_ups_state_due_at", "follow_ups", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_state_due_at", table_name="follow_ups")
    op.drop_table("follow_ups")
