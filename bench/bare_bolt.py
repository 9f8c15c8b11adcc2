"""The floor: a minimal Bolt `AsyncApp`, deployed the usual way (Starlette adapter, uvicorn).

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=... \
        python -m uvicorn bare_bolt:api --app-dir bench --port 3000 --no-access-log

Each listener acknowledges, sleeps a second (the VOD call), then answers through
`respond()`, as Bolt's documentation shows. Nothing else: whatever our bot adds on top of
this is what `bench/ack_latency.py` measures.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

WORK_S = 1.0

app = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"],
                          base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
)


@app.command("/setcover")
async def command(ack: AsyncAck, respond: AsyncRespond, body: dict[str, Any]) -> None:
    await ack()
    await asyncio.sleep(WORK_S)
    await respond(text=f"Pick a cover for {body.get('text')}")


@app.action(re.compile(".*"))
async def click(ack: AsyncAck, respond: AsyncRespond) -> None:
    await ack()
    await asyncio.sleep(WORK_S)
    await respond(text="Cover set", replace_original=True)


handler = AsyncSlackRequestHandler(app)


async def events(request: Request) -> Response:
    return await handler.handle(request)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


api = Starlette(routes=[Route("/slack/events", events, methods=["POST"]),
                        Route("/healthz", healthz)])
