"""Every Prometheus metric the bot exports, defined once, and the `/metrics` page.

The code counts at its single points: one Bolt middleware for every Slack request
(`bot.observe`), one httpx transport for every VOD call (`bot.observe`), the retry loop
of `VodClient`, and `CoverService` for changes and denials. Audit rows by status
(`AuditCounts`) are counted in the background, on a connection of their own, at most
every `AuditCounts.every_s` and only while someone scrapes: they count every process's
rows and survive restarts, yet a scrape costs the same at 10 rows as at 10 million and
never waits on, or holds, the connection that cover changes write through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Status
from bot.store.engine import async_url
from bot.store.tables import cover_changes

log = logging.getLogger(__name__)

#: Slack wants an acknowledgement within 3 s; buckets resolve the fast end finely.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
_VOD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

SLACK_REQUESTS = Counter(
    "setcover_slack_requests",
    "Slack requests handled, by kind (command verb or button) and final outcome.",
    ["kind", "outcome"],
)
SLACK_ACK_SECONDS = Histogram(
    "setcover_slack_ack_seconds",
    "Time from a Slack request reaching the app to its acknowledgement.",
    buckets=_ACK_BUCKETS,
)
VOD_CALL_SECONDS = Histogram(
    "setcover_vod_call_seconds",
    "Duration of each HTTP call to VOD (and IAM, and its CDN for snapshot pictures), one per "
    "attempt, by call.",
    ["call"],
    buckets=_VOD_BUCKETS,
)
VOD_ERRORS = Counter(
    "setcover_vod_errors",
    "VOD calls that did not succeed, by call and VOD error code (or timeout, connection).",
    ["call", "code"],
)
VOD_RETRIES = Counter(
    "setcover_vod_retries",
    "VOD calls tried again after a timeout, lost connection, 429 or 5xx.",
)
CONNECTIONS_CLOSED = Counter(
    "setcover_connections_closed",
    "Connections the server closed before their request arrived whole, by reason (`slow`: "
    "past the read deadline; `evicted`: the oldest unfinished one, to make way for a new "
    "one near the open-file limit).",
    ["reason"],
)
DENIALS = Counter(
    "setcover_denials",
    "Attempts the policy refused, by where they came from.",
    ["source"],
)
CHANGES_IN_FLIGHT = Gauge(
    "setcover_changes_in_flight",
    "Cover changes this process is working on now.",
)
AUDIT_ROWS = Gauge(
    "setcover_audit_rows",
    "Rows of the audit store by status (every process's rows), as last counted in the "
    "background (at most every few seconds, while scraped).",
    ["status"],
)
STORE_UP = Gauge(
    "setcover_store_up",
    "1 when the audit store answered the last background count, else 0.",
)


_making: asyncio.Future[bytes] | None = None


async def exposition() -> tuple[bytes, str]:
    """The Prometheus text page and its content type: what is counted, read as it is.

    Made in a thread, once for every scrape that asks while it is being made: scrapes in
    loops share pages instead of each taking the event loop that acknowledges Slack."""
    global _making
    if _making is None or _making.done() or _making.get_loop() is not asyncio.get_running_loop():
        _making = asyncio.ensure_future(asyncio.to_thread(generate_latest, REGISTRY))
    return await asyncio.shield(_making), CONTENT_TYPE_LATEST


class AuditCounts:
    """Keeps `setcover_audit_rows` and `setcover_store_up` up to date without a scrape
    ever touching the store: `wanted()` (each scrape) asks for a count, which runs in the
    background on an engine of its own (one connection, a plain read: on SQLite, WAL
    readers never block the writer) unless one ran in the last `every_s` seconds."""

    def __init__(self, database_url: str, *, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self._engine = create_async_engine(async_url(database_url), pool_size=1,
                                           max_overflow=0, pool_pre_ping=True)
        self._task: asyncio.Task[None] | None = None
        self._last = float("-inf")

    def wanted(self) -> None:
        """A scrape came: count again in the background, unless counted a moment ago."""
        now = time.monotonic()
        if (self._task is None or self._task.done()) and now - self._last >= self.every_s:
            self._last = now
            self._task = asyncio.create_task(self._count())

    async def _count(self) -> None:
        try:
            async with asyncio.timeout(max(self.every_s, 30.0)), self._engine.connect() as db:
                result = await db.execute(sa.select(cover_changes.c.status, sa.func.count())
                                          .group_by(cover_changes.c.status))
                counts = {status.value: 0 for status in Status} | {
                    str(status): int(n) for status, n in result}
        except Exception as exc:  # the page still answers, with the store marked down
            log.warning("metrics: audit store not counted: %s", exc)
            STORE_UP.set(0)
            return
        STORE_UP.set(1)
        for status, count in counts.items():
            AUDIT_ROWS.labels(status=status).set(count)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._engine.dispose()
