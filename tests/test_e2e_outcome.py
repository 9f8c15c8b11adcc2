"""End to end, issue 8: a change VOD never confirmed, and shutdowns that leave nobody waiting.

The installed `setcover-bot serve` against the fake VOD and Slack: what the user reads, what
the audit store holds (through the CLI and `/setcover history`), and what VOD received.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot, run_cli
from tests.slack_requests import click_body

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
#: What a platform allows between SIGTERM and SIGKILL, less a margin for start-up noise.
SHUTDOWN_LIMIT_S = 25
StartBot = Callable[..., ServedBot]


@pytest.fixture
def start_bot(tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack) -> Iterator[StartBot]:
    """`start_bot(workdir_name, **settings)`; bots still running afterwards must stop cleanly."""
    started: list[ServedBot] = []

    def start(name: str = "bot", **settings: str) -> ServedBot:
        workdir = tmp_path / name
        workdir.mkdir(exist_ok=True)
        settings.setdefault("DATABASE_URL", f"sqlite:///{tmp_path}/audit.db")
        bot = ServedBot(workdir, fake_vod, fake_slack, settings)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.assert_clean_exit()


def _pick(bot: ServedBot) -> Recorded:
    _, url = bot.command(KEYNOTE)
    (picker,) = bot.posts(url)
    return picker


def _history(bot: ServedBot, tmp_path: Path) -> list[str]:
    result = run_cli("history", KEYNOTE, env=bot.settings, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_a_change_vod_applied_but_never_confirmed_is_unknown_not_failed(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    bot = start_bot(VOD_TIMEOUT_S="0.3", VOD_MAX_RETRIES="1")
    picker = _pick(bot)
    fake_vod.latency["/asset/cover"] = 1.0  # VOD applies each PUT, after the bot gave up

    _, click_url = bot.click(picker, action_prefix="use_cover")

    setting, answer = bot.posts(click_url, 2)
    assert "Setting the cover" in setting.text
    assert answer.body["response_type"] == "ephemeral" and answer.body["replace_original"]
    assert "did not confirm" in answer.text and "may already be live" in answer.text
    assert "not* changed" not in answer.all_text() and "not changed" not in answer.all_text()
    assert "Try again" in answer.all_text() and "Traceback" not in answer.all_text()
    wait_until(lambda: len(fake_vod.cover_changes) == 2)  # both attempts were applied
    [line] = _history(bot, tmp_path)
    assert " unknown " in f"{line} " and "failed" not in line
    _, url = bot.command(f"history {KEYNOTE}")
    (history,) = bot.posts(url)
    assert "not confirmed by VOD (may be live)" in history.all_text()

    # Try again is safe: the same cover again, confirmed this time.
    fake_vod.latency.clear()
    _, retry_url = bot.click(answer, text="Try again")
    wait_until(lambda: any(p.body["response_type"] == "in_channel"
                           for p in fake_slack.posts_to(retry_url)))
    assert {c.thumbnail_url for c in fake_vod.cover_changes} == {
        fake_vod.assets[KEYNOTE].cover_url}
    assert [line.split()[4] for line in _history(bot, tmp_path)] == ["succeeded", "unknown"]


def test_sigterm_with_vod_hanging_answers_every_user_and_records_the_change(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    bot = start_bot(VOD_TIMEOUT_S="60", VOD_RETRY_BUDGET_S="120", SHUTDOWN_DRAIN_S="1",
                    SHUTDOWN_FINAL_WORD_S="1")
    picker = _pick(bot)
    fake_vod.latency["/asset/cover"] = 40.0
    _, click_url = bot.click(picker, action_prefix="use_cover")
    wait_until(lambda: fake_vod.requests_to("/asset/cover"))

    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    code = bot.process.wait(timeout=SHUTDOWN_LIMIT_S + 10)

    assert time.monotonic() - started < SHUTDOWN_LIMIT_S, bot.output()
    assert code in (0, -signal.SIGTERM) and "Traceback" not in bot.output()
    last = fake_slack.posts_to(click_url)[-1]
    assert last.body["replace_original"], "the picker must not stay on 'Setting the cover…'"
    assert "restart" in last.text and "may or may not have changed" in last.all_text()
    assert "Try again" in last.all_text()
    [line] = _history(bot, tmp_path)
    assert " unknown " in line and "INTERRUPTED" in line


def test_sigterm_during_an_undo_says_the_undo_may_or_may_not_be_done(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """Not the runtime's "nothing was changed": VOD was sent the undo and may have acted."""
    bot = start_bot(VOD_TIMEOUT_S="60", VOD_RETRY_BUDGET_S="120", SHUTDOWN_DRAIN_S="1",
                    SHUTDOWN_FINAL_WORD_S="1")
    outcome = None
    for nth in (0, 1):  # two changes: the undo of the second puts the first one's frame back
        _, click_url = bot.click(_pick(bot), action_prefix="use_cover", nth=nth)
        outcome = wait_until(lambda u=click_url: next(  # type: ignore[misc]
            (p for p in fake_slack.posts_to(u) if p.body.get("response_type") == "in_channel"),
            None))
    fake_vod.latency["/asset/cover"] = 40.0
    puts = len(fake_vod.requests_to("/asset/cover"))
    _, undo_url = bot.click(outcome, text="Undo")
    wait_until(lambda: len(fake_vod.requests_to("/asset/cover")) > puts)

    bot.process.send_signal(signal.SIGTERM)
    code = bot.process.wait(timeout=SHUTDOWN_LIMIT_S + 10)

    assert code in (0, -signal.SIGTERM) and "Traceback" not in bot.output()
    last = fake_slack.posts_to(undo_url)[-1]
    assert "could not finish the undo" in last.text
    assert "the earlier cover may be back" in last.all_text()
    assert "nothing was changed" not in last.all_text()
    undo_line = _history(bot, tmp_path)[0]
    assert " unknown " in undo_line and "INTERRUPTED" in undo_line


