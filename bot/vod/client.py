"""`VodClient`: the one way the bot talks to Huawei Cloud VOD.

The calls (asset details, asset search, set cover, snapshot task) go over one
`httpx.AsyncClient` for the process, signed or token-authenticated by `bot.vod.auth`.
Arguments are checked before anything is sent. Timeouts, connection errors, 429 and 5xx
are retried in one place (`_send`, on tenacity), with capped, jittered exponential backoff
that honours `Retry-After`, within `VOD_MAX_RETRIES` retries and `VOD_RETRY_BUDGET_S`
seconds; other answers are final. Every failure is a `bot.vod.errors.VodError`; a cover
change that may have reached VOD but was never confirmed is `VodOutcomeUnknown`, never a
plain failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random_exponential,
)
from tenacity.stop import StopBaseT, stop_base
from tenacity.wait import WaitBaseT

from bot import metrics
from bot.text import shorten
from bot.vod.auth import auth_from_settings
from bot.vod.errors import (
    InvalidArgument,
    InvalidAssetId,
    VodConnectionError,
    VodError,
    VodOutcomeUnknown,
    VodStatusError,
)
from bot.vod.measured import MeasuredTransport
from bot.vod.models import (
    Asset,
    AssetSummary,
    RefreshStatus,
    Snapshot,
    SnapshotKind,
    ThumbnailStatus,
)
from bot.vod.snapshot_url import is_asset_id, parse_snapshot_url

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
SNAPSHOT_KINDS: tuple[SnapshotKind, ...] = ("sample", "dots", "quantity")
MAX_SEARCH_LENGTH = 128
#: Matches a search asks VOD for (one page).
SEARCH_LIMIT = 10
POOL_SIZE = 100
_TRANSPORT_ERRORS = (httpx.TransportError, aiohttp.ClientError, TimeoutError, OSError)


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a failed call again, and how long to wait first (as tenacity strategies)."""

    max_retries: int = 3
    budget_s: float = 30.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0

    def stop(self) -> StopBaseT:
        """After `max_retries` retries, or when the next wait would end past the budget."""
        return stop_after_attempt(self.max_retries + 1) | _OutOfBudget(self)

    def wait(self) -> WaitBaseT:
        """`Retry-After` when VOD sent one, else exponential backoff with "equal jitter":
        between half and all of the step (base * 2^n, capped)."""
        half, cap = self.backoff_base_s / 2, self.backoff_cap_s / 2
        backoff = wait_exponential(multiplier=half, max=cap) + wait_random_exponential(
            multiplier=half, max=cap
        )

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            retry_after = getattr(error, "retry_after_s", None)
            return backoff(state) if retry_after is None else float(retry_after)

        return wait

    def spent_s(self, state: RetryCallState) -> float:
        """Time used so far: the clock, or the waits if the sleep was made instant (tests)."""
        return max(state.seconds_since_start or 0.0, state.idle_for)



