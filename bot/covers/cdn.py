"""The CDN refresh asked for once a change is told, and how its task is followed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.covers.outcomes import CdnRefresh
from bot.store import AuditStore, StoreUnavailable
from bot.vod.client import VodClient
from bot.vod.errors import VodError, error_label

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshWait:
    """How a CDN refresh task is followed: first look after `poll_s`, backing off to ten
    times that, until `deadline_s` after the change; then the channel hears VOD has not
    confirmed it."""

    poll_s: float = 15.0
    deadline_s: float = 600.0

    def delay(self, attempts: int) -> float:
        """The pause after the `attempts`-th look (0: before the first)."""
        return min(self.poll_s * 1.5 ** max(attempts - 1, 0), self.poll_s * 10)


@dataclass(frozen=True)
class CdnRefresher:
    """Asks VOD to refresh its CDN after a change, and records who to tell once it is live."""

    vod: VodClient
    store: AuditStore
    wait: RefreshWait

    async def after_change(
        self, change_id: int, asset_id: str, asset_title: str, reply_to: str | None
    ) -> CdnRefresh:
        """Ask VOD to refresh the CDN for the changed asset and, when there is a channel
        to tell (`reply_to`, the outcome's `response_url`), record the follow-up. The
        change is done either way: a refusal (quota) is logged and returned, never raised."""
        try:
            task_id = await self.vod.refresh_cdn([asset_id])
        except VodError as exc:
            log.warning("change %s: VOD refused to refresh the CDN for %s: %s", change_id,
                        asset_id, error_label(exc))
            return CdnRefresh(refused=exc.message)
        log.info("change %s: CDN refresh of %s asked for (task %s)", change_id, asset_id,
                 task_id)
        if reply_to is not None:
            due = datetime.now(UTC) + timedelta(seconds=self.wait.delay(0))
            try:
                await self.store.add_follow_up(
                    change_id=change_id, asset_id=asset_id, asset_title=asset_title,
                    task_id=task_id, response_url=reply_to, due_at=due)
            except StoreUnavailable:
                log.exception("change %s: could not record the CDN follow-up", change_id)
        return CdnRefresh(task_id=task_id)
