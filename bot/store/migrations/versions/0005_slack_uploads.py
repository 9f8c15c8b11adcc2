"""The `slack_uploads` table: contact sheets uploaded to Slack, deleted a day later.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_uploads",
        sa.Column("file_id", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id", name="pk_slack_uploads"),
    )
    op.create_index("ix_slack_uploads_uploaded_at", "slack_uploads", ["uploaded_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_uploads_uploaded_at", table_name="slack_uploads")
    op.drop_table("slack_uploads")
