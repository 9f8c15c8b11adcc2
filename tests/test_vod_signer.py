"""AkSkAuth against the reference: huaweicloudsdkcore's own signer, and the fake gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from pydantic import SecretStr

from bot.vod.auth import AkSkAuth
from tests.fakes.vod_server import FakeVod

AK, SK, PROJECT = "HPUAEXAMPLEAK0000001", "example-secret-key/with+chars=", "0a1b2c3d4e5f"
DATE = "20260227T080910Z"
HOST = "vod.cn-north-4.myhuaweicloud.com"
JSON = "application/json"

# method, path (as sent, percent-encoded), query pairs, content type, body, security token
CASES = [
    ("GET", "/v1.0/p/asset/details",
     [("asset_id", "6e76f92034ceae2f"), ("categories", "base_info,thumbnail_info")],
     None, b"", None),
    ("GET", "/v1.0/p/asset/list",
     [("query_string", "a b/c+d=e&f~g%h*i'j!k"), ("page", "0"), ("size", "10")],
     JSON, b"", None),
    ("GET", "/v1.0/p/asset/list",
     [("status", "PUBLISHED"), ("asset_id", "b"), ("status", "CREATED"), ("asset_id", "a")],
     None, b"", None),
    ("GET", "/v1.0/p/asset/list", [("query_string", "视频 封面 ü"), ("empty", "")], JSON, b"",
     None),
    ("GET", "/v1.0/p/asset/" + quote("视频 名"), [], JSON, b"", None),
    ("GET", "/v1.0/p/asset/details/", [("asset_id", "x")], JSON, b"", None),
    ("PUT", "/v1.0/p/asset/cover", [], JSON,
     b'{"thumbnailUrl":"https://355.cdn-vod.huaweicloud.com/shield/asset/abc/snapshot/sample/0.jpg"}',
     None),
    ("PUT", "/v1.0/p/asset/cover", [], "application/json;charset=UTF-8", b'{"a":"\xc3\xbc"}',
     "temporary-security-token-value"),
    ("POST", "/v1.0/p/asset/extract_audio", [("x", "1")], JSON, b'{"asset_id":"abc"}',
     "temporary-security-token-value"),
    ("POST", "/v1.0/p/asset/upload", [], "text/plain", b"raw bytes, not JSON", None),
    ("DELETE", "/v1.0/p/asset", [("asset_id", "a"), ("asset_id", "b")], JSON, b"", None),
    ("DELETE", "/v1.0/p/asset", [], None, b"", "temporary-security-token-value"),
]


def sdk_authorization(method, path, query, content_type, body, token) -> str:
    headers = {"X-Sdk-Date": DATE}
    if content_type:
        headers["Content-Type"] = content_type
    request = SdkRequest(
        method=method, schema="https", host=HOST, resource_path=path,
        query_params=list(query), header_params=headers, body=body,
    )
    credentials = BasicCredentials(AK, SK, PROJECT)
    if token:
        credentials = credentials.with_security_token(token)
    return credentials.sign_request(request).header_params["Authorization"]


def our_request(method, path, query, content_type, body, token) -> httpx.Request:
    url = f"https://{HOST}{path}" + ("?" + urlencode(query, quote_via=quote) if query else "")
    headers = {"X-Sdk-Date": DATE, "User-Agent": "not-signed", "Accept-Encoding": "gzip"}
    if content_type:
        headers["Content-Type"] = content_type
    request = httpx.Request(method, url, headers=headers, content=body)
    auth = AkSkAuth(SecretStr(AK), SecretStr(SK), PROJECT,
                    SecretStr(token) if token else None)
    auth.sign(request)
    return request


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]} {c[1][:30]} {c[2][:1]}")
def test_authorization_is_byte_identical_to_the_sdk_signer(case) -> None:
    ours = our_request(*case)
    assert ours.headers["Authorization"] == sdk_authorization(*case)
    assert ours.headers["X-Project-Id"] == PROJECT
    assert ("X-Security-Token" in ours.headers) == bool(case[5])


def test_the_query_goes_out_in_the_canonical_form_the_sdk_sends() -> None:
    request = our_request("GET", "/v1.0/p/asset/list",
                          [("q", "a b+c"), ("a", "2"), ("a", "1")], None, b"", None)
    assert request.url.query == b"a=1&a=2&q=a%20b%2Bc"


def test_unsigned_headers_do_not_change_the_signature() -> None:
    first = our_request(*CASES[0])
    second = our_request(*CASES[0])
    second.headers["User-Agent"] = "something else"
    AkSkAuth(SecretStr(AK), SecretStr(SK), PROJECT).sign(second)
    assert "user-agent" not in first.headers["Authorization"]
    assert first.headers["Authorization"] == second.headers["Authorization"]


def test_secrets_are_not_in_repr() -> None:
    auth = AkSkAuth(SecretStr(AK), SecretStr(SK), PROJECT, SecretStr("tok"))
    assert SK not in repr(auth) and "tok" not in repr(auth)


# ---- the fake gateway checks signatures as the cloud does --------------------------------
def _signed(fake: FakeVod, *, ak=None, sk=None, project=None, date=None, body=b"",
            method="GET", path=None, query="asset_id=6e76f92034ceae2fcdcef9413221511f",
            ) -> httpx.Request:
    path = path or f"/v1.0/{fake.project_id}/asset/details"
    headers = {"X-Sdk-Date": date} if date else {}
    request = httpx.Request(method, f"{fake.url}{path}?{query}", headers=headers, content=body)
    AkSkAuth(SecretStr(ak or fake.ak), SecretStr(sk or fake.sk),
             fake.project_id if project is None else project).sign(request)
    return request


def _send(request: httpx.Request) -> httpx.Response:
    with httpx.Client() as client:
        return client.send(request)


def test_fake_accepts_our_signature(fake_vod: FakeVod) -> None:
    response = _send(_signed(fake_vod))
    assert response.status_code == 200, response.text
    assert response.json()["asset_id"] == "6e76f92034ceae2fcdcef9413221511f"


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda r: r.headers.__setitem__("X-Sdk-Date", "20260101T000000Z"), "expired"),
        (lambda r: setattr(r, "url", r.url.copy_with(query=b"asset_id=other")),
         "signature fail"),
        (lambda r: r.headers.__setitem__("Host", "evil.example.com"), "signature fail"),
        (lambda r: r.headers.__setitem__(
            "Authorization", r.headers["Authorization"][:-4] + "0000"), "signature fail"),
    ],
    ids=["date", "query", "host", "signature"],
)
def test_fake_rejects_a_tampered_request(fake_vod: FakeVod, tamper, reason) -> None:
    request = _signed(fake_vod)
    tamper(request)
    response = _send(request)
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"
    assert reason in response.json()["error_msg"]


def test_fake_rejects_a_tampered_body(fake_vod: FakeVod) -> None:
    body = b'{"thumbnailUrl":"https://355.cdn-vod.huaweicloud.com/a"}'
    request = _signed(fake_vod, method="PUT", body=body, query="",
                      path=f"/v1.0/{fake_vod.project_id}/asset/cover")
    tampered = httpx.Request("PUT", request.url, headers=request.headers,
                             content=body.replace(b"/a", b"/b"))
    assert _send(tampered).status_code == 401


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"ak": "UNKNOWNAK0000000000"}, "ak not exist"),
        ({"sk": "wrong-secret"}, "signature fail"),
        ({"project": ""}, "X-Project-Id"),
        ({"date": timedelta(minutes=-20)}, "expired"),
        ({"date": timedelta(minutes=20)}, "expired"),
    ],
    ids=["unknown-ak", "wrong-sk", "no-project", "old-date", "future-date"],
)
def test_fake_rejects_bad_credentials(fake_vod: FakeVod, kwargs, reason) -> None:
    # A date skew is turned into a date only now: computed at collection time, it would
    # drift back inside the fake's 15-minute window during a long test run.
    if isinstance(skew := kwargs.get("date"), timedelta):
        kwargs = {**kwargs, "date": (datetime.now(UTC) + skew).strftime("%Y%m%dT%H%M%SZ")}
    response = _send(_signed(fake_vod, **kwargs))
    assert response.status_code == 401
    assert reason in response.json()["error_msg"]


def test_fake_accepts_a_date_within_fifteen_minutes(fake_vod: FakeVod) -> None:
    date = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y%m%dT%H%M%SZ")
    assert _send(_signed(fake_vod, date=date)).status_code == 200
