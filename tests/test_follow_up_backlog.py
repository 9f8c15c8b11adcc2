"""Issue 16: the "now live" worker. A backlog of due follow-ups is told within minutes,
each once; a follow-up whose `response_url` has expired (30 minutes) is marked so and not
posted; and a worker that lost its lease never posts. Real store (SQLite and PostgreSQL),
the fake VOD's refresh tasks, the fake Slack's response_urls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.config import Settings
from bot.covers import RefreshWait
from bot.slack.delivery import ResponseUrl
from bot.slack.followups import FollowUps
from bot.store import Attempt, AuditStore, Source, Status
from bot.store.engine import create_engine
from bot.store.tables import follow_ups
from bot.vod.client import VodClient
from tests.fakes.server import async_wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.prove import pick, report

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
LEASE = timedelta(seconds=90)
WAIT = RefreshWait(poll_s=15.0, deadline_s=600.0)


def settings_for(fake_vod: FakeVod, database_url: str) -> Settings:
    return fake_vod.settings(database_url=database_url)


@asynccontextmanager
async def opened(database_url: str, fake_vod: FakeVod,
                 clock: timedelta = timedelta(0)) -> AsyncIterator[tuple[AuditStore, VodClient]]:
    """A store (its clock moved by `clock`) and a VOD client, as one process has them."""
    async with AuditStore(create_engine(database_url), location="t",
                          clock=lambda: datetime.now(UTC) + clock) as store, \
            VodClient.from_settings(settings_for(fake_vod, database_url)) as vod:
        await store.migrate()
        yield store, vod


def worker(store: AuditStore, vod: VodClient) -> FollowUps:
    return FollowUps(store=store, vod=vod, wait=WAIT, lease=LEASE,
                     reply=lambda url: ResponseUrl(url))


async def a_change(store: AuditStore) -> int:
    change_id = await store.begin(Attempt(
        idempotency_key="k1", team_id="T1", channel_id="C1", user_id="U1", asset_id=KEYNOTE,
        snapshot_url="u", source=Source.COMMAND))
    await store.finish(change_id, status=Status.SUCCEEDED)
    return change_id


async def a_finished_refresh(vod: VodClient, fake_vod: FakeVod) -> str:
    task_id = await vod.refresh_cdn([KEYNOTE])
    with fake_vod.lock:
        fake_vod.refreshes[task_id].done_at = time.monotonic()
    return task_id


async def add_rows(store: AuditStore, change_id: int, task_id: str, urls: list[str]) -> None:
    for url in urls:
        await store.add_follow_up(change_id=change_id, asset_id=KEYNOTE,
                                  asset_title="Launch keynote", task_id=task_id,
                                  response_url=url, due_at=datetime.now(UTC))


async def test_a_backlog_of_due_follow_ups_is_told_quickly_and_once(
    database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    """The issue's aim is 2,000 within 5 minutes (the full profile); CI tells 300 within 60 s.
    10 rows a 15 s poll, one by one, took 50 minutes for 2,000."""
    rows, within_s = pick(300, 2000), pick(60, 300)
    urls = [fake_slack.new_response_url() for _ in range(rows)]
    async with opened(database_url, fake_vod) as (store, vod):
        await add_rows(store, await a_change(store), await a_finished_refresh(vod, fake_vod),
                       urls)
        fake_vod.latency["/asset/refresh"] = 0.05  # each status look takes a moment
        follow = worker(store, vod)
        started = time.monotonic()
        follow.start()
        try:
            await async_wait_until(lambda: all(fake_slack.posts_to(u) for u in urls),
                                   timeout=within_s, interval=0.5)
            took_s = time.monotonic() - started
        finally:
            await follow.stop(3.0)
    told = [len(fake_slack.posts_to(u)) for u in urls]
    report("follow_up_backlog", rows=rows, told=sum(1 for n in told if n),
           twice=sum(1 for n in told if n > 1), stores=[database_url.partition(":")[0]],
           took_s=[round(took_s, 1)])
    assert told == [1] * len(urls)
    assert all("Every viewer now sees the new cover" in fake_slack.posts_to(u)[0].text
               for u in urls)


async def test_a_follow_up_whose_response_url_expired_is_not_posted(
    database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    url = fake_slack.new_response_url()
    async with opened(database_url, fake_vod, clock=-timedelta(minutes=31)) as (old, vod):
        await add_rows(old, await a_change(old), await a_finished_refresh(vod, fake_vod), [url])
    async with opened(database_url, fake_vod) as (store, vod):
        await worker(store, vod).run_once()
    assert fake_slack.posts_to(url) == []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            state = (await connection.execute(sa.select(follow_ups.c.state))).scalar_one()
    finally:
        await engine.dispose()
    assert state == "expired"


async def test_a_worker_that_lost_its_lease_does_not_post(
    database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    """A is slow; B (whose clock says A's lease is over) takes the row over and tells it;
    A, finishing later, finds the row no longer its own and stays silent."""
    url = fake_slack.new_response_url()
    async with opened(database_url, fake_vod) as (store_a, vod), \
            opened(database_url, fake_vod, clock=LEASE * 2) as (store_b, _):
        await add_rows(store_a, await a_change(store_a),
                       await a_finished_refresh(vod, fake_vod), [url])
        fake_vod.latency["/asset/refresh"] = 1.0
        looks = len(fake_vod.requests_to("/asset/refresh"))
        slow = asyncio.ensure_future(worker(store_a, vod).run_once())
        await async_wait_until(lambda: len(fake_vod.requests_to("/asset/refresh")) > looks)
        await worker(store_b, vod).run_once()
        await slow
    assert len(fake_slack.posts_to(url)) == 1
