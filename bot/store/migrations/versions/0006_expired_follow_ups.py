"""Follow-ups can be `expired`: not told, as Slack no longer takes posts to their
`response_url` (30 minutes after the interaction).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_STATES = ("pending", "live", "unconfirmed", "failed")
_NEW_STATES = (*_OLD_STATES, "expired")


def _states(states: tuple[str, ...]) -> None:
    # SQLite rebuilds the table to change a CHECK; its index is dropped and re-made.
    op.drop_index("ix_follow_ups_state_due_at", table_name="follow_ups")
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_constraint("ck_follow_ups_state", type_="check")
        batch.create_check_constraint(
            "ck_follow_ups_state", f"state IN ({', '.join(repr(s) for s in states)})")
    op.create_index("ix_follow_ups_state_due_at", "follow_ups", ["state", "due_at"])


def upgrade() -> None:
    _states(_NEW_STATES)


def downgrade() -> None:
    op.execute("DELETE FROM follow_ups WHERE state = 'expired'")  # never told: nothing to keep
    _states(_OLD_STATES)
