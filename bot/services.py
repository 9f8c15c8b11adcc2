"""The composition root: what one process opens once and holds for its whole life."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.covers import CaptureWait, CoverService, RefreshWait
from bot.policy import Policy
from bot.sheet import SheetMaker
from bot.store import AuditStore, CaptureRules
from bot.vod.client import VodClient
from bot.vod.url_auth import UrlSigner, url_signer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What one process holds for its whole life: one store, one policy and the cover
    service (which holds the one VOD client)."""

    store: AuditStore
    policy: Policy
    covers: CoverService
    #: The picker's contact sheets; downloads over the VOD client's HTTP client.
    sheet_maker: SheetMaker
    #: Signs every snapshot or cover URL the bot fetches or shows (hotlink protection;
    #: returns it unchanged when `VOD_URL_AUTH` is off). Never for what VOD is sent.
    url_signer: UrlSigner


#: Room for event-loop delays and clock differences between hosts sharing a database.
#: (Lateness costs nothing else: a real outcome written later overwrites the guess.)
STALE_MARGIN = timedelta(seconds=10)


def stale_after(settings: Settings) -> timedelta:
    """How old a pending change can be before no live process can still be making it.

    A change makes two VOD calls (asset details, then the PUT); each gives up within its
    retry budget plus at most one attempt's timeout.
    """
    per_call = settings.vod_retry_budget_s + settings.vod_timeout_s
    return timedelta(seconds=2 * per_call) + STALE_MARGIN


def capture_rules(settings: Settings) -> CaptureRules:
    """The hourly limit, and how old a pending capture can be before no live process can
    still be following it: the task's wait, the two VOD calls before it and the last poll
    (each within its retry budget plus one timeout), and the margin."""
    per_call = settings.vod_retry_budget_s + settings.vod_timeout_s
    return CaptureRules(
        per_hour=settings.setcover_captures_per_hour,
        stale_after=timedelta(seconds=settings.vod_capture_timeout_s + 3 * per_call)
        + STALE_MARGIN,
    )


@asynccontextmanager
async def open_services(
    settings: Settings, slack_client: AsyncWebClient | None
) -> AsyncIterator[Services]:
    """Open the process's client and store (migrated, stale changes and captures expired),
    then close them."""
    policy = Policy.from_settings(settings, slack_client)
    async with VodClient.from_settings(settings) as vod, AuditStore.from_url(
        settings.database_url, stale_after=stale_after(settings)
    ) as store:
        await store.migrate()
        expired = await store.expire_stale()
        if expired:
            log.warning("marked %d interrupted cover change(s) as unknown", expired)
        rules = capture_rules(settings)
        expired = await store.expire_stale_captures(rules.stale_after)
        if expired:
            log.warning("marked %d interrupted capture(s) as timed out", expired)
        covers = CoverService(
            vod=vod, store=store, policy=policy, snapshot_hosts=settings.vod_snapshot_hosts,
            capture_wait=CaptureWait(timeout_s=settings.vod_capture_timeout_s,
                                     poll_s=settings.vod_capture_poll_s),
            refresh_wait=RefreshWait(poll_s=settings.vod_refresh_poll_s,
                                     deadline_s=settings.vod_refresh_deadline_s)
            if settings.vod_refresh_cdn else None,
            capture_rules=rules,
        )
        signer = url_signer(settings)
        sheet_maker = SheetMaker(vod.http, sign=signer)
        try:
            yield Services(store=store, policy=policy, covers=covers, sheet_maker=sheet_maker,
                           url_signer=signer)
        finally:
            sheet_maker.close()
            await covers.aclose()
