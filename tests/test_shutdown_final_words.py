"""Issue 16: SIGTERM while a picker, a capture, an undo, a search and a history are under
way gives each of their users a final word (the runtime's "restarting" answer), so nobody
is left waiting on a request the bot gave up.

The installed `setcover-bot serve`; every flow is held at the same point, the policy's
Slack user-group lookup (the fake Slack answers it after 12 s), so the five are in flight
together when the signal arrives.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot
from tests.slack_requests import USER_ID, click_body

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
#: What a platform allows between SIGTERM and SIGKILL, less a margin for start-up noise.
SHUTDOWN_LIMIT_S = 25
#: How long Slack takes to list the user group: longer than the bot's shutdown (about 3 s).
LOOKUP_S = 12.0


def test_sigterm_gives_every_flow_under_way_its_final_word(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    # An undo needs a change to undo: made first by a bot that lets the user in directly,
    # on the same audit store (the user-group lookup, once answered, is kept a minute).
    database = {"DATABASE_URL": f"sqlite:///{tmp_path}/audit.db"}
    (tmp_path / "first").mkdir()
    first = ServedBot(tmp_path / "first", fake_vod, fake_slack, database)
    _, url = first.command(KEYNOTE)
    (picker,) = first.posts(url)
    _, click_url = first.click(picker, action_prefix="use_cover")
    outcome = wait_until(lambda: next((p for p in fake_slack.posts_to(click_url)
                                       if p.body.get("response_type") == "in_channel"), None))
    first.assert_clean_exit()

    (tmp_path / "second").mkdir()
    bot = ServedBot(tmp_path / "second", fake_vod, fake_slack, database | {
        "SETCOVER_ALLOWED_USERS": "", "SETCOVER_ALLOWED_USERGROUPS": "S1",
        "SHUTDOWN_DRAIN_S": "1", "SHUTDOWN_FINAL_WORD_S": "1"})
    fake_slack.usergroups = {"S1": [USER_ID]}
    fake_slack.usergroups_delay_s = LOOKUP_S
    urls = {
        "picker": bot.command(KEYNOTE)[1],
        "capture": bot.command(f"{KEYNOTE} at 0:05")[1],
        "search": bot.command("search keynote")[1],
        "history": bot.command(f"history {KEYNOTE}")[1],
        "undo": fake_slack.new_response_url(),
    }
    bot.post(click_body(outcome.blocks, response_url=urls["undo"], text="Undo"))
    time.sleep(1.0)  # acknowledged; the flows start once no request has come for 2 ms

    bot.process.send_signal(signal.SIGTERM)
    code = bot.process.wait(timeout=SHUTDOWN_LIMIT_S + 10)

    assert code in (0, -signal.SIGTERM) and "Traceback" not in bot.output()
    last_words = {flow: (fake_slack.posts_to(url) or [None])[-1] for flow, url in urls.items()}
    silent = [flow for flow, post in last_words.items()
              if post is None or "The bot is restarting" not in post.text]
    assert silent == [], {flow: post and post.text for flow, post in last_words.items()}
    # The lookup the flows waited on answers after the bot is gone (before the next test).
    wait_until(lambda: fake_slack.api_calls("usergroups.users.list"), timeout=LOOKUP_S + 10)
