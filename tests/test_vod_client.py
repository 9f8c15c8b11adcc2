"""VodClient against the fake VOD over real sockets: what it sends, retries and raises."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.vod.auth import IamTokenAuth
from bot.vod.client import RetryPolicy, VodClient, parse_asset
from bot.vod.errors import (
    AssetNotFound,
    AuthenticationFailed,
    InvalidArgument,
    InvalidAssetId,
    SnapshotUrlError,
    Throttled,
    VodConnectionError,
    VodOutcomeUnknown,
    VodStatusError,
    VodUnavailable,
)
from bot.vod.models import ThumbnailStatus
from tests.fakes.vod_server import FakeVod, snapshot_url

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
AVATAR = "41cff636d5b12a51e7eb2838bbf45201"
MISSING = "ffffffffffffffffffffffffffffffff"


class Sleeps(list[float]):
    """Stands in for asyncio.sleep: records each wait and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_client(
    fake_vod: FakeVod, sleeps: Sleeps
) -> AsyncIterator[Callable[..., VodClient]]:
    clients: list[VodClient] = []

    def make(mode: str = "aksk", *, retry: RetryPolicy | None = None, **overrides: Any):
        client = VodClient.from_settings(
            fake_vod.settings(mode, **overrides), sleep=sleeps, retry=retry
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., VodClient]) -> VodClient:
    return make_client()


# ---- the three calls --------------------------------------------------------------------
async def test_get_asset_parses_details_in_offset_order(
    client: VodClient, fake_vod: FakeVod
) -> None:
    asset = await client.get_asset(KEYNOTE)

    assert asset.asset_id == KEYNOTE
    assert asset.title == "Launch keynote"
    assert asset.cover_url and asset.cover_url.endswith("/cover/Cover0.jpg")
    assert [(s.kind, s.offset) for s in asset.snapshots] == [
        ("sample", 0), ("dots", 5), ("sample", 10), ("dots", 15), ("sample", 20),
        ("quantity", 25),
    ]
    assert asset.snapshots[0].url == snapshot_url(KEYNOTE, "sample", 0)
    assert asset.thumbnail_status is ThumbnailStatus.SUCCEEDED
    [request] = fake_vod.api_requests
    assert request.method == "GET"
    assert request.path == f"/v1.0/{fake_vod.project_id}/asset/details"
    assert request.query == [("asset_id", KEYNOTE), ("categories", "base_info,thumbnail_info")]
    assert request.header("Authorization").startswith("SDK-HMAC-SHA256 Access=" + fake_vod.ak)
    assert request.status == 200


async def test_get_asset_while_snapshots_are_being_made(
    client: VodClient, fake_vod: FakeVod
) -> None:
    fake_vod.add_asset("abc123", "Fresh upload", snapshots={}, thumbnail_status="THUMBNAILING")
    asset = await client.get_asset("abc123")
    assert (asset.title, asset.cover_url, asset.snapshots) == ("Fresh upload", None, [])
    assert asset.thumbnail_status == "THUMBNAILING"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({}, ("x1", "", None, [])),
        ({"base_info": None, "thumbnail_info": "?"}, ("x1", "", None, [])),
        ({"asset_info": {"asset_id": "x2", "base_info": {"video_name": "a.mp4"}}},
         ("x2", "a.mp4", None, [])),
        ({"base_info": {"title": "T", "cover_info_array": [{}, {"cover_url": "c"}]},
          "thumbnail_info": {"sample": [{"url": "u2", "offset": "7"}, {"offset": 1}, "junk",
                                        {"url": "u1"}],
                             "dots": [{"url": "u2", "offset": 7}]}},
         ("x1", "T", "c", [("sample", 0.0, "u1"), ("sample", 7.0, "u2")])),
    ],
)
def test_parse_asset_tolerates_missing_and_odd_parts(answer, expected) -> None:
    asset = parse_asset("x1", answer)
    snapshots = [(s.kind, s.offset, s.url) for s in asset.snapshots]
    assert (asset.asset_id, asset.title, asset.cover_url, snapshots) == expected


@pytest.mark.parametrize(
    ("given", "status"),
    [("THUMBNAILING", ThumbnailStatus.THUMBNAILING), ("THUMBNAIL_FAILED", ThumbnailStatus.FAILED),
     ("UN_THUMBNAIL", None), (7, None), (None, None)],
)
def test_thumbnail_status_is_the_enum_or_none(given: object, status: object) -> None:
    asset = parse_asset("x1", {"thumbnail_info": {"thumbnail_status": given}})
    assert asset.thumbnail_status is status


