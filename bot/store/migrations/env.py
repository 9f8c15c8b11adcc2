"""Alembic environment: runs on the connection `AuditStore.migrate()` hands over.

`migrate()` opens a transaction (and, on PostgreSQL, takes an advisory lock in it), puts
the synchronous connection in `config.attributes["connection"]` and calls
`command.upgrade`. Run without one (the `alembic` command line with `-x url=…`), it builds
its own engine from that URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # Always inside migrate()'s transaction, SQLite's too (BEGIN IMMEDIATE).
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    from bot.store.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database as: alembic -x url=postgresql://… upgrade head")
    asyncio.run(_run_from_url(url))


main()
