"""Socket Mode (when `SLACK_APP_TOKEN` is set): the same app over a WebSocket, no public URL.

`run(settings)` opens the services, connects, and on SIGTERM/SIGINT disconnects, waits for
the work under way and closes the services.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.covers import open_services
from bot.slack.app import build_app, open_web_client

log = logging.getLogger(__name__)


def make_handler(app: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    """The aiohttp Socket Mode handler for `app` (it shares the app's Web API client)."""
    if settings.slack_app_token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
    return AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())


async def run(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with open_web_client(settings) as client, open_services(
        settings, client
    ) as services:
        app, runtime = build_app(settings, services, client=client)
        handler = make_handler(app, settings)
        await handler.connect_async()
        log.info("connected to Slack in Socket Mode; %s", services.policy.describe())
        try:
            await stop.wait()
        finally:
            await handler.close_async()
            await runtime.drain()
