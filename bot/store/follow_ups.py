"""The follow-up work queue: a post to make once VOD's CDN refresh after a change ends,
leased to one process at a time so it is posted at most once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import StoreBase
from bot.store.records import FollowUp, FollowUpState
from bot.store.tables import follow_ups


class FollowUpQueue(StoreBase):
    """The `follow_ups` table: add, lease (claim), reschedule, finish, release."""

    async def add_follow_up(
        self, *, change_id: int, asset_id: str, asset_title: str, task_id: str,
        response_url: str, due_at: datetime,
    ) -> int:
        """Record a follow-up to post once refresh task `task_id` ends; its id."""
        values = {"change_id": change_id, "asset_id": asset_id, "asset_title": asset_title,
                  "task_id": task_id, "response_url": response_url,
                  "state": FollowUpState.PENDING.value, "attempts": 0, "due_at": due_at,
                  "created_at": self._clock()}

        async def insert(connection: AsyncConnection) -> int:
            result = await connection.execute(
                follow_ups.insert().values(values).returning(follow_ups.c.id))
            return int(result.scalar_one())

        return await self._transaction(insert, doing="record the follow-up in")

    async def claim_follow_ups(
        self, owner: str, *, lease: timedelta, limit: int = 10
    ) -> list[FollowUp]:
        """Lease up to `limit` pending follow-ups that are due and held by nobody.

        One conditional UPDATE: on PostgreSQL a row another process leased meanwhile fails
        the re-checked condition and is skipped; SQLite's BEGIN IMMEDIATE serializes.
        """
        now = self._clock()
        free = ((follow_ups.c.state == FollowUpState.PENDING.value)
                & (follow_ups.c.due_at <= now)
                & (follow_ups.c.lease_until.is_(None) | (follow_ups.c.lease_until < now)))
        due = sa.select(follow_ups.c.id).where(free).order_by(follow_ups.c.due_at).limit(limit)

        async def claim(connection: AsyncConnection) -> list[FollowUp]:
            result = await connection.execute(
                follow_ups.update().where(follow_ups.c.id.in_(due.scalar_subquery()), free)
                .values(lease_owner=owner, lease_until=now + lease,
                        attempts=follow_ups.c.attempts + 1)
                .returning(*follow_ups.c))
            return [_follow_up(row) for row in result.mappings()]

        return await self._transaction(claim, doing="claim follow-ups in")

    async def reschedule_follow_up(self, follow_up_id: int, owner: str, due_at: datetime) -> None:
        """Give back a follow-up `owner` holds, to be looked at again at `due_at`."""

        async def update(connection: AsyncConnection) -> None:
            await connection.execute(
                follow_ups.update()
                .where(follow_ups.c.id == follow_up_id, follow_ups.c.lease_owner == owner)
                .values(due_at=due_at, lease_owner=None, lease_until=None))

        await self._transaction(update, doing="reschedule a follow-up in")

    async def finish_follow_up(self, follow_up_id: int, owner: str, state: FollowUpState) -> bool:
        """Mark a follow-up told (`state`) if `owner` still holds its lease; whether it did.

        Only a True answer may post: the same transaction proves nobody else holds the
        row, so the follow-up is posted at most once (a crash right after this loses it).
        """
        now = self._clock()

        async def update(connection: AsyncConnection) -> int:
            result = await connection.execute(
                follow_ups.update()
                .where(follow_ups.c.id == follow_up_id,
                       follow_ups.c.state == FollowUpState.PENDING.value,
                       follow_ups.c.lease_owner == owner, follow_ups.c.lease_until > now)
                .values(state=FollowUpState(state).value, finished_at=now, lease_until=None))
            return result.rowcount

        return bool(await self._transaction(update, doing="record a follow-up in"))

    async def release_follow_ups(self, owner: str) -> int:
        """Give back every pending follow-up `owner` holds (at shutdown); how many."""

        async def update(connection: AsyncConnection) -> int:
            result = await connection.execute(
                follow_ups.update()
                .where(follow_ups.c.lease_owner == owner,
                       follow_ups.c.state == FollowUpState.PENDING.value)
                .values(lease_owner=None, lease_until=None))
            return result.rowcount

        return await self._transaction(update, doing="release follow-ups in")


def _follow_up(row: Any) -> FollowUp:
    values = {k: v for k, v in dict(row).items()
              if k not in ("lease_owner", "lease_until", "finished_at")}
    values["state"] = FollowUpState(values["state"])
    return FollowUp(**values)
