"""Captures are asked of VOD once (a request key, one pending task per asset and times),
counted per user, and a cover VOD's snapshot task set is a change of its own (source
`capture`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_PENDING_ONLY = sa.text("status = 'pending'")
_OLD_SOURCES = ("command", "button", "cli", "undo")
_NEW_SOURCES = (*_OLD_SOURCES, "capture")


def _sources(sources: tuple[str, ...]) -> str:
    return f"source IN ({', '.join(repr(s) for s in sources)})"


def _change_sources(sources: tuple[str, ...]) -> None:
    # SQLite rebuilds the table to change a CHECK; its indexes are dropped and re-made.
    op.drop_index("uq_cover_changes_pending_asset", table_name="cover_changes")
    op.drop_index("ix_cover_changes_asset_history", table_name="cover_changes")
    with op.batch_alter_table("cover_changes") as batch:
        batch.drop_constraint("ck_cover_changes_source", type_="check")
        batch.create_check_constraint("ck_cover_changes_source", _sources(sources))
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
    _change_sources(_NEW_SOURCES)
    op.drop_index("ix_captures_asset_id", table_name="captures")
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_captures_idempotency_key", ["idempotency_key"])
        batch.drop_constraint("ck_captures_source", type_="check")
        batch.create_check_constraint("ck_captures_source", _sources(_NEW_SOURCES))
    op.create_index("ix_captures_asset_id", "captures", ["asset_id", "requested_at"])
    op.create_index(
        "ix_captures_user_requested_at", "captures", ["team_id", "user_id", "requested_at"]
    )
    # A capture left pending by an older release must not block the index.
    op.execute(
        "UPDATE captures SET status = 'timed_out', error_code = 'INTERRUPTED' "
        "WHERE status = 'pending'"
    )
    op.create_index(
        "uq_captures_pending_times",
        "captures",
        ["asset_id", "seconds"],
        unique=True,
        sqlite_where=_PENDING_ONLY,
        postgresql_where=_PENDING_ONLY,
    )


def downgrade() -> None:
    op.drop_index("uq_captures_pending_times", table_name="captures")
    op.drop_index("ix_captures_user_requested_at", table_name="captures")
    op.drop_index("ix_captures_asset_id", table_name="captures")
    with op.batch_alter_table("captures") as batch:
        batch.drop_constraint("ck_captures_source", type_="check")
        batch.create_check_constraint("ck_captures_source", _sources(_OLD_SOURCES))
        batch.drop_constraint("uq_captures_idempotency_key", type_="unique")
        batch.drop_column("idempotency_key")
    op.create_index("ix_captures_asset_id", "captures", ["asset_id", "requested_at"])
    # As 0003 does with undo rows: the older schema has no words for them.
    op.execute("UPDATE cover_changes SET undoes = NULL WHERE undoes IN "
               "(SELECT id FROM cover_changes WHERE source = 'capture')")
    op.execute("DELETE FROM cover_changes WHERE source = 'capture'")
    _change_sources(_OLD_SOURCES)
