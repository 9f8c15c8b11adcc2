"""`CoverService` in-process, on the fake VOD and a store: who decides on policy, and what
becomes of outcomes still waiting for the store at shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.covers import Actor, Changed, CoverRequest, Denied
from bot.covers.recording import LATE_WRITE_MAX_WAIT_S
from bot.services import open_services
from bot.store import Source, Status
from tests.fakes.server import async_wait_until
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.vod_server import FakeVod, snapshot_url

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"


async def test_skipping_the_slack_policy_is_the_callers_choice_not_the_label(
    fake_vod: FakeVod, tmp_path: Path
) -> None:
    """Nobody is allowed here; only `apply_policy=False` (the CLI's choice) changes a cover."""
    settings = fake_vod.settings(database_url=f"sqlite:///{tmp_path}/audit.db")
    actor = Actor(team_id="T1", channel_id="C1", user_id="U1")
    url = snapshot_url(KEYNOTE, "sample", 1)

    def request(key: str) -> CoverRequest:
        return CoverRequest(actor=actor, snapshot_url=url, source=Source.CLI,
                            idempotency_key=key)

    async with open_services(settings, slack_client=None) as services:
        labelled = await services.covers.change(request("k1"))
        assert isinstance(labelled, Denied)
        assert fake_vod.requests_to("/asset/cover") == []

        chosen = await services.covers.change(request("k2"), apply_policy=False)
        assert isinstance(chosen, Changed)
        assert [c.thumbnail_url for c in fake_vod.cover_changes] == [url]
        statuses = [r.status for r in await services.store.history(KEYNOTE)]
        assert statuses == [Status.SUCCEEDED, Status.DENIED]


@pytest.mark.postgres
async def test_at_shutdown_late_writes_get_their_grace_then_are_cancelled_and_counted(
    fake_vod: FakeVod, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 16 (a planted bug): the store is down (PostgreSQL behind a cut proxy) when VOD
    confirms a change, so its outcome waits to be written. `aclose` gives it `grace_s`,
    then cancels it (it is not written later, behind the shutdown's back) and logs how many
    outcomes were lost."""
    proxy = TcpProxy().start()
    settings = fake_vod.settings(database_url=proxy.url_for(postgres_url),
                                 setcover_allowed_users=["U1"])
    actor = Actor(team_id="T1", channel_id="C1", user_id="U1")
    try:
        # Bounded: an `aclose` that waits on the late write would hang the test (twice).
        async with asyncio.timeout(30), open_services(settings, slack_client=None) as services:
            fake_vod.latency["/asset/cover"] = 0.5
            change = asyncio.ensure_future(services.covers.change(CoverRequest(
                actor=actor, snapshot_url=snapshot_url(KEYNOTE, "sample", 1),
                source=Source.COMMAND, idempotency_key="late")))
            await async_wait_until(lambda: fake_vod.requests_to("/asset/cover"), timeout=10)
            proxy.cut()  # VOD is applying the change; its outcome cannot be written
            changed = await change
            assert isinstance(changed, Changed)  # the user hears it all the same

            started = time.monotonic()
            with caplog.at_level(logging.ERROR, logger="bot.covers.recording"):
                await asyncio.wait_for(services.covers.aclose(grace_s=0.5), timeout=10)
            took = time.monotonic() - started
            assert 0.4 < took < 3.0, f"aclose took {took:.1f} s with a grace of 0.5 s"
            assert ("1 change outcome(s) could not be recorded before shutdown"
                    in caplog.text), caplog.text

            proxy.restore()
            # A write left running would land within its longest backoff (5 s).
            await asyncio.sleep(LATE_WRITE_MAX_WAIT_S + 1)
            row = await services.store.get(changed.change_id or 0)
            assert row is not None and row.status is Status.PENDING
    finally:
        proxy.stop()
