"""Run an aiohttp application on 127.0.0.1 in a thread of its own.

The stand-ins live on their own event loop so that the code under test (in the test's loop,
or in a `setcover-bot` subprocess) reaches them over a real socket, as it would the cloud.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web


class ThreadedServer:
    """Start with `start()`, stop with `stop()`; `url` is `http://127.0.0.1:<port>`
    (`port` 0: one the system picks). The port is taken at construction, so `url` is
    known before `start()`: a fake can list URLs on itself while it is being seeded."""

    def __init__(self, app: web.Application, *, port: int = 0) -> None:
        self.app = app
        self._socket = socket.create_server(("127.0.0.1", port), backlog=1024)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> ThreadedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def call_soon(self, callback: Callable[[], Any]) -> None:
        """Run `callback` on the server's loop (from any thread)."""
        self._loop.call_soon_threadsafe(callback)

    def run(self, work: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        """Run `work` on the server's loop (e.g. a WebSocket send) and return its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=timeout)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._socket.close()  # already closed by the cleanup, unless never started

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()


class Standin:
    """What every fake on a `ThreadedServer` of its own has: the server, its `url`, and a
    lock for the state its handlers (on the server's thread) share with the tests."""

    def __init__(self, app: web.Application, *, port: int = 0) -> None:
        self.lock = threading.Lock()
        self.server = ThreadedServer(app, port=port)

    @property
    def url(self) -> str:
        return self.server.url