class _OutOfBudget(stop_base):
    """Stop when the next wait would end past the budget (so a long `Retry-After` too)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> bool:
        spent = self._policy.spent_s(retry_state)
        return spent + retry_state.upcoming_sleep >= self._policy.budget_s


def retryable_status(status_code: int) -> bool:
    return status_code == 429 or status_code >= 500


def _retryable(error: BaseException) -> bool:
    if isinstance(error, VodStatusError):
        return retryable_status(error.status_code)
    return isinstance(error, VodConnectionError)


def _retryable_unsent(error: BaseException) -> bool:
    """Retryable, and VOD surely did not get it: safe to send again even if not idempotent."""
    return _retryable(error) and not (
        isinstance(error, VodError) and may_have_reached_vod(error))


def may_have_reached_vod(error: VodError) -> bool:
    """Whether VOD may have received (and acted on) the request that ended in `error`.

    Only a failure to connect, or VOD's own error answer, proves it did not. A timeout or
    a lost connection after the request went out, or a gateway that got no usable answer
    from VOD (502) or gave up waiting for it (504), may not: it may have passed it on.
    """
    if isinstance(error, VodStatusError):
        return error.status_code in _GATEWAY_GAVE_UP
    if not isinstance(error, VodConnectionError):
        return False
    causes: list[BaseException] = []
    cause: BaseException | None = error.__cause__
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, _NOT_CONNECTED_AIOHTTP) for c in causes):
        return False
    # httpx-aiohttp maps any lost aiohttp connection (even a server disconnect) to
    # httpx.ConnectTimeout: only trust httpx's own class when no aiohttp error is below.
    if any(isinstance(c, aiohttp.ClientError) for c in causes):
        return True
    return not any(isinstance(c, _NOT_CONNECTED_HTTPX) for c in causes)


_GATEWAY_GAVE_UP = frozenset({502, 504})
_NOT_CONNECTED_AIOHTTP = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
_NOT_CONNECTED_HTTPX = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class VodClient:
    """Asset look-ups and cover changes; use as `async with VodClient.from_settings(s):`."""

    def __init__(
        self,
        *,
        endpoint: str,
        project_id: str,
        auth: httpx.Auth,
        snapshot_hosts: Sequence[str],
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        limits = httpx.Limits(
            max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE, keepalive_expiry=30
        )
        # Absolute URLs: httpx parses each once instead of merging it into a base URL.
        self._prefix = f"{endpoint.rstrip('/')}/v1.0/{quote(project_id, safe='')}"
        #: The CDN refresh calls live under `/v1/`, not `/v1.0/`.
        self._prefix_v1 = f"{endpoint.rstrip('/')}/v1/{quote(project_id, safe='')}"
        self._snapshot_hosts = list(snapshot_hosts)
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy()
        self._first_timeout: Any = (
            httpx.Timeout(max(self._retry.budget_s, 0.01))
            if self._retry.budget_s < timeout_s else httpx.USE_CLIENT_DEFAULT
        )
        self._parsed_urls: dict[str, httpx.URL] = {}
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            auth=auth,
            timeout=httpx.Timeout(timeout_s),
            # httpx ignores `limits` when given a transport: the pool is the transport's.
            transport=MeasuredTransport(transport or AiohttpTransport(limits=limits)),
            headers={"Accept": "application/json", "User-Agent": "setcover-bot"},
            follow_redirects=False,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        retry: RetryPolicy | None = None,
    ) -> VodClient:
        return cls(
            endpoint=settings.vod_endpoint,
            project_id=settings.vod_project_id,
            auth=auth_from_settings(settings),
            snapshot_hosts=settings.vod_snapshot_hosts,
            timeout_s=settings.vod_timeout_s,
            retry=retry or RetryPolicy(
                max_retries=settings.vod_max_retries, budget_s=settings.vod_retry_budget_s
            ),
            transport=transport,
            sleep=sleep,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The process's one HTTP client, for downloads from VOD's CDN too. Its default
        auth is VOD's API credentials: send anything else with `auth=None`."""
        return self._http

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- the calls ------------------------------------------------------------------
    async def get_asset(self, asset_id: str) -> Asset:
        """Title, current cover and snapshots (in offset order) of one asset."""
        asset_id = _checked_asset_id(asset_id)
        response = await self._send(
            "GET", "/asset/details",
            query={"asset_id": asset_id, "categories": "base_info,thumbnail_info"},
        )
        return parse_asset(asset_id, _json_object(response))

    async def search_assets(self, words: str) -> list[AssetSummary]:
        """Up to `SEARCH_LIMIT` assets whose title, description or category matches `words`."""
        return await self._list_assets({"query_string": search_words(words)})

    async def list_assets(self) -> list[AssetSummary]:
        """The first ten assets VOD lists (`setcover-bot check` looks for a snapshot)."""
        return await self._list_assets({})

    async def _list_assets(self, query: dict[str, str]) -> list[AssetSummary]:
        response = await self._send(
            "GET", "/asset/list", query=query | {"page": "0", "size": str(SEARCH_LIMIT)}
        )
        return parse_asset_list(_json_object(response))

    async def count_assets(self) -> int:
        """How many assets the library holds: one cheap read that proves endpoint,
        project and credentials (used by `setcover-bot check`)."""
        response = await self._send("GET", "/asset/list", query={"page": "0", "size": "1"})
        total = _json_object(response).get("total")
        return total if isinstance(total, int) else 0

    async def set_cover(self, thumbnail_url: str) -> str | None:
        """Make the snapshot at `thumbnail_url` its asset's cover; VOD's `X-Request-Id`."""
        ref = parse_snapshot_url(thumbnail_url, self._snapshot_hosts)
        response = await self._send(
            "PUT", "/asset/cover", body={"thumbnailUrl": ref.url}, changes=True
        )
        return response.headers.get("X-Request-Id")

    async def capture(self, asset_id: str, seconds: Sequence[int]) -> str | None:
        """Ask VOD for snapshots at `seconds` (a snapshot task, `dots`); VOD's request id.

        The task runs asynchronously: `get_asset` shows `thumbnail_status` THUMBNAILING,
        then THUMBNAIL_SUCCEED with the new snapshots, or THUMBNAIL_FAILED and `exec_desc`.
        VOD documents that such a task also makes one of its snapshots the cover
        (`cover_position`, default 1); the caller compares covers before and after.
        """
        asset_id = _checked_asset_id(asset_id)
        if not seconds or any(s < 0 for s in seconds):
            raise InvalidArgument("Give one or more times, none of them negative.")
        body = {"asset_id": asset_id,
                "thumbnail": {"type": "dots", "dots": list(seconds), "format": 1}}
        response = await self._send("POST", "/asset/process", body=body, repeatable=False)
        return response.headers.get("X-Request-Id")

    async def refresh_cdn(self, asset_ids: Sequence[str]) -> str:
        """Ask VOD to refresh the CDN for up to 10 assets (`RefreshAsset`); the task id.

        Each asset counts against the account's daily refresh quota (1000 in VOD's docs).
        """
        ids = [_checked_asset_id(asset_id) for asset_id in asset_ids]
        if not 1 <= len(ids) <= 10:
            raise InvalidArgument("A CDN refresh takes 1 to 10 asset ids.")
        response = await self._send("POST", "/asset/refresh", body={"asset_id_list": ids},
                                    repeatable=False, prefix=self._prefix_v1)
        task_id = _text(_json_object(response).get("task_id"))
        if not task_id:
            raise VodError("POST /asset/refresh: VOD answered without a task_id",
                           request_id=response.headers.get("X-Request-Id"))
        return task_id

    async def refresh_status(self, task_id: str) -> RefreshStatus:
        """Where CDN refresh task `task_id` stands (`ShowRefreshResult`).

        VOD answers one `refresh_results` entry per refreshed URL, each `processing`,
        `succeed` or `failed`: any failure fails the task, all succeeded is success.
        """
        response = await self._send("GET", "/asset/refresh", query={"task_id": task_id},
                                    prefix=self._prefix_v1)
        results = _list(_json_object(response).get("refresh_results"))
        states = {str(_mapping(r).get("status") or "").upper() for r in results}
        if RefreshStatus.FAILED in states:
            return RefreshStatus.FAILED
        if states == {RefreshStatus.SUCCEED}:
            return RefreshStatus.SUCCEED
        return RefreshStatus.PROCESSING

    # ---- one place for sending and retrying -------------------------------------------
    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: dict[str, Any] | None = None,
        changes: bool = False,
        repeatable: bool = True,
        prefix: str | None = None,
    ) -> httpx.Response:
        """Send with retries (see `RetryPolicy`); every failure is a `VodError`.

        For a call that `changes` something (an idempotent PUT), a failure after any
        attempt that may have reached VOD is `VodOutcomeUnknown`, never a plain failure.
        A call that is not `repeatable` (a POST that starts a task: a snapshot task costs
        money, a CDN refresh uses quota) is tried again only when VOD surely did not get
        it (no connection, or VOD's own refusal such as 429), never after a timeout.
        """
        url = (prefix or self._prefix) + path
        if query:
            url += "?" + "&".join(
                f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items())
            )
            target: httpx.URL | str = url
        else:
            target = self._parsed_url(url)
        content = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        # The first attempt goes out without tenacity (its set-up and bookkeeping cost
        # more than the rest of a call's own work); only a failed one starts the retries.
        first_started = time.monotonic()
        try:
            return await self._send_once(method, path, url, target, content, headers,
                                         self._first_timeout)
        except VodError as failed:
            first_error: VodError | None = failed
        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable if repeatable else _retryable_unsent),
            stop=self._retry.stop(),
            wait=self._retry.wait(),
            sleep=self._sleep,
            before_sleep=lambda state: self._before_retry(method, path, state),
            reraise=True,
        )
        maybe_sent = False
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        if first_error is not None:
                            # Tenacity's attempt 1 is the one made above: its outcome and
                            # its time count as if tenacity had made it.
                            attempt.retry_state.start_time = first_started
                            replayed, first_error = first_error, None
                            raise replayed
                        remaining = self._retry.budget_s - self._retry.spent_s(
                            attempt.retry_state)
                        timeout: Any = (
                            httpx.Timeout(max(remaining, 0.01)) if remaining < self._timeout_s
                            else httpx.USE_CLIENT_DEFAULT
                        )
                        return await self._send_once(method, path, url, target, content,
                                                     headers, timeout)
                    except VodError as error:
                        maybe_sent = maybe_sent or (changes and may_have_reached_vod(error))
                        raise
        except VodError as error:
            if maybe_sent:
                raise VodOutcomeUnknown(
                    f"{method} {path}: VOD did not confirm the change ({error.message})",
                    request_id=error.request_id,
                ) from error
            raise
        raise AssertionError("tenacity neither returned nor raised")  # pragma: no cover

    def _parsed_url(self, url: str) -> httpx.URL:
        """`url` parsed once: the URLs without a query are a handful per process."""
        parsed = self._parsed_urls.get(url)
        if parsed is None:
            parsed = self._parsed_urls[url] = httpx.URL(url)
        return parsed

    async def _send_once(
        self, method: str, path: str, url: str, target: httpx.URL | str,
        content: bytes | None, headers: dict[str, str] | None, per_try: Any,
    ) -> httpx.Response:
        try:
            response = await self._http.request(
                method, target, content=content, headers=headers, timeout=per_try
            )
        except _TRANSPORT_ERRORS as exc:
            raise VodConnectionError.from_exception(f"{method} {path}", url, exc) from exc
        if response.is_success:
            return response
        error = VodStatusError.from_response(response)
        error.retry_after_s = _retry_after_s(response)
        raise error

    def _before_retry(self, method: str, path: str, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        metrics.VOD_RETRIES.inc()
        log.warning(
            "VOD %s %s: %s; retry %d of %d in %.2f s",
            method, path, getattr(error, "message", error), state.attempt_number,
            self._retry.max_retries, state.upcoming_sleep,
        )


def search_words(text: str) -> str:
    """`text` as VOD searches it (one space between words); `InvalidArgument` if it cannot.

    The one check of a search, used by `search_assets` and by `/setcover search`, so a
    search is refused with the same sentence wherever it is typed.
    """
    words = " ".join(text.split())
    if not words:  # said plainly: the message is the whole answer
        raise InvalidArgument("Say what to search for: a few words of the video's title.",
                              explanation="")
    if len(words) > MAX_SEARCH_LENGTH:
        raise InvalidArgument(
            f"That search is {len(words)} characters long; VOD searches at most "
            f"{MAX_SEARCH_LENGTH}. Try a few words of the title.", explanation=""
        )
    return words


# ---- reading VOD's answers -----------------------------------------------------------
def parse_asset(asset_id: str, data: Mapping[str, Any]) -> Asset:
    """An `Asset` from ShowAssetDetail's answer; missing parts are simply absent."""
    nested = data.get("asset_info")
    if isinstance(nested, Mapping):  # some VOD answers wrap the details once more
        data = {**nested, **{k: v for k, v in data.items() if k != "asset_info"}}
    base = _mapping(data.get("base_info"))
    thumbs = _mapping(data.get("thumbnail_info"))
    covers = [_mapping(c).get("cover_url") for c in _list(base.get("cover_info_array"))]
    snapshots: dict[str, Snapshot] = {}
    for kind in SNAPSHOT_KINDS:
        for item in _list(thumbs.get(kind)):
            url = _mapping(item).get("url")
            if isinstance(url, str) and url and url not in snapshots:
                snapshots[url] = Snapshot(kind=kind, offset=_number(item.get("offset")), url=url)
    return Asset(
        asset_id=str(data.get("asset_id") or asset_id),
        title=str(base.get("title") or base.get("video_name") or ""),
        cover_url=next((c for c in covers if isinstance(c, str) and c), None),
        snapshots=sorted(snapshots.values(), key=lambda s: s.offset),
        thumbnail_status=_thumbnail_status(thumbs.get("thumbnail_status")),
        exec_desc=_text(thumbs.get("exec_desc")),
        duration=_positive(_mapping(base.get("meta_data")).get("duration")),
    )


def _thumbnail_status(value: Any) -> ThumbnailStatus | None:
    try:
        return ThumbnailStatus(value)
    except ValueError:
        return None


def parse_asset_list(data: Mapping[str, Any]) -> list[AssetSummary]:
    """`AssetSummary`s from ListAssetList's `assets[]` (cover from `covers[].cover_url`)."""
    found = []
    for item in map(_mapping, _list(data.get("assets"))):
        if not item.get("asset_id"):
            continue
        covers = [_mapping(c).get("cover_url") for c in _list(item.get("covers"))]
        covers.append(item.get("cover_url"))
        found.append(AssetSummary(
            asset_id=str(item["asset_id"]),
            title=str(item.get("title") or ""),
            cover_url=next((c for c in covers if isinstance(c, str) and c), None),
        ))
    return found


def _checked_asset_id(asset_id: str) -> str:
    asset_id = asset_id.strip()
    if not is_asset_id(asset_id):
        raise InvalidAssetId(f"{shorten(asset_id) or 'An empty text'} is not a VOD asset id.")
    return asset_id


def _json_object(response: httpx.Response) -> Mapping[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, Mapping):
        raise VodError(
            f"VOD answered {response.request.method} {response.request.url.path} with "
            f"HTTP {response.status_code} but a body that is not a JSON object",
            request_id=response.headers.get("X-Request-Id"),
        )
    return data


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _positive(value: Any) -> float | None:
    number = _number(value)
    return number if number > 0 else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None

