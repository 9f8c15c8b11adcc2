"""Issue 16, defect 5: paid snapshot tasks are asked of VOD once per capture, limited per
user across processes, and a capture left pending by a crash is resolved at start-up.

Everything goes through the served bot; what counts is what the fake VOD received
(`POST /asset/process`: one paid task each) and what Slack users were told.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.slack import blocks
from bot.store import AuditStore, CaptureRecord, CaptureStatus
from bot.store.tables import captures
from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot, StartBot
from tests.prove import BOT_LOG_LEVEL, report
from tests.slack_requests import (
    USER_ID,
    command_body,
    signature_headers,
    view_submission_body,
)

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
AVATAR = "41cff636d5b12a51e7eb2838bbf45201"
COLLEAGUE = "U0COLLEAGUE"
FAST = {"VOD_CAPTURE_POLL_S": "0.05", "VOD_CAPTURE_TIMEOUT_S": "5"}
SERVED_SETTINGS = FAST | {"SETCOVER_ALLOWED_USERS": f"{USER_ID},{COLLEAGUE}"}
#: What the bot logs for the same Slack request again, instead of answering it again.
ANSWERED = "the same Slack request again, already answered"


def test_twenty_same_commands_start_one_snapshot_task(bot: ServedBot, fake_vod: FakeVod) -> None:
    """One editor sends the same `at` command 20 times, a colleague once more: one task."""
    urls = [bot.command(f"{KEYNOTE} at 0:05 1:23")[1] for _ in range(20)]
    _, colleague_url = bot.command(f"{KEYNOTE} at 0:05 1:23", user_id=COLLEAGUE)
    answers = [bot.posts(url)[0] for url in urls]
    assert len(fake_vod.requests_to("/asset/process")) == 1

    pickers = [a for a in answers if "2 new frames of" in a.text]
    repeated = [a for a in answers if "did not ask again" in a.all_text()]
    assert (len(pickers), len(repeated)) == (1, 19)
    assert all("You asked for frames of" in a.all_text() and "0:05, 1:23" in a.all_text()
               for a in repeated)
    (told,) = bot.posts(colleague_url)
    assert f"<@{USER_ID}> asked for frames of" in told.all_text()
    assert "did not ask again" in told.all_text()
    assert told.body["response_type"] == "ephemeral"


def test_other_times_of_the_same_video_are_a_capture_of_their_own(
    bot: ServedBot, fake_vod: FakeVod
) -> None:
    for times in ("0:11", "0:12"):
        _, url = bot.command(f"{AVATAR} at {times}")
        assert "1 new frame of" in bot.posts(url)[0].text
    assert [t.body["thumbnail"]["dots"] for t in fake_vod.captures] == [[11], [12]]


def test_one_capture_form_submitted_ten_times_starts_one_task_and_answers_once(
    bot: ServedBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    """Slack takes at most 5 posts on one response_url. The same form (one view id)
    submitted 10 times: one task, one answer ("Capturing…", the frames, the channel's news
    of the cover); another form with the same times: one short "already asked" more."""
    view, click_url = bot.open_capture_form(KEYNOTE)
    typed = {blocks.CAPTURE_INPUT_BLOCK: {blocks.CAPTURE_INPUT_ACTION: "0:33"}}
    body = view_submission_body(view, typed)
    answered = bot.output().count(ANSWERED)
    for _ in range(10):
        assert bot.post(body, signature_headers(body)).status_code == 200
    bot.logged(ANSWERED, answered + 9)  # and posted nothing
    capturing, frames, told = bot.posts(click_url, 3)[:3]
    assert "Capturing" in capturing.text and "1 new frame of" in frames.text
    assert told.body["response_type"] == "in_channel" and "asked for made" in told.text

    other = view_submission_body(view, typed, view_id="V0CAPTURE2")
    assert bot.post(other, signature_headers(other)).status_code == 200
    bot.posts(click_url, 4)
    posts = fake_slack.posts_to(click_url)  # and maybe the CDN follow-up, later
    assert len(posts) <= 5, [p.text for p in posts]
    assert len(fake_vod.requests_to("/asset/process")) == 1
    assert [sum(says in p.all_text() for p in posts) for says in (
        "Capturing", "1 new frame of", "asked for made", "did not ask again")] == [1, 1, 1, 1]


def test_a_command_slack_sends_again_is_answered_once(
    bot: ServedBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    """The same command request (one trigger id) three times: its one answer, no repeat."""
    url = fake_slack.new_response_url()
    body = command_body(f"{KEYNOTE} at 0:34", response_url=url)
    answered = bot.output().count(ANSWERED)
    for _ in range(3):
        assert bot.post(body).status_code == 200
    bot.logged(ANSWERED, answered + 2)
    frames, told = bot.posts(url, 2)[:2]
    assert "1 new frame of" in frames.text and "asked for made" in told.text
    assert not any("did not ask again" in p.all_text() for p in fake_slack.posts_to(url))
    assert len(fake_vod.requests_to("/asset/process")) == 1


def test_the_hourly_limit_holds_across_processes_and_says_when_the_next_is_possible(
    start_bot: StartBot, fake_vod: FakeVod, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/shared.db"
    first = start_bot(**FAST, DATABASE_URL=database, SETCOVER_CAPTURES_PER_HOUR="2")
    second = start_bot(**FAST, DATABASE_URL=database, SETCOVER_CAPTURES_PER_HOUR="2")
    for bot, times in ((first, "0:01"), (second, "0:02")):
        _, url = bot.command(f"{KEYNOTE} at {times}")
        assert "1 new frame of" in bot.posts(url)[0].text
    # Each capture made its first frame the cover, a change whose CDN refresh comes last.
    wait_until(lambda: len(fake_vod.requests_to("/asset/refresh")) == 2)
    fake_vod.reset_requests()

    _, url = second.command(f"{KEYNOTE} at 0:03")
    (answer,) = first.posts(url)
    oldest = min(r.requested_at for r in asyncio.run(_captures(database, KEYNOTE)))
    next_at = f"{oldest + timedelta(hours=1):%H:%M} UTC"
    assert re.search(
        rf"You have asked for 2 captures in the last hour; the next is possible at "
        rf"{next_at} \(in (59|60) minutes\)\.", answer.text), answer.text
    assert answer.body["response_type"] == "ephemeral"
    assert fake_vod.api_requests == []
    assert len(asyncio.run(_captures(database, KEYNOTE))) == 2


def test_no_captures_when_the_limit_is_zero(start_bot: StartBot, fake_vod: FakeVod) -> None:
    bot = start_bot(**FAST, SETCOVER_CAPTURES_PER_HOUR="0")
    _, url = bot.command(f"{KEYNOTE} at 0:04")
    (answer,) = bot.posts(url)
    assert "Capturing new frames is turned off here" in answer.all_text()
    assert fake_vod.api_requests == []


def test_a_flood_of_captures_from_one_user_starts_one_task_each_within_the_limit(
    start_bot: StartBot, fake_vod: FakeVod
) -> None:
    """For docs/reliability.md: 20 identical `at` commands at once, then 30 distinct ones,
    from one user under the default limit (10 an hour): the paid tasks VOD was asked for."""
    bot = start_bot(**FAST, LOG_LEVEL=BOT_LOG_LEVEL)
    urls = [bot.command(f"{KEYNOTE} at 1:30")[1] for _ in range(20)]
    for url in urls:
        bot.posts(url)
    identical_tasks = len(fake_vod.requests_to("/asset/process"))
    answers = []
    for second in range(20, 50):
        _, url = bot.command(f"{KEYNOTE} at 0:{second}")
        answers.append(bot.posts(url)[0])
    distinct_tasks = len(fake_vod.requests_to("/asset/process")) - identical_tasks
    limited = sum("captures in the last hour; the next is possible at" in a.text
                  for a in answers)
    report("capture_limits", identical=len(urls), identical_tasks=identical_tasks,
           distinct=len(answers), distinct_tasks=distinct_tasks, limited=limited)
    assert (identical_tasks, distinct_tasks, limited) == (1, 9, 21)


def test_a_capture_left_pending_by_a_crash_is_resolved_at_start_up(
    start_bot: StartBot, fake_vod: FakeVod, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/crashed.db"
    asyncio.run(_crashed_capture(database, datetime.now(UTC) - timedelta(hours=1)))
    bot = start_bot(**FAST, DATABASE_URL=database)
    (row,) = asyncio.run(_captures(database, AVATAR))
    assert (row.status, row.error_code) == (CaptureStatus.TIMED_OUT, "INTERRUPTED")
    assert row.finished_at is not None
    # It no longer stands for a task under way: the same capture is asked of VOD.
    _, url = bot.command(f"{AVATAR} at 0:07")
    assert "1 new frame of" in bot.posts(url)[0].text
    assert len(fake_vod.requests_to("/asset/process")) == 1


async def _crashed_capture(database_url: str, when: datetime) -> None:
    """A capture row as a process that died while following its task left it."""
    async with AuditStore.from_url(database_url) as store:
        await store.migrate()
        await store._transaction(lambda c: c.execute(captures.insert().values(
            requested_at=when, team_id="T0TEAM", channel_id="C0VIDEO", user_id=USER_ID,
            asset_id=AVATAR, seconds="7", source="command", status="pending",
        )), doing="test")


async def _captures(database_url: str, asset_id: str) -> list[CaptureRecord]:
    async with AuditStore.from_url(database_url) as store:
        return await store.captures(asset_id)
