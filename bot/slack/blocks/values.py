"""Button values: compact JSON carrying what a click needs.

A value holds the asset id, the snapshot URL (a snapshot URL is at most `MAX_URL_LENGTH`
characters, so it always fits), and the picker's nonce, from which the idempotency key of
the change is made, so a double click or a Slack retry of the same click changes nothing
twice.
"""

from __future__ import annotations

import json
import secrets
from typing import Any


def new_nonce() -> str:
    """A fresh picker / try-again nonce: one nonce, at most one cover change."""
    return secrets.token_urlsafe(9)


#: Made once: `json.dumps` with arguments builds a new encoder on every call (issue 10).
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def encode(**fields: Any) -> str:
    return _COMPACT_JSON.encode({k: v for k, v in fields.items() if v is not None})


def decode(value: str | None) -> dict[str, Any]:
    """A button value back to its fields; `{}` for anything that is not ours."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def use_cover_value(asset_id: str, nonce: str, url: str) -> str:
    """What a frame's button and "Try again" carry; the URL is checked again on the click."""
    return encode(a=asset_id, n=nonce, u=url)
