"""What an operator sees of each Slack request and each VOD call: one log line, and metrics.

- Slack: `bot.slack.tracing.slack_middleware` (a Bolt global middleware, so HTTP and
  Socket Mode alike) opens a `SlackTrace` for every verified request and times its
  acknowledgement. The code that learns something (the command listener, the flows,
  `CoverService`, the task guard) adds it with `note()`. The trace ends when the work
  after the acknowledgement ends (`Runtime` calls `finish`), or at the acknowledgement
  when nothing was left to do; then it is logged and counted once.
- VOD: `MeasuredTransport` wraps the VOD client's transport, so every attempt (IAM token
  requests included) is timed, counted and logged, with the Slack request it serves.

Log lines carry their fields twice: readable in the message (`key=value`), and as separate
fields (`extra`) that `bot.logs.JsonFormatter` writes as JSON keys under `LOG_FORMAT=json`.
No field is ever a secret or a `response_url`.
"""

from __future__ import annotations

import logging
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

import httpx

from bot import metrics

log = logging.getLogger("bot.requests")

#: Outcomes a trace may end with (metric label values stay a small, fixed set).
OUTCOMES = frozenset({
    "answered", "changed", "failed", "unknown", "denied", "duplicate", "busy",
    "not_recorded", "error", "unhandled",
})


@dataclass
class SlackTrace:
    """One Slack request, from arrival to the end of the work it started."""

    kind: str  # the command's verb (show_picker, search…) or the button's action id
    team: str = ""
    channel: str = ""
    user: str = ""
    asset: str | None = None
    outcome: str = "answered"
    vod_request_id: str | None = None
    error_code: str | None = None
    ack_ms: float | None = None
    started: float = field(default_factory=time.perf_counter)
    handed_off: bool = False
    done: bool = False

    def fields(self) -> dict[str, Any]:
        """The log fields (and nothing else: no times of the monotonic clock)."""
        return {name: getattr(self, name) for name in _TRACE_LOG_FIELDS}


#: Plain values all (no deep copy needed, unlike `dataclasses.asdict`).
_TRACE_LOG_FIELDS = tuple(f.name for f in dataclass_fields(SlackTrace)
                          if f.name not in {"started", "handed_off", "done"})

trace_var: ContextVar[SlackTrace | None] = ContextVar("slack_trace", default=None)


def current() -> SlackTrace | None:
    return trace_var.get()


def note(**values: Any) -> None:
    """Add what is known now to the Slack request being served (nothing outside one)."""
    trace = trace_var.get()
    if trace is None:
        return
    for name, value in values.items():
        setattr(trace, name, value)


def hand_off() -> SlackTrace | None:
    """The work after the acknowledgement takes the trace over; it calls `finish` at its end.

    Listeners call this (through `Runtime.spawn`) and return; Bolt runs them inside the
    dispatch (`process_before_response=True`), so `TracedApp` sees the hand-off before
    the dispatch returns.
    """
    trace = trace_var.get()
    if trace is not None:
        trace.handed_off = True
    return trace


def finish(trace: SlackTrace | None) -> None:
    """Log and count the request once."""
    if trace is None or trace.done:
        return
    trace.done = True
    outcome = trace.outcome if trace.outcome in OUTCOMES else "error"
    ms = round((time.perf_counter() - trace.started) * 1000, 1)
    metrics.SLACK_REQUESTS.labels(kind=trace.kind, outcome=outcome).inc()
    fields = trace.fields() | {"outcome": outcome, "ms": ms}
    log.info(
        "slack %s team=%s channel=%s user=%s asset=%s outcome=%s vod_request_id=%s ms=%.0f",
        trace.kind, trace.team, trace.channel, trace.user, trace.asset or "-", outcome,
        trace.vod_request_id or "-", ms, extra={"event": "slack_request", **fields},
    )


def snake(name: str) -> str:
    """`SetFromUrl` -> `set_from_url`: class names of commands and outcomes as labels."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# ---- VOD ---------------------------------------------------------------------------

_VOD_CALL = re.compile(r"/asset/(details|list|cover)$")
#: The duration histogram of each call label, looked up once (the labels are a small set).
_CALL_SECONDS: dict[str, Any] = {}


def _call_seconds(call: str) -> Any:
    histogram = _CALL_SECONDS.get(call)
    if histogram is None:
        histogram = _CALL_SECONDS[call] = metrics.VOD_CALL_SECONDS.labels(call=call)
    return histogram


def vod_call(request: httpx.Request) -> str:
    """A small, fixed label for what was called."""
    if request.url.path.endswith("/auth/tokens"):
        return "iam"
    if "/snapshot/" in request.url.path:
        return "snapshot"  # a picture from VOD's CDN (the contact sheet)
    match = _VOD_CALL.search(request.url.path)
    return match.group(1) if match else "other"


class MeasuredTransport(httpx.AsyncBaseTransport):
    """Times, counts and logs every HTTP attempt to VOD; the answer is passed on unchanged."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from bot.vod.errors import VodStatusError  # bot.vod imports this module

        call = vod_call(request)
        started = time.perf_counter()
        code: str | None = None
        status: int | None = None
        request_id: str | None = None
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            code = "timeout"
            raise
        except Exception:
            code = "connection"
            raise
        else:
            status = response.status_code
            request_id = response.headers.get("X-Request-Id")
            if not 200 <= status < 300:
                await response.aread()  # error bodies are small; the code is in them
                code = VodStatusError.from_response(response).code or f"HTTP{status}"
            return response
        finally:
            seconds = time.perf_counter() - started
            _call_seconds(call).observe(seconds)
            if code is not None:
                metrics.VOD_ERRORS.labels(call=call, code=_label(code)).inc()
            if log.isEnabledFor(logging.INFO):
                self._log(request, call, status, code, request_id, seconds)

    async def aclose(self) -> None:
        await self._inner.aclose()

    @staticmethod
    def _log(request: httpx.Request, call: str, status: int | None, code: str | None,
             request_id: str | None, seconds: float) -> None:
        trace = trace_var.get()
        # Only a query that names an asset is parsed (the others need no QueryParams).
        asset = (request.url.params.get("asset_id") if b"asset_id=" in request.url.query
                 else None) or (trace.asset if trace else None)
        outcome = "ok" if code is None else "error"
        ms = round(seconds * 1000, 1)
        fields = {
            "event": "vod_call", "call": call, "method": request.method, "status": status,
            "code": code, "asset": asset, "outcome": outcome, "vod_request_id": request_id,
            "ms": ms, "team": trace.team if trace else None,
            "user": trace.user if trace else None, "kind": trace.kind if trace else None,
        }
        log.info(
            "vod %s %s status=%s code=%s asset=%s vod_request_id=%s ms=%.0f user=%s",
            request.method, call, status if status is not None else "-", code or "-",
            asset or "-", request_id or "-", ms, fields["user"] or "-",
            extra=fields,
        )


def _label(code: str) -> str:
    """VOD error codes as label values: printable and short (a body is not trusted)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "", code)[:32]
    return cleaned or "unknown"