def test_a_change_left_pending_by_a_killed_bot_is_resolved_at_the_next_start(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    bot = start_bot("first", VOD_TIMEOUT_S="60", VOD_RETRY_BUDGET_S="120")
    picker = _pick(bot)
    fake_vod.latency["/asset/cover"] = 40.0
    click_url = fake_slack.new_response_url()
    click = click_body(picker.blocks, response_url=click_url, action_prefix="use_cover")
    bot.post(click)
    wait_until(lambda: fake_vod.requests_to("/asset/cover"))
    bot.process.kill()
    bot.process.wait()
    [line] = _history(bot, tmp_path)
    assert " pending " in line

    # A row younger than the longest a live change can take may belong to a live process
    # (another host on the same database): a start-up leaves it alone.
    restarted = start_bot("second")
    [line] = _history(restarted, tmp_path)
    assert " pending " in line
    # Slack retries the click: it is the same change; nobody promises a follow-up.
    restarted.post(click)
    duplicate = wait_until(lambda: next(
        (p for p in fake_slack.posts_to(click_url) if "already" in p.text), None))
    assert "already under way" in duplicate.all_text() and "history" in duplicate.all_text()
    assert "will be told" not in duplicate.all_text()
    restarted.assert_clean_exit()

    # Older than that bound, nobody is working on it: the next start-up resolves it.
    _backdate(tmp_path / "audit.db", timedelta(hours=1))
    again = start_bot("third")
    [line] = _history(again, tmp_path)
    assert " unknown " in line and "INTERRUPTED" in line
    # The video is free again.
    assert "use_cover:0" in _pick(again).all_text()


def _backdate(database: Path, by: timedelta) -> None:
    """Make every pending change older, as if the bot had been killed `by` ago."""
    when = (datetime.now(UTC) - by).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE cover_changes SET requested_at = ? WHERE status = 'pending'", (when,)
        )
