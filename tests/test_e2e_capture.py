"""End to end, issue 12: a frame at any moment (`/setcover <asset id> at 1:23`).

The fake VOD runs a snapshot task as VOD does: THUMBNAILING for a while, then new `dots`
snapshots (or THUMBNAIL_FAILED). The bot polls quickly here (VOD_CAPTURE_POLL_S=0.05) and
gives up after VOD_CAPTURE_TIMEOUT_S=2, so the suite stays short.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack import blocks
from bot.store import AuditStore, CaptureRecord, CaptureStatus, Source
from tests import blockkit
from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.processes import ServedBot, StartBot, run_cli
from tests.slack_requests import (
    USER_ID,
    find_button,
    signature_headers,
    view_submission_body,
)

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
AVATAR = "41cff636d5b12a51e7eb2838bbf45201"
#: One editor makes this module's captures: the hourly limit (held by
#: tests/test_capture_limits.py) is set out of the way of the tests that follow.
FAST = {"VOD_CAPTURE_POLL_S": "0.05", "VOD_CAPTURE_TIMEOUT_S": "2",
        "SETCOVER_CAPTURES_PER_HOUR": "100"}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, _vod_server: FakeVod, _slack_server: FakeSlack
) -> Iterator[ServedBot]:
    bot = ServedBot(tmp_path_factory.mktemp("capture"), _vod_server, _slack_server, FAST)
    yield bot
    bot.assert_clean_exit()


@pytest.fixture
def bot(served: ServedBot, fake_vod: FakeVod, fake_slack: FakeSlack) -> ServedBot:
    return served


def test_capture_at_two_times_then_pick_one(bot: ServedBot, fake_vod: FakeVod) -> None:
    response, url = bot.command(f"{KEYNOTE} at 0:05 1:23")
    assert response.json()["text"] == f"New frames of {KEYNOTE} at 0:05, 1:23: one moment…"
    picker, told = bot.posts(url, 2)
    assert told.body["response_type"] == "in_channel"  # VOD's task changed the cover
    assert blockkit.problems({"text": picker.text, "blocks": picker.blocks}) == []
    assert "2 new frames of" in picker.text
    new = [snapshot_url(KEYNOTE, "dots", 2), snapshot_url(KEYNOTE, "dots", 3)]
    assert all(u in picker.all_text() for u in new)
    assert snapshot_url(KEYNOTE, "sample", 0) not in picker.all_text()  # only the new ones
    (task,) = fake_vod.captures
    assert task.body == {"asset_id": KEYNOTE,
                         "thumbnail": {"type": "dots", "dots": [5, 83], "format": 1}}
    # VOD made the first new snapshot the cover; the earlier one was not a snapshot.
    assert "the cover (a snapshot task always does)" in picker.all_text()
    assert "only the VOD console can put it back" in picker.all_text()
    assert fake_vod.cover_changes == []

    # new[0] is the cover now: its button says so; the one to set is new[1]'s.
    find_button(picker.blocks, action_prefix="current_cover")
    _, click_url = bot.click(picker, action_prefix="use_cover", nth=0)
    outcome = bot.posts(click_url, 2)[1]
    assert outcome.body["response_type"] == "in_channel" and new[1] in outcome.all_text()
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [new[1]]


def test_when_the_cover_was_a_snapshot_the_picker_offers_it_back(
    bot: ServedBot, fake_vod: FakeVod
) -> None:
    before = snapshot_url(AVATAR, "sample", 1)
    fake_vod.assets[AVATAR].cover_url = before
    _, url = bot.command(f"{AVATAR} at 7s")
    picker, _ = bot.posts(url, 2)
    _, click_url = bot.click(picker, text="Put it back")
    bot.posts(click_url, 2)
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [before]
    assert fake_vod.assets[AVATAR].cover_url == before


def test_a_cover_the_snapshot_task_set_is_a_change_the_channel_hears_of_and_can_undo(
    bot: ServedBot, fake_vod: FakeVod
) -> None:
    """Issue 16, defect 6: VOD's task made a new frame the cover; that is on record as a
    change (source `capture`), the channel is told with Undo, and Undo puts back the cover
    from before, while the capturer keeps *Put it back*."""
    before = snapshot_url(AVATAR, "sample", 1)
    fake_vod.assets[AVATAR].cover_url = before
    _, url = bot.command(f"{AVATAR} at 0:09")
    picker, told = bot.posts(url, 2)
    made = fake_vod.assets[AVATAR].cover_url
    assert made == snapshot_url(AVATAR, "dots", 2) and fake_vod.cover_changes == []
    find_button(picker.blocks, text="Put it back")
    assert told.body["response_type"] == "in_channel"
    assert told.text.startswith(f"The new frames <@{USER_ID}> asked for made one of them the "
                                "cover of Avatar behind the scenes.")
    assert (f":frame_with_picture: The new frames <@{USER_ID}> asked for made the frame at "
            "*0:09* the cover of *Avatar behind the scenes* (the video service does this with "
            "the first new frame).") in told.all_text()
    assert made in told.all_text() and "set the cover" not in told.all_text()
    find_button(told.blocks, text="Undo")
    assert f"For support: asset {AVATAR} · change " in told.all_text()
    assert blockkit.problems({"text": told.text, "blocks": told.blocks}) == []

    _, history_url = bot.command(f"history {AVATAR}")
    (listed,) = bot.posts(history_url)
    newest = json.dumps(listed.blocks[1])
    assert "dots/2.jpg" in newest and "set by VOD's snapshot task" in newest
    assert ":white_check_mark: changed" in newest

    _, undo_url = bot.click(told, text="Undo")
    undone, undo_told = bot.posts(undo_url, 2)
    assert "Undone by" in undone.all_text() and undo_told.body["response_type"] == "in_channel"
    assert "The new frames" in undone.all_text()  # still said as the capture's doing
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [before]
    assert fake_vod.assets[AVATAR].cover_url == before


def test_a_cover_the_snapshot_task_set_gets_the_cdn_refresh_like_any_change(
    start_bot: StartBot, fake_vod: FakeVod
) -> None:
    """Issue 16 follow-up: after a capture that replaced the cover, VOD is asked to refresh
    its CDN copies of the video once, the channel hears when the new cover is live, and a
    refused refresh is said as for any change."""
    bot = start_bot(**FAST, VOD_REFRESH_POLL_S="0.05", VOD_REFRESH_DEADLINE_S="30")
    _, url = bot.command(f"{AVATAR} at 0:13")
    _, told, live = bot.posts(url, 3)
    assert told.body["response_type"] == "in_channel" and "Undo" in told.all_text()
    (refresh,) = [r for r in fake_vod.requests_to("/asset/refresh") if r.method == "POST"]
    assert refresh.json == {"asset_id_list": [AVATAR]}
    assert live.body["response_type"] == "in_channel"
    assert "Every viewer now sees the new cover of *Avatar behind the scenes*." in live.all_text()

    fake_vod.fail("/asset/refresh", status=400, code="VOD.10069",
                  message="The number of refreshes today exceeds the quota.")
    _, url = bot.command(f"{AVATAR} at 0:14")
    _, _, refused = bot.posts(url, 3)
    assert refused.body["response_type"] == "in_channel"
    assert ("the video service could not refresh its copies (The number of refreshes today "
            "exceeds the quota.). The cover itself is changed.") in refused.all_text()


@pytest.mark.parametrize(("times", "says"), [
    ("-5", "negative"), ("1:75", "up to 59"), ("soon", "not a time"),
    (" ".join(f"0:{n:02d}" for n in range(11)), "at most 10"),
    ("1" * 4301, "at most 3,000"), ("\u0661:\u0662\u0663", "not a time"),
    ("\U0001d7cf\U0001d7d0", "not a time"), ("1:60", "up to 59"),
])
def test_malformed_times_are_refused_before_any_vod_call(
    bot: ServedBot, fake_vod: FakeVod, times: str, says: str
) -> None:
    response, _ = bot.command(f"{KEYNOTE} at {times}")
    assert response.status_code == 200 and says in response.json()["text"]
    assert fake_vod.api_requests == []


def test_times_past_the_end_are_refused_before_the_snapshot_task(
    bot: ServedBot, fake_vod: FakeVod
) -> None:
    _, url = bot.command(f"{KEYNOTE} at 0:10 5:00")
    (answer,) = bot.posts(url)
    assert answer.body["response_type"] == "ephemeral"
    assert "5:00 is past the end of the video, which is 2:11 long" in answer.text
    assert fake_vod.requests_to("/asset/process") == [] and fake_vod.captures == []


def test_a_failed_capture_says_what_vod_said(bot: ServedBot, fake_vod: FakeVod) -> None:
    fake_vod.capture_failure = "The video stream cannot be decoded."
    _, url = bot.command(f"{KEYNOTE} at 1:00")
    (answer,) = bot.posts(url)
    assert "could not make the snapshots" in answer.all_text()
    assert "The video stream cannot be decoded." in answer.text


def test_a_capture_that_does_not_end_is_given_up_with_the_status(
    bot: ServedBot, fake_vod: FakeVod
) -> None:
    fake_vod.capture_seconds = 60
    _, url = bot.command(f"{KEYNOTE} at 1:01")
    (answer,) = wait_until(lambda: bot.slack.posts_to(url), timeout=15)
    assert "has not finished" in answer.text and "THUMBNAILING" in answer.all_text()


def test_vod_refusing_the_task_is_explained(bot: ServedBot, fake_vod: FakeVod) -> None:
    fake_vod.fail("/asset/process", status=400, code="VOD.10053",
                  message="The request parameter is illegal, illegal field: {dots}.")
    _, url = bot.command(f"{KEYNOTE} at 1:02")
    (answer,) = bot.posts(url)
    assert "VOD.10053" in answer.all_text()


def test_only_authorized_users_capture(bot: ServedBot, fake_vod: FakeVod) -> None:
    _, url = bot.command(f"{KEYNOTE} at 1:00", user_id="U0INTRUDER")
    (answer,) = bot.posts(url)
    assert "may change video covers" in answer.text
    assert fake_vod.api_requests == []


def test_the_picker_opens_a_modal_whose_times_are_captured(
    bot: ServedBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    view, click_url = bot.open_capture_form(KEYNOTE)
    assert fake_slack.api_calls("views.open")[0].body["trigger_id"]
    assert view["callback_id"] == blocks.CAPTURE_CALLBACK

    typed = {blocks.CAPTURE_INPUT_BLOCK: {blocks.CAPTURE_INPUT_ACTION: "1:99"}}
    body = view_submission_body(view, typed)
    refused = bot.post(body, signature_headers(body))
    assert refused.json()["response_action"] == "errors"
    assert "up to 59" in refused.json()["errors"][blocks.CAPTURE_INPUT_BLOCK]
    for text in ("1" * 4301, " ".join(str(n) for n in range(8000))):
        typed = {blocks.CAPTURE_INPUT_BLOCK: {blocks.CAPTURE_INPUT_ACTION: text}}
        body = view_submission_body(view, typed)
        refused = bot.post(body, signature_headers(body))
        assert refused.status_code == 200 and refused.json()["response_action"] == "errors"
    assert fake_vod.requests_to("/asset/process") == []

    typed = {blocks.CAPTURE_INPUT_BLOCK: {blocks.CAPTURE_INPUT_ACTION: "0:42"}}
    body = view_submission_body(view, typed)
    assert bot.post(body, signature_headers(body)).status_code == 200
    capturing, new, _ = bot.posts(click_url, 3)
    assert "Capturing" in capturing.text
    assert snapshot_url(KEYNOTE, "dots", 2) in new.all_text()
    assert fake_vod.captures[0].body["thumbnail"]["dots"] == [42]


def test_cli_capture_prints_the_new_snapshots(
    tmp_path: Path, fake_vod: FakeVod
) -> None:
    env = fake_vod.settings_env() | FAST | {"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    done = run_cli("capture", KEYNOTE, "0:05", "83s", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0:05", snapshot_url(KEYNOTE, "dots", 2),
                                   "1:23", snapshot_url(KEYNOTE, "dots", 3)]
    assert "change 1: `setcover-bot undo 1` puts it back" in done.stderr
    # VOD's task changed the cover: its CDN copies are refreshed as after any change.
    (refresh,) = [r for r in fake_vod.requests_to("/asset/refresh") if r.method == "POST"]
    assert refresh.json == {"asset_id_list": [KEYNOTE]}
    bad = run_cli("capture", KEYNOTE, "-1", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "negative" in bad.stderr
    assert len(fake_vod.captures) == 1
    fake_vod.capture_failure = "The video stream cannot be decoded."
    failed = run_cli("capture", KEYNOTE, "0:07", env=env, cwd=tmp_path)
    assert failed.returncode == 1 and "cannot be decoded" in failed.stderr

    rows = asyncio.run(_captures(env["DATABASE_URL"]))
    assert [(r.seconds, r.status, r.new_snapshots, r.source) for r in rows] == [
        ((7,), CaptureStatus.FAILED, None, Source.CLI),
        ((5, 83), CaptureStatus.SUCCEEDED, 2, Source.CLI),
    ]
    assert rows[0].error_msg == "The video stream cannot be decoded." and rows[1].request_id


async def _captures(database_url: str) -> list[CaptureRecord]:
    async with AuditStore.from_url(database_url) as store:
        return await store.captures(KEYNOTE)
