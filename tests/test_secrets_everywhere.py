"""One scan over everything the bot and the CLI write (stdout and stderr, every log level down
to DEBUG, text and JSON), for every VOD auth mode and both Slack modes, of scenario runs that
include failures: no configured secret and no `response_url` may appear, in any encoding.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest

from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot, run_cli
from tests.slack_requests import SIGNING_SECRET, click_body, command_body, signature_headers

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
SECRET_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "VOD_SK",
                "VOD_SECURITY_TOKEN", "VOD_AUTH_TOKEN", "IAM_PASSWORD", "VOD_URL_AUTH_KEY")
DISTINCT = {"SLACK_BOT_TOKEN": "xoxb-9911-2277-distinctbottoken",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET}
APP_TOKEN = "xapp-1-A0SETCOVER-8833-distinctapptoken"
#: Secrets with characters that JSON escapes (`"`, `\`): their escaped form must go too.
ODD_IAM_PASSWORD = 'iam-"pass\\word"'
ODD_STATIC_TOKEN = 'static-"token\\' + "z" * 24


def leaks(output: str, settings: dict[str, str], urls: list[str]) -> list[str]:
    """Each secret or response_url found in `output`, raw, URL-encoded or JSON-escaped."""
    found = []
    needles = {name: settings[name] for name in SECRET_NAMES if settings.get(name)}
    needles |= {f"response_url {url}": url.rsplit("/", 1)[-1] for url in urls}
    for name, value in needles.items():
        forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
        found += [name for form in forms if form in output]
    return found


def http_scenario(bot: ServedBot, vod: FakeVod, slack: FakeSlack) -> list[str]:
    """Help, a picker, a cover set, a VOD refusal, Slack pushing back, forged and odd requests."""
    urls = []
    _, url = bot.command("help")
    urls.append(url)
    slack.fail_hooks(429, retry_after=1)
    _, url = bot.command(KEYNOTE)
    urls.append(url)
    picker = wait_until(lambda: [p for p in slack.posts_to(url) if p.answer.get("ok", True)])[0]
    _, url = bot.click(picker, action_prefix="use_cover")
    urls.append(url)
    bot.posts(url, 3)
    vod.fail("/asset/cover", status=400, code="VOD.10053", message="illegal thumbnailUrl")
    _, url = bot.click(picker, action_prefix="use_cover", nth=1)
    urls.append(url)
    bot.posts(url, 2)
    forged = command_body(KEYNOTE, response_url=slack.new_response_url())
    urls.append(dict(parse_qsl(forged))["response_url"])
    assert bot.post(forged, signature_headers(forged, secret="guess")).status_code == 401
    odd_url = slack.new_response_url()
    urls.append(odd_url)
    odd = "payload=" + quote(json.dumps({"type": "block_actions", "actions": [],
                                         "response_url": odd_url}))
    assert bot.post(odd).status_code == 200
    bot.posts(odd_url)
    return urls


@pytest.mark.parametrize(("mode", "log_format"),
                         [("aksk-temp", "text"), ("iam", "json"), ("token", "text")])
def test_no_secret_in_any_output_over_http(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack, mode: str, log_format: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fake_vod, "iam_password", ODD_IAM_PASSWORD)
    monkeypatch.setattr(fake_vod, "static_token", ODD_STATIC_TOKEN)
    unset_aksk = {"VOD_AK": "", "VOD_SK": ""}  # ServedBot's default mode, empty is unset
    settings = unset_aksk | fake_vod.settings_env(mode) | DISTINCT | {
        "LOG_LEVEL": "DEBUG", "LOG_FORMAT": log_format}
    bot = ServedBot(tmp_path, fake_vod, fake_slack, settings)
    try:
        urls = http_scenario(bot, fake_vod, fake_slack)
    finally:
        bot.assert_clean_exit()
    output = bot.output()
    # The CLI too, with a failure: an asset VOD does not know.
    env = bot.settings | {"VOD_TIMEOUT_S": "2"}
    for args in (("check",), ("snapshots", KEYNOTE), ("snapshots", "0" * 32),
                 ("set-cover", "https://355.cdn-vod.huaweicloud.com/x/asset/a/snapshot/b/1.jpg")):
        done = run_cli(*args, env=env, cwd=tmp_path)
        output += done.stdout + done.stderr
    assert "DEBUG" in output  # the scan covers what DEBUG adds
    issued = list(fake_vod.tokens)  # IAM tokens the fake issued are secrets too
    assert leaks(output, bot.settings | {f"IAM token {i}": t for i, t in enumerate(issued)},
                 urls) == []
    for token in issued:
        assert token not in output


def test_no_secret_in_any_output_in_socket_mode(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    settings = fake_vod.settings_env("aksk") | DISTINCT | {
        "SLACK_APP_TOKEN": APP_TOKEN, "LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json"}
    bot = ServedBot(tmp_path, fake_vod, fake_slack, settings)
    urls = []
    try:
        wait_until(fake_slack.socket_connected)
        url = fake_slack.new_response_url()
        urls.append(url)
        payload = dict(parse_qsl(command_body(KEYNOTE, response_url=url)))
        fake_slack.send_envelope("slash_commands", payload)
        (picker,) = bot.posts(url)
        click_url = fake_slack.new_response_url()
        urls.append(click_url)
        click = dict(parse_qsl(click_body(picker.blocks, response_url=click_url,
                                          action_prefix="use_cover")))
        fake_slack.send_envelope("interactive", json.loads(click["payload"]))
        bot.posts(click_url, 3)
    finally:
        bot.assert_clean_exit()
    output = bot.output()
    # The scan read DEBUG, where slack_sdk logs the WebSocket URL: its ticket was there, and
    # redacted.
    assert "DEBUG" in output and "ticket=[redacted]" in output
    assert leaks(output, bot.settings, urls) == []
