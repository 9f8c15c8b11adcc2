"""The CDN follow-ups: after a change, tell the channel when VOD says the new cover is live.

Once a change is told, `CoverService.refresh_cdn` asks VOD to refresh the CDN and records
a `follow_ups` row holding the outcome's `response_url`. `FollowUps`, one per serving
process (started and stopped by the web lifespan, in both modes), polls the rows that
are due, asks VOD where each refresh task stands (backing off, see `RefreshWait`) and
posts once: "live" on SUCCEED, "could not refresh" on FAILED, "not confirmed yet" at the
deadline.

Several processes can share one database: a row is leased (`claim_follow_ups`) before it
is looked at, and marked told in a transaction that proves the lease is still ours
(`finish_follow_up`); only then is it posted. So a follow-up is posted at most once: a
crash between that mark and the post loses it rather than risking a second post. Rows
survive a restart (a lease left by a killed process expires; a clean stop gives them back).

A backlog (after an outage, say) is worked `BATCH` rows at a time, concurrently, batch
after batch without waiting for the next poll; each row gets at most half the lease, so
no row outlives its lease. Slack takes posts to a `response_url` for 30 minutes only: an
older follow-up is marked `expired` and not posted.

The post is one more on the outcome's `response_url`: every flow uses at most 4 of its 5
(see `bot.slack.flows`), and the follow-up has no pictures, so no links-only resend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.covers import RefreshWait
from bot.slack import blocks
from bot.slack.delivery import ResponseUrl
from bot.store import AuditStore, FollowUp, FollowUpState, StoreUnavailable
from bot.vod.client import VodClient
from bot.vod.errors import VodError
from bot.vod.models import RefreshStatus

log = logging.getLogger(__name__)

#: What each final task state tells the channel.
_TOLD = {RefreshStatus.SUCCEED: FollowUpState.LIVE, RefreshStatus.FAILED: FollowUpState.FAILED}
#: Rows leased and worked at once: 2,000 due follow-ups are told in about a minute, while
#: VOD sees at most this many status requests at a time.
BATCH = 25
#: How long Slack accepts posts to a `response_url`.
RESPONSE_URL_LIFETIME = timedelta(minutes=30)


class FollowUps:
    """The background worker; `start()` in the lifespan, `await stop(grace_s)` at shutdown."""

    def __init__(
        self, *, store: AuditStore, vod: VodClient, wait: RefreshWait, lease: timedelta,
        reply: Callable[[str], ResponseUrl],
    ) -> None:
        self.store = store
        self.vod = vod
        self.wait = wait
        self.lease = lease
        self.reply = reply
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, grace_s: float) -> None:
        """Let the batch under way finish (at most `grace_s`), then give back what is held."""
        self._stopping.set()
        if self._task is None:
            return
        _, pending = await asyncio.wait({self._task}, timeout=grace_s)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.store.release_follow_ups(self.owner)
        except StoreUnavailable as exc:  # their leases expire on their own
            log.warning("could not give back the follow-ups under way: %s", exc)

    async def _run(self) -> None:
        """Do the due follow-ups, a batch after another while batches come full, then
        wait `poll_s`. Failures are logged and tried again."""
        while not self._stopping.is_set():
            try:
                if await self.run_once() == BATCH:
                    continue  # a backlog: the next batch at once
            except StoreUnavailable as exc:
                log.warning("CDN follow-ups: %s", exc)
            except Exception:
                log.exception("CDN follow-ups failed; trying again in %s s", self.wait.poll_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.wait.poll_s)

    async def run_once(self) -> int:
        """Lease up to `BATCH` due follow-ups and work them at once; how many."""
        rows = await self.store.claim_follow_ups(self.owner, lease=self.lease, limit=BATCH)
        await asyncio.gather(*(self._follow_within_lease(row) for row in rows))
        return len(rows)

    async def _follow_within_lease(self, row: FollowUp) -> None:
        """`_follow`, given half the lease: a row that takes longer is looked at again later
        (its lease still ours for the other half), never after another process took it."""
        try:
            try:
                async with asyncio.timeout(self.lease.total_seconds() / 2):
                    await self._follow(row)
            except TimeoutError:
                log.warning("change %s: the CDN follow-up took too long; trying again later",
                            row.change_id)
                await self.store.reschedule_follow_up(row.id, self.owner, datetime.now(UTC))
        except StoreUnavailable as exc:  # its lease expires; a later round takes it
            log.warning("change %s: CDN follow-up: %s", row.change_id, exc)
        except Exception:
            log.exception("change %s: CDN follow-up failed; trying again later", row.change_id)

    async def _follow(self, row: FollowUp) -> None:
        now = datetime.now(UTC)
        if now - row.created_at >= RESPONSE_URL_LIFETIME:
            if await self.store.finish_follow_up(row.id, self.owner, FollowUpState.EXPIRED):
                log.warning("change %s: the CDN follow-up is older than Slack keeps its "
                            "response_url; not posted", row.change_id)
            return
        try:
            status = await self.vod.refresh_status(row.task_id)
        except VodError as exc:  # asked again later; the deadline still holds
            log.warning("change %s: CDN refresh task %s: %s %s", row.change_id, row.task_id,
                        exc.code, exc.message)
            status = RefreshStatus.PROCESSING
        now = datetime.now(UTC)
        deadline = row.created_at + timedelta(seconds=self.wait.deadline_s)
        state = _TOLD.get(status) or (FollowUpState.UNCONFIRMED if now >= deadline else None)
        if state is None:
            due = min(now + timedelta(seconds=self.wait.delay(row.attempts)), deadline)
            await self.store.reschedule_follow_up(row.id, self.owner, due)
            return
        if not await self.store.finish_follow_up(row.id, self.owner, state):
            log.info("change %s: the CDN follow-up was taken over; not posted", row.change_id)
            return
        ok, _ = await self.reply(row.response_url).send(blocks.cdn_follow_up(
            state, asset_id=row.asset_id, asset_title=row.asset_title,
            waited_s=self.wait.deadline_s), in_channel=True)
        log.info("change %s: CDN refresh task %s %s; the channel %s told", row.change_id,
                 row.task_id, status.lower(), "was" if ok else "could not be")