async def test_search_assets(client: VodClient, fake_vod: FakeVod) -> None:
    fake_vod.assets[AVATAR].cover_url = snapshot_url(AVATAR, "sample", 1)
    found = await client.search_assets("  avatar   BEHIND ")
    assert [(a.asset_id, a.title, a.cover_url) for a in found] == [
        (AVATAR, "Avatar behind the scenes", snapshot_url(AVATAR, "sample", 1))
    ]
    [request] = fake_vod.api_requests
    assert dict(request.query) == {"query_string": "avatar BEHIND", "page": "0", "size": "10"}


async def test_reserved_and_unicode_characters_reach_vod_as_signed(
    client: VodClient, fake_vod: FakeVod
) -> None:
    words = "a+b c/d=e&f~g%h*i 视频 ü"
    assert await client.search_assets(words) == []
    [request] = fake_vod.api_requests
    assert request.status == 200  # the fake recomputed the signature from what arrived
    assert dict(request.query)["query_string"] == words


async def test_set_cover_sends_the_documented_body(client: VodClient, fake_vod: FakeVod) -> None:
    url = snapshot_url(AVATAR, "dots", 1)
    request_id = await client.set_cover(f"  {url} ")

    [change] = fake_vod.cover_changes
    assert (change.asset_id, change.thumbnail_url) == (AVATAR, url)
    assert request_id == change.request_id
    [request] = fake_vod.api_requests
    assert (request.method, request.path) == ("PUT", f"/v1.0/{fake_vod.project_id}/asset/cover")
    assert request.body == json.dumps({"thumbnailUrl": url}, separators=(",", ":")).encode()
    assert request.header("Content-Type") == "application/json"
    assert request.status == 204
    assert (await client.get_asset(AVATAR)).cover_url == url


async def test_every_auth_mode_is_accepted(
    make_client: Callable[..., VodClient], fake_vod: FakeVod, vod_auth_mode: str
) -> None:
    client = make_client(vod_auth_mode)
    await client.set_cover(snapshot_url(KEYNOTE, "sample", 2))
    [request] = fake_vod.api_requests
    assert request.status == 204
    if vod_auth_mode.startswith("aksk"):
        assert request.header("X-Project-Id") == fake_vod.project_id
        assert (request.header("X-Security-Token") is not None) == (vod_auth_mode == "aksk-temp")
        assert "x-security-token" in request.header("Authorization") or vod_auth_mode == "aksk"
    else:
        assert request.header("X-Auth-Token")
        assert request.header("Authorization") is None


# ---- IAM tokens -------------------------------------------------------------------------
async def test_iam_token_is_fetched_once_for_many_calls(
    make_client: Callable[..., VodClient], fake_vod: FakeVod
) -> None:
    client = make_client("iam")
    await asyncio.gather(*(client.get_asset(KEYNOTE) for _ in range(20)))
    for _ in range(5):
        await client.search_assets("keynote")
    assert fake_vod.token_requests == 1
    [token_request] = fake_vod.requests_to("/v3/auth/tokens")
    identity = token_request.json["auth"]
    assert identity["identity"]["password"]["user"]["name"] == fake_vod.iam_username
    assert identity["scope"] == {"project": {"id": fake_vod.project_id}}
    assert all(r.status == 200 for r in fake_vod.api_requests)


