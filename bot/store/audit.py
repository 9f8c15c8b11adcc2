"""`AuditStore`: the one store object the bot holds: the change log, the captures, the
follow-up queue and the Slack uploads over one engine, plus the schema (migrations) and
health.

The guarantees are in each part: `bot.store.changes` (exactly once), `bot.store.captures`,
`bot.store.follow_ups` (at most once), `bot.store.uploads`; any database failure becomes
`StoreUnavailable` (`bot.store.base`).
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import DEFAULT_STALE_AFTER
from bot.store.captures import CaptureLog
from bot.store.changes import ChangeLog
from bot.store.engine import async_url, create_engine, safe_location
from bot.store.follow_ups import FollowUpQueue
from bot.store.tables import cover_changes
from bot.store.uploads import UploadLog

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: every process migrating the same PostgreSQL database takes this lock.
MIGRATION_LOCK_ID = 0x5E7C0FE5


class AuditStore(ChangeLog, CaptureLog, FollowUpQueue, UploadLog):
    """One engine for the process; use as `async with AuditStore.from_url(url) as store`."""

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
