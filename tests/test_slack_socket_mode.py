"""Socket Mode is the same app behind Bolt's aiohttp Socket Mode handler; no real Slack."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.config import Settings
from bot.slack import socket_mode
from bot.slack.app import build_app
from tests.fakes.slack_server import FakeSlack
from tests.slack_requests import BOT_TOKEN

APP_TOKEN = "xapp-1-A0SETCOVER-1234-abcdef"


def settings(fake_slack: FakeSlack) -> Settings:
    return Settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                    slack_api_url=fake_slack.api_url)


async def test_handler_wraps_the_same_app_and_client(fake_slack: FakeSlack) -> None:
    config = settings(fake_slack)
    assert config.socket_mode
    app, _ = build_app(config, SimpleNamespace(covers=None))  # type: ignore[arg-type]
    handler = socket_mode.make_handler(app, config)
    assert isinstance(handler, AsyncSocketModeHandler)
    assert handler.app is app
    assert handler.client.app_token == APP_TOKEN
    assert handler.client.web_client is app.client
    assert app.client.base_url == fake_slack.api_url
    assert inspect.iscoroutinefunction(socket_mode.run)
    await handler.close_async()


async def test_socket_mode_requests_reach_the_listeners_without_a_signature(
    fake_slack: FakeSlack,
) -> None:
    config = settings(fake_slack)
    app, runtime = build_app(config, SimpleNamespace(covers=None))  # type: ignore[arg-type]
    body = {"command": "/setcover", "text": "help", "team_id": "T1", "channel_id": "C1",
            "user_id": "U1", "response_url": fake_slack.new_response_url()}
    response = await app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    assert "Examples" in response.body
    await asyncio.wait_for(runtime.drain(), 5)
