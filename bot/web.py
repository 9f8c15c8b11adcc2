"""The Starlette app uvicorn serves, in both modes.

    POST /slack/events   HTTP mode only: slash commands and interactivity; unsigned, stale
                         or badly signed 401, over 1 MiB 413, before the body is read whole
    GET  /healthz        200 while the process lives
    GET  /readyz         200 when the audit store answers and, in Socket Mode, the
                         WebSocket is connected; else 503
    GET  /metrics        Prometheus; on `METRICS_PORT` only, and with `METRICS_TOKEN` only
                         for `Authorization: Bearer <token>` (else 401)

The lifespan opens the process's services once (one VOD client, one store, one policy),
in Socket Mode starts the connection in the background (`SocketModeLink`), and on
shutdown closes it, then waits for the Slack work under way before closing the services.
It also runs the CDN follow-ups (`bot.slack.followups`) while it serves.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.config import Settings
from bot.connections import GuardedHttpTools
from bot.services import open_services, stale_after
from bot.slack.app import build_app, open_web_client
from bot.slack.followups import FollowUps
from bot.slack.request import Refused, SignedBody, SlackRequest
from bot.slack.socket_mode import SocketModeLink

log = logging.getLogger(__name__)

#: Seconds uvicorn gives open connections on SIGTERM before the lifespan drains tasks
#: (Slack's requests are acknowledged at once); with the drain it fits in 25 s, see
#: `bot.slack.runtime`.
GRACEFUL_SHUTDOWN_S = 5


class SlackEventsHandler:
    """`POST /slack/events` for the Bolt `app`, behind `SignedBody`: the body is read within
    its limit and verified on the raw bytes before `SlackRequest` parses it (see
    `bot.slack.request`). Bolt's Starlette handler would read the whole body first, so only
    its response conversion is used."""

    def __init__(self, app: AsyncApp, door: SignedBody) -> None:
        self.app = app
        self.door = door

    async def handle(self, req: Request) -> Response:
        try:
            raw = await self.door.read(req.headers, req.stream())
        except Refused as refusal:
            # One short line, nothing of the body: forged traffic must not fill the logs.
            client = req.client.host if req.client else "?"
            log.info("refused a request from %s: %s (%d)", client, refusal.reason,
                     refusal.status)
            # Nothing in its body can be believed, so it is only counted.
            metrics.SLACK_REQUESTS.labels(
                kind="unsigned" if refusal.status == 401 else "oversized",
                outcome="unauthorized" if refusal.status == 401 else "too_large").inc()
            # Closing the connection drops the rest of the upload unread (kept open, the
            # server would have to receive and discard all of it).
            return JSONResponse({"error": refusal.reason}, status_code=refusal.status,
                                headers={"Connection": "close"})
        except ClientDisconnect:
            return Response(status_code=400)
        bolt_request = SlackRequest(
            body=raw.decode("utf-8", errors="replace"),
            query=req.query_params,
            headers=req.headers,
        )
        bolt_response = await self.app.async_dispatch(bolt_request)
        return to_starlette_response(bolt_response)


def create_app(settings: Settings) -> Starlette:
    metrics_port = settings.metrics_port or settings.port

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_web_client(settings) as client, open_services(
            settings, client
        ) as services:
            bolt_app, runtime = build_app(settings, services, client=client)
            app.state.services = services
            app.state.audit_counts = metrics.AuditCounts(settings.database_url)
            app.state.audit_counts.wanted()  # counted once at start, in the background
            app.state.runtime = runtime
            link = app.state.link = SocketModeLink(bolt_app, settings) if \
                settings.socket_mode else None
            if link is None:
                app.state.slack = SlackEventsHandler(
                    bolt_app, SignedBody(_signing_secret(settings)))
                log.info("serving Slack on port %s; %s", settings.port,
                         services.policy.describe())
            else:
                link.start()
                log.info("Socket Mode; health checks on port %s; %s", settings.port,
                         services.policy.describe())
            wait = services.covers.refresh_wait
            follow_ups = None if wait is None else FollowUps(
                store=services.store, vod=services.covers.vod, wait=wait,
                lease=stale_after(settings), reply=runtime.response_url)
            if follow_ups is not None:
                follow_ups.start()  # picks up the rows earlier processes left
            runtime.sheets.start()  # deletes the contact sheets uploaded over a day ago
            try:
                yield
            finally:
                if link is not None:
                    await link.close()  # no new Slack work, then finish what is under way
                # The follow-up under way gets the final-word time; the rest wait in the
                # store for the next start.
                await asyncio.gather(
                    runtime.drain(), runtime.sheets.stop(), app.state.audit_counts.aclose(),
                    *([follow_ups.stop(settings.shutdown_final_word_s)] if follow_ups is not None
                      else []))

    async def slack_events(request: Request) -> Response:
        if _port(request) not in (settings.port, None):  # METRICS_PORT takes only scrapes
            return Response(status_code=404)
        return await request.app.state.slack.handle(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def metrics_page(request: Request) -> Response:
        if _port(request) not in (metrics_port, None):  # None: an in-process client
            return Response(status_code=404)
        if not _bearer_allowed(request, settings):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        request.app.state.audit_counts.wanted()
        page, content_type = await metrics.exposition()
        return Response(page, media_type=content_type)

    async def readyz(request: Request) -> Response:
        """Ready: the store answers and, in Socket Mode, the WebSocket is connected."""
        state: dict[str, str] = {"store": "ok"}
        try:
            await request.app.state.services.store.ping()
        except Exception as exc:
            log.warning("not ready: audit store: %s", exc)
            state["store"] = "unavailable"
        link: SocketModeLink | None = request.app.state.link
        if link is not None:
            state["slack"] = "connected" if await link.connected() else "disconnected"
        ok = state["store"] == "ok" and state.get("slack", "connected") == "connected"
        return JSONResponse({"ok": ok, **state}, status_code=200 if ok else 503)

    events = [] if settings.socket_mode else [
        Route("/slack/events", slack_events, methods=["POST"])]
    return Starlette(
        routes=[
            *events,
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _port(request: Request) -> int | None:
    server = request.scope.get("server")
    return server[1] if server else None


def _bearer_allowed(request: Request, settings: Settings) -> bool:
    """Without `METRICS_TOKEN` anyone; with it, only `Authorization: Bearer <token>`."""
    if settings.metrics_token is None:
        return True
    expected = f"Bearer {settings.metrics_token.get_secret_value()}"
    return hmac.compare_digest(request.headers.get("authorization", "").encode(),
                               expected.encode())


def _signing_secret(settings: Settings) -> str:
    if settings.slack_signing_secret is None:  # require_slack() refuses this before serving
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
    return settings.slack_signing_secret.get_secret_value()


def serve(settings: Settings, *, host: str = "0.0.0.0") -> None:
    """Serve until SIGTERM/SIGINT; then finish requests and tasks under way, and close.

    Both modes: in Socket Mode the events come over the WebSocket, and `PORT` serves the
    health checks and metrics. With a `METRICS_PORT` of its own, `/metrics` is served
    there only (the same server, a second listening socket)."""
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=settings.port,
        lifespan="on",
        # uvloop and httptools (uvicorn[standard]) by name, not "auto": a missing one fails
        # at start instead of silently serving on the slower asyncio loop and h11.
        loop="uvloop",
        http=GuardedHttpTools,  # httptools, with a request deadline and a connection budget
        ws="none",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    ports = dict.fromkeys((settings.port, settings.metrics_port or settings.port))
    uvicorn.Server(config).run(sockets=[_listen(host, port) for port in ports])


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket as uvicorn binds one (`Config.bind_socket`), for `port`."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:  # one line, as uvicorn says it, not a traceback
        sock.close()
        log.error("cannot listen on %s:%d: %s", host, port, exc.strerror or exc)
        raise SystemExit(1) from None
    sock.set_inheritable(True)
    return sock
