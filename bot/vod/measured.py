"""Every HTTP attempt to VOD timed, counted and logged, with the Slack request it serves.

One line per attempt on the `bot.requests` logger (the one Slack requests are logged on),
and the `setcover_vod_*` metrics; IAM token requests and CDN picture downloads included.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import httpx

from bot import metrics, observe
from bot.vod.errors import VodStatusError

log = logging.getLogger("bot.requests")

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
        trace = observe.current()
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
