"""The change log: every cover change on record, each one exactly once.

A change is written before VOD is called (`begin`, status `pending`) and completed after
(`finish`). Two unique indexes do the guarding, so it holds across any number of
processes sharing the database:
- the idempotency key: a repeated click or a Slack retry gets `DuplicateChange`;
- the pending asset: while one change of an asset is pending, a different one gets
  `AssetBusy`. A pending row older than `stale_after` no longer holds its asset: no live
  process takes that long (the caller sets it above its VOD time bound), so the process
  that wrote it died. `begin` and `expire_stale` mark it `unknown`, `INTERRUPTED` (VOD
  may have acted); a real outcome arriving later still wins.

Refused attempts (denied, busy, duplicate) are recorded too, with no idempotency key, so
they never hold a key that a later, allowed attempt needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import StoreBase
from bot.store.records import (
    OUTCOME_STATUSES,
    REFUSED_STATUSES,
    AssetBusy,
    Attempt,
    ChangedSince,
    ChangeRecord,
    DuplicateChange,
    Source,
    Status,
    StoreUnavailable,
)
from bot.store.tables import cover_changes

INTERRUPTED = "INTERRUPTED"
INTERRUPTED_MSG = (
    "The bot stopped before VOD answered, so this change was never confirmed. "
    "Check the video's cover and try again if it did not change."
)
_BEGIN_ATTEMPTS = 3


class ChangeLog(StoreBase):
    """The `cover_changes` table: begin, finish, refusals, history."""

    async def expire_stale(self) -> int:
        """Mark pending changes older than `stale_after` unknown (`INTERRUPTED`); how many.

        Safe with several processes: only rows no live process can still be working on.
        """

        async def expire(connection: AsyncConnection) -> int:
            return await self._expire(connection, self._clock() - self._stale_after)

        return await self._transaction(expire, doing="expire stale changes in")

    # ---- recording -----------------------------------------------------------------
    async def record_refused(self, attempt: Attempt, status: Status, reason: str) -> int:
        """Record an attempt refused before VOD (denied, busy, duplicate); the row's id.

        The row holds the asset but no idempotency key (so it never holds a key a later,
        allowed attempt needs), and is never pending (so it never holds its asset); its
        error code is the status.
        """
        status = Status(status)
        if status not in REFUSED_STATUSES:
            raise ValueError(f"record_refused() takes denied, busy or duplicate, not {status}")
        now = self._clock()
        values = _attempt_values(attempt) | {
            "idempotency_key": None,
            "status": status.value,
            "requested_at": now,
            "finished_at": now,
            "error_code": status.value.upper(),
            "error_msg": reason,
        }

        async def insert(connection: AsyncConnection) -> int:
            result = await connection.execute(
                cover_changes.insert().values(values).returning(cover_changes.c.id)
            )
            return int(result.scalar_one())

        return await self._transaction(insert, doing=f"record a {status} attempt in")

    async def begin(self, attempt: Attempt) -> int:
        """Record `attempt` as pending and hold its asset; the change id.

        Raises `DuplicateChange` (key seen before), `AssetBusy` (another change of the
        asset is pending), `ChangedSince` (an undo whose change is no longer the asset's
        latest) or `StoreUnavailable`.
        """
        if not attempt.idempotency_key:
            raise ValueError("begin() needs an idempotency key: it is what makes it once")
        for _ in range(_BEGIN_ATTEMPTS):
            try:
                return await self._transaction(
                    lambda connection: self._begin(connection, attempt),
                    doing="record the change in",
                    conflicts_raise=True,
                )
            except IntegrityError:
                # Another process inserted the same key or asset between our check and
                # our insert; its row is committed now, so the next round reports it.
                continue
        raise StoreUnavailable(
            f"The audit store ({self._location}) kept refusing to record the change of "
            f"asset {attempt.asset_id}; try again."
        )

    async def finish(
        self,
        change_id: int,
        *,
        status: Status,
        asset_title: str | None = None,
        previous_cover_url: str | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Record the outcome of change `change_id` and release its asset.

        The outcome is written even if `expire_stale` gave up on the change meanwhile: the
        real answer beats the guess. Values left `None` keep what the row has.
        """
        status = Status(status)
        if status not in OUTCOME_STATUSES:
            raise ValueError(f"finish() takes succeeded, failed or unknown, not {status}")
        given = {
            "asset_title": asset_title,
            "previous_cover_url": previous_cover_url,
            "error_code": error_code,
            "error_msg": error_msg,
            "request_id": request_id,
        }
        values: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        values |= {"status": status.value, "finished_at": self._clock()}

        async def update(connection: AsyncConnection) -> int:
            result = await connection.execute(
                cover_changes.update().where(cover_changes.c.id == change_id).values(values)
            )
            return result.rowcount

        if not await self._transaction(update, doing="record the outcome in"):
            raise LookupError(f"no cover change with id {change_id}")

    # ---- reading -------------------------------------------------------------------
    async def history(self, asset_id: str, limit: int = 10) -> list[ChangeRecord]:
        """The last `limit` attempts on `asset_id`, newest first.

        Duplicates are left out: each repeats a request already listed.
        """
        query = (
            sa.select(cover_changes)
            .where(
                cover_changes.c.asset_id == asset_id,
                cover_changes.c.status != Status.DUPLICATE.value,
            )
            .order_by(cover_changes.c.requested_at.desc(), cover_changes.c.id.desc())
            .limit(limit)
        )

        async def read(connection: AsyncConnection) -> list[ChangeRecord]:
            result = await connection.execute(query)
            return [_record(row) for row in result.mappings()]

        return await self._transaction(read, doing="read the history from")

    async def last_success(
        self, asset_id: str, *, before: int | None = None
    ) -> ChangeRecord | None:
        """The last succeeded change of `asset_id`, of any source (the one whose cover the
        video should have now); with `before`, the last one recorded before that change."""
        return await self._transaction(
            lambda connection: _last_success(connection, asset_id, before=before),
            doing="read the history from")

    async def get(self, change_id: int) -> ChangeRecord | None:
        """The change with this id, if any."""

        async def read(connection: AsyncConnection) -> ChangeRecord | None:
            return await _one(connection, cover_changes.c.id == change_id)

        return await self._transaction(read, doing="read")

    async def record_capture_change(
        self, attempt: Attempt, *, asset_title: str, previous_cover_url: str | None,
        request_id: str | None,
    ) -> int:
        """Record a cover VOD's snapshot task set (source `capture`) as a succeeded change,
        once per idempotency key; the change's id. It is never pending: VOD had made it
        when the bot saw it, so it holds nothing, and is undone like any change."""
        if not attempt.idempotency_key:
            raise ValueError("record_capture_change() needs an idempotency key")
        now = self._clock()
        values = _attempt_values(attempt) | {
            "status": Status.SUCCEEDED.value, "requested_at": now, "finished_at": now,
            "asset_title": asset_title, "previous_cover_url": previous_cover_url,
            "request_id": request_id,
        }

        async def insert(connection: AsyncConnection) -> int:
            existing = await _one(
                connection, cover_changes.c.idempotency_key == attempt.idempotency_key)
            if existing is not None:
                return existing.id
            result = await connection.execute(
                cover_changes.insert().values(values).returning(cover_changes.c.id))
            return int(result.scalar_one())

        return await self._transaction(insert, doing="record the capture's cover in")

    async def _begin(self, connection: AsyncConnection, attempt: Attempt) -> int:
        now = self._clock()
        await self._expire(
            connection, now - self._stale_after, cover_changes.c.asset_id == attempt.asset_id
        )
        # One statement, so one snapshot: on PostgreSQL a second query could already see
        # a row that the first one missed, and call a duplicate "busy".
        result = await connection.execute(
            sa.select(cover_changes).where(
                (cover_changes.c.idempotency_key == attempt.idempotency_key)
                | (
                    (cover_changes.c.asset_id == attempt.asset_id)
                    & (cover_changes.c.status == Status.PENDING.value)
                )
            )
        )
        blocking = [_record(row) for row in result.mappings()]
        for record in blocking:
            if record.idempotency_key == attempt.idempotency_key:
                raise DuplicateChange(record)
        if blocking:
            raise AssetBusy(blocking[0])
        if attempt.undoes is not None:
            # In the same transaction as the insert: a change that succeeded since the
            # undo looked is not thrown away (one still pending was `AssetBusy` above).
            latest = await _last_success(connection, attempt.asset_id)
            if latest is not None and latest.id != attempt.undoes:
                raise ChangedSince(latest)
        values = _attempt_values(attempt) | {
            "status": Status.PENDING.value,
            "requested_at": now,
        }
        result = await connection.execute(
            cover_changes.insert().values(values).returning(cover_changes.c.id)
        )
        return int(result.scalar_one())

    async def _expire(
        self, connection: AsyncConnection, cutoff: datetime, *where: Any
    ) -> int:
        result = await connection.execute(
            cover_changes.update()
            .where(
                cover_changes.c.status == Status.PENDING.value,
                cover_changes.c.requested_at < cutoff,
                *where,
            )
            .values(
                status=Status.UNKNOWN.value,
                finished_at=self._clock(),
                error_code=INTERRUPTED,
                error_msg=INTERRUPTED_MSG,
            )
        )
        return result.rowcount


