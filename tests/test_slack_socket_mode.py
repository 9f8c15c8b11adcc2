"""Socket Mode for real: `setcover-bot serve` with SLACK_APP_TOKEN connects to the fake
Slack's WebSocket (`apps.connections.open` → `ws://…/socket`), answers envelopes there,
serves `/healthz` and `/readyz` on PORT, and stops on SIGTERM in every state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot, free_port
from tests.slack_requests import command_body

APP_TOKEN = "xapp-1-A0SETCOVER-1234-abcdef"
KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
#: SIGTERM must stop the process within this, whatever the connection is doing.
STOP_WITHIN_S = 5.0


def start(tmp_path: Path, vod: FakeVod, slack: FakeSlack, **settings: str) -> ServedBot:
    return ServedBot(tmp_path, vod, slack, {"SLACK_APP_TOKEN": APP_TOKEN} | settings)


def ready(bot: ServedBot) -> tuple[int, dict[str, object]]:
    response = bot.http.get("/readyz")
    return response.status_code, response.json()


def stop_in_time(bot: ServedBot) -> None:
    started = time.monotonic()
    bot.assert_clean_exit()
    took = time.monotonic() - started
    assert took < STOP_WITHIN_S, f"SIGTERM took {took:.1f} s"


def command(slack: FakeSlack, text: str) -> tuple[str, str]:
    """Send `/setcover text` over the WebSocket; (envelope id, response_url)."""
    url = slack.new_response_url()
    payload = dict(parse_qsl(command_body(text, response_url=url)))
    return slack.send_envelope("slash_commands", payload), url


def test_connected_it_is_ready_answers_over_the_websocket_and_stops_on_sigterm(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start(tmp_path, fake_vod, fake_slack)
    try:
        wait_until(fake_slack.socket_connected)
        assert wait_until(lambda: ready(bot)[0] == 200)
        assert ready(bot)[1] == {"ok": True, "store": "ok", "slack": "connected"}
        assert bot.http.post("/slack/events", content="x").status_code == 404  # no HTTP door
        # The WebSocket's envelopes are served on uvloop too, as HTTP requests are.
        assert "/uvloop/loop." in Path(f"/proc/{bot.process.pid}/maps").read_text()

        envelope, _ = command(fake_slack, "help")
        ack = wait_until(lambda: fake_slack.socket_ack(envelope))
        assert "Examples" in json.dumps(ack["payload"])

        envelope, url = command(fake_slack, KEYNOTE)
        assert wait_until(lambda: fake_slack.socket_ack(envelope))
        (picker,) = bot.posts(url)
        assert "Launch keynote" in picker.all_text()

        odd_url = fake_slack.new_response_url()
        envelope = fake_slack.send_envelope(
            "interactive", {"type": "block_actions", "actions": [], "response_url": odd_url})
        assert wait_until(lambda: fake_slack.socket_ack(envelope))
        (told,) = bot.posts(odd_url)
        assert "cannot handle" in told.text
    finally:
        stop_in_time(bot)


def test_a_refused_app_token_is_one_line_not_ready_and_sigterm_still_stops_it(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_slack.app_token_error = "invalid_auth"
    bot = start(tmp_path, fake_vod, fake_slack)
    try:
        wait_until(lambda: len(fake_slack.api_calls("apps.connections.open")) >= 2)
        status, state = ready(bot)
        assert (status, state["slack"]) == (503, "disconnected")
    finally:
        stop_in_time(bot)
    lines = [line for line in bot.output().splitlines() if "SLACK_APP_TOKEN" in line]
    assert len(lines) == 1 and "invalid_auth" in lines[0], bot.output()


@pytest.mark.parametrize("where", ["unreachable", "refusing"])
def test_sigterm_before_it_ever_connected(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack, where: str
) -> None:
    if where == "refusing":
        fake_slack.app_token_error = "account_inactive"
        bot = start(tmp_path, fake_vod, fake_slack)
    else:
        bot = start(tmp_path, fake_vod, fake_slack,
                    SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    try:
        assert bot.http.get("/healthz").status_code == 200
        assert ready(bot)[0] == 503
    finally:
        stop_in_time(bot)
