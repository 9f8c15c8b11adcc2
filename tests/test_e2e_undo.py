"""End to end, issue 12: Undo on the outcome in the channel, and `setcover-bot undo`.

Each test starts `setcover-bot serve`; the store scenarios run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests import blockkit
from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.processes import ServedBot, StartBot, run_cli
from tests.slack_requests import click_body, signature_headers

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
FIRST = snapshot_url(KEYNOTE, "sample", 0)
SECOND = snapshot_url(KEYNOTE, "sample", 1)
THIRD = snapshot_url(KEYNOTE, "sample", 2)


def set_cover(bot: ServedBot, url: str) -> Recorded:
    """Set `url` as the cover with the slash command; the outcome the channel saw."""
    _, response_url = bot.command(url)
    (outcome,) = bot.posts(response_url)
    assert outcome.body["response_type"] == "in_channel", outcome.all_text()
    return outcome


def refused_undo(bot: ServedBot, outcome: Recorded, **click: str) -> Recorded:
    """Click Undo on `outcome`: the one answer, to the clicker only."""
    _, click_url = bot.click(outcome, text="Undo", **click)
    (answer,) = bot.posts(click_url)
    assert answer.body["response_type"] == "ephemeral", answer.all_text()
    assert answer.body.get("replace_original") is not True  # the outcome stays as it was
    return answer


def history(bot: ServedBot) -> list[str]:
    done = run_cli("history", KEYNOTE, env=bot.settings, cwd=Path(bot.log.name).parent)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_undo_puts_the_earlier_cover_back_and_can_itself_be_undone(
    start_bot: StartBot, database_url: str, fake_vod: FakeVod
) -> None:
    bot = start_bot(DATABASE_URL=database_url)
    set_cover(bot, FIRST)
    outcome = set_cover(bot, SECOND)
    assert "Undo" in outcome.all_text() and blockkit.problems(
        {"text": outcome.text, "blocks": outcome.blocks}) == []
    # Which frame, the new cover, and the previous one small beside the headline.
    headline = outcome.blocks[0]
    assert "to the frame at *0:10* (frame 3 of 6)" in headline["text"]["text"]
    assert headline["accessory"]["image_url"] == FIRST
    assert outcome.blocks[1]["image_url"] == SECOND

    _, click_url = bot.click(outcome, text="Undo", user_id="U0EDITOR")
    marked, told = bot.posts(click_url, 2)
    assert marked.body["replace_original"] is True and marked.body["response_type"] == "in_channel"
    assert "Undone by <@U0EDITOR>" in marked.all_text() and "Undo\"" not in marked.all_text()
    assert told.body["response_type"] == "in_channel" and told.body["replace_original"] is False
    assert ("<@U0EDITOR> undid <@U0EDITOR>'s change of the cover of *Launch keynote*: it is "
            "back to the frame at *0:00* (frame 1 of 6)") in told.all_text()
    assert told.blocks[1]["image_url"] == FIRST and "change 3" in told.all_text()
    assert fake_vod.assets[KEYNOTE].cover_url == FIRST
    lines = history(bot)
    assert len(lines) == 3 and "(undo of 2)" in lines[0] and FIRST in lines[0]
    assert [line.split()[0] for line in lines] == ["3", "2", "1"]

    _, again_url = bot.click(told, text="Undo")  # the undo is undoable too
    bot.posts(again_url, 2)
    assert fake_vod.assets[KEYNOTE].cover_url == SECOND
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [FIRST, SECOND, FIRST, SECOND]


def test_undo_clicked_twice_at_once_makes_one_change(
    start_bot: StartBot, database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot(DATABASE_URL=database_url)
    set_cover(bot, FIRST)
    outcome = set_cover(bot, SECOND)
    fake_vod.latency["/asset/cover"] = 0.3
    urls = [fake_slack.new_response_url() for _ in range(2)]
    bodies = [click_body(outcome.blocks, response_url=u, text="Undo") for u in urls]

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda b: bot.post(b, signature_headers(b)).status_code,
                                 bodies))

    assert statuses == [200, 200]
    answers = wait_until(lambda: (p := [x for u in urls for x in fake_slack.posts_to(u)])
                         and len(p) >= 3 and p)
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [FIRST, SECOND, FIRST]
    assert any("already" in a.all_text() for a in answers)
    assert sum("'s change of the cover of" in a.all_text() for a in answers) == 1
    assert len(history(bot)) == 3  # the refused second click is not a change


def test_an_earlier_cover_that_was_no_snapshot_cannot_be_undone(
    start_bot: StartBot, fake_vod: FakeVod
) -> None:
    bot = start_bot()
    outcome = set_cover(bot, FIRST)  # the cover before was the uploaded Cover0.jpg
    fake_vod.reset_requests()

    answer = refused_undo(bot, outcome)
    assert "cannot be undone" in answer.text and "not one of the video's snapshots" in answer.text
    assert f"Pick one with `/setcover {KEYNOTE}`" in answer.all_text()
    assert fake_vod.api_requests == []
    assert fake_vod.assets[KEYNOTE].cover_url == FIRST


def test_only_allowed_people_undo(start_bot: StartBot, fake_vod: FakeVod) -> None:
    bot = start_bot()
    set_cover(bot, FIRST)
    outcome = set_cover(bot, SECOND)
    _, click_url = bot.click(outcome, text="Undo", user_id="U0INTRUDER")
    (answer,) = bot.posts(click_url)
    assert "may change video covers" in answer.text
    assert fake_vod.assets[KEYNOTE].cover_url == SECOND and len(fake_vod.cover_changes) == 2


def test_cli_undo_by_change_id(tmp_path: Path, fake_vod: FakeVod) -> None:
    env = fake_vod.settings_env() | {"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    assert run_cli("set-cover", FIRST, env=env, cwd=tmp_path).returncode == 0
    first = run_cli("undo", "1", env=env, cwd=tmp_path)
    assert first.returncode == 1 and "not one of the video's snapshots" in first.stderr
    assert f"`setcover-bot snapshots {KEYNOTE}` lists its snapshots" in first.stderr
    assert "/setcover" not in first.stderr  # a terminal's words in a terminal
    assert run_cli("set-cover", SECOND, env=env, cwd=tmp_path).returncode == 0

    undone = run_cli("undo", "2", env=env, cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("changed: change 3 undid change 2: the cover of ")
    assert FIRST in undone.stdout and "To undo: setcover-bot undo 3" in undone.stdout
    assert fake_vod.assets[KEYNOTE].cover_url == FIRST

    again = run_cli("undo", "2", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "already undone (change 3)" in again.stderr
    older = run_cli("undo", "1", env=env, cwd=tmp_path)
    assert older.returncode == 1 and "changed again after it (change 3, by cli:" in older.stderr
    assert "Undo that one first (setcover-bot undo 3)" in older.stderr
    missing = run_cli("undo", "99", env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "nothing to undo" in missing.stderr
    assert len(fake_vod.cover_changes) == 3


def test_undo_is_refused_while_another_change_of_the_video_is_in_flight(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot()
    set_cover(bot, FIRST)
    outcome = set_cover(bot, SECOND)
    fake_vod.latency["/asset/cover"] = 1.5
    _, slow_url = bot.command(snapshot_url(KEYNOTE, "sample", 2))
    wait_until(lambda: fake_vod.requests_to("/asset/cover")[2:])  # the third change is at VOD

    _, click_url = bot.click(outcome, text="Undo")
    (answer,) = bot.posts(click_url)
    assert "Another cover change" in answer.text and "in progress" in answer.text
    bot.posts(slow_url)
    assert [c.thumbnail_url for c in fake_vod.cover_changes][-1] == snapshot_url(
        KEYNOTE, "sample", 2)
    assert len(fake_vod.cover_changes) == 3


def test_undo_on_an_older_outcome_names_the_later_change_and_keeps_it(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    """Issue 16, defect 3: covers A → B → C; Undo on B would set A and throw C away."""
    bot = start_bot(SETCOVER_ALLOWED_USERS="U0EDITOR,U0LEAD")
    set_cover(bot, FIRST)
    b_outcome = set_cover(bot, SECOND)
    _, c_url = bot.command(THIRD, user_id="U0LEAD")
    bot.posts(c_url)
    fake_vod.reset_requests()

    answer = refused_undo(bot, b_outcome)
    text = answer.all_text()
    assert "cannot be undone" in text and "changed again after it, by <@U0LEAD>" in text
    assert "Undo that change first" in text and f"`/setcover {KEYNOTE}`" in text
    assert "For support: asset " + KEYNOTE + " · change 3" in text
    assert blockkit.problems({"text": answer.text, "blocks": answer.blocks}) == []
    assert fake_vod.requests_to("/asset/cover") == []
    assert fake_vod.assets[KEYNOTE].cover_url == THIRD
    assert not any("undid" in p.all_text() for p in fake_slack.hook_posts)


def test_undo_after_a_change_in_the_vod_console_is_refused(
    start_bot: StartBot, fake_vod: FakeVod
) -> None:
    bot = start_bot()
    set_cover(bot, FIRST)
    outcome = set_cover(bot, SECOND)
    fake_vod.assets[KEYNOTE].cover_url = THIRD
    fake_vod.reset_requests()

    answer = refused_undo(bot, outcome)
    assert "changed outside the bot" in answer.text and "VOD console" in answer.text
    assert f"Pick one with `/setcover {KEYNOTE}`" in answer.all_text()
    assert fake_vod.requests_to("/asset/cover") == []
    assert fake_vod.assets[KEYNOTE].cover_url == THIRD


def test_undo_from_another_workspace_finds_nothing_on_record(
    start_bot: StartBot, fake_vod: FakeVod
) -> None:
    """Issue 16, defect 11: a change id is the whole key of an Undo button; another
    workspace's click on it (a forged or copied button) learns nothing and changes nothing."""
    bot = start_bot()
    set_cover(bot, FIRST)
    outcome = set_cover(bot, SECOND)
    fake_vod.reset_requests()

    answer = refused_undo(bot, outcome, team_id="T0OTHER")
    assert "Change 2 is not on record as a cover change that succeeded" in answer.text
    assert fake_vod.api_requests == [] and fake_vod.assets[KEYNOTE].cover_url == SECOND
