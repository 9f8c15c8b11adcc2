"""From `DATABASE_URL` to one configured `AsyncEngine`.

Accepted URLs, as operators write them:
- `sqlite:///relative/file.db`, `sqlite:////absolute/file.db` (→ `sqlite+aiosqlite`);
- `postgresql://user:pw@host:5432/db`, `postgres://…` (→ `postgresql+asyncpg`; a libpq
  `sslmode=` becomes asyncpg's `ssl=`);
- an explicit async driver (`sqlite+aiosqlite`, `postgresql+asyncpg`, `postgresql+psycopg`)
  as given.

SQLite runs in WAL mode with a busy timeout, and every transaction is `BEGIN IMMEDIATE`:
writers queue for the lock instead of failing, so several processes share one file, and
schema changes are transactional. A process holds one SQLite connection; its transactions
queue for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 5.0
#: Connections a process keeps open to PostgreSQL (4 processes stay under the server's
#: default `max_connections` of 100).
POSTGRES_POOL_SIZE = 15
#: Pause between tries to switch a new SQLite file to WAL (blocks only at first connect).
WAL_RETRY_S = 0.02

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def async_url(database_url: str) -> URL:
    """The SQLAlchemy URL with an async driver; `ValueError` names what is accepted."""
    try:
        url = make_url(database_url.strip())
    except ArgumentError:
        raise ValueError(
            "DATABASE_URL is not a database URL; expected sqlite:///file.db or "
            "postgresql://user:password@host:5432/database"
        ) from None
    driver = ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"DATABASE_URL scheme {url.drivername!r} is not supported; expected "
            "sqlite:///file.db or postgresql://user:password@host:5432/database"
        )
    url = url.set(drivername=driver)
    if driver == "postgresql+asyncpg" and "sslmode" in url.query:
        query = dict(url.query)
        query["ssl"] = query.pop("sslmode")
        url = url.set(query=query)
    return url


def safe_location(url: URL) -> str:
    """Where the store is, for messages and logs: never the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database or ':memory:'}"
    port = f":{url.port}" if url.port else ""
    return f"PostgreSQL database {url.database or ''} on {url.host or 'localhost'}{port}"


def create_engine(database_url: str) -> AsyncEngine:
    """The process's engine for `database_url` (see the module docstring)."""
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        # One connection (one aiosqlite thread): SQLite writes one transaction at a time
        # anyway, and a pool of them made threads fight in the busy handler and for the
        # GIL, costing the event loop half its time under load (issue 10).
        database = url.database or ":memory:"
        engine = create_async_engine(
            url, pool_size=1, max_overflow=0, async_creator=lambda: _open_sqlite(database)
        )
        _make_sqlite_concurrent(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if url.drivername == "postgresql+asyncpg":
        connect_args["timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    else:
        connect_args["connect_timeout"] = int(POSTGRES_CONNECT_TIMEOUT_S)
    # No ping before each transaction: `AuditStore` runs a transaction again when its
    # connection turns out dropped. Connections are kept for a burst of concurrent
    # changes, not opened and closed for each transaction above the default 5.
    return create_async_engine(url, pool_size=POSTGRES_POOL_SIZE, max_overflow=5,
                               connect_args=connect_args)


async def _open_sqlite(database: str) -> aiosqlite.Connection:
    """Open `database`; when that fails, wait for aiosqlite's worker thread to end.

    aiosqlite stops the thread of a connection that failed to open without waiting for it;
    left alone, the thread reports into an event loop that may be closed by then ("Exception
    in thread … Event loop is closed"). Joining it here, while the loop runs, ends it cleanly.
    """
    connection = aiosqlite.connect(database)
    thread = connection._thread  # the same handle SQLAlchemy's own creator uses
    thread.daemon = True
    try:
        return await connection
    except BaseException:
        await asyncio.to_thread(thread.join, SQLITE_BUSY_TIMEOUT_MS / 1000)
        raise


def _make_sqlite_concurrent(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is off: we emit BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL once (it persists); retry while another process switches it.

    SQLite answers "database is locked" at once, without its busy handler, when two
    processes open a new file and both ask for WAL; the second one only has to wait.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)
