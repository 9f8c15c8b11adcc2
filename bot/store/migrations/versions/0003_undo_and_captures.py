"""Undo (source `undo`, `undoes` links to the change undone) and the `captures` table.

A capture (a paid snapshot task) is no cover change: it holds no asset and has no snapshot
URL, so it has its own table rather than rows among the changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PENDING_ONLY = sa.text("status = 'pending'")
_OLD_SOURCES = ("command", "button", "cli")
_NEW_SOURCES = ("command", "button", "cli", "undo")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _rebuild(sources: tuple[str, ...], *, with_undoes: bool) -> None:
    # SQLite rebuilds the table to change a CHECK or add a foreign key; its indexes are
    # dropped and re-made around that explicitly, as in 0002.
    op.drop_index("uq_cover_changes_pending_asset", table_name="cover_changes")
    op.drop_index("ix_cover_changes_asset_history", table_name="cover_changes")
    with op.batch_alter_table("cover_changes") as batch:
        batch.drop_constraint("ck_cover_changes_source", type_="check")
        batch.create_check_constraint("ck_cover_changes_source", _one_of("source", sources))
        if with_undoes:
            batch.add_column(sa.Column("undoes", sa.Integer, nullable=True))
            batch.create_foreign_key(
                "fk_cover_changes_undoes_cover_changes", "cover_changes", ["undoes"], ["id"]
            )
        else:
            batch.drop_constraint("fk_cover_changes_undoes_cover_changes", type_="foreignkey")
            batch.drop_column("undoes")
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
    _rebuild(_NEW_SOURCES, with_undoes=True)
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("asset_id", sa.String(255), nullable=False),
        sa.Column("seconds", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("new_snapshots", sa.Integer, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_msg", sa.Text, nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_captures"),
        sa.CheckConstraint(_one_of("source", _NEW_SOURCES), name="ck_captures_source"),
        sa.CheckConstraint(
            _one_of("status", ("pending", "succeeded", "failed", "timed_out")),
            name="ck_captures_status",
        ),
    )
    op.create_index("ix_captures_asset_id", "captures", ["asset_id", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_captures_asset_id", table_name="captures")
    op.drop_table("captures")
    op.execute("DELETE FROM cover_changes WHERE source = 'undo'")
    _rebuild(_OLD_SOURCES, with_undoes=False)
