"""Issue 16, defect 4: the outcome is posted as soon as VOD confirms the PUT, and the CDN
refresh is asked for afterwards; a shutdown never hides a confirmed change.

The served bot talks to the fake VOD told to hang or refuse `POST /asset/refresh`.
"""

from __future__ import annotations

import asyncio
import time

from bot.covers import to_the_end
from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.processes import CLEAN_EXITS, StartBot

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
FIRST = snapshot_url(KEYNOTE, "sample", 0)
SECOND = snapshot_url(KEYNOTE, "sample", 1)


def assert_outcome_with_undo(posts: list[Recorded]) -> None:
    """The channel's outcome, with its Undo, and nothing saying the change was not made."""
    outcome = posts[0]
    assert outcome.body["response_type"] == "in_channel", outcome.all_text()
    assert "set the cover of *Launch keynote*" in outcome.all_text()
    assert '"Undo"' in str(outcome.blocks) or "Undo" in outcome.all_text()
    for post in posts:
        assert "restarted" not in post.all_text() and "not changed" not in post.all_text()


def test_the_outcome_does_not_wait_for_a_hanging_refresh(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot(SHUTDOWN_DRAIN_S="1", VOD_TIMEOUT_S="10")  # VOD's time bound as served
    fake_vod.latency["/asset/refresh"] = 10.0
    started = time.monotonic()
    _, response_url = bot.command(FIRST)
    posts = bot.posts(response_url)
    took = time.monotonic() - started

    assert took < 2.0, f"the outcome took {took:.1f} s"
    assert_outcome_with_undo(posts)
    assert fake_vod.assets[KEYNOTE].cover_url == FIRST
    # SIGTERM while the refresh still hangs: the channel keeps its outcome, hears no more.
    assert bot.stop() in CLEAN_EXITS
    assert_outcome_with_undo(fake_slack.posts_to(response_url))
    assert len(fake_slack.posts_to(response_url)) == 1


def test_a_shutdown_during_refresh_retries_keeps_the_outcome(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot(SHUTDOWN_DRAIN_S="1", VOD_RETRY_BUDGET_S="30")
    fake_vod.fail("/asset/refresh", status=503, retry_after=3, times=1000)
    _, response_url = bot.command(SECOND)
    wait_until(lambda: fake_vod.requests_to("/asset/refresh"))  # retried in 3 s, 6 s, 9 s

    assert bot.stop() in CLEAN_EXITS
    posts = fake_slack.posts_to(response_url)
    assert_outcome_with_undo(posts)
    assert len(posts) == 1, [p.all_text() for p in posts]
    assert fake_vod.assets[KEYNOTE].cover_url == SECOND
    assert "Traceback" not in bot.output()


async def test_work_run_to_the_end_survives_one_cancellation_not_two() -> None:
    """What follows a confirmed change finishes through a shutdown's cancel; the cancel
    stays requested; a second one (the final word's time is up) stops it."""
    finished: list[str] = []

    async def telling(seconds: float) -> str:
        await asyncio.sleep(seconds)
        finished.append("told")
        return "told"

    async def flow(seconds: float) -> tuple[str, int]:
        told = await to_the_end(telling(seconds))
        task = asyncio.current_task()
        assert task is not None
        return told, task.cancelling()

    once = asyncio.create_task(flow(0.2))
    await asyncio.sleep(0.05)
    once.cancel()
    assert await once == ("told", 1) and finished == ["told"]

    twice = asyncio.create_task(flow(5.0))
    await asyncio.sleep(0.05)
    twice.cancel()
    await asyncio.sleep(0.05)
    twice.cancel()
    done, _ = await asyncio.wait({twice}, timeout=2)
    assert done and twice.cancelled() and finished == ["told"]
