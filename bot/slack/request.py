"""A Bolt request whose body is parsed by its shape, not by a substring.

slack-bolt 1.30 (`slack_bolt.request.internals.parse_body`) takes any form body that
merely *contains* the text `payload` for an interactivity payload; `/setcover search
payload` then has no `payload=` field, parses to `{}`, matches no listener, and Bolt
answers 404 (Slack shows "dispatch_failed"). Here a form body is an interactivity payload
only when it has a `payload` field; lazy copies keep the same parsing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest


def parse_slack_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A Slack HTTP body as a dict: JSON (Events API), `payload=` JSON, or a form."""
    if not raw:
        return {}
    if content_type == "application/json":
        data = json.loads(raw)
        return data if isinstance(data, dict) else {}
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in form:
        try:
            data = json.loads(form["payload"])
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    if not form and raw.lstrip().startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return form


class SlackRequest(AsyncBoltRequest):
    """`AsyncBoltRequest` with `parse_slack_body`; signature checks still use the raw body."""

    def __init__(self, *, body: str | dict, **kwargs: Any) -> None:
        if not isinstance(body, str):  # Socket Mode: already a dict
            super().__init__(body=body, **kwargs)
            return
        # Bolt's own parser never sees the body: it could raise on a forged one before the
        # signature is checked, or misread it.
        super().__init__(body="", **kwargs)
        self.raw_body = body
        try:
            self.body = parse_slack_body(body, self.content_type)
        except ValueError:
            self.body = {}
        extra = kwargs.get("context")
        self.context = build_async_context(AsyncBoltContext(extra if extra else {}), self.body)

    def to_copyable(self) -> SlackRequest:
        body: str | dict = self.raw_body if self.mode == "http" else self.body
        return SlackRequest(
            body=body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )
