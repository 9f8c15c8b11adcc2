"""Button values: compact JSON carrying what a click needs.

A value holds the asset id, the snapshot URL (a snapshot URL is at most `MAX_URL_LENGTH`
characters, so it always fits), and the picker's nonce, from which the idempotency key of
the change is made, so a double click or a Slack retry of the same click changes nothing
twice.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, TypedDict, cast


class ButtonValue(TypedDict, total=False):
    """What a button carries. One-letter keys keep a value with a snapshot URL of the
    longest kind far inside Slack's 2,000 characters; a key that is not needed is left out.
    Read back from JSON anyone can send, so a listener checks each type it uses."""

    a: str  #: the asset id
    n: str  #: the picker's nonce; the change's idempotency key is made from it
    u: str  #: the snapshot URL to set, exactly as VOD lists it
    p: int  #: the page to show (Previous / Next)
    m: int  #: the layout the next page tries first (`Layout`; absent: the contact sheet)
    c: int  #: the change an Undo undoes
    f: int  #: the frame's number on the current cover's button
    t: int  #: that frame's offset in seconds


class CaptureMetadata(TypedDict, total=False):
    """The "Capture at…" modal's `private_metadata`: where its answer goes."""

    a: str  #: the asset id
    c: str  #: the channel the modal was opened from
    r: str  #: the picker's `response_url` (a capability: never logged)


def new_nonce() -> str:
    """A fresh picker / try-again nonce: one nonce, at most one cover change."""
    return secrets.token_urlsafe(9)


#: Made once: `json.dumps` with arguments builds a new encoder on every call (issue 10).
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def encode(**fields: Any) -> str:
    return _COMPACT_JSON.encode({k: v for k, v in fields.items() if v is not None})


def decode(value: str | None) -> ButtonValue:
    """A button value back to its fields; `{}` for anything that is not ours."""
    return cast(ButtonValue, _json_object(value))


def decode_metadata(value: str | None) -> CaptureMetadata:
    """The capture modal's metadata back to its fields; `{}` for anything that is not ours."""
    return cast(CaptureMetadata, _json_object(value))


def _json_object(value: str | None) -> dict[str, Any]:
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def use_cover_value(asset_id: str, nonce: str, url: str) -> str:
    """What a frame's button and "Try again" carry; the URL is checked again on the click."""
    return encode(a=asset_id, n=nonce, u=url)
