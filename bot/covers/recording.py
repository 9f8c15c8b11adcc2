"""How a change ended, on record: at once, or, while the store is down, once it is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_random_exponential,
)

from bot.store import AuditStore, Status, StoreUnavailable
from bot.store.changes import INTERRUPTED, INTERRUPTED_MSG
from bot.vod.errors import VodError
from bot.vod.models import Asset

log = logging.getLogger(__name__)

T = TypeVar("T")

#: An outcome VOD gave while the store was down is written once the store is back: tried
#: with backoff (at most this far apart) for this long, and at shutdown for the flush time.
LATE_WRITE_MAX_WAIT_S = 5.0
LATE_WRITE_BUDGET_S = 600.0
LATE_WRITE_FLUSH_S = 2.0


async def to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to its end even if this task is cancelled meanwhile (a shutdown).

    For what follows a change VOD confirmed (its record, telling its user): a shutdown must
    not hide it. The cancellation stays requested (`Task.cancelling()`) for the caller to
    honour once done; a second one (the runtime's final word is over) stops `work` too.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        return await task


class OutcomeRecorder:
    """Writes the outcome of each change; one VOD already gave is never lost to a store
    outage (retried in the background, flushed at shutdown)."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self._late_writes: set[asyncio.Task[None]] = set()

    async def finish(
        self,
        change_id: int,
        status: Status,
        asset: Asset | None,
        *,
        error: VodError | None = None,
        request_id: str | None = None,
    ) -> None:
        """Record how the change ended; a failure to record is logged, VOD already acted."""
        code: str | None = error.code if error else None
        message: str | None = error.message if error else None
        if error is None and status is not Status.SUCCEEDED:
            code, message = INTERRUPTED, (
                "the bot stopped before asking VOD" if status is Status.FAILED
                else INTERRUPTED_MSG
            )
        outcome: dict[str, Any] = {
            "status": status,
            "asset_title": asset.title if asset else None,
            "previous_cover_url": asset.cover_url if asset else None,
            "error_code": code,
            "error_msg": message,
            "request_id": error.request_id if error else request_id,
        }
        try:
            await self.store.finish(change_id, **outcome)
        except StoreUnavailable as exc:
            # VOD has answered and the user must hear it now; the record follows as soon
            # as the store is back, so the row does not hold its video until it goes stale.
            log.warning("could not record the outcome of change %s (%s) yet, retrying in "
                        "the background: %s", change_id, status, exc)
            task = asyncio.get_running_loop().create_task(
                self._finish_later(change_id, outcome))
            self._late_writes.add(task)
            task.add_done_callback(self._late_writes.discard)

    async def _finish_later(self, change_id: int, outcome: dict[str, Any]) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(StoreUnavailable),
            wait=wait_random_exponential(multiplier=0.2, max=LATE_WRITE_MAX_WAIT_S),
            stop=stop_after_delay(LATE_WRITE_BUDGET_S),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self.store.finish(change_id, **outcome)
        except StoreUnavailable as exc:
            log.error("gave up recording the outcome of change %s (%s): %s; the row becomes "
                      "unknown once it is stale", change_id, outcome["status"], exc)
            return
        log.info("recorded the outcome of change %s (%s) now that the store is back",
                 change_id, outcome["status"])

    async def aclose(self, grace_s: float = LATE_WRITE_FLUSH_S) -> None:
        """At shutdown, give outcomes still waiting for the store `grace_s`, then stop."""
        if not self._late_writes:
            return
        _, unwritten = await asyncio.wait(set(self._late_writes), timeout=grace_s)
        for task in unwritten:
            task.cancel()
        if unwritten:
            log.error("%d change outcome(s) could not be recorded before shutdown; their "
                      "rows become unknown once stale", len(unwritten))
