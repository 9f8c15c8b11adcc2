"""Captures: every snapshot task asked of VOD, and how it ended."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import StoreBase
from bot.store.records import CaptureAttempt, CaptureRecord, CaptureStatus, Source
from bot.store.tables import captures


class CaptureLog(StoreBase):
    """The `captures` table."""

    async def begin_capture(self, attempt: CaptureAttempt) -> int:
        """Record a snapshot task about to be asked of VOD; the capture's id."""
        values = {
            "team_id": attempt.team_id,
            "channel_id": attempt.channel_id,
            "user_id": attempt.user_id,
            "asset_id": attempt.asset_id,
            "seconds": ",".join(str(s) for s in attempt.seconds),
            "source": Source(attempt.source).value,
            "status": CaptureStatus.PENDING.value,
            "requested_at": self._clock(),
        }

        async def insert(connection: AsyncConnection) -> int:
            result = await connection.execute(
                captures.insert().values(values).returning(captures.c.id)
            )
            return int(result.scalar_one())

        return await self._transaction(insert, doing="record the capture in")

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


def _capture_record(row: Any) -> CaptureRecord:
    values = dict(row)
    values["source"] = Source(values["source"])
    values["status"] = CaptureStatus(values["status"])
    values["seconds"] = tuple(int(s) for s in values["seconds"].split(",") if s)
    return CaptureRecord(**values)
