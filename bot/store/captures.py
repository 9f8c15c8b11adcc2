"""Captures: every snapshot task asked of VOD, and how it ended.

Snapshot tasks cost money, so `begin_capture` asks VOD for each capture once and counts
them per user, across every process sharing the database: the same request (its key),
or the same asset and times while a task is under way or just made, is `SameCapture`
(a unique index on pending `(asset_id, seconds)` backs the check); a user's captures of
the last hour beyond `CaptureRules.per_hour` are `CaptureLimitReached`. On PostgreSQL
the check and the insert run under one advisory lock, so the count holds under races.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import StoreBase
from bot.store.changes import INTERRUPTED
from bot.store.records import (
    CaptureAttempt,
    CaptureLimitReached,
    CaptureRecord,
    CaptureRules,
    CaptureStatus,
    SameCapture,
    Source,
    StoreUnavailable,
)
from bot.store.tables import captures

INTERRUPTED_MSG = (
    "The bot stopped before VOD finished the snapshots; if VOD made them, they are among "
    "the video's snapshots."
)
#: Any constant: every process beginning a capture on the same PostgreSQL takes this lock.
CAPTURE_LOCK_ID = 0x5E7CA97E
_WINDOW = timedelta(hours=1)
_BEGIN_ATTEMPTS = 3


class CaptureLog(StoreBase):
    """The `captures` table."""

    async def begin_capture(self, attempt: CaptureAttempt, rules: CaptureRules) -> int:
        """Record a snapshot task about to be asked of VOD; the capture's id.

        Raises `SameCapture`, `CaptureLimitReached` or `StoreUnavailable`.
        """
        for _ in range(_BEGIN_ATTEMPTS):
            try:
                return await self._transaction(
                    lambda connection: self._begin_capture(connection, attempt, rules),
                    doing="record the capture in",
                    conflicts_raise=True,
                )
            except IntegrityError:
                # Another process recorded the same capture between our check and our
                # insert; its row is committed now, so the next round reports it.
                continue
        raise StoreUnavailable(
            f"The audit store ({self._location}) kept refusing to record the capture of "
            f"asset {attempt.asset_id}; try again."
        )

    async def cancel_capture(self, capture_id: int) -> None:
        """Forget a capture that was never asked of VOD (its times turned out to be past
        the video's end, say): it cost nothing, so it neither counts nor blocks."""

        async def delete(connection: AsyncConnection) -> None:
            await connection.execute(captures.delete().where(
                captures.c.id == capture_id, captures.c.status == CaptureStatus.PENDING.value))

        await self._transaction(delete, doing="withdraw the capture from")

    async def expire_stale_captures(self, older_than: timedelta) -> int:
        """Mark pending captures older than `older_than` timed out (`INTERRUPTED`): the
        process following them died. How many."""

        async def expire(connection: AsyncConnection) -> int:
            return await self._expire_captures(connection, self._clock() - older_than)

        return await self._transaction(expire, doing="expire stale captures in")

    async def _begin_capture(
        self, connection: AsyncConnection, attempt: CaptureAttempt, rules: CaptureRules
    ) -> int:
        now = self._clock()
        if connection.dialect.name == "postgresql":
            await connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": CAPTURE_LOCK_ID})
        seconds = ",".join(str(s) for s in attempt.seconds)
        await self._expire_captures(
            connection, now - rules.stale_after, captures.c.asset_id == attempt.asset_id)
        same_times = (
            (captures.c.asset_id == attempt.asset_id) & (captures.c.seconds == seconds)
            & (
                (captures.c.status == CaptureStatus.PENDING.value)
                | (
                    captures.c.status.in_(
                        [CaptureStatus.SUCCEEDED.value, CaptureStatus.TIMED_OUT.value])
                    & (captures.c.requested_at >= now - rules.same_within)
                )
            )
        )
        same = same_times if attempt.idempotency_key is None \
            else same_times | (captures.c.idempotency_key == attempt.idempotency_key)
        result = await connection.execute(
            sa.select(captures).where(same).order_by(captures.c.id.desc()).limit(1))
        row = result.mappings().first()
        if row is not None:
            raise SameCapture(_capture_record(row))
        if rules.per_hour is not None:
            recent = await _recent_times(connection, attempt, since=now - _WINDOW)
            if len(recent) >= rules.per_hour:
                # The next is possible once enough of these are an hour old.
                raise CaptureLimitReached(
                    rules.per_hour, recent[len(recent) - rules.per_hour] + _WINDOW)
        values = {
            "team_id": attempt.team_id,
            "channel_id": attempt.channel_id,
            "user_id": attempt.user_id,
            "asset_id": attempt.asset_id,
            "seconds": seconds,
            "source": Source(attempt.source).value,
            "status": CaptureStatus.PENDING.value,
            "requested_at": now,
            "idempotency_key": attempt.idempotency_key,
        }
        result = await connection.execute(
            captures.insert().values(values).returning(captures.c.id))
        return int(result.scalar_one())

    async def _expire_captures(
        self, connection: AsyncConnection, cutoff: datetime, *where: Any
    ) -> int:
        result = await connection.execute(
            captures.update()
            .where(captures.c.status == CaptureStatus.PENDING.value,
                   captures.c.requested_at < cutoff, *where)
            .values(status=CaptureStatus.TIMED_OUT.value, finished_at=self._clock(),
                    error_code=INTERRUPTED, error_msg=INTERRUPTED_MSG)
        )
        return result.rowcount

    async def finish_capture(
        self,
        capture_id: int,
        *,
        status: CaptureStatus,
        new_snapshots: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Record how snapshot task `capture_id` ended."""
        given = {"new_snapshots": new_snapshots, "error_code": error_code,
                 "error_msg": error_msg, "request_id": request_id}
        values: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        values |= {"status": CaptureStatus(status).value, "finished_at": self._clock()}

        async def update(connection: AsyncConnection) -> None:
            await connection.execute(
                captures.update().where(captures.c.id == capture_id).values(values)
            )

        await self._transaction(update, doing="record the capture's outcome in")

    async def captures(self, asset_id: str, limit: int = 10) -> list[CaptureRecord]:
        """The last `limit` snapshot tasks of `asset_id`, newest first."""
        query = (
            sa.select(captures).where(captures.c.asset_id == asset_id)
            .order_by(captures.c.requested_at.desc(), captures.c.id.desc()).limit(limit)
        )

        async def read(connection: AsyncConnection) -> list[CaptureRecord]:
            result = await connection.execute(query)
            return [_capture_record(row) for row in result.mappings()]

        return await self._transaction(read, doing="read the captures from")


async def _recent_times(
    connection: AsyncConnection, attempt: CaptureAttempt, *, since: datetime
) -> list[datetime]:
    """When the user asked for each capture since `since`, oldest first."""
    result = await connection.execute(
        sa.select(captures.c.requested_at)
        .where(captures.c.team_id == attempt.team_id, captures.c.user_id == attempt.user_id,
               captures.c.requested_at >= since)
        .order_by(captures.c.requested_at)
    )
    return [when for (when,) in result]


def _capture_record(row: Any) -> CaptureRecord:
    values = dict(row)
    values["source"] = Source(values["source"])
    values["status"] = CaptureStatus(values["status"])
    values["seconds"] = tuple(int(s) for s in values["seconds"].split(",") if s)
    return CaptureRecord(**values)
