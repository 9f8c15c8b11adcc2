"""The Bolt app: `build_app(settings, services)` wires the listeners and the one error mapping.

Listeners are thin: they `ack()` at once and hand the work (parse → authorize → call →
render, in `bot.slack.flows`) to `bot.slack.runtime.Runtime.spawn`, which tracks the
task so a shutdown finishes it. Whatever goes wrong reaches `describe_error`, through
`@app.error` or the task guard: a user-facing ephemeral message, never a stack trace;
unknown errors are logged with an id the user can quote.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.config import Settings
from bot.services import Services
from bot.slack import actions, blocks, commands, tracing
from bot.slack.delivery import retry_handlers
from bot.slack.errors import describe_error
from bot.slack.request import shape_problem
from bot.slack.runtime import Runtime
from bot.slack.sheets import SheetUploads

log = logging.getLogger(__name__)
#: Seconds any one call to Slack (Web API or `response_url`) may take.
SLACK_TIMEOUT_S = 10.0
_BOLT_LOG = logging.getLogger("slack_bolt.AsyncApp")

def make_web_client(
    settings: Settings, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL, retries for rate limits and server errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(
        token=token, base_url=settings.slack_api_url, timeout=int(SLACK_TIMEOUT_S),
        session=session,
    )
    client.retry_handlers = retry_handlers()
    return client


@asynccontextmanager
async def open_web_client(
    settings: Settings, *, timeout_s: float = SLACK_TIMEOUT_S
) -> AsyncIterator[AsyncWebClient]:
    """The process's Web API client on one aiohttp session, which `response_url` posts share.

    The session carries the timeout: slack_sdk's clients pass theirs only to sessions they
    make themselves, so on a shared session a Slack that never answers would hold a post
    (and the task behind it) forever.
    """
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield make_web_client(settings, session)


def _no_unused_token_warning(record: logging.LogRecord) -> bool:
    return "will be unused" not in record.getMessage()


class CoverApp(tracing.TracedApp):
    """Bolt's app, which answers a request it cannot read itself instead of failing on it.

    Bolt builds every listener's and error handler's arguments from the body (`action`,
    `view`, …), so a body of odd shape (`"actions": []`, `"team": 5`) fails inside Bolt,
    even in the error handler: it is answered here, before Bolt sees it.
    """

    runtime: Runtime

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        self.runtime.request_arrived()
        problem = getattr(req, "unreadable", None) or shape_problem(req.body)
        if problem is None:
            return await super().async_dispatch(req)
        metrics.SLACK_REQUESTS.labels(kind="other", outcome="unreadable").inc()
        self.cannot_handle(req.body, problem)
        return BoltResponse(status=200, body="")

    def cannot_handle(self, body: dict[str, Any], what: str) -> None:
        """One log line; an ephemeral explanation when the request has a `response_url`."""
        log.warning("answered a Slack request this bot cannot handle: %s", what)
        url = body.get("response_url")
        if isinstance(url, str) and url:
            reply = self.runtime.response_url(url)
            self.runtime.spawn(reply.send(blocks.error_message(
                f"Slack sent this bot something it cannot handle ({what}); nothing was "
                f"changed. Try `{blocks.COMMAND} help`.")), reply, replace=False)


def build_app(
    settings: Settings, services: Services, *, client: AsyncWebClient | None = None
) -> tuple[AsyncApp, Runtime]:
    """The app for HTTP or Socket Mode, and the runtime whose tasks a shutdown drains.

    Bolt's own signature check is off: in HTTP mode `bot.web` verifies the raw bytes before
    anything is parsed (`bot.slack.request.SignedBody`), in Socket Mode nothing is signed.
    A request no listener handles, or one Bolt cannot read, gets 200 and, when there is a
    `response_url`, an ephemeral explanation, never a 404 or a 500.
    """
    client = client or make_web_client(settings)
    # Bolt reads SLACK_BOT_TOKEN from the environment itself and, given our client too,
    # warns at every start that the token "will be unused": the client already holds it.
    _BOLT_LOG.addFilter(_no_unused_token_warning)
    app = CoverApp(
        client=client,
        name="setcover",
        # Our listeners acknowledge and hand their work to `Runtime.spawn`, so they return
        # at once: Bolt may answer when they do. With False, Bolt runs each listener in a
        # task of its own and polls for the ack every 10 ms: a 10 ms floor under every
        # acknowledgement and wake-ups competing with the work (issue 10).
        process_before_response=True,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=True,
    )
    sheets = SheetUploads(client=client, store=services.store, maker=services.sheet_maker)
    runtime = app.runtime = Runtime(settings=settings, covers=services.covers, sheets=sheets,
                                    sign=services.url_signer, http=client.session)
    commands.register(app, runtime)
    actions.register(app, runtime)

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], response: BoltResponse | None
    ) -> BoltResponse | None:
        if isinstance(error, BoltUnhandledRequestError):
            app.cannot_handle(body, f"no listener for {_kind(body)}")
        else:
            reply = runtime.response_url(body.get("response_url"))
            runtime.spawn(reply.send(describe_error(error)), reply, replace=False)
        return BoltResponse(status=200, body="") if response is not None else None

    return app, runtime


def _kind(body: dict[str, Any]) -> str:
    """What a request is, for a log line: its type or its slash command, cut short."""
    kind = body.get("type") or body.get("command") or "an untyped request"
    return str(kind)[:40]
