"""The one mapping from an error to what the Slack user reads (used by `@app.error` and
by the guard of every task that runs after an acknowledgement).

Known errors become their plain-language sentence (with VOD's code and request id); any
other error is logged with a short id, and the user gets only that id to quote.
"""

from __future__ import annotations

import logging
import uuid

from bot.slack import blocks
from bot.store import StoreUnavailable
from bot.vod.errors import SnapshotUrlError, VodError

log = logging.getLogger(__name__)


def describe_error(error: BaseException) -> blocks.Message:
    """The one mapping from an error to what the user reads."""
    if isinstance(error, SnapshotUrlError):
        return blocks.usage(f"{error.message} {error.explanation}")
    if isinstance(error, VodError):
        details = [f"VOD error code `{error.code}`" if error.code else None,
                   f"request id `{error.request_id}`" if error.request_id else None]
        suffix = " · ".join(d for d in details if d)
        msg = blocks.error_message(error.explanation)
        if suffix:
            msg["blocks"].append(blocks.context(suffix))
        return msg
    if isinstance(error, StoreUnavailable):
        log.error("audit store unavailable: %s", error)
        return blocks.store_unavailable()
    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=error)
    return blocks.error_message(
        "Something went wrong on our side; nothing was changed.", error_id=error_id
    )
