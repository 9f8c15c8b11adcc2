"""What `bot.slack.request` relies on in Bolt's internals (see the comment at its imports).

Each test pins one behaviour of the slack-bolt version in pyproject.toml; when a release
changes it, the test fails and says what to look at before raising the pin.
"""

from __future__ import annotations

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

from bot.slack.blocks import ActionId, use_cover_value
from bot.slack.request import SlackRequest
from tests.slack_requests import click_body, command_body

FORM = "application/x-www-form-urlencoded"
HEADERS = {"content-type": [FORM]}
RESPONSE_URL = "https://hooks.slack.com/commands/T0TEAM/1/x"


def test_bolt_still_misreads_a_command_whose_text_says_payload() -> None:
    """Why `SlackRequest` parses the body itself. If this fails, Bolt reads such a form
    as a form: `parse_slack_body` may no longer be needed."""
    body = command_body("search payload", response_url=RESPONSE_URL)
    assert parse_body(body, FORM) == {}
    assert SlackRequest(body=body, headers=HEADERS).body["text"] == "search payload"


def test_our_context_is_the_one_bolt_builds_for_a_well_formed_request() -> None:
    """`build_async_context` on our parse gives what Bolt's own request gives: if Bolt
    derives more (or other) context fields, this names them."""
    blocks = [{"type": "actions", "block_id": "b", "elements": [{
        "type": "button", "action_id": f"{ActionId.USE_COVER}:0", "value":
        use_cover_value("a" * 32, "nonce", "https://x/asset/a/snapshot/sample/0.jpg"),
        "text": {"type": "plain_text", "text": "Use"}}]}]
    for body in (command_body("help", response_url=RESPONSE_URL),
                 click_body(blocks, response_url=RESPONSE_URL, action_prefix="use_cover")):
        ours = SlackRequest(body=body, headers=HEADERS)
        bolts = AsyncBoltRequest(body=body, headers=HEADERS)
        assert ours.unreadable is None
        assert ours.body == bolts.body
        assert dict(ours.context) == dict(bolts.context)


def test_an_odd_body_is_marked_not_raised() -> None:
    """Bolt's context builder and its `to_*` views raise on a field of the wrong type;
    `SlackRequest` marks the body unreadable instead."""
    body = '{"type": "block_actions", "team": 5, "actions": [{"action_id": "x"}]}'
    request = SlackRequest(body=body, headers={"content-type": ["application/json"]})
    assert request.unreadable
