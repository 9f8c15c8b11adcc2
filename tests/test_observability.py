"""Issue 9: what an operator sees. A served bot goes through a scenario (a picker, a
change, a denial, a VOD hiccup that is retried); then its `/metrics` page and its JSON log
lines must say exactly that."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import test_slack_socket_mode as socket_mode
from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot, free_port
from tests.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
INTRUDER = "U0INTRUDER"


def scrape(bot: ServedBot) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of `/metrics`, keyed by name and labels."""
    response = bot.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def json_lines(bot: ServedBot) -> list[dict[str, Any]]:
    lines = []
    for line in bot.output().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    return lines


@pytest.fixture
def bot(tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack) -> Iterator[ServedBot]:
    served = ServedBot(tmp_path, fake_vod, fake_slack, {"LOG_FORMAT": "json"})
    yield served
    served.assert_clean_exit()


def test_a_scrape_never_waits_on_the_store(bot: ServedBot, tmp_path: Path) -> None:
    """Issue 16: scrapes ran a `GROUP BY` on the connection changes write through, so a
    scrape waited behind them and they behind it. While another process holds the SQLite
    store's write lock (as a burst of changes does), `/metrics` answers at once, counted."""
    _, url = bot.command(KEYNOTE, user_id=INTRUDER)
    bot.posts(url)
    wait_until(lambda: value(scrape(bot), "setcover_audit_rows", status="denied") == 1,
               timeout=20)
    lock = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    slowest = 0.0
    try:
        for _ in range(10):
            started = time.monotonic()
            samples = scrape(bot)
            slowest = max(slowest, time.monotonic() - started)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert slowest < 1.0, slowest  # the store waits up to 10 s for its lock
    assert value(samples, "setcover_audit_rows", status="denied") == 1


def test_metrics_on_a_port_of_their_own_behind_a_token(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    port = free_port()
    bot = ServedBot(tmp_path, fake_vod, fake_slack,
                    {"METRICS_PORT": str(port), "METRICS_TOKEN": "scrape-me-9f3k"})
    try:
        assert bot.http.get("/metrics").status_code == 404  # not on the public port
        assert bot.http.get("/healthz").status_code == 200
        metrics_url = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(metrics_url).status_code == 401
        wrong = httpx.get(metrics_url, headers={"Authorization": "Bearer scrape-me"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        page = httpx.get(metrics_url, headers={"Authorization": "Bearer scrape-me-9f3k"})
        assert page.status_code == 200 and "setcover_slack_requests" in page.text
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events").status_code == 404
    finally:
        bot.assert_clean_exit()
    assert "scrape-me-9f3k" not in bot.output()


def test_metrics_and_log_lines_tell_what_happened(
    bot: ServedBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_vod.fail("/asset/details", status=503, times=1)  # one retry, then the picker
    _, url = bot.command(KEYNOTE)
    (picker,) = bot.posts(url)
    _, click_url = bot.click(picker, action_prefix="use_cover")
    bot.posts(click_url, 3)
    _, denied_url = bot.command(KEYNOTE, user_id=INTRUDER)
    bot.posts(denied_url)
    [change] = fake_vod.cover_changes

    samples = wait_until(lambda: (s := scrape(bot)) and value(
        s, "setcover_slack_requests_total", kind="use_cover", outcome="changed") == 1 and value(
        s, "setcover_audit_rows", status="denied") == 1 and s, timeout=20)

    requests = "setcover_slack_requests_total"
    assert value(samples, requests, kind="show_picker", outcome="answered") == 1
    assert value(samples, requests, kind="show_picker", outcome="denied") == 1
    assert value(samples, "setcover_denials_total", source="command") == 1
    assert value(samples, "setcover_vod_retries_total") == 1
    assert value(samples, "setcover_vod_errors_total", call="details", code="VOD.10000") == 1
    assert value(samples, "setcover_vod_call_seconds_count", call="cover") == 1
    assert value(samples, "setcover_vod_call_seconds_count", call="details") == 3
    assert value(samples, "setcover_slack_ack_seconds_count") == 3
    assert value(samples, "setcover_changes_in_flight") == 0
    assert value(samples, "setcover_store_up") == 1
    assert value(samples, "setcover_audit_rows", status="succeeded") == 1
    assert value(samples, "setcover_audit_rows", status="denied") == 1
    assert value(samples, "setcover_audit_rows", status="pending") == 0

    lines = json_lines(bot)
    [click] = [line for line in lines
               if line.get("event") == "slack_request" and line["kind"] == "use_cover"]
    assert click["team"] == TEAM_ID and click["user"] == USER_ID
    assert click["channel"] == CHANNEL_ID and click["asset"] == KEYNOTE
    assert click["outcome"] == "changed" and click["vod_request_id"] == change.request_id
    assert isinstance(click["ms"], float) and click["ms"] >= click["ack_ms"] >= 0
    [cover_call] = [line for line in lines
                    if line.get("event") == "vod_call" and line["call"] == "cover"]
    assert cover_call["vod_request_id"] == change.request_id
    assert cover_call["user"] == USER_ID and cover_call["team"] == TEAM_ID
    assert cover_call["status"] == 204 and cover_call["outcome"] == "ok"
    failed_call = next(line for line in lines if line.get("event") == "vod_call"
                       and line["status"] == 503)
    assert failed_call["code"] == "VOD.10000" and failed_call["asset"] == KEYNOTE
    [denial] = [line for line in lines if line.get("event") == "denied"]
    assert denial["user"] == INTRUDER and denial["asset"] == KEYNOTE

    text = bot.output()
    assert "HTTP Request:" not in text  # httpx's own line, with the project id in its URL
    assert "will be unused" not in text  # Bolt's warning at every start
    assert fake_vod.project_id not in text


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_no_response_url_in_the_log_when_slack_pushes_back(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack, level: str
) -> None:
    bot = ServedBot(tmp_path, fake_vod, fake_slack, {"LOG_LEVEL": level})
    try:
        fake_slack.fail_hooks(429, retry_after=1)  # the picker's post is retried
        _, url = bot.command(KEYNOTE)
        wait_until(lambda: any(p.answer.get("ok", True) for p in fake_slack.posts_to(url)))
    finally:
        bot.assert_clean_exit()
    assert url not in bot.output()


def test_socket_mode_serves_the_same_metrics(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = socket_mode.start(tmp_path, fake_vod, fake_slack)
    try:
        wait_until(fake_slack.socket_connected)
        envelope, url = socket_mode.command(fake_slack, KEYNOTE)
        assert wait_until(lambda: fake_slack.socket_ack(envelope))
        bot.posts(url)

        samples = wait_until(lambda: (s := scrape(bot)) and value(
            s, "setcover_slack_requests_total", kind="show_picker", outcome="answered") == 1
            and s)
        assert value(samples, "setcover_slack_ack_seconds_count") == 1
        assert value(samples, "setcover_vod_call_seconds_count", call="details") == 1
    finally:
        bot.assert_clean_exit()
