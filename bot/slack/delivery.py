"""Posting to a `response_url`, with retries and the links-only fallback for pictures.

Why `response_url` and not `chat.postMessage`: it needs no `chat:write` scope and no bot
membership of the channel (it works in private channels and DMs the bot was never invited
to), and it is the only way to replace an ephemeral picker. Its budget is 5 posts in 30
minutes per URL; every flow of the bot stays at 4 or fewer, 5 with the CDN follow-up
after a change (see `bot.slack.flows`).

Slack fetches every picture itself and refuses the whole message (`invalid_blocks`,
"downloading image failed") when it cannot: `send_with_fallback` then sends the same
message built without pictures, which says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.blocks import Message, image_urls

log = logging.getLogger(__name__)


def retry_handlers() -> list[Any]:
    """Connection errors, 429 (honouring Retry-After) and 5xx, a couple of times each."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


#: Shared by every `response_url` post: the handlers keep no state between requests.
_RETRY_HANDLERS = retry_handlers()


class ResponseUrl:
    """One interaction's `response_url`; `None` (nothing to answer to) sends nothing.

    Its posts (up to 4 per interaction) share one `AsyncWebhookClient` (the SDK binds a
    client to its URL) on the process's aiohttp session.
    """

    def __init__(
        self, url: str | None, *, session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._client = (
            AsyncWebhookClient(url, timeout=int(timeout), session=session,
                               retry_handlers=_RETRY_HANDLERS)
            if url else None
        )

    async def send(
        self, msg: Message, *, in_channel: bool = False, replace: bool = False
    ) -> tuple[bool, str]:
        """Post `msg`; `(ok, Slack's answer body)`. Failures are logged, never raised."""
        if self._client is None:
            log.warning("no response_url to answer to; message dropped: %s", msg.get("text"))
            return False, "no response_url"
        body = {
            **msg,
            "response_type": "in_channel" if in_channel else "ephemeral",
            "replace_original": replace,
        }
        try:
            response = await self._client.send_dict(body)
        except Exception as exc:  # connection failures after the retries
            log.warning("posting to response_url failed: %s", exc)
            return False, str(exc)
        ok = response.status_code == 200
        if not ok:
            log.warning("response_url answered %s: %s", response.status_code,
                        (response.body or "")[:300])
        return ok, response.body or ""

    async def send_with_fallback(
        self, build: Callable[[bool], Message], *, in_channel: bool = False, replace: bool = False
    ) -> bool:
        """Send `build(True)`; if Slack cannot download its pictures, send `build(False)`."""
        first = build(True)
        ok, answer = await self.send(first, in_channel=in_channel, replace=replace)
        if ok or not image_urls(first) or not image_refused(answer):
            return ok
        log.info("Slack could not download a picture; sending the message without pictures")
        ok, _ = await self.send(build(False), in_channel=in_channel, replace=replace)
        return ok


def image_refused(answer: str) -> bool:
    """Slack refused a message for one of its pictures (`invalid_blocks`)."""
    return "downloading image" in answer or "invalid_blocks" in answer
