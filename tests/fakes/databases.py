"""Databases for the store tests: a SQLite file per test, and a fresh PostgreSQL database.

- `database_url`: parametrized over `sqlite` (a file in `tmp_path`) and `postgresql`, so
  a test that takes it runs on both, with an empty database each time.
- `postgres_url`: an empty PostgreSQL database of its own, for tests that need the server
  (several processes on one database, advisory locks).
- `audit_store`: an `AuditStore` on `database_url`, migrated, closed after the test.

PostgreSQL is `TEST_POSTGRES_URL` (default `postgresql://postgres@127.0.0.1:5432/postgres`,
the maintenance database). Each database is `setcover_test_<run>_<n>`; whatever a test
leaves is dropped when the session ends. Without a reachable server, PostgreSQL tests are
skipped, except under `CI=true`, where that is a failure: CI must test both databases.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bot.store import AuditStore

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class PostgresServer:
    """Creates and drops the test databases through the maintenance database."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"setcover_test_{secrets.token_hex(4)}"
        self._numbers = itertools.count(1)

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3)

    def create_database(self) -> str:
        """An empty database; its URL, as an operator would write DATABASE_URL."""
        name = f"{self.prefix}_{next(self._numbers)}"
        with self._admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def drop_database(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with self._admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def drop_leftovers(self) -> None:
        with self._admin() as admin:
            names = admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (self.prefix + "\\_%",),
            ).fetchall()
            for (name,) in names:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(os.environ.get("TEST_POSTGRES_URL", DEFAULT_ADMIN_URL))
    try:
        server._admin().close()
    except psycopg.Error as exc:
        reason = f"PostgreSQL is not reachable for the store tests: {exc}".strip()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(reason)
    yield server
    server.drop_leftovers()


@pytest.fixture
def postgres_url(_postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    url = _postgres_server.create_database()
    yield url
    _postgres_server.drop_database(url)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind the store supports, as a DATABASE_URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def audit_store(database_url: str) -> AsyncIterator[AuditStore]:
    """A migrated store on `database_url`, closed after the test."""
    async with AuditStore.from_url(database_url) as store:
        await store.migrate()
        yield store
