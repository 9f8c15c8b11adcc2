"""manifest.yaml against the code: the commands it declares are the ones the app answers,
interactivity is on because the app has buttons, and its bot scopes are exactly those the
Web API methods called in bot/ need."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.check import BOT_SCOPES
from bot.config import Settings
from bot.slack.app import build_app
from bot.slack.blocks import COMMAND
from bot.slack.request import SlackRequest
from tests.fakes.server import async_wait_until
from tests.fakes.slack_server import FakeSlack
from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET, command_body, signature_headers

ROOT = Path(__file__).resolve().parents[1]

#: The bot scope each Web API method needs (https://api.slack.com/methods). A method the
#: code starts calling must be added here, and its scope to the manifest.
SCOPES_OF_METHODS = {
    "auth_test": None,
    "apps_connections_open": None,  # takes the app-level token, not the bot's
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "usergroups_users_list": "usergroups:read",
    "usergroups_list": "usergroups:read",
    "users_info": "users:read",
    "conversations_info": "channels:read",
    "conversations_members": "channels:read",
    "views_open": None,
    "files_upload_v2": "files:write",
    "files_delete": "files:write",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text())


def web_api_methods_called() -> set[str]:
    """Every AsyncWebClient method the bot's source calls (`.usergroups_users_list(`)."""
    known = {name for name in dir(AsyncWebClient) if not name.startswith("_")}
    called: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for name in re.findall(r"\.([a-z]+_[A-Za-z_]+)\(", path.read_text()):
            if name in known and name not in {"api_call"}:
                called.add(name)
        if "api_call(" in path.read_text():
            called.add("api_call")
    return called


def test_scopes_are_exactly_what_the_code_uses(manifest: dict[str, Any]) -> None:
    called = web_api_methods_called()
    assert "api_call" not in called, "call Web API methods by name so scopes can be checked"
    unknown = called - SCOPES_OF_METHODS.keys()
    assert not unknown, f"add the scopes of {unknown} to SCOPES_OF_METHODS and the manifest"
    needed = {"commands"} | {SCOPES_OF_METHODS[m] for m in called} - {None}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_check_looks_for_the_manifest_scopes(manifest: dict[str, Any]) -> None:
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])


def test_no_chat_write_because_replies_use_response_url(manifest: dict[str, Any]) -> None:
    assert not any(s.startswith("chat:") for s in manifest["oauth_config"]["scopes"]["bot"])


def test_display_and_settings(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert manifest["features"]["bot_user"]["display_name"]
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["socket_mode_enabled"] is True  # the README's quick start


def test_slash_command_declared_as_the_app_registers_it(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    (command,) = commands
    assert command["url"].endswith("/slack/events")
    assert command["description"] and len(command["description"]) <= 2000
    assert "search" in command["usage_hint"] and len(command["usage_hint"]) <= 1000
    assert command["should_escape"] is False


async def test_the_app_answers_the_manifest_commands_and_no_other(
    manifest: dict[str, Any], fake_slack: FakeSlack
) -> None:
    settings = Settings(_env_file=None, slack_bot_token=BOT_TOKEN,
                        slack_signing_secret=SIGNING_SECRET, slack_api_url=fake_slack.api_url)
    services = SimpleNamespace(covers=None, store=None, sheet_maker=None, url_signer=str)
    app, runtime = build_app(settings, services)  # type: ignore[arg-type]

    async def answer(command: str) -> tuple[str, str]:
        url = fake_slack.new_response_url()
        body = command_body("help", response_url=url, command=command)
        request = SlackRequest(body=body, headers=signature_headers(body))
        response = await app.async_dispatch(request)
        assert response.status == 200  # never a 404: Slack would show "dispatch_failed"
        return response.body, url

    for declared in manifest["features"]["slash_commands"]:
        body, _ = await answer(declared["command"])
        assert "Examples" in body
    body, url = await answer("/not-in-the-manifest")
    assert "Examples" not in body
    (told,) = await async_wait_until(lambda: fake_slack.posts_to(url))
    assert "cannot handle" in told.text and "/not-in-the-manifest" in told.text
    await runtime.drain()
