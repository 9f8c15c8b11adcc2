"""Connections that cannot hold the server: a request arrives whole within seconds, and
near the open-file limit the oldest unfinished connection makes way for a new one.

uvicorn with httptools waits as long as a peer likes for a request's headers and body (its
keep-alive timeout is armed only after a response), so clients that send a byte a second
each hold a file descriptor for ever; at the common limit of 1,024 open files the next
connection, Slack's, cannot even be accepted. `GuardedHttpTools` is uvicorn's own
httptools protocol with two rules on top:

- **Deadline**: a request must have arrived whole (headers and body) `REQUEST_READ_S`
  after the connection opened or, on a kept-alive connection, after its first byte; else
  the connection is closed. Slack's bodies are a few KB and arrive at once.
- **Budget**: past `connection_budget()` open connections (the open-file limit less room
  for the process's own files and its sockets to VOD, Slack and the database), each new
  connection closes the oldest one whose request is still unfinished. A stranger trickling
  bytes makes way; a request already being answered never does.

So Slack is refused only if strangers open connections faster than they can be closed.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot import metrics

log = logging.getLogger(__name__)

#: How long a request may take to arrive whole, from the connection's opening (or its
#: first byte, on a kept-alive connection).
REQUEST_READ_S = 5.0


def connection_budget() -> int:
    """Open connections allowed before the oldest unfinished one is closed: the soft limit
    of open files, less a fifth of it (at least 64) for everything else the process opens."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    return max(soft - max(64, soft // 5), 16)


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the request deadline and the connection budget."""

    budget = connection_budget()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Loop time since which a request is awaited whole; None once it arrived.
        self.waiting_since: float | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_request()
        if len(self.connections) > self.budget:
            self._make_way()

    def connection_lost(self, exc: Exception | None) -> None:
        self._request_arrived()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.waiting_since is None:  # a further request on a kept-alive connection
            self._await_request()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._request_arrived()

    def _await_request(self) -> None:
        self.waiting_since = self.loop.time()
        self._deadline = self.loop.call_later(REQUEST_READ_S, self._close, "slow")

    def _request_arrived(self) -> None:
        self.waiting_since = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _make_way(self) -> None:
        unfinished = [c for c in self.connections
                      if isinstance(c, GuardedHttpTools) and c.waiting_since is not None
                      and c is not self]
        if unfinished:
            min(unfinished, key=lambda c: c.waiting_since or 0.0)._close("evicted")

    def _close(self, reason: str) -> None:
        """Drop a connection whose request did not arrive in time, or that made way."""
        self._request_arrived()
        if self.transport.is_closing():
            return
        client = self.client[0] if self.client else "?"
        log.info("closed a connection from %s: %s", client,
                 f"no whole request within {REQUEST_READ_S:g} s" if reason == "slow"
                 else f"over {self.budget} connections, the oldest unfinished one")
        metrics.CONNECTIONS_CLOSED.labels(reason=reason).inc()
        self.transport.close()
