"""Every Prometheus metric the bot exports, defined once, and the `/metrics` page.

The code counts at its single points: one Bolt middleware for every Slack request
(`bot.observe`), one httpx transport for every VOD call (`bot.observe`), the retry loop
of `VodClient`, and `CoverService` for changes and denials. Audit rows by status are read
from the store when `/metrics` is scraped (one `GROUP BY`), so they count every
process's rows and survive restarts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from bot.store import AuditStore

log = logging.getLogger(__name__)

#: Slack wants an acknowledgement within 3 s; buckets resolve the fast end finely.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
_VOD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

SLACK_REQUESTS = Counter(
    "setcover_slack_requests",
    "Slack requests handled, by kind (command verb or button) and final outcome.",
    ["kind", "outcome"],
)
SLACK_ACK_SECONDS = Histogram(
    "setcover_slack_ack_seconds",
    "Time from a Slack request reaching the app to its acknowledgement.",
    buckets=_ACK_BUCKETS,
)
VOD_CALL_SECONDS = Histogram(
    "setcover_vod_call_seconds",
    "Duration of each HTTP call to VOD (and IAM, and its CDN for snapshot pictures), one per "
    "attempt, by call.",
    ["call"],
    buckets=_VOD_BUCKETS,
)
VOD_ERRORS = Counter(
    "setcover_vod_errors",
    "VOD calls that did not succeed, by call and VOD error code (or timeout, connection).",
    ["call", "code"],
)
VOD_RETRIES = Counter(
    "setcover_vod_retries",
    "VOD calls tried again after a timeout, lost connection, 429 or 5xx.",
)
CONNECTIONS_CLOSED = Counter(
    "setcover_connections_closed",
    "Connections the server closed before their request arrived whole, by reason (`slow`: "
    "past the read deadline; `evicted`: the oldest unfinished one, to make way for a new "
    "one near the open-file limit).",
    ["reason"],
)
DENIALS = Counter(
    "setcover_denials",
    "Attempts the policy refused, by where they came from.",
    ["source"],
)
CHANGES_IN_FLIGHT = Gauge(
    "setcover_changes_in_flight",
    "Cover changes this process is working on now.",
)
AUDIT_ROWS = Gauge(
    "setcover_audit_rows",
    "Rows of the audit store by status, read at scrape time (every process's rows).",
    ["status"],
)
STORE_UP = Gauge(
    "setcover_store_up",
    "1 when the audit store answered the scrape's count, else 0.",
)


async def exposition(store: AuditStore | None) -> tuple[bytes, str]:
    """The Prometheus text page and its content type, with audit rows read from `store`."""
    if store is not None:
        try:
            counts = await store.count_by_status()
        except Exception as exc:  # a scrape must answer even when the store does not
            log.warning("metrics: audit store not counted: %s", exc)
            STORE_UP.set(0)
        else:
            STORE_UP.set(1)
            for status, count in counts.items():
                AUDIT_ROWS.labels(status=status).set(count)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
