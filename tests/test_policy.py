"""The policy against the fake Slack: rules, user groups, failures, and the group cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.policy import Policy
from tests.fakes.slack_server import FakeSlack

GROUPS = {"S1": ["U1", "U2"], "S2": ["U3"]}


@pytest.fixture
async def slack_client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    fake_slack.usergroups = {name: list(members) for name, members in GROUPS.items()}
    client = AsyncWebClient(base_url=fake_slack.api_url, token="xoxb-test", timeout=5)
    yield client
    if client.session is not None:
        await client.session.close()


def policy(client: AsyncWebClient | None, **rules: str) -> Policy:
    settings = Settings(**{f"setcover_allowed_{name}": value for name, value in rules.items()})
    return Policy.from_settings(settings, client)


ALLOW = "allow"
# (rules, team, channel, user, expected: ALLOW or words the denial must contain)
CASES = [
    # nothing configured: nobody
    ({}, "T1", "C1", "U1", ["Nobody", "U1", "SETCOVER_ALLOWED_USERS"]),
    # who rules alone
    ({"users": "U1,U9"}, "T1", "C1", "U9", ALLOW),
    ({"users": "U9"}, "T1", "C1", "U1", ["listed users", "U1", "SETCOVER_ALLOWED_USERS"]),
    ({"usergroups": "S1"}, "T1", "C1", "U2", ALLOW),
    ({"usergroups": "S1"}, "T1", "C1", "U3", ["<!subteam^S1>", "your id U3"]),
    ({"usergroups": "S1,S2"}, "T1", "C1", "U3", ALLOW),
    ({"users": "U9", "usergroups": "S1"}, "T1", "C1", "U1", ALLOW),
    ({"users": "U9", "usergroups": "S1"}, "T1", "C1", "U3",
     ["Only members of <!subteam^S1> or listed users may change video covers.",
      "Ask an admin to add your id U3 to SETCOVER_ALLOWED_USERS."]),
    # a group Slack does not know is not a way in
    ({"usergroups": "S404"}, "T1", "C1", "U1", ["S404", "no_such_subteam", "U1"]),
    ({"usergroups": "S404,S1"}, "T1", "C1", "U1", ALLOW),
    # where rules alone: anyone there
    ({"channels": "C1"}, "T1", "C1", "U7", ALLOW),
    ({"channels": "C1,C2"}, "T1", "C3", "U7",
     ["<#C1>, <#C2>", "(C3)", "SETCOVER_ALLOWED_CHANNELS", "U7"]),
    ({"teams": "T1"}, "T1", "C9", "U7", ALLOW),
    ({"teams": "T1"}, "T2", "C1", "U7", ["workspace (T2)", "SETCOVER_ALLOWED_TEAMS", "U7"]),
    ({"channels": "C1", "teams": "T1"}, "T1", "C1", "U7", ALLOW),
    ({"channels": "C1", "teams": "T1"}, "T2", "C1", "U7", ["SETCOVER_ALLOWED_TEAMS"]),
    ({"channels": "C1", "teams": "T1"}, "T1", "C2", "U7", ["SETCOVER_ALLOWED_CHANNELS"]),
    # who and where: both must hold
    ({"users": "U1", "channels": "C1"}, "T1", "C1", "U1", ALLOW),
    ({"users": "U1", "channels": "C1"}, "T1", "C2", "U1", ["SETCOVER_ALLOWED_CHANNELS", "U1"]),
    ({"users": "U1", "channels": "C1"}, "T1", "C1", "U2",
     ["listed users may change video covers here", "U2"]),
    ({"usergroups": "S1", "teams": "T1"}, "T1", "C5", "U2", ALLOW),
    ({"usergroups": "S1", "teams": "T1"}, "T2", "C5", "U2", ["SETCOVER_ALLOWED_TEAMS"]),
    ({"users": "U1", "usergroups": "S2", "channels": "C1", "teams": "T1"}, "T1", "C1", "U3",
     ALLOW),
]


@pytest.mark.parametrize(("rules", "team", "channel", "user", "expected"), CASES)
async def test_decisions(
    slack_client: AsyncWebClient,
    rules: dict[str, str],
    team: str,
    channel: str,
    user: str,
    expected: str | list[str],
) -> None:
    decision = await policy(slack_client, **rules).check(team, channel, user)
    if expected == ALLOW:
        assert decision.allowed, decision.reason
    else:
        assert not decision.allowed
        for words in expected:
            assert words in decision.reason


@pytest.mark.parametrize("error", ["missing_scope", "ratelimited", "invalid_auth"])
async def test_a_failing_group_lookup_denies(
    fake_slack: FakeSlack, slack_client: AsyncWebClient, error: str
) -> None:
    fake_slack.usergroups_error = error
    decision = await policy(slack_client, usergroups="S1").check("T1", "C1", "U1")
    assert not decision.allowed
    assert f"Slack answered {error}" in decision.reason
    assert "could not be checked" in decision.reason
    assert "your id U1" in decision.reason


async def test_listed_users_need_no_group_lookup(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    fake_slack.usergroups_error = "fatal_error"
    decision = await policy(slack_client, users="U1", usergroups="S1").check("T1", "C1", "U1")
    assert decision.allowed
    assert fake_slack.api_calls("usergroups.users.list") == []


async def test_unreachable_slack_denies() -> None:
    client = AsyncWebClient(base_url="http://127.0.0.1:1/api/", token="xoxb-test", timeout=2)
    decision = await policy(client, usergroups="S1").check("T1", "C1", "U1")
    assert not decision.allowed
    assert "Slack could not be reached" in decision.reason


async def test_no_slack_client_denies_group_members() -> None:
    decision = await policy(None, usergroups="S1").check("T1", "C1", "U1")
    assert not decision.allowed
    assert "no Slack connection" in decision.reason


async def test_group_members_are_cached(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    now = [1000.0]
    rules = policy(slack_client, usergroups="S1")
    rules._clock = lambda: now[0]

    assert (await rules.check("T1", "C1", "U1")).allowed
    assert not (await rules.check("T1", "C1", "U3")).allowed
    assert len(fake_slack.api_calls("usergroups.users.list")) == 1
    assert fake_slack.api_calls("usergroups.users.list")[0].body["usergroup"] == "S1"

    fake_slack.usergroups["S1"].append("U3")  # joins the group; seen once the cache ages
    now[0] += 59
    assert not (await rules.check("T1", "C1", "U3")).allowed
    now[0] += 2
    assert (await rules.check("T1", "C1", "U3")).allowed
    assert len(fake_slack.api_calls("usergroups.users.list")) == 2


async def test_failures_are_not_cached(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    rules = policy(slack_client, usergroups="S1")
    fake_slack.usergroups_error = "ratelimited"
    assert not (await rules.check("T1", "C1", "U1")).allowed
    fake_slack.usergroups_error = None
    assert (await rules.check("T1", "C1", "U1")).allowed


async def test_concurrent_checks_share_one_lookup(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    rules = policy(slack_client, usergroups="S1,S2")
    decisions = await asyncio.gather(
        *(rules.check("T1", "C1", user) for user in ["U1", "U2", "U3", "U4"] * 5)
    )
    assert [d.allowed for d in decisions[:4]] == [True, True, True, False]
    calls = fake_slack.api_calls("usergroups.users.list")
    assert sorted(call.body["usergroup"] for call in calls) == ["S1", "S2"]


async def test_a_check_given_up_leaves_the_others_their_shared_lookup(
    fake_slack: FakeSlack, slack_client: AsyncWebClient
) -> None:
    rules = policy(slack_client, usergroups="S1")
    fake_slack.usergroups_delay_s = 1.0
    given_up = asyncio.ensure_future(rules.check("T1", "C1", "U1"))
    waiting = [asyncio.ensure_future(rules.check("T1", "C1", user)) for user in ("U2", "U3")]
    await asyncio.sleep(0.3)  # all three wait on the one lookup under way
    given_up.cancel()
    member, stranger = await asyncio.gather(*waiting)
    assert member.allowed and not stranger.allowed
    assert "could not be checked" not in stranger.reason
    assert len(fake_slack.api_calls("usergroups.users.list")) == 1


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({}, "nobody may change covers: set SETCOVER_ALLOWED_USERS or "
             "SETCOVER_ALLOWED_USERGROUPS"),
        ({"users": "U2,U1", "usergroups": "S1"},
         "covers may be changed by users U1, U2 or members of user groups S1"),
        ({"channels": "C1", "teams": "T1"},
         "covers may be changed by anyone (no SETCOVER_ALLOWED_USERS or "
         "SETCOVER_ALLOWED_USERGROUPS set), only in channels C1, only in workspaces T1"),
    ],
)
def test_describe(rules: dict[str, str], expected: str) -> None:
    assert expected in policy(None, **rules).describe()
