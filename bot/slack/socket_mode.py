"""Socket Mode (when `SLACK_APP_TOKEN` is set): the same app over a WebSocket, no public URL.

`SocketModeLink` keeps the connection for `bot.web`, which serves `/healthz`, `/readyz` and
`/metrics` on `PORT` in this mode too: it connects in the background, so the process
answers health checks and stops on SIGTERM whatever Slack does, and it reports whether the
WebSocket is up (`/readyz`). A refused app token is one log line naming `SLACK_APP_TOKEN`,
then quiet retries with backoff; the SDK's own connection errors are logged as one line,
never a traceback a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.config import Settings
from bot.slack.request import SlackRequest

log = logging.getLogger(__name__)
#: Longest wait between two attempts to connect.
RETRY_MAX_S = 60.0


def _without_traceback(record: logging.LogRecord) -> bool:
    record.exc_info = record.exc_text = None
    return True


#: The SDK's client logs each failed (re)connection with a full traceback: one line here.
_SDK_LOG = logging.getLogger(f"{__name__}.sdk")
_SDK_LOG.addFilter(_without_traceback)


class SocketModeHandler(AsyncSocketModeHandler):
    """Bolt's aiohttp handler, with each envelope read by `SlackRequest` like an HTTP body
    (an envelope of odd shape is answered, not a failure inside Bolt)."""

    async def handle(
        self, client: AsyncBaseSocketModeClient, req: SocketModeRequest
    ) -> None:
        started = time.time()
        payload = req.payload if isinstance(req.payload, dict) else {}
        request = SlackRequest(body=payload, mode="socket_mode", headers=build_headers(req))
        response = await self.app.async_dispatch(request)
        await send_async_response(client, req, response, started)


class SocketModeLink:
    """The Socket Mode connection of one process: `start()`, `connected()`, `close()`."""

    def __init__(self, app: AsyncApp, settings: Settings) -> None:
        if settings.slack_app_token is None:
            raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
        self.handler = SocketModeHandler(
            app, settings.slack_app_token.get_secret_value(), logger=_SDK_LOG)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._connect())

    async def connected(self) -> bool:
        return await self.handler.client.is_connected()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.handler.close_async()

    async def _connect(self) -> None:
        """Ask Slack for a WebSocket URL and connect; on failure say why once, retry."""
        client = self.handler.client
        delay, told = 1.0, ""
        while True:
            try:
                opened = await client.web_client.apps_connections_open(
                    app_token=client.app_token)
                client.wss_uri = opened["url"]
                await client.connect()
                log.info("connected to Slack in Socket Mode")
                return
            except SlackApiError as exc:
                problem = (f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): "
                           "set it to the app-level token (xapp-…) with connections:write; "
                           "not ready, retrying quietly")
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                problem = (f"cannot reach Slack to open the Socket Mode connection "
                           f"({type(exc).__name__}); not ready, retrying quietly")
            if problem != told:
                log.error("%s", problem)
                told = problem
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
