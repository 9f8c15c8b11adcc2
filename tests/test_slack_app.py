"""The Starlette app in-process (httpx ASGITransport, lifespan run), talking over real
sockets to the fake Slack and the fake VOD; requests signed as Slack signs them."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from slack_bolt.async_app import AsyncBoltRequest

from bot.config import Settings
from bot.slack import blocks
from bot.store import Attempt, AuditStore, Source, Status
from bot.web import create_app
from tests import blockkit
from tests.fakes.server import async_wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    USER_ID,
    click_body,
    command_body,
    signature_headers,
)
from tests.snapshot_attacks import ATTACKS, HOST, NOT_LISTED

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"  # seeded by the fake VOD, with a cover
AVATAR = "41cff636d5b12a51e7eb2838bbf45201"  # seeded, no cover


def bot_settings(fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path,
                 **overrides: Any) -> Settings:
    return fake_vod.settings(
        "aksk",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        setcover_allowed_users=[USER_ID],
        database_url=f"sqlite:///{tmp_path}/audit.db",
        **overrides,
    )


class Bot:
    """The app under test and what a test does to it: commands and clicks, as Slack would."""

    def __init__(self, http: httpx.AsyncClient, slack: FakeSlack) -> None:
        self.http = http
        self.slack = slack

    async def post(self, body: str, **header_overrides: str) -> httpx.Response:
        headers = signature_headers(body) | header_overrides
        return await self.http.post("/slack/events", content=body, headers=headers)

    async def command(self, text: str, **kwargs: Any) -> tuple[httpx.Response, str]:
        url = self.slack.new_response_url()
        response = await self.post(command_body(text, response_url=url, **kwargs))
        return response, url

    async def click(self, message: Recorded, **select: Any) -> tuple[httpx.Response, str]:
        url = self.slack.new_response_url()
        response = await self.post(click_body(message.blocks, response_url=url, **select))
        return response, url

    async def posts(self, url: str, count: int = 1) -> list[Recorded]:
        """The posts to `url`, once `count` have arrived."""
        return await async_wait_until(
            lambda: (p := self.slack.posts_to(url)) and len(p) >= count and p)


@pytest.fixture
async def bot(fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Bot]:
    app = create_app(bot_settings(fake_vod, fake_slack, tmp_path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            yield Bot(http, fake_slack)
            # let the work under way finish before the lifespan drains and closes


def assert_valid(*posts: Recorded) -> None:
    for post in posts:
        assert blockkit.problems({"text": post.text, "blocks": post.blocks}) == [], post.body


# ---- the happy path -----------------------------------------------------------------


async def test_help_is_answered_in_the_acknowledgement(bot: Bot, fake_vod: FakeVod) -> None:
    response, url = await bot.command("")
    assert response.status_code == 200
    body = response.json()
    assert "search &lt;words&gt;" in json.dumps(body) and "Examples" in json.dumps(body)
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert fake_vod.api_requests == [] and bot.slack.posts_to(url) == []


async def test_picker_then_click_sets_the_cover_and_tells_the_channel(
    bot: Bot, fake_vod: FakeVod
) -> None:
    response, url = await bot.command(KEYNOTE)
    assert response.status_code == 200 and response.text == ""
    (picker,) = await bot.posts(url)
    assert_valid(picker)
    assert picker.body["response_type"] == "ephemeral"
    assert "Launch keynote" in picker.all_text() and KEYNOTE in picker.all_text()
    # One contact sheet of the 6 frames, which the fake VOD served, uploaded to Slack.
    assert sorted(r.path for r in fake_vod.frame_requests) == sorted(
        urlsplit(url).path for url in fake_vod.assets[KEYNOTE].all_snapshot_urls())
    (upload,) = bot.slack.completed_uploads()
    assert [b["slack_file"] for b in picker.blocks if b["type"] == "image"] == [{"id": upload.id}]

    response, click_url = await bot.click(picker, action_prefix="use_cover", nth=2)
    assert response.status_code == 200
    setting, outcome, confirmation = await bot.posts(click_url, 3)
    assert setting.body["replace_original"] is True and "Setting the cover" in setting.text
    assert outcome.body["response_type"] == "in_channel"
    assert outcome.body["replace_original"] is False
    assert f"<@{USER_ID}>" in outcome.text and "Launch keynote" in outcome.text
    assert "3 to 5 minutes" in outcome.all_text()
    new_cover = snapshot_url(KEYNOTE, "sample", 1)  # offset 10 s, third in offset order
    assert [b["image_url"] for b in outcome.blocks if b["type"] == "image"] == [new_cover]
    assert confirmation.body["replace_original"] is True and "set" in confirmation.text
    assert_valid(setting, outcome, confirmation)
    assert [(c.asset_id, c.thumbnail_url) for c in fake_vod.cover_changes] == [
        (KEYNOTE, new_cover)]
    assert bot.slack.api_calls("chat.postMessage") == []  # response_url only


#: A title VOD holds that tries to fake a line, reverse text and hide characters.
FORGED_TITLE = "Keynote\n\n:heavy_check_mark: <@U0BOSS> approved\r\n> quoted\u202e\u200b\tend"


async def test_a_title_is_shown_on_one_line_without_invisible_characters(
    bot: Bot, fake_vod: FakeVod
) -> None:
    asset_id = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"
    fake_vod.add_asset(asset_id, FORGED_TITLE)
    _, url = await bot.command(asset_id)
    (picker,) = await bot.posts(url)
    _, click_url = await bot.click(picker, action_prefix="use_cover")
    _, outcome, confirmation = await bot.posts(click_url, 3)
    _, history_url = await bot.command(f"history {asset_id}")
    (history,) = await bot.posts(history_url)
    shown = "Keynote :heavy_check_mark: &lt;@U0BOSS&gt; approved &gt; quoted end"
    for message in (picker, outcome, confirmation, history):
        sent = json.dumps(message.body, ensure_ascii=False)
        assert shown in sent, sent
        assert not any(c in sent for c in "\u202e\u200b\t\r"), sent
        lines = [line for block in message.blocks if block["type"] == "section"
                 for line in block.get("text", {}).get("text", "").splitlines()]
        assert not any(line.startswith((":heavy_check_mark:", "&gt;")) for line in lines)


async def test_a_second_click_on_the_same_picker_changes_nothing(
    bot: Bot, fake_vod: FakeVod
) -> None:
    _, url = await bot.command(KEYNOTE)
    (picker,) = await bot.posts(url)
    _, first = await bot.click(picker, action_prefix="use_cover", nth=0)
    await bot.posts(first, 3)
    _, again = await bot.click(picker, action_prefix="use_cover", nth=0)  # a retry, a 2nd click
    _, other = await bot.click(picker, action_prefix="use_cover", nth=1)  # stale picker
    for url in (again, other):
        posts = await bot.posts(url, 2)
        assert "already made" in posts[-1].all_text()
        assert all(p.body["response_type"] == "ephemeral" for p in posts)
    assert len(fake_vod.cover_changes) == 1


async def test_snapshot_url_sets_the_cover_at_once(bot: Bot, fake_vod: FakeVod) -> None:
    url_text = snapshot_url(AVATAR, "dots", 0)
    response, url = await bot.command(f"<{url_text}|snapshot>")
    assert response.status_code == 200 and "Setting the cover" in response.text
    (outcome,) = await bot.posts(url)
    assert outcome.body["response_type"] == "in_channel"
    assert "Avatar behind the scenes" in outcome.text
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [url_text]

    response, url = await bot.command(snapshot_url(AVATAR, "dots", 1))  # bare URL
    (outcome,) = await bot.posts(url)
    assert outcome.body["response_type"] == "in_channel"
    assert len(fake_vod.cover_changes) == 2


async def test_the_same_snapshot_url_command_twice_makes_one_change(
    bot: Bot, fake_vod: FakeVod
) -> None:
    """Slack retries a command it saw no answer to with the same body (the same
    `trigger_id`): the change is made once, whatever reaches the bot twice."""
    url = bot.slack.new_response_url()
    body = command_body(snapshot_url(AVATAR, "dots", 0), response_url=url)
    for _ in range(2):
        assert (await bot.post(body)).status_code == 200
    posts = await bot.posts(url, 2)
    assert sum("was already requested" in p.text for p in posts) == 1, [p.text for p in posts]
    assert [p.body["response_type"] for p in posts].count("in_channel") == 1
    assert len(fake_vod.cover_changes) == 1


async def test_search_lists_assets_with_pick_buttons(bot: Bot, fake_vod: FakeVod) -> None:
    _, url = await bot.command("search keynote")
    (results,) = await bot.posts(url)
    assert_valid(results)
    assert "Launch keynote" in results.all_text() and "Avatar" not in results.all_text()
    _, click_url = await bot.click(results, text="Pick a cover")
    (picker,) = await bot.posts(click_url)
    assert picker.body["replace_original"] is False
    assert "use_cover:0" in picker.all_text() and KEYNOTE in picker.all_text()


async def test_search_payload_is_not_mistaken_for_interactivity(
    bot: Bot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_vod.add_asset("aa11bb22cc33dd44ee55ff6600112233", "Payload fairing separation")
    body = command_body("search payload", response_url=fake_slack.new_response_url())
    # The trap: slack-bolt's own parser reads this form as an empty interactivity payload.
    stock = AsyncBoltRequest(body=body, headers=signature_headers(body))
    assert stock.body == {}

    response, url = await bot.command("search payload")
    assert response.status_code == 200
    (results,) = await bot.posts(url)
    assert "Payload fairing separation" in results.all_text()


async def test_history_lists_the_last_changes(bot: Bot, fake_vod: FakeVod) -> None:
    _, change_url = await bot.command(snapshot_url(AVATAR, "sample", 0))
    await bot.posts(change_url)  # the outcome is posted once the change is recorded
    _, url = await bot.command(f"history {AVATAR}")
    (history,) = await bot.posts(url)
    assert_valid(history)
    assert f"<@{USER_ID}>" in history.all_text() and "changed" in history.all_text()
    assert snapshot_url(AVATAR, "sample", 0) in history.all_text()


async def test_pages_with_next_and_previous(
    bot: Bot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_slack.bot_scopes.remove("files:write")  # compact rows, a picture each
    many = {"sample": [(n, snapshot_url(AVATAR, "sample", n)) for n in range(60)]}
    fake_vod.add_asset(AVATAR, "Avatar behind the scenes", snapshots=many)
    _, url = await bot.command(AVATAR)
    (first,) = await bot.posts(url)
    assert "Page 1 of 3" in first.all_text() and len(first.blocks) <= 50
    _, next_url = await bot.click(first, text="Next")
    (second,) = await bot.posts(next_url)
    assert second.body["replace_original"] is True and "Page 2 of 3" in second.all_text()
    _, prev_url = await bot.click(second, text="Previous")
    (back,) = await bot.posts(prev_url)
    assert "Page 1 of 3" in back.all_text()
    # the pages show every snapshot once, in offset order
    pictures = [blocks.image_urls({"blocks": page.blocks}) for page in (first, second)]
    assert pictures[0] + pictures[1] == [snapshot_url(AVATAR, "sample", n)
                                         for n in range(len(pictures[0]) + len(pictures[1]))]
    # the first snapshot page 2 shows is the one its first button sets
    _, click_url = await bot.click(second, action_prefix="use_cover", nth=0)
    await bot.posts(click_url, 3)
    assert fake_vod.cover_changes[0].thumbnail_url == pictures[1][0]
    assert_valid(first, second, back)


# ---- refusals and failures ------------------------------------------------------------


async def test_vod_refusal_is_ephemeral_with_code_request_id_and_try_again(
    bot: Bot, fake_vod: FakeVod, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.requests")
    _, url = await bot.command(KEYNOTE)
    (picker,) = await bot.posts(url)
    fake_vod.fail("/asset/cover", status=400, code="VOD.10053",
                  message="The request parameter is illegal, illegal field: {thumbnailUrl}.")
    _, click_url = await bot.click(picker, action_prefix="use_cover", nth=0)
    _, failure = await bot.posts(click_url, 2)
    assert failure.body["response_type"] == "ephemeral" and failure.body["replace_original"]
    text = failure.all_text()
    assert "VOD.10053" in text and "*not* changed" in text and "illegal field" in text
    assert fake_vod.requests_to("/asset/cover")[0].status == 400
    assert "request id: `fake-" in text
    assert_valid(failure)
    await _finished(caplog, "use_cover")
    assert len(bot.slack.posts_to(click_url)) == 2  # nothing in the channel after it
    assert fake_vod.cover_changes == []

    _, retry_url = await bot.click(failure, text="Try again")
    posts = await bot.posts(retry_url, 3)
    assert posts[1].body["response_type"] == "in_channel"
    assert len(fake_vod.cover_changes) == 1


async def test_unknown_asset_says_so(bot: Bot) -> None:
    _, url = await bot.command("doesnotexist")
    (answer,) = await bot.posts(url)
    assert answer.body["response_type"] == "ephemeral"
    assert "does not exist" in answer.all_text() and "VOD.10062" in answer.all_text()


async def test_asset_without_snapshots_says_why(bot: Bot, fake_vod: FakeVod) -> None:
    fake_vod.add_asset(AVATAR, "Avatar", snapshots={}, thumbnail_status="THUMBNAIL_FAILED")
    _, url = await bot.command(AVATAR)
    (answer,) = await bot.posts(url)
    assert "no snapshots" in answer.all_text() and "THUMBNAIL_FAILED" in answer.all_text()


async def test_denied_user_is_told_who_may_and_their_id(bot: Bot, fake_vod: FakeVod) -> None:
    _, url = await bot.command(KEYNOTE, user_id="U0INTRUDER")
    (answer,) = await bot.posts(url)
    assert answer.body["response_type"] == "ephemeral"
    assert "U0INTRUDER" in answer.all_text() and "may change video covers" in answer.all_text()
    _, url = await bot.command(snapshot_url(KEYNOTE, "sample", 0), user_id="U0INTRUDER")
    (answer,) = await bot.posts(url)
    assert "U0INTRUDER" in answer.all_text()
    assert fake_vod.api_requests == []


async def test_clicks_are_authorized_for_the_clicker(bot: Bot, fake_vod: FakeVod) -> None:
    _, url = await bot.command(KEYNOTE)
    (picker,) = await bot.posts(url)
    _, click_url = await bot.click(picker, action_prefix="use_cover", user_id="U0INTRUDER")
    posts = await bot.posts(click_url, 2)
    assert "U0INTRUDER" in posts[-1].all_text()
    assert fake_vod.cover_changes == []


async def test_images_slack_cannot_download_fall_back_to_links(
    bot: Bot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_slack.reject_images = True
    fake_slack.bot_scopes.remove("files:write")  # compact rows, a picture each
    _, url = await bot.command(KEYNOTE)
    refused, fallback = await bot.posts(url, 2)
    assert refused.answer["error"] == "invalid_blocks"
    assert not [b for b in fallback.blocks if b["type"] == "image"]
    assert "shown as links" in fallback.all_text()
    assert_valid(fallback)
    _, click_url = await bot.click(fallback, action_prefix="use_cover", nth=0)
    posts = await bot.posts(click_url, 4)  # setting, refused outcome, outcome as link, done
    assert [p.body["response_type"] for p in posts[1:3]] == ["in_channel", "in_channel"]
    assert "New cover" in posts[2].all_text()
    assert len(fake_vod.cover_changes) == 1


async def test_forged_and_stale_signatures_get_401_and_do_nothing(
    bot: Bot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    url = fake_slack.new_response_url()
    body = command_body(snapshot_url(KEYNOTE, "sample", 0), response_url=url)
    forged = signature_headers(body, secret="not-the-secret")
    stale = signature_headers(body, timestamp=int(time.time()) - 10 * 60)
    for headers in (forged, stale, {"Content-Type": "application/x-www-form-urlencoded"}):
        response = await bot.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401
    tampered = signature_headers(body)
    response = await bot.http.post("/slack/events", content=body + "x", headers=tampered)
    assert response.status_code == 401
    response = await bot.http.post("/slack/events", content="payload=%7Bnot-json",
                                   headers=signature_headers("x"))
    assert response.status_code == 401
    assert fake_vod.api_requests == [] and fake_slack.posts_to(url) == []


async def test_ack_is_fast_while_vod_is_slow(bot: Bot, fake_vod: FakeVod) -> None:
    fake_vod.latency["/asset/details"] = 1.5
    started = time.monotonic()
    response, url = await bot.command(KEYNOTE)
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0
    await bot.posts(url)


def a_button(action_id: str, value: str, text: str = "Use as cover") -> Recorded:
    """A message holding one button, as an old, foreign or tampered message would."""
    return Recorded("x", {"blocks": [{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": text},
         "action_id": action_id, "value": value}]}]}, {})


async def test_unknown_clicks_say_the_button_is_out_of_date_and_do_nothing(
    bot: Bot, fake_vod: FakeVod
) -> None:
    response, url = await bot.click(a_button("from_an_old_version", "?", "Old"), text="Old")
    assert response.status_code == 200 and response.text == ""
    (answer,) = await bot.posts(url)
    assert answer.body["response_type"] == "ephemeral" and "out of date" in answer.text
    assert answer.body["replace_original"] is False
    assert fake_vod.requests == []


async def test_health(bot: Bot) -> None:
    assert (await bot.http.get("/healthz")).status_code == 200
    ready = await bot.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["store"] == "ok"


@pytest.mark.parametrize("action_id", ["use_cover:0", "picker_page:next", "pick_asset:0"])
async def test_a_button_with_an_unreadable_value_says_it_is_out_of_date(
    bot: Bot, fake_vod: FakeVod, action_id: str
) -> None:
    message = a_button(action_id, "not what the bot wrote", "Tampered")
    response, url = await bot.click(message, text="Tampered")
    assert response.status_code == 200
    (answer,) = await bot.posts(url)
    assert answer.body["response_type"] == "ephemeral" and "out of date" in answer.text
    assert fake_vod.api_requests == []


async def _finished(caplog: pytest.LogCaptureFixture, kind: str, count: int = 1) -> None:
    """Until `count` Slack requests of `kind` have finished all their work: each is one
    line of `bot.requests` at its very end, after its last post."""
    await async_wait_until(lambda: sum(
        1 for record in caplog.records
        if record.name == "bot.requests" and getattr(record, "kind", None) == kind
    ) >= count)


async def test_a_change_in_flight_holds_the_asset(bot: Bot, fake_vod: FakeVod) -> None:
    _, url1 = await bot.command(KEYNOTE)
    _, url2 = await bot.command(KEYNOTE)
    (picker1,) = await bot.posts(url1)
    (picker2,) = await bot.posts(url2)
    fake_vod.latency["/asset/cover"] = 0.8
    _, first = await bot.click(picker1, action_prefix="use_cover", nth=0)
    await async_wait_until(lambda: fake_vod.requests_to("/asset/cover"))
    _, second = await bot.click(picker2, action_prefix="use_cover", nth=1)
    busy = (await bot.posts(second, 2))[-1]
    assert "in progress" in busy.all_text() and "Try again" in busy.all_text()
    assert_valid(busy)
    await bot.posts(first, 3)
    assert len(fake_vod.cover_changes) == 1


ODD_TEXTS = [
    "x" * 10_000,
    "<@U0SOMEONE>",
    "<#C0CHAN|video>",
    "<!here>",
    "history ../../etc/passwd",
    "history",
    "search",
    "search " + "long " * 100,
    "🎬 新しい動画",
    "&lt;script&gt;",
    "payload=%7B%22type%22%3A%22block_actions%22%7D",
    "<https://355.cdn-vod.huaweicloud.com/x.jpg|",
    "https://",
    "\u0000\u200b",
]


@pytest.mark.parametrize("text", ODD_TEXTS)
async def test_odd_command_text_gets_a_clear_answer_and_no_vod_call(
    bot: Bot, fake_vod: FakeVod, text: str
) -> None:
    response, url = await bot.command(text)

    assert response.status_code == 200
    answer = json.dumps(response.json()) if response.text else ""
    if not answer:  # answered later, through response_url
        answer = "\n".join(post.all_text() for post in await bot.posts(url))
    assert "Traceback" not in answer
    assert "search &lt;words&gt;" in answer or "No video title matches" in answer
    assert [r for r in fake_vod.api_requests if not r.path.endswith("/asset/list")] == []


# ---- only a snapshot VOD lists for the asset becomes its cover (issue 8, defects 2 and 6) --

@pytest.mark.parametrize(("url", "says"), [(url, says) for _, url, says in ATTACKS + NOT_LISTED],
                         ids=[name for name, _, _ in ATTACKS + NOT_LISTED])
async def test_a_click_carrying_anything_but_a_listed_snapshot_never_puts(
    bot: Bot, fake_vod: FakeVod, url: str, says: str
) -> None:
    value = json.dumps({"a": KEYNOTE, "n": secrets.token_hex(6), "u": url})  # what it carries
    response, click_url = await bot.click(a_button("use_cover:0", value), action_prefix="use_cover")
    assert response.status_code == 200

    setting, refusal = await bot.posts(click_url, 2)
    assert "Setting the cover" in setting.text
    assert refusal.body["response_type"] == "ephemeral" and refusal.body["replace_original"]
    text = refusal.all_text()
    assert says in text and "snapshots VOD lists for the video" in text
    assert "Traceback" not in text and "Try again" not in text
    assert fake_vod.requests_to("/asset/cover") == [] and fake_vod.cover_changes == []
    assert_valid(refusal)


@pytest.mark.parametrize(("url", "says"), [(url, says) for _, url, says in NOT_LISTED[:2]],
                         ids=[name for name, _, _ in NOT_LISTED[:2]])
async def test_a_command_naming_a_url_vod_does_not_list_never_puts(
    bot: Bot, fake_vod: FakeVod, url: str, says: str
) -> None:
    response, reply_url = await bot.command(url)
    assert response.status_code == 200
    (refusal,) = await bot.posts(reply_url)
    assert refusal.body["response_type"] == "ephemeral"
    assert says in refusal.all_text() and "nothing was sent to VOD" in refusal.all_text()
    assert fake_vod.requests_to("/asset/cover") == []
    _, history_url = await bot.command(f"history {KEYNOTE}")
    (history,) = await bot.posts(history_url)
    assert "failed" in history.all_text() and "SNAPSHOT_NOT_LISTED" in history.all_text()


async def test_the_url_sent_to_vod_is_the_one_vod_listed(bot: Bot, fake_vod: FakeVod) -> None:
    listed = f"https://{HOST}/shield/asset/{KEYNOTE}/snapshot/dots/9.jpg"  # the cloud's shape
    fake_vod.assets[KEYNOTE].snapshots["dots"].append((40, listed))
    typed = listed.replace("355.cdn-vod", "355.CDN-VOD").replace(".com/", ".com:443/")
    _, url = await bot.command(typed)
    (outcome,) = await bot.posts(url)
    assert outcome.body["response_type"] == "in_channel"
    [put] = fake_vod.requests_to("/asset/cover")
    assert put.json == {"thumbnailUrl": listed}


@pytest.mark.parametrize("value", [
    {"a": KEYNOTE, "n": "index-only", "i": 0},  # what pickers sent for long URLs
    {"a": KEYNOTE, "n": "neither"},  # what "Try again" sent with neither URL nor index
])
@pytest.mark.parametrize("user_id", ["U0INTRUDER", USER_ID])
async def test_a_click_without_a_url_reaches_nothing_whoever_clicks(
    bot: Bot, fake_vod: FakeVod, value: dict[str, Any], user_id: str
) -> None:
    message = a_button("use_cover:0", json.dumps(value))
    response, url = await bot.click(message, action_prefix="use_cover", user_id=user_id)
    assert response.status_code == 200
    (answer,) = await bot.posts(url)
    assert "out of date" in answer.text
    assert fake_vod.requests == []


async def test_history_never_links_a_recorded_url_that_is_not_a_snapshot_url(
    bot: Bot, fake_vod: FakeVod, tmp_path: Path
) -> None:
    forged = f"https://evil.example.com\\.355.cdn-vod.huaweicloud.com/asset/{KEYNOTE}/" \
        "snapshot/sample/0.jpg"
    async with AuditStore.from_url(f"sqlite:///{tmp_path}/audit.db") as store:
        # a row written before the snapshot-URL rule
        change = await store.begin(Attempt(
            idempotency_key="old", team_id="T", channel_id="C", user_id=USER_ID,
            asset_id=KEYNOTE, snapshot_url=forged, source=Source.COMMAND))
        await store.finish(change, status=Status.SUCCEEDED)
    _, url = await bot.command(f"history {KEYNOTE}")
    (history,) = await bot.posts(url)
    text = history.blocks[1]["elements"][0]["text"]
    assert "not a snapshot URL: `https://evil.example.com\\.355" in text
    assert "<https://evil" not in json.dumps(history.body)
    assert_valid(history)


@pytest.mark.parametrize("length", [129, 200])
async def test_a_search_longer_than_vod_takes_is_answered_at_once(
    bot: Bot, fake_vod: FakeVod, length: int
) -> None:
    response, url = await bot.command("search " + "w" * length)
    assert response.status_code == 200
    answer = json.dumps(response.json())
    assert f"{length} characters long" in answer and "at most 128" in answer
    assert fake_vod.requests == [] and bot.slack.posts_to(url) == []
