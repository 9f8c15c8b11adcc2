"""Issue 9, load: two `setcover-bot serve` processes on one fresh PostgreSQL database take
a burst of concurrent clicks over many videos, with repeated clicks mixed in and VOD
misbehaving (slow, 503, 429, dropped reads) in ways a retry survives.

Every distinct intent (one picker's frame button) makes exactly one change; every
repeat makes none and is told so; every audit row is final; every click is answered.
`PROVE_PROFILE=full` sends a few hundred clicks; CI a few dozen.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot
from tests.prove import BOT_LOG_LEVEL, pick, report
from tests.slack_requests import click_body, signature_headers

pytestmark = pytest.mark.postgres

#: Generous retries: every injected fault is one a retry gets past.
LOAD_SETTINGS = {"VOD_TIMEOUT_S": "3", "VOD_MAX_RETRIES": "6", "VOD_RETRY_BUDGET_S": "30",
                 "LOG_LEVEL": BOT_LOG_LEVEL}


@dataclass
class Click:
    asset_id: str
    snapshot: int
    response_url: str
    body: str
    status: int | None = None


@pytest.fixture
def bots(tmp_path: Path, postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
         ) -> Iterator[list[ServedBot]]:
    started = []
    for n in range(2):
        workdir = tmp_path / f"bot{n}"
        workdir.mkdir()
        started.append(ServedBot(workdir, fake_vod, fake_slack,
                                 LOAD_SETTINGS | {"DATABASE_URL": postgres_url}))
    yield started
    for bot in started:
        bot.assert_clean_exit()


def test_two_processes_under_a_burst_of_clicks_make_each_change_once(
    bots: list[ServedBot], postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    rng = random.Random(9)
    assets = [f"{n:04d}10ad00000000000000000000000000"[:32] for n in range(pick(24, 160))]
    for asset_id in assets:
        fake_vod.add_asset(asset_id, f"Load {asset_id[:4]}")

    # One picker per video, opened through either process.
    pickers: dict[str, Recorded] = {}
    for n, asset_id in enumerate(assets):
        _, url = bots[n % 2].command(asset_id)
        (pickers[asset_id],) = bots[n % 2].posts(url, 1)

    clicks = []
    for asset_id in assets:
        snapshot = rng.randrange(6)
        # Each intent arrives 1 to 3 times: double clicks and Slack's retries.
        for _ in range(rng.choice([1, 1, 2, 3])):
            url = fake_slack.new_response_url()
            body = click_body(pickers[asset_id].blocks, response_url=url,
                              action_prefix="use_cover", nth=snapshot)
            clicks.append(Click(asset_id, snapshot, url, body))
    rng.shuffle(clicks)

    # VOD misbehaves in ways a retry gets past (a PUT it refused was not applied).
    fake_vod.latency["/asset/cover"] = 0.05
    fake_vod.fail("/asset/cover", status=503, times=len(assets) // 6)
    fake_vod.fail("/asset/cover", status=429, retry_after=0.2, times=len(assets) // 8)
    fake_vod.drop("/asset/details", times=len(assets) // 8)
    faults = len(assets) // 6 + len(assets) // 8 * 2

    def send(click: Click) -> None:
        bot = bots[rng.randrange(2)]
        click.status = bot.post(click.body, signature_headers(click.body)).status_code

    with ThreadPoolExecutor(max_workers=min(64, len(clicks))) as pool:
        list(pool.map(send, clicks))
    assert {c.status for c in clicks} == {200}

    def answered(click: Click) -> bool:
        posts = fake_slack.posts_to(click.response_url)
        return bool(posts) and not posts[-1].text.startswith(
            (":hourglass", "Setting")) and "Setting the cover" not in posts[-1].text

    wait_until(lambda: all(answered(c) for c in clicks), timeout=pick(60, 180), interval=0.2)

    # Exactly one change per intent, the snapshot that was picked.
    changes = Counter(change.asset_id for change in fake_vod.cover_changes)
    lost = [a for a in assets if changes[a] == 0]
    duplicated = [a for a in assets if changes[a] > 1]
    intended = {c.asset_id: c.snapshot for c in clicks}
    for change in fake_vod.cover_changes:
        url = fake_vod.assets[change.asset_id].all_snapshot_urls()
        assert change.thumbnail_url in url
    # The channel hears of each change once.
    in_channel = Counter(c.asset_id for c in clicks
                         for post in fake_slack.posts_to(c.response_url)
                         if post.body.get("response_type") == "in_channel")
    rows = _rows(postgres_url)
    acks = _ack_buckets(bots)
    report("load", clicks=len(clicks), intents=len(assets), repeats=len(clicks) - len(assets),
           processes=2, vod_faults=faults, lost=len(lost), duplicated=len(duplicated),
           acks=acks[float("inf")], ack_within_100ms=acks[0.1], ack_within_1s=acks[1.0],
           ack_all_within_s=min(le for le, n in acks.items() if n == acks[float("inf")]))
    assert lost == [] and duplicated == [], (lost, duplicated)
    assert len(intended) == len(assets)
    assert all(in_channel[a] == 1 for a in assets), in_channel
    assert rows.get("pending", 0) == 0, rows
    assert rows.get("succeeded") == len(assets), rows
    assert acks[3.0] == acks[float("inf")], f"an acknowledgement took over 3 s: {acks}"


def _ack_buckets(bots: list[ServedBot]) -> Counter[float]:
    """Both bots' acknowledgement histograms added up: requests acknowledged within each
    bucket's bound (seconds; `inf` is every request)."""
    buckets: Counter[float] = Counter()
    for bot in bots:
        for family in text_string_to_metric_families(bot.http.get("/metrics").text):
            for sample in family.samples:
                if sample.name == "setcover_slack_ack_seconds_bucket":
                    buckets[float(sample.labels["le"])] += int(sample.value)
    return buckets


def _rows(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as db:
        return dict(db.execute(
            "SELECT status, count(*) FROM cover_changes GROUP BY status").fetchall())