async def test_iam_token_is_refreshed_once_for_concurrent_calls_before_it_expires(
    fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    """IAM's tokens last 24 h: the bot asks for a new one 5 minutes before, once however
    many calls need it then. The auth's clock is moved instead of waiting."""
    now = [1000.0]
    settings = fake_vod.settings("iam")
    assert settings.iam_endpoint and settings.iam_domain and settings.iam_username
    assert settings.iam_password is not None
    auth = IamTokenAuth(settings.iam_endpoint, settings.iam_domain, settings.iam_username,
                        settings.iam_password, settings.vod_project_id, clock=lambda: now[0])
    async with VodClient(endpoint=settings.vod_endpoint, project_id=settings.vod_project_id,
                         auth=auth, snapshot_hosts=settings.vod_snapshot_hosts,
                         sleep=sleeps) as client:
        await client.get_asset(KEYNOTE)
        now[0] += 24 * 3600 - 301  # 1 s before the refresh is due: the same token
        await client.get_asset(KEYNOTE)
        assert fake_vod.token_requests == 1
        now[0] += 2
        assets = await asyncio.gather(*(client.get_asset(KEYNOTE) for _ in range(50)))
    assert len(assets) == 50
    assert fake_vod.token_requests == 2
    tokens = [r.header("X-Auth-Token") for r in fake_vod.api_requests]
    assert tokens[0] == tokens[1] != tokens[2] and len(set(tokens[2:])) == 1
    assert [r.status for r in fake_vod.api_requests] == [200] * 52


async def test_refused_token_is_replaced_and_the_call_retried_once(
    make_client: Callable[..., VodClient], fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    client = make_client("iam")
    await client.get_asset(KEYNOTE)
    fake_vod.revoke_tokens()
    await client.set_cover(snapshot_url(KEYNOTE, "sample", 1))
    assert fake_vod.token_requests == 2
    assert [r.status for r in fake_vod.requests_to("/asset/cover")] == [401, 204]
    assert len(fake_vod.cover_changes) == 1
    assert sleeps == []


async def test_wrong_iam_password_is_an_authentication_error_without_secrets(
    make_client: Callable[..., VodClient], fake_vod: FakeVod
) -> None:
    client = make_client("iam", iam_password="not-the-password")
    with pytest.raises(AuthenticationFailed) as raised:
        await client.get_asset(KEYNOTE)
    assert "IAM" in str(raised.value) and raised.value.status_code == 401
    assert "not-the-password" not in str(raised.value) + repr(raised.value.__dict__)
    assert fake_vod.token_requests == 1 and fake_vod.api_requests == []


async def test_unknown_static_token_is_refused_without_retry(
    make_client: Callable[..., VodClient], fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    client = make_client("token", vod_auth_token="not-a-token")
    with pytest.raises(AuthenticationFailed) as raised:
        await client.get_asset(KEYNOTE)
    assert raised.value.code == "APIGW.0301"
    assert len(fake_vod.api_requests) == 1 and sleeps == []


async def test_wrong_secret_key_is_an_authentication_error_without_secrets(
    make_client: Callable[..., VodClient], fake_vod: FakeVod
) -> None:
    client = make_client("aksk", vod_sk="wrong-secret-key")
    with pytest.raises(AuthenticationFailed) as raised:
        await client.set_cover(snapshot_url(KEYNOTE, "sample", 1))
    assert "verify aksk signature fail" in raised.value.message
    assert "wrong-secret-key" not in str(raised.value)
    assert raised.value.request_id and fake_vod.cover_changes == []


# ---- retries ----------------------------------------------------------------------------
async def test_5xx_is_retried_with_backoff(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.fail("/asset/details", status=503, times=2)
    await client.get_asset(KEYNOTE)
    assert [r.status for r in fake_vod.api_requests] == [503, 503, 200]
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


async def test_429_waits_as_long_as_retry_after_says(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.fail("/asset/cover", status=429, retry_after=2, times=1)
    await client.set_cover(snapshot_url(KEYNOTE, "sample", 0))
    assert [r.status for r in fake_vod.api_requests] == [429, 204]
    assert sleeps == [2.0]
    assert len(fake_vod.cover_changes) == 1


async def test_dropped_connection_is_retried(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.drop("/asset/cover", times=1)
    await client.set_cover(snapshot_url(KEYNOTE, "sample", 0))
    statuses = [r.status for r in fake_vod.requests_to("/asset/cover")]
    assert statuses[0] == 0 and statuses[-1] == 204
    assert len(fake_vod.cover_changes) == 1


async def test_timeouts_are_retried_then_reported(
    make_client: Callable[..., VodClient], fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.latency["/asset/details"] = 1.0
    client = make_client(vod_timeout_s=0.2, vod_max_retries=2)
    with pytest.raises(VodConnectionError) as raised:
        await client.get_asset(KEYNOTE)
    assert "no answer in time" in str(raised.value)
    assert len(fake_vod.api_requests) == 3 and len(sleeps) == 2


async def test_the_first_attempts_time_counts_against_the_retry_budget(
    make_client: Callable[..., VodClient], fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    """The first attempt runs before tenacity starts; its 0.3 s still count, so no
    retry fits in a 0.35 s budget."""
    fake_vod.latency["/asset/details"] = 1.0
    retry = RetryPolicy(max_retries=3, budget_s=0.35, backoff_base_s=0.1, backoff_cap_s=0.1)
    client = make_client(vod_timeout_s=0.3, retry=retry)
    with pytest.raises(VodConnectionError):
        await client.get_asset(KEYNOTE)
    assert len(fake_vod.api_requests) == 1 and sleeps == []


async def test_persistent_5xx_gives_up_after_max_retries(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.fail("*", status=500, times=100)
    with pytest.raises(VodUnavailable) as raised:
        await client.get_asset(KEYNOTE)
    assert len(fake_vod.api_requests) == 4 and len(sleeps) == 3
    assert raised.value.status_code == 500 and raised.value.request_id


async def test_vod_error_code_is_not_retried(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    with pytest.raises(AssetNotFound) as raised:
        await client.get_asset(MISSING)
    error = raised.value
    assert (error.status_code, error.code) == (400, "VOD.10062")
    assert error.request_id == fake_vod.api_requests[0].request_id
    assert "does not exist" in error.message and "asset id" in error.explanation
    assert len(fake_vod.api_requests) == 1 and sleeps == []


async def test_set_cover_of_unknown_snapshot(client: VodClient, fake_vod: FakeVod) -> None:
    with pytest.raises(AssetNotFound):
        await client.set_cover(snapshot_url(MISSING, "sample", 0))
    assert fake_vod.cover_changes == [] and len(fake_vod.api_requests) == 1


async def test_non_json_error_body_gives_a_clear_error(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.fail("/asset/details", status=400, body="<html><h1>Bad Request</h1></html>")
    with pytest.raises(VodStatusError) as raised:
        await client.get_asset(KEYNOTE)
    assert raised.value.code is None and raised.value.status_code == 400
    assert raised.value.message.startswith("HTTP 400 Bad Request: <html>")
    assert sleeps == []


async def test_non_json_gateway_page_is_retried_then_unavailable(
    client: VodClient, fake_vod: FakeVod
) -> None:
    fake_vod.fail("*", status=502, body="<html>Bad Gateway</html>", times=10)
    with pytest.raises(VodUnavailable, match="HTTP 502"):
        await client.search_assets("keynote")


async def test_retry_after_beyond_the_budget_is_not_waited_for(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.fail("*", status=429, retry_after=60, times=5)
    with pytest.raises(Throttled) as raised:
        await client.get_asset(KEYNOTE)
    assert raised.value.code == "APIGW.0308"
    assert len(fake_vod.api_requests) == 1 and sleeps == []


async def test_retry_budget_stops_retrying(fake_vod: FakeVod) -> None:
    fake_vod.fail("*", status=503, times=100)
    retry = RetryPolicy(max_retries=10, budget_s=0.5, backoff_base_s=0.2, backoff_cap_s=0.2)
    started = time.monotonic()
    async with VodClient.from_settings(fake_vod.settings(), retry=retry) as client:
        with pytest.raises(VodUnavailable):
            await client.get_asset(KEYNOTE)
    assert time.monotonic() - started < 0.8
    assert 2 <= len(fake_vod.api_requests) <= 6


# ---- input checked before any call ------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "argument", "error"),
    [
        ("set_cover", "not a url", SnapshotUrlError),
        ("set_cover", f"http://355.cdn-vod.huaweicloud.com/asset/{KEYNOTE}/snapshot/sample/0.jpg",
         SnapshotUrlError),
        ("set_cover", f"https://evil.example.com/asset/{KEYNOTE}/snapshot/sample/0.jpg",
         SnapshotUrlError),
        ("set_cover", snapshot_url(KEYNOTE, "sample", 0) + "x" * 10_000, SnapshotUrlError),
        ("set_cover", "", SnapshotUrlError),
        ("get_asset", "", InvalidAssetId),
        ("get_asset", "abc/def", InvalidAssetId),
        ("get_asset", "../" + KEYNOTE, InvalidAssetId),
        ("get_asset", "a" * 10_000, InvalidAssetId),
        ("get_asset", "abc?x=1", InvalidAssetId),
        ("search_assets", "   ", InvalidArgument),
        ("search_assets", "w" * 10_000, InvalidArgument),
    ],
)
async def test_bad_input_is_refused_before_any_call(
    client: VodClient, fake_vod: FakeVod, call: str, argument: str, error: type
) -> None:
    with pytest.raises(error) as raised:
        await getattr(client, call)(argument)
    said = " ".join(p for p in (raised.value.message, raised.value.explanation) if p)
    assert said and len(said) < 300
    assert fake_vod.requests == []


# ---- a change VOD may have made but never confirmed --------------------------------------
async def _until(condition: Callable[[], bool], within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "the fake VOD never got there"
        await asyncio.sleep(0.02)


async def test_put_that_times_out_while_vod_applies_it_is_unknown_not_failed(
    make_client: Callable[..., VodClient], fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    fake_vod.latency["/asset/cover"] = 0.6
    client = make_client(vod_timeout_s=0.2, vod_max_retries=1)
    url = snapshot_url(KEYNOTE, "sample", 1)
    with pytest.raises(VodOutcomeUnknown) as raised:
        await client.set_cover(url)
    assert not isinstance(raised.value, VodConnectionError)
    assert "did not confirm" in raised.value.message
    assert "may already be live" in raised.value.explanation
    assert len(fake_vod.requests_to("/asset/cover")) == 2 and len(sleeps) == 1
    # VOD did apply them: the cover changed although nobody confirmed it.
    await _until(lambda: len(fake_vod.cover_changes) == 2)
    assert fake_vod.assets[KEYNOTE].cover_url == url


async def test_put_whose_connection_is_lost_every_time_is_unknown(
    client: VodClient, fake_vod: FakeVod
) -> None:
    fake_vod.drop("/asset/cover", times=10)
    with pytest.raises(VodOutcomeUnknown):
        await client.set_cover(snapshot_url(KEYNOTE, "sample", 0))
    # (aiohttp itself resends an idempotent request once on a dropped connection.)
    assert {r.status for r in fake_vod.requests_to("/asset/cover")} == {0}


async def test_put_after_a_lost_answer_then_a_refusal_is_still_unknown(
    client: VodClient, fake_vod: FakeVod
) -> None:
    fake_vod.fail("/asset/cover", status=504, times=1)
    fake_vod.fail("/asset/cover", status=400, code="VOD.10053", times=1)
    with pytest.raises(VodOutcomeUnknown) as raised:
        await client.set_cover(snapshot_url(KEYNOTE, "sample", 0))
    assert [r.status for r in fake_vod.requests_to("/asset/cover")] == [504, 400]
    assert isinstance(raised.value.__cause__, VodStatusError)


async def test_put_refused_by_an_overloaded_vod_is_a_failure(
    client: VodClient, fake_vod: FakeVod
) -> None:
    fake_vod.fail("/asset/cover", status=503, times=10)
    with pytest.raises(VodUnavailable):
        await client.set_cover(snapshot_url(KEYNOTE, "sample", 0))
    assert fake_vod.cover_changes == []


async def test_put_that_cannot_connect_is_a_failure_not_unknown(
    make_client: Callable[..., VodClient], sleeps: Sleeps
) -> None:
    client = make_client(vod_endpoint="http://127.0.0.1:9")
    with pytest.raises(VodConnectionError) as raised:
        await client.set_cover(snapshot_url(KEYNOTE, "sample", 0))
    assert not isinstance(raised.value, VodOutcomeUnknown)
    assert len(sleeps) == 3


async def test_reads_that_time_out_are_never_unknown(
    make_client: Callable[..., VodClient], fake_vod: FakeVod
) -> None:
    fake_vod.latency["/asset/details"] = 1.0
    client = make_client(vod_timeout_s=0.2, vod_max_retries=0)
    with pytest.raises(VodConnectionError) as raised:
        await client.get_asset(KEYNOTE)
    assert not isinstance(raised.value, VodOutcomeUnknown)


@pytest.mark.parametrize("path", ["/asset/process", "/asset/refresh"])
async def test_a_task_post_that_may_have_reached_vod_is_not_sent_again(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps, path: str
) -> None:
    """A snapshot task costs money and a CDN refresh uses quota: after a lost connection
    VOD may have started the task, so the POST is not repeated (a GET or the PUT would be)."""
    fake_vod.drop(path, times=1)
    with pytest.raises(VodConnectionError):
        if path == "/asset/process":
            await client.capture(KEYNOTE, [5])
        else:
            await client.refresh_cdn([KEYNOTE])
    assert len(fake_vod.requests_to(path)) == 1 and sleeps == []


async def test_a_task_post_refused_with_429_is_sent_again(
    client: VodClient, fake_vod: FakeVod, sleeps: Sleeps
) -> None:
    """429 is VOD's own refusal: nothing was started, so trying again is safe."""
    fake_vod.fail("/asset/process", status=429, times=1)
    await client.capture(KEYNOTE, [5])
    assert [r.status for r in fake_vod.requests_to("/asset/process")] == [429, 202]
    assert len(sleeps) == 1
