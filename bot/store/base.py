"""What every part of the audit store shares: one engine, one clock, and the transaction
helper that turns any database failure into `StoreUnavailable` (naming the store, never
its password)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.records import StoreUnavailable

T = TypeVar("T")

#: For callers that know no VOD time bound; the bot passes its own (`bot.services`).
DEFAULT_STALE_AFTER = timedelta(minutes=10)


class StoreBase:
    """The engine, where it points (for messages), the stale bound and the clock."""

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


def _describe(exc: BaseException) -> str:
    """The driver's own words, first line only: enough to act on, no URL or password."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    name = type(cause).__name__
    return f"{name}: {text[:200]}" if text else name