async def _last_success(
    connection: AsyncConnection, asset_id: str, *, before: int | None = None
) -> ChangeRecord | None:
    condition = (
        (cover_changes.c.asset_id == asset_id)
        & (cover_changes.c.status == Status.SUCCEEDED.value)
    )
    if before is not None:
        condition &= cover_changes.c.id < before
    result = await connection.execute(
        sa.select(cover_changes).where(condition)
        .order_by(cover_changes.c.requested_at.desc(), cover_changes.c.id.desc()).limit(1)
    )
    row = result.mappings().first()
    return None if row is None else _record(row)


async def _one(connection: AsyncConnection, condition: Any) -> ChangeRecord | None:
    result = await connection.execute(sa.select(cover_changes).where(condition).limit(1))
    row = result.mappings().first()
    return None if row is None else _record(row)


def _attempt_values(attempt: Attempt) -> dict[str, Any]:
    return {
        "idempotency_key": attempt.idempotency_key,
        "team_id": attempt.team_id,
        "channel_id": attempt.channel_id,
        "user_id": attempt.user_id,
        "asset_id": attempt.asset_id,
        "snapshot_url": attempt.snapshot_url,
        "source": Source(attempt.source).value,
        "undoes": attempt.undoes,
    }


def _record(row: Any) -> ChangeRecord:
    values = dict(row)
    values["source"] = Source(values["source"])
    values["status"] = Status(values["status"])
    return ChangeRecord(**values)
