"""End to end, issue 5: who may change covers, exactly once, and never without a record.

Bots are started as users start them (`setcover-bot serve`), several of them on one
PostgreSQL database where the test is about processes sharing a store.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import StartBot, run_cli
from tests.slack_requests import USER_ID, click_body, signature_headers

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
INTRUDER = "U0INTRUDER"


def test_an_unauthorized_command_and_click_never_reach_vod(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot()

    _, url = bot.command(KEYNOTE, user_id=INTRUDER)
    (denial,) = bot.posts(url)
    assert denial.body["response_type"] == "ephemeral"
    assert "may change video covers" in denial.text and INTRUDER in denial.all_text()
    assert fake_vod.api_requests == []

    _, url = bot.command(KEYNOTE)  # the editor may: a picker
    (picker,) = bot.posts(url)
    _, click_url = bot.click(picker, action_prefix="use_cover", user_id=INTRUDER)
    denial = bot.posts(click_url, 2)[-1]
    assert INTRUDER in denial.all_text() and "may change video covers" in denial.text
    assert fake_vod.requests_to("/asset/cover") == [] and fake_vod.cover_changes == []

    history = run_cli("history", KEYNOTE, env=bot.settings, cwd=Path(bot.log.name).parent)
    lines = history.stdout.splitlines()
    assert len(lines) == 2 and all("denied" in line and INTRUDER in line for line in lines)


def test_no_rule_means_nobody_and_the_log_says_which_setting(
    start_bot: StartBot, fake_vod: FakeVod
) -> None:
    bot = start_bot(SETCOVER_ALLOWED_USERS="")

    _, url = bot.command(KEYNOTE)
    (denial,) = bot.posts(url)
    assert "SETCOVER_ALLOWED_USERS" in denial.text and USER_ID in denial.all_text()
    assert "nobody may change covers: set SETCOVER_ALLOWED_USERS" in bot.output()
    assert fake_vod.api_requests == []


def test_a_user_group_member_may_and_a_failed_lookup_denies(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    fake_slack.usergroups = {"S0LEADS": ["U0LEAD"]}
    bot = start_bot(SETCOVER_ALLOWED_USERS="", SETCOVER_ALLOWED_USERGROUPS="S0LEADS")

    _, url = bot.command(KEYNOTE, user_id="U0LEAD")
    (picker,) = bot.posts(url)
    assert "use_cover:0" in picker.all_text()
    assert [c.body["usergroup"] for c in fake_slack.api_calls("usergroups.users.list")] == [
        "S0LEADS"]

    fake_slack.usergroups_error = "ratelimited"
    _, url = bot.command(KEYNOTE, user_id="U0OTHER")
    (denial,) = bot.posts(url)
    assert "<!subteam^S0LEADS>" in denial.all_text() and "U0OTHER" in denial.all_text()


def test_the_same_click_twice_at_once_changes_the_cover_once(
    start_bot: StartBot, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    bot = start_bot()
    _, url = bot.command(KEYNOTE)
    (picker,) = bot.posts(url)
    fake_vod.latency["/asset/cover"] = 0.3
    click_url = fake_slack.new_response_url()
    body = click_body(picker.blocks, response_url=click_url, action_prefix="use_cover")

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda _: bot.post(body).status_code, range(2)))

    assert statuses == [200, 200]
    bot.finished("use_cover", 2)  # both clicks' work is over
    assert len(fake_vod.cover_changes) == 1
    in_channel = [p for p in fake_slack.posts_to(click_url)
                  if p.body["response_type"] == "in_channel"]
    assert len(in_channel) == 1
    assert _said_already_done(fake_slack, click_url)


def test_two_processes_on_one_postgresql_make_one_change(
    start_bot: StartBot, postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack,
) -> None:
    first = start_bot(DATABASE_URL=postgres_url)
    second = start_bot(DATABASE_URL=postgres_url)
    _, url = first.command(KEYNOTE)
    (picker,) = first.posts(url)
    fake_vod.latency["/asset/cover"] = 0.3
    click_url = fake_slack.new_response_url()
    body = click_body(picker.blocks, response_url=click_url, action_prefix="use_cover", nth=2)

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda bot: bot.post(body, signature_headers(body)).status_code,
                                 [first, second]))

    assert statuses == [200, 200]
    for bot in (first, second):  # each click's work is over
        bot.finished("use_cover")
    [change] = fake_vod.cover_changes
    assert _said_already_done(fake_slack, click_url)
    for bot in (first, second):
        _, history_url = bot.command(f"history {KEYNOTE}")
        (history,) = bot.posts(history_url)
        assert change.thumbnail_url in history.all_text()
        assert "changed" in history.all_text().lower()


def test_an_unwritable_store_refuses_the_change(
    start_bot: StartBot, postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack,
) -> None:
    bot = start_bot(DATABASE_URL=postgres_url)
    _, url = bot.command(KEYNOTE)
    (picker,) = bot.posts(url)
    _alter_database(postgres_url, "SET default_transaction_read_only = on")

    _, click_url = bot.click(picker, action_prefix="use_cover")

    refusal = bot.posts(click_url, 2)[-1]
    assert refusal.body["response_type"] == "ephemeral"
    assert "not* changed" in refusal.all_text() and "audit log cannot be written" in refusal.text
    assert fake_vod.requests_to("/asset/cover") == [] and fake_vod.cover_changes == []


def _said_already_done(fake_slack: FakeSlack, response_url: str) -> bool:
    """The repeated click was recognised as the same one (not merely told to wait)."""
    return any("already" in post.text for post in fake_slack.posts_to(response_url))


def _alter_database(database_url: str, change: str) -> None:
    """`ALTER DATABASE <it> <change>`, and cut its open connections so it holds at once."""
    name = database_url.rpartition("/")[2]
    admin_url = database_url.rpartition("/")[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" {change}')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )


def test_readyz_says_unready_while_the_store_cannot_be_reached(
    start_bot: StartBot, postgres_url: str, fake_vod: FakeVod,
) -> None:
    bot = start_bot(DATABASE_URL=postgres_url)
    assert bot.http.get("/readyz").status_code == 200

    _alter_database(postgres_url, "ALLOW_CONNECTIONS false")

    ready = bot.http.get("/readyz")
    assert ready.status_code == 503 and ready.json() == {"ok": False, "store": "unavailable"}
    assert bot.http.get("/healthz").status_code == 200
    _, url = bot.command(f"history {KEYNOTE}")
    (answer,) = bot.posts(url)
    assert "audit log cannot be reached" in answer.text
    assert "Traceback" not in answer.all_text()
