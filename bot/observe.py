"""What an operator sees of each Slack request and each VOD call: one log line, and metrics.

- Slack: `bot.slack.tracing.slack_middleware` (a Bolt global middleware, so HTTP and
  Socket Mode alike) opens a `SlackTrace` for every verified request and times its
  acknowledgement. The code that learns something (the command listener, the flows,
  `CoverService`, the task guard) adds it with `note()`. The trace ends when the work
  after the acknowledgement ends (`Runtime` calls `finish`), or at the acknowledgement
  when nothing was left to do; then it is logged and counted once.
- VOD: `bot.vod.measured.MeasuredTransport` wraps the VOD client's transport, so every
  attempt (IAM token requests included) is timed, counted and logged (on the same logger),
  with the Slack request it serves (`current()`).

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
