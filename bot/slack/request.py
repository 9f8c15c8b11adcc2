"""What reaches Bolt: a body read within a size limit, signed by Slack, parsed by its shape.

`SignedBody.read` is the door of `POST /slack/events`. Slack signs `v0:{timestamp}:{raw
body}` with HMAC-SHA256 and the app's signing secret; the headers are checked before a byte
of the body is read (no or malformed signature, or a timestamp more than 5 minutes away:
401), the declared and the streamed length are capped (`MAX_BODY_BYTES`: 413), and the
signature is verified (slack_sdk's `SignatureVerifier`, constant-time) on the raw bytes.
Nothing of an unsigned body is ever parsed, so a forged request costs a header check, not
a parse of whatever its sender chose to send.

`SlackRequest` then parses the verified body. slack-bolt 1.30 (`parse_body`) takes any form
body that merely *contains* the text `payload` for an interactivity payload (`/setcover
search payload` then matches no listener: Slack shows "dispatch_failed"); here a form body is
an interactivity payload only when it has a `payload` field. A body whose fields do not have
the types Slack sends (`"team": 5`, `"actions": []`, nested brackets) is marked
`unreadable` instead of failing inside Bolt; the app answers it 200 with an explanation.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext

# Two of Bolt's internal modules, not its public API (so pyproject.toml pins slack-bolt to
# the minor version they were read from, and tests/test_bolt_internals.py fails when they
# change): `AsyncBoltRequest.__init__` parses the body with `parse_body`, which misreads a
# form body that merely contains the text `payload`, and builds the context with
# `build_async_context`, which raises on odd nested fields. So `SlackRequest` hands Bolt
# an empty body, parses it itself, and builds the context with Bolt's own function; the
# `to_*` views are what Bolt derives from every body before a listener runs, tried here
# first so an odd body is answered instead of failing inside Bolt.
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_message,
    to_options,
    to_shortcut,
    to_step,
    to_view,
)
from slack_sdk.signature import SignatureVerifier

#: Slack's bodies are a few KB; the largest it sends (a block_actions or view_submission
#: payload carrying a whole 50-block message or 100-block modal, URL-encoded) stays well
#: under this. Anything bigger is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024
#: Slack's own rule: a request whose timestamp is further than this from now is a replay.
MAX_CLOCK_SKEW_S = 5 * 60
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """A request that does not get past the door: `status` 401 or 413, `reason` for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SignedBody:
    """Reads the body of a request only once its headers could be Slack's, up to `limit`."""

    def __init__(self, signing_secret: str, *, limit: int = MAX_BODY_BYTES) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.limit = limit

    async def read(self, headers: Mapping[str, str], chunks: AsyncIterator[bytes]) -> bytes:
        """The raw body, signed by Slack; else `Refused`, having read as little as possible."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not (_SIGNATURE.fullmatch(signature) and timestamp.isascii()
                and timestamp.isdigit() and len(timestamp) <= 12):
            raise Refused(401, "no Slack signature")
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_S:
            raise Refused(401, "stale timestamp")
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            raise Refused(413, f"body over {self.limit} bytes")
        body = bytearray()
        async for chunk in chunks:
            body += chunk
            if len(body) > self.limit:
                raise Refused(413, f"body over {self.limit} bytes")
        raw = bytes(body)
        try:
            valid = self.verifier.is_valid(raw, timestamp, signature)
        except UnicodeDecodeError:  # the verifier decodes the body; Slack's is always UTF-8
            valid = False
        if not valid:
            raise Refused(401, "bad signature")
        return raw


def parse_slack_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A Slack HTTP body as a dict: JSON (Events API), `payload=` JSON, or a form.

    Raises `ValueError` when the body claims a shape it does not have.
    """
    if not raw:
        return {}
    if content_type == "application/json":
        return _json_object(raw)
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"])
    if not form and raw.lstrip().startswith("{"):
        return _json_object(raw)
    return form


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except RecursionError:  # brackets nested deeper than Python's parser goes
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


#: The top-level fields Bolt reads, with the types Slack sends them as (or null).
_FIELD_TYPES: dict[str, type] = {
    "type": str, "response_url": str, "trigger_id": str, "callback_id": str,
    "team": dict, "user": dict, "channel": dict, "enterprise": dict, "container": dict,
    "message": dict, "view": dict, "event": dict, "actions": list,
}


def shape_problem(body: dict[str, Any]) -> str | None:
    """Why Bolt could not read `body` (a field of the wrong type, no action), else None."""
    for name, expected in _FIELD_TYPES.items():
        value = body.get(name)
        if value is not None and not isinstance(value, expected):
            return f"`{name}` is not a {expected.__name__}"
    actions = body.get("actions")
    if body.get("type") == "block_actions" and not actions:
        return "a click without `actions`"
    for action in actions or ():
        if not (isinstance(action, dict) and isinstance(action.get("action_id"), str)
                and all(isinstance(action.get(name, ""), str) for name in ("block_id", "value"))):
            return "an action without a string `action_id`, `block_id` or `value`"
    try:  # what Bolt derives from every body before any listener runs
        for view in _BOLT_VIEWS:
            view(body)
    except (TypeError, AttributeError, KeyError, IndexError):
        return "fields of types Bolt cannot read"
    return None


_BOLT_VIEWS = (to_options, to_shortcut, to_action, to_view, to_command, to_event, to_message,
               to_step)


class SlackRequest(AsyncBoltRequest):
    """`AsyncBoltRequest` with `parse_slack_body`; `unreadable` says why Bolt cannot read it."""

    def __init__(self, *, body: str | dict, **kwargs: Any) -> None:
        # Bolt's own parser and context never see the body first: either could raise on an
        # odd one, or misread it.
        super().__init__(body="" if isinstance(body, str) else {}, **kwargs)
        self.unreadable: str | None = None
        if isinstance(body, str):
            self.raw_body = body
            try:
                self.body = parse_slack_body(body, self.content_type)
            except ValueError as exc:
                self.body, self.unreadable = {}, str(exc)
        else:  # Socket Mode: already a dict
            self.body = body
        self.unreadable = self.unreadable or shape_problem(self.body)
        extra = kwargs.get("context")
        try:
            self.context = build_async_context(
                AsyncBoltContext(extra if extra else {}), {} if self.unreadable else self.body)
        except (TypeError, AttributeError, KeyError, IndexError):  # odd nested fields
            self.unreadable = "fields of types Bolt cannot read"
            self.context = build_async_context(AsyncBoltContext(extra if extra else {}), {})

    def to_copyable(self) -> SlackRequest:
        body: str | dict = self.raw_body if self.mode == "http" else self.body
        return SlackRequest(
            body=body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )
