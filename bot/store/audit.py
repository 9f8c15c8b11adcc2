"""`AuditStore`: the record of every cover change, and the exactly-once guard around it.

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
they never hold a key that a later, allowed attempt needs. Any database failure becomes
`StoreUnavailable` with a message that names the store (never its password) and what
went wrong.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.engine import async_url, create_engine, safe_location
from bot.store.records import (
    OUTCOME_STATUSES,
    REFUSED_STATUSES,
    AssetBusy,
    Attempt,
    CaptureAttempt,
    CaptureRecord,
    CaptureStatus,
    ChangeRecord,
    DuplicateChange,
    FollowUp,
    FollowUpState,
    Source,
    Status,
    StoreUnavailable,
)
from bot.store.tables import captures, cover_changes, follow_ups, slack_uploads

T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: every process migrating the same PostgreSQL database takes this lock.
MIGRATION_LOCK_ID = 0x5E7C0FE5
#: For callers that know no VOD time bound; the bot passes its own (`bot.services`).
DEFAULT_STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = "INTERRUPTED"
INTERRUPTED_MSG = (
    "The bot stopped before VOD answered, so this change was never confirmed. "
    "Check the video's cover and try again if it did not change."
)
_BEGIN_ATTEMPTS = 3


class AuditStore:
    """One engine for the process; use as `async with AuditStore.from_url(url) as store`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        location: str,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._location = location
        self._stale_after = stale_after
        self._clock = clock

    @classmethod
    def from_url(
        cls, database_url: str, *, stale_after: timedelta = DEFAULT_STALE_AFTER
    ) -> AuditStore:
        """The store for `DATABASE_URL`; `ValueError` if the URL cannot be a store."""
        return cls(
            create_engine(database_url),
            location=safe_location(async_url(database_url)),
            stale_after=stale_after,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._engine.dispose()

    # ---- schema and health -------------------------------------------------------------
    async def migrate(self) -> None:
        """Upgrade the schema to the newest migration; safe to run from many processes.

        A store already at the newest migration is left alone without loading Alembic
        (10 MiB and 0.2 s of imports that a serving process then never needs)."""
        if await self._transaction(_at_head, doing="read the schema version of"):
            return

        async def upgrade(connection: AsyncConnection) -> None:
            # Other processes: an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite.
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
            await connection.run_sync(_upgrade_to_head)

        # This process: Alembic keeps its migration context in a module global.
        async with _alembic_lock():
            await self._transaction(upgrade, doing="migrate")

    async def ping(self) -> None:
        """Raise `StoreUnavailable` unless the store answers and its table is there."""

        async def probe(connection: AsyncConnection) -> None:
            await connection.execute(sa.select(sa.func.count()).select_from(cover_changes))

        await self._transaction(probe, doing="reach")

    async def count_by_status(self) -> dict[str, int]:
        """How many rows have each status (every status, zero included): for `/metrics`."""

        async def count(connection: AsyncConnection) -> dict[str, int]:
            result = await connection.execute(
                sa.select(cover_changes.c.status, sa.func.count()).group_by(cover_changes.c.status)
            )
            return {status.value: 0 for status in Status} | {s: int(n) for s, n in result}

        return await self._transaction(count, doing="count the rows of")

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

        The row holds no idempotency key and no asset; its error code is the status.
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
        asset is pending) or `StoreUnavailable`.
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

    async def previous_success(self, asset_id: str, *, before: int) -> ChangeRecord | None:
        """The last succeeded change of `asset_id` recorded before change `before`."""
        condition = (
            (cover_changes.c.asset_id == asset_id)
            & (cover_changes.c.status == Status.SUCCEEDED.value)
            & (cover_changes.c.id < before)
        )

        async def read(connection: AsyncConnection) -> ChangeRecord | None:
            result = await connection.execute(
                sa.select(cover_changes).where(condition)
                .order_by(cover_changes.c.requested_at.desc(), cover_changes.c.id.desc())
                .limit(1)
            )
            row = result.mappings().first()
            return None if row is None else _record(row)

        return await self._transaction(read, doing="read the history from")

    # ---- captures ------------------------------------------------------------------
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

    async def get(self, change_id: int) -> ChangeRecord | None:
        """The change with this id, if any."""

        async def read(connection: AsyncConnection) -> ChangeRecord | None:
            return await _one(connection, cover_changes.c.id == change_id)

        return await self._transaction(read, doing="read")

    # ---- follow-ups (CDN refresh) --------------------------------------------------
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

    # ---- files uploaded to Slack ---------------------------------------------------
    async def add_upload(self, file_id: str, uploaded_at: datetime) -> None:
        """Remember a file the bot uploaded to Slack, to delete it later."""

        async def insert(connection: AsyncConnection) -> None:
            await connection.execute(
                slack_uploads.insert().values(file_id=file_id, uploaded_at=uploaded_at))

        await self._transaction(insert, doing="record an upload in")

    async def uploads_before(self, cutoff: datetime, limit: int = 100) -> list[str]:
        """The uploaded files older than `cutoff`, oldest first: the ones to delete."""

        async def read(connection: AsyncConnection) -> list[str]:
            result = await connection.execute(
                sa.select(slack_uploads.c.file_id).where(slack_uploads.c.uploaded_at < cutoff)
                .order_by(slack_uploads.c.uploaded_at).limit(limit))
            return [str(file_id) for file_id in result.scalars()]

        return await self._transaction(read, doing="read the uploads of")

    async def forget_upload(self, file_id: str) -> None:
        """A file Slack no longer has (deleted): nothing left to do for it."""

        async def delete(connection: AsyncConnection) -> None:
            await connection.execute(
                slack_uploads.delete().where(slack_uploads.c.file_id == file_id))

        await self._transaction(delete, doing="forget an upload in")

    # ---- internals -----------------------------------------------------------------
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

    async def _transaction(
        self,
        work: Callable[[AsyncConnection], Awaitable[T]],
        *,
        doing: str,
        conflicts_raise: bool = False,
    ) -> T:
        """Run `work` in one transaction; database failures become `StoreUnavailable`.

        A pooled connection the server dropped (a restart, an idle timeout) fails its
        first statement; SQLAlchemy then discards every connection older than that, and
        the transaction runs once more on a new one. Only when the failure came before
        the commit: nothing was written then. This replaces a ping before every
        transaction (`pool_pre_ping`: three more round trips each).
        """
        try:
            for retry in (True, False):
                async with self._engine.connect() as connection:
                    try:
                        result = await work(connection)
                    except DBAPIError as exc:
                        if retry and exc.connection_invalidated:
                            continue
                        raise
                    await connection.commit()
                    return result
            raise AssertionError("unreachable: the second try returns or raises")
        except IntegrityError:
            if conflicts_raise:
                raise
            raise self._unavailable(doing, "a constraint refused the write") from None
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise self._unavailable(doing, _describe(exc)) from exc

    def _unavailable(self, doing: str, detail: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"Cannot {doing} the audit store ({self._location}): {detail}. "
            "No cover is changed without a record."
        )


