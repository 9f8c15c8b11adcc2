"""Requests signed exactly as Slack signs them, and clicks built from the blocks received.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 and the app's signing secret,
sending `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex>`. Slash commands are
form-encoded; interactivity is a form with one field, `payload`, holding JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234-5678-faketoken"
TEAM_ID = "T0TEAM"
CHANNEL_ID = "C0VIDEO"
USER_ID = "U0EDITOR"

_triggers = itertools.count(1)


def slack_json(value: Any) -> str:
    """JSON as Slack writes it, every `/` escaped as `\\/` (valid JSON; what reads or
    redacts Slack's payloads must expect it)."""
    return json.dumps(value).replace("/", "\\/")


def signature_headers(
    body: str | bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Slack's headers for `body`: signed over its raw bytes (a str is sent as UTF-8)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body if isinstance(body, bytes) else body.encode()
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def command_body(
    text: str, *, response_url: str, user_id: str = USER_ID, channel_id: str = CHANNEL_ID,
    team_id: str = TEAM_ID, command: str = "/setcover",
) -> str:
    """The form Slack posts for a slash command (fields in Slack's order)."""
    return urlencode({
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "videoteam",
        "channel_id": channel_id,
        "channel_name": "video",
        "user_id": user_id,
        "user_name": "editor",
        "command": command,
        "text": text,
        "api_app_id": "A0SETCOVER",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_triggers)}.1234.abcdef",
    })


def find_button(
    blocks: list[dict[str, Any]], *, text: str | None = None, action_prefix: str | None = None,
    nth: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `nth` button (and its block) whose label or action_id prefix matches."""
    found = []
    for block in blocks:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") != "button":
                continue
            if text is not None and element["text"]["text"] != text:
                continue
            if action_prefix is not None and not element["action_id"].startswith(action_prefix):
                continue
            found.append((block, element))
    if len(found) <= nth:
        raise AssertionError(f"no button {text or action_prefix!r} #{nth} in {blocks}")
    return found[nth]


def click_body(
    blocks: list[dict[str, Any]], *, response_url: str, text: str | None = None,
    action_prefix: str | None = None, nth: int = 0, user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID, team_id: str = TEAM_ID,
) -> str:
    """The `payload=` form Slack posts when a button of an ephemeral message is clicked."""
    block, button = find_button(blocks, text=text, action_prefix=action_prefix, nth=nth)
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "editor", "name": "editor", "team_id": team_id},
        "api_app_id": "A0SETCOVER",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": "1700000000.000100",
                      "channel_id": channel_id, "is_ephemeral": True},
        "trigger_id": f"{next(_triggers)}.1234.abcdef",
        "team": {"id": team_id, "domain": "videoteam"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "video"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [{
            "action_id": button["action_id"],
            "block_id": block.get("block_id", "b"),
            "text": button["text"],
            "value": button.get("value", ""),
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }],
    }
    return urlencode({"payload": slack_json(payload)})


def view_submission_body(
    view: dict[str, Any], values: dict[str, dict[str, str]], *, user_id: str = USER_ID,
    team_id: str = TEAM_ID, view_id: str = "V0CAPTURE",
) -> str:
    """The `payload=` form Slack posts when a modal opened with `view` is submitted;
    `values` maps block_id → action_id → the text typed into that plain_text_input;
    `view_id` tells one opened modal from another."""
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "videoteam"},
        "user": {"id": user_id, "username": "editor", "name": "editor", "team_id": team_id},
        "api_app_id": "A0SETCOVER",
        "token": "deprecated-verification-token",
        "trigger_id": f"{next(_triggers)}.1234.abcdef",
        "view": {
            **view,
            "id": view_id,
            "team_id": team_id,
            "state": {"values": {
                block: {action: {"type": "plain_text_input", "value": text}
                        for action, text in actions.items()}
                for block, actions in values.items()
            }},
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": slack_json(payload)})
