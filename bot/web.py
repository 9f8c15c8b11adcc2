"""HTTP mode: the Starlette app uvicorn serves.

    POST /slack/events   slash commands and interactivity (Slack's signature checked: 401)
    GET  /healthz        200 while the process lives
    GET  /readyz         200 when the audit store answers, else 503

The lifespan opens the process's services once (one VOD client, one store, one policy),
and on shutdown waits for the Slack work under way before closing them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from slack_bolt.adapter.starlette.async_handler import (
    AsyncSlackRequestHandler,
    to_starlette_response,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.config import Settings
from bot.covers import open_services
from bot.slack.app import build_app, open_web_client
from bot.slack.request import SlackRequest

log = logging.getLogger(__name__)

#: Seconds uvicorn gives open connections on SIGTERM before the lifespan drains tasks.
GRACEFUL_SHUTDOWN_S = 20


class SlackEventsHandler(AsyncSlackRequestHandler):
    """Bolt's Starlette handler, with the body parsed by `SlackRequest` (see its docstring)."""

    async def handle(self, req: Request, addition_context_properties: dict | None = None
                     ) -> Response:
        if req.method != "POST":
            return Response(status_code=405)
        body = (await req.body()).decode("utf-8", errors="replace")
        bolt_request = SlackRequest(
            body=body,
            query=req.query_params,
            headers=req.headers,
        )
        bolt_response = await self.app.async_dispatch(bolt_request)
        return to_starlette_response(bolt_response)


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_web_client(settings) as client, open_services(
            settings, client
        ) as services:
            bolt_app, runtime = build_app(settings, services, client=client)
            app.state.services = services
            app.state.runtime = runtime
            app.state.slack = SlackEventsHandler(bolt_app)
            log.info("serving Slack on port %s; %s", settings.port, services.policy.describe())
            try:
                yield
            finally:
                await runtime.drain()

    async def slack_events(request: Request) -> Response:
        return await request.app.state.slack.handle(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def metrics_page(request: Request) -> Response:
        page, content_type = await metrics.exposition(request.app.state.services.store)
        return Response(page, media_type=content_type)

    async def readyz(request: Request) -> Response:
        try:
            await request.app.state.services.store.ping()
        except Exception as exc:
            log.warning("not ready: audit store: %s", exc)
            return JSONResponse({"ok": False, "store": "unavailable"}, status_code=503)
        return JSONResponse({"ok": True, "store": "ok"})

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve(settings: Settings, *, host: str = "0.0.0.0") -> None:
    """Serve until SIGTERM/SIGINT; then finish requests and tasks under way, and close."""
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=settings.port,
        lifespan="on",
        # uvloop and httptools (uvicorn[standard]) by name, not "auto": a missing one fails
        # at start instead of silently serving on the slower asyncio loop and h11.
        loop="uvloop",
        http="httptools",
        ws="none",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    uvicorn.Server(config).run()
