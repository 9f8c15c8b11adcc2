"""`TracedApp`: the Bolt app that opens a `bot.observe.SlackTrace` for every Slack request
(HTTP and Socket Mode alike) and times its acknowledgement."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import metrics
from bot.observe import SlackTrace, finish, trace_var
from bot.slack.blocks import ActionId, decode


def request_kind(body: dict[str, Any]) -> tuple[str, str | None]:
    """`command` until the command is parsed, or a known button's action id (else `other`);
    and the asset a button names."""
    if body.get("command"):
        return "command", None
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        base = str(actions[0].get("action_id") or "").split(":", 1)[0]
        if base in {a.value for a in ActionId}:
            value = actions[0].get("value")
            asset = decode(value).get("a") if isinstance(value, str) else None
            return base, str(asset)[:64] if asset else None
    return "other", None


class TracedApp(AsyncApp):
    """`AsyncApp` whose every dispatch (HTTP and Socket Mode alike) opens a trace and times
    the acknowledgement. Bolt's global middlewares cannot: their `next()` only sets a flag,
    so they never see the response."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        body = req.body if isinstance(req.body, dict) else {}
        ctx = req.context
        kind, asset = request_kind(body)
        trace = SlackTrace(
            kind=kind, asset=asset, team=str(ctx.team_id or ""),
            channel=str(ctx.channel_id or ""), user=str(ctx.user_id or ""),
        )
        token = trace_var.set(trace)
        response: BoltResponse | None = None
        try:
            response = await super().async_dispatch(req)
        finally:
            trace_var.reset(token)
            trace.ack_ms = round((time.perf_counter() - trace.started) * 1000, 1)
            metrics.SLACK_ACK_SECONDS.observe(trace.ack_ms / 1000)
            # Forged, stale and oversized requests never get here: bot.web refuses and
            # counts them before Bolt sees them.
            if response is None or response.status != 200:
                trace.outcome = "unhandled" if response is not None else "error"
                finish(trace)
            elif not trace.handed_off:
                finish(trace)
        return response
