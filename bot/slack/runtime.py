"""`Runtime`: what the Slack listeners share, and the tasks a shutdown must finish.

Listeners `ack()` at once and hand the slow work to `Runtime.spawn`, which tracks each
task so that a shutdown (`drain`) leaves nobody waiting: within `SHUTDOWN_DRAIN_S` the work
under way finishes; what is still running then is cancelled, and each cancelled task gets
`SHUTDOWN_FINAL_WORD_S` more to record its change (`unknown` once VOD may have acted, `failed`
before) and to tell its user so (`Stopped`, or the guard's own "restarting" message).

Acknowledgements come first. asyncio has no priorities: work started by one request
would run between the next requests' acknowledgements, on the same loop. So spawned work
is held while Slack requests keep arriving: it starts once none has arrived for
`QUIET_S`, or after `MAX_HOLD_S` at the latest (far below VOD's own latency), in the
order it was spawned.

Together with uvicorn's graceful timeout (`bot.web.GRACEFUL_SHUTDOWN_S`) a shutdown fits
in `SHUTDOWN_BUDGET_S`, inside the usual 30 s between SIGTERM and SIGKILL (Heroku,
Kubernetes); a test holds the sum to it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot import observe
from bot.config import Settings
from bot.covers import CoverService
from bot.slack import blocks
from bot.slack.delivery import ResponseUrl
from bot.slack.errors import describe_error
from bot.slack.sheets import SheetUploads
from bot.vod.errors import VodError
from bot.vod.url_auth import Sign

log = logging.getLogger(__name__)

#: SIGTERM to exit at the latest: uvicorn's grace + the longest drain and final words the
#: settings allow (`shutdown_drain_s`, `shutdown_final_word_s`).
SHUTDOWN_BUDGET_S = 25.0
#: Spawned work starts once no Slack request has arrived for this long…
QUIET_S = 0.002
#: …or once it has waited this long, whatever arrives.
MAX_HOLD_S = 0.1
#: How often held work is looked at while requests keep arriving.
HOLD_TICK_S = 0.001


class Stopped(asyncio.CancelledError):
    """Cancelled at shutdown, and the work already told its user how things stand."""


@dataclass
class Runtime:
    """What the listeners share: settings, the cover service, the contact sheets in Slack,
    how shown pictures are signed, and the tasks under way."""

    settings: Settings
    covers: CoverService
    sheets: SheetUploads
    sign: Sign = str
    http: aiohttp.ClientSession | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    #: Spawned work not started yet: (spawned at, its context, the guarded work).
    _held: deque[tuple[float, contextvars.Context, Coroutine[Any, Any, None]]] = field(
        default_factory=deque)
    _admitter: asyncio.Task[None] | None = None
    _last_request: float = 0.0

    def response_url(self, url: str | None) -> ResponseUrl:
        return ResponseUrl(url, session=self.http)

    def request_arrived(self) -> None:
        """A Slack request is being acknowledged: held work waits a little longer."""
        self._last_request = time.monotonic()

    def spawn(self, work: Coroutine[Any, Any, Any], reply: ResponseUrl, *, replace: bool) -> None:
        """Run `work` after the acknowledgement; its errors are reported through `reply`."""
        trace = observe.hand_off()
        self._held.append((time.monotonic(), contextvars.copy_context(),
                           self._guard(work, reply, replace, trace)))
        if self._admitter is None:
            self._admitter = asyncio.get_running_loop().create_task(
                self._admit_held(), context=contextvars.Context())

    async def _admit_held(self) -> None:
        """Start held work when requests stop arriving, or when it has waited too long."""
        try:
            while self._held:
                now = time.monotonic()
                due = now - MAX_HOLD_S if now - self._last_request < QUIET_S else now
                while self._held and self._held[0][0] <= due:
                    self._start(*self._held.popleft()[1:])
                if self._held:
                    await asyncio.sleep(HOLD_TICK_S)
        finally:
            self._admitter = None

    def _start(self, context: contextvars.Context, guarded: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(guarded, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the work under way (at most `shutdown_drain_s`); cancel what is left,
        and give it `shutdown_final_word_s` to record its change and answer its user."""
        while self._held:  # nothing is held back at shutdown
            self._start(*self._held.popleft()[1:])
        if not self._tasks:
            return
        log.info("waiting for %d Slack task(s) to finish", len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self.settings.shutdown_drain_s)
        if not pending:
            return
        log.warning("stopping %d Slack task(s) still running at shutdown", len(pending))
        for task in pending:
            task.cancel()
        _, silent = await asyncio.wait(pending, timeout=self.settings.shutdown_final_word_s)
        for task in silent:
            task.cancel()
        if silent:
            log.warning("%d stopped task(s) could not send their last message", len(silent))
        await asyncio.gather(*pending, return_exceptions=True)

    async def _guard(self, work: Coroutine[Any, Any, Any], reply: ResponseUrl,
                     replace: bool, trace: observe.SlackTrace | None) -> None:
        try:
            await work
        except asyncio.CancelledError as stopped:
            observe.note(outcome="error", error_code="CANCELLED")
            if not isinstance(stopped, Stopped):
                await reply.send(blocks.restarting(), replace=replace)
            raise
        except Exception as error:
            code = error.code if isinstance(error, VodError) else None
            observe.note(outcome="error", error_code=code or type(error).__name__)
            await reply.send(describe_error(error), replace=replace)
        finally:
            observe.finish(trace)
