"""End to end, issue 12 "When viewers see it": the CDN refresh after a change and the
follow-up in the channel, through `setcover-bot serve` with short poll intervals.

"Never twice" is checked after the bots have exited: nothing can arrive later.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from tests import blockkit
from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.processes import CLEAN_EXITS, ServedBot, StartBot, run_cli

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
FIRST = snapshot_url(KEYNOTE, "sample", 0)
SECOND = snapshot_url(KEYNOTE, "sample", 1)
THIRD = snapshot_url(KEYNOTE, "sample", 2)
FAST = {"VOD_REFRESH_POLL_S": "0.05", "VOD_REFRESH_DEADLINE_S": "30"}


def change(bot: ServedBot, url: str) -> tuple[str, Recorded]:
    """Set `url` as the cover with the slash command: the response_url and the outcome."""
    _, response_url = bot.command(url)
    outcome = bot.posts(response_url)[0]
    assert outcome.body["response_type"] == "in_channel", outcome.all_text()
    return response_url, outcome


def follow_up(bot: ServedBot, response_url: str) -> Recorded:
    """The follow-up after the outcome: in the channel, a message of its own."""
    told = bot.posts(response_url, 2)[1]
    assert told.body["response_type"] == "in_channel"
    assert told.body["replace_original"] is False
    assert blockkit.problems({"text": told.text, "blocks": told.blocks}) == []
    return told


def posts_once_stopped(fake_slack: FakeSlack, response_url: str, *bots: ServedBot) -> int:
    """Stop `bots` (SIGTERM, cleanly): how many posts `response_url` got, for good."""
    for bot in bots:
        assert bot.stop() in CLEAN_EXITS
    return len(fake_slack.posts_to(response_url))


def complete_refreshes(fake_vod: FakeVod) -> None:
    with fake_vod.lock:
        for task in fake_vod.refreshes.values():
            task.done_at = time.monotonic()


def test_the_live_follow_up_arrives_once(
    start_bot: StartBot, database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot(DATABASE_URL=database_url, **FAST)
    response_url, outcome = change(bot, FIRST)
    assert "did not refresh" not in outcome.all_text()

    told = follow_up(bot, response_url)
    assert told.all_text().count("Every viewer now sees the new cover of *Launch keynote*.") == 1
    (refresh,) = [r for r in fake_vod.requests_to("/asset/refresh") if r.method == "POST"]
    assert refresh.path == f"/v1/{fake_vod.project_id}/asset/refresh"
    assert refresh.json == {"asset_id_list": [KEYNOTE]} and refresh.status == 202
    assert posts_once_stopped(fake_slack, response_url, bot) == 2


def test_a_refused_refresh_is_mentioned_and_the_change_still_succeeds(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot(**FAST)
    fake_vod.fail("/asset/refresh", status=400, code="VOD.10069",
                  message="The number of refreshes today exceeds the quota.")
    response_url, outcome = change(bot, FIRST)

    assert "set the cover of" in outcome.text and fake_vod.assets[KEYNOTE].cover_url == FIRST
    assert "refresh" not in outcome.all_text()  # the outcome does not wait for it
    told = follow_up(bot, response_url)  # a short post of its own
    assert (
        ":warning: Some viewers may see the old cover of *Launch keynote* a while longer: the "
        "video service could not refresh its copies (The number of refreshes today exceeds "
        "the quota.). The cover itself is changed.") in told.all_text()
    assert fake_vod.refreshes == {}
    bot.logged("VOD refused to refresh the CDN")
    assert posts_once_stopped(fake_slack, response_url, bot) == 2  # no "live" message


def test_a_refresh_vod_never_confirms_is_reported_at_the_deadline(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot(VOD_REFRESH_POLL_S="0.05", VOD_REFRESH_DEADLINE_S="2")
    fake_vod.refresh_seconds = math.inf
    response_url, _ = change(bot, FIRST)

    told = follow_up(bot, response_url)
    assert "has not confirmed yet" in told.text
    assert "still refreshing its copies after 2 seconds" in told.all_text()
    assert len([r for r in fake_vod.requests_to("/asset/refresh") if r.method == "GET"]) >= 2
    assert posts_once_stopped(fake_slack, response_url, bot) == 2


def test_the_follow_up_survives_a_restart(
    start_bot: StartBot, database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_vod.refresh_seconds = math.inf
    first = start_bot(DATABASE_URL=database_url, **FAST)
    response_url, _ = change(first, FIRST)
    first.logged("CDN refresh of")
    # SIGTERM while VOD is still refreshing
    assert posts_once_stopped(fake_slack, response_url, first) == 1

    complete_refreshes(fake_vod)
    second = start_bot(DATABASE_URL=database_url, **FAST)
    assert "Every viewer now sees" in follow_up(second, response_url).text
    assert posts_once_stopped(fake_slack, response_url, second) == 2


def test_two_processes_on_one_postgresql_post_each_follow_up_once(
    start_bot: StartBot, postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_vod.refresh_seconds = math.inf
    first = start_bot(DATABASE_URL=postgres_url, **FAST)
    urls = [change(first, url)[0] for url in (FIRST, SECOND, THIRD)]
    bots = [first, start_bot(DATABASE_URL=postgres_url, **FAST)]
    polls = len(fake_vod.requests_to("/asset/refresh"))
    wait_until(lambda: len(fake_vod.requests_to("/asset/refresh")) > polls + 6)  # both poll

    complete_refreshes(fake_vod)
    for url in urls:
        assert "Every viewer now sees" in follow_up(bots[0], url).text
    assert [posts_once_stopped(fake_slack, url, *bots) for url in urls] == [2, 2, 2]
    told = sum(bot.output().count("the channel was told") for bot in bots)
    assert told == 3


def test_the_command_line_refreshes_the_cdn_and_notes_a_refusal(
    tmp_path: Path, fake_vod: FakeVod
) -> None:
    env = fake_vod.settings_env() | {"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    done = run_cli("set-cover", FIRST, env=env, cwd=tmp_path)
    assert done.returncode == 0 and "note" not in done.stderr
    assert [task.asset_ids for task in fake_vod.refreshes.values()] == [[KEYNOTE]]

    fake_vod.fail("/asset/refresh", status=400, code="VOD.10069", message="Quota exceeded.")
    refused = run_cli("set-cover", SECOND, env=env, cwd=tmp_path)
    assert refused.returncode == 0 and fake_vod.assets[KEYNOTE].cover_url == SECOND
    assert refused.stdout.startswith("changed: change 2: the cover of Launch keynote")
    assert (
        "note: VOD refused to refresh its CDN copies (Quota exceeded.): viewers may see the "
        "old cover for a while; the cover is changed.") in refused.stderr

    off = run_cli("set-cover", FIRST, env=env | {"VOD_REFRESH_CDN": "false"}, cwd=tmp_path)
    assert off.returncode == 0 and len(fake_vod.refreshes) == 1