_ALEMBIC_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _alembic_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    return _ALEMBIC_LOCKS.setdefault(loop, asyncio.Lock())


def schema_head() -> str:
    """The newest migration's revision. Migration files are named `<revision>_<what>.py`,
    revisions numbered in order (tests/test_store.py holds Alembic to it)."""
    return max(path.name.partition("_")[0] for path in (MIGRATIONS / "versions").glob("*.py"))


async def _at_head(connection: AsyncConnection) -> bool:
    has_versions = await connection.run_sync(
        lambda sync: sa.inspect(sync).has_table("alembic_version"))
    if not has_versions:
        return False
    versions = (await connection.execute(sa.text("SELECT version_num FROM alembic_version")))
    return [row[0] for row in versions] == [schema_head()]


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


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


def _capture_record(row: Any) -> CaptureRecord:
    values = dict(row)
    values["source"] = Source(values["source"])
    values["status"] = CaptureStatus(values["status"])
    values["seconds"] = tuple(int(s) for s in values["seconds"].split(",") if s)
    return CaptureRecord(**values)


def _follow_up(row: Any) -> FollowUp:
    values = {k: v for k, v in dict(row).items()
              if k not in ("lease_owner", "lease_until", "finished_at")}
    values["state"] = FollowUpState(values["state"])
    return FollowUp(**values)


def _record(row: Any) -> ChangeRecord:
    values = dict(row)
    values["source"] = Source(values["source"])
    values["status"] = Status(values["status"])
    return ChangeRecord(**values)


def _describe(exc: BaseException) -> str:
    """The driver's own words, first line only: enough to act on, no URL or password."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    name = type(cause).__name__
    return f"{name}: {text[:200]}" if text else name
