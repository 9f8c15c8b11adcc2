"""`response_url` posts on the process's shared session give up when Slack never answers."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from bot.config import Settings
from bot.slack.app import open_web_client
from bot.slack.delivery import ResponseUrl


async def test_a_response_url_that_never_answers_does_not_hold_the_post() -> None:
    answered = asyncio.Event()

    async def never(request: web.Request) -> web.Response:
        await answered.wait()  # until the test ends: Slack "hangs"
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hooks/{rest:.*}", never)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with open_web_client(Settings(_env_file=None), timeout_s=0.5) as client:
            reply = ResponseUrl(f"http://127.0.0.1:{port}/hooks/T1/1/secret",
                                session=client.session)
            started = time.monotonic()
            ok, _ = await asyncio.wait_for(reply.send({"text": "hello"}), timeout=20)
            assert not ok
            assert time.monotonic() - started < 10  # the 0.5 s timeout, with its retries
    finally:
        answered.set()
        await runner.cleanup()
