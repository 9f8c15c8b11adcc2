"""How the VOD client proves who it is: each scheme is an `httpx.Auth`.

    AkSkAuth         SDK-HMAC-SHA256 signature, as huaweicloudsdkcore's `Signer` computes it
    IamTokenAuth     IAM password token, cached, refreshed before expiry, one refresh at a time
    StaticTokenAuth  a fixed token (VOD_AUTH_TOKEN), for short tests

`auth_from_settings(settings)` picks the one the configuration names.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote

import httpx
from pydantic import SecretStr

from bot.vod.errors import AuthenticationFailed, VodStatusError

if TYPE_CHECKING:
    from bot.config import Settings

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
# The headers we sign, when present: enough to bind the request to its host, project,
# time, credentials and body type. Headers httpx or a transport add (user-agent,
# accept-encoding, content-length…) are left out, so no hop can break the signature.
SIGNED_HEADERS = ("content-type", "host", "x-project-id", "x-sdk-content-sha256",
                  "x-sdk-date", "x-security-token")


class AkSkAuth(httpx.Auth):
    """Sign every request with `SDK-HMAC-SHA256` (Huawei Cloud's AK/SK scheme).

    The canonical request is built exactly as `huaweicloudsdkcore.signer.Signer` builds
    it, so the `Authorization` value is byte-identical for the same request and time. The
    query is put on the wire in its canonical form too, as the SDK sends it, so what the
    gateway decodes is what was signed. An `X-Sdk-Date` already on the request is kept.
    """

    requires_request_body = True

    def __init__(
        self,
        ak: SecretStr,
        sk: SecretStr,
        project_id: str,
        security_token: SecretStr | None = None,
    ) -> None:
        self._ak = ak.get_secret_value()
        self._key = hmac.new(sk.get_secret_value().encode(), digestmod=hashlib.sha256)
        self._project_id = project_id
        self._token = security_token.get_secret_value() if security_token else None
        self._date_second = -1
        self._date = ""

    def __repr__(self) -> str:
        return f"AkSkAuth(project_id={self._project_id!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def sign(self, request: httpx.Request) -> None:
        """Add `X-Sdk-Date`, `X-Project-Id`, `X-Security-Token` and `Authorization`."""
        headers = request.headers
        date = headers.get("x-sdk-date")
        if date is None:
            date = self._now()
            headers["X-Sdk-Date"] = date
        if self._project_id:
            headers["X-Project-Id"] = self._project_id
        if self._token is not None:
            headers["X-Security-Token"] = self._token
        content_type = headers.get("content-type")
        if content_type and not content_type.startswith(("application/json", "application/bson")):
            headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD"

        raw_query = request.url.query.decode("ascii")
        query = canonical_query(raw_query)
        if query != raw_query:
            request.url = request.url.copy_with(query=query.encode("ascii") or None)

        # One pass over the headers (lower-cased names, repeats joined as `headers[name]`
        # joins them): httpx's `Headers` walks its whole list on every look-up.
        values = dict(headers.items())
        names = [name for name in SIGNED_HEADERS if name in values]
        signed = ";".join(names)
        canonical_headers = "".join(f"{name}:{values[name].strip()}\n" for name in names)
        body = request.content
        if not body:
            payload_hash = EMPTY_BODY_SHA256
        else:
            payload_hash = values.get("x-sdk-content-sha256") or hashlib.sha256(body).hexdigest()
        canonical_request = "\n".join((
            request.method.upper(),
            canonical_uri(request.url.raw_path.split(b"?", 1)[0].decode("ascii")),
            query,
            canonical_headers,
            signed,
            payload_hash,
        ))
        string_to_sign = "\n".join((
            ALGORITHM, date, hashlib.sha256(canonical_request.encode()).hexdigest()
        ))
        mac = self._key.copy()
        mac.update(string_to_sign.encode())
        headers["Authorization"] = (
            f"{ALGORITHM} Access={self._ak}, SignedHeaders={signed}, Signature={mac.hexdigest()}"
        )

    def _now(self) -> str:
        now = int(time.time())
        if now != self._date_second:
            self._date = time.strftime(DATE_FORMAT, time.gmtime(now))
            self._date_second = now
        return self._date


@lru_cache(maxsize=256)
def canonical_uri(path: str) -> str:
    """Each decoded path segment percent-encoded (RFC 3986 unreserved kept), trailing '/'."""
    uri = "/".join(quote(segment, safe="~") for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


@lru_cache(maxsize=1024)
def canonical_query(raw_query: str) -> str:
    """Decoded parameters sorted by name, then value; names and values percent-encoded."""
    if not raw_query:
        return ""
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


class StaticTokenAuth(httpx.Auth):
    """Send a fixed IAM token as `X-Auth-Token`."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token.get_secret_value()

    def __repr__(self) -> str:
        return "StaticTokenAuth()"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token
        yield request


class IamTokenAuth(httpx.Auth):
    """An IAM user token (password auth, scoped to the project), fetched when needed.

    The token request goes out through the same client and transport as the VOD call that
    needs it (an extra request of the auth flow). The token is reused until shortly before
    it expires (`refresh_margin_s`, at most a fifth of its lifetime); only one refresh runs
    at a time however many calls wait for it. A 401 from VOD with a token that is still the
    cached one drops it, fetches a new one and retries that request once.
    """

    def __init__(
        self,
        iam_endpoint: str,
        domain: str,
        username: str,
        password: SecretStr,
        project_id: str,
        *,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = iam_endpoint.rstrip("/") + "/v3/auth/tokens"
        self._domain = domain
        self._username = username
        self._password = password
        self._project_id = project_id
        self._margin = refresh_margin_s
        self._clock = clock  # when to refresh; tests move it instead of waiting
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"IamTokenAuth(url={self._url!r}, domain={self._domain!r}, user={self._username!r})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("IamTokenAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._valid_token()
        if token is None:
            async with self._lock:
                token = self._valid_token()
                if token is None:
                    token = self._keep(await _read((yield self._token_request())))
        request.headers["X-Auth-Token"] = token
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:
            if self._token in (None, token):
                self._token = None
                fresh = self._keep(await _read((yield self._token_request())))
            else:
                fresh = self._token
        request.headers["X-Auth-Token"] = fresh
        yield request

    def _valid_token(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    def _token_request(self) -> httpx.Request:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self._username,
                            "password": self._password.get_secret_value(),
                            "domain": {"name": self._domain},
                        }
                    },
                },
                "scope": {"project": {"id": self._project_id}},
            }
        }
        return httpx.Request(
            "POST", self._url, content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json;charset=utf8"},
        )

    def _keep(self, response: httpx.Response) -> str:
        """Keep the token IAM answered with, or raise the error it answered with."""
        if response.status_code >= 300:
            error = VodStatusError.from_response(response)
            error.message = f"IAM refused the token request: {error.message}"
            error.args = (error.message,)
            raise error
        token = response.headers.get("X-Subject-Token")
        try:
            expires_at = datetime.fromisoformat(response.json()["token"]["expires_at"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthenticationFailed(
                "IAM answered the token request without a token expiry",
                status_code=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
            ) from exc
        if not token:
            raise AuthenticationFailed(
                "IAM answered the token request without X-Subject-Token",
                status_code=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
            )
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        lifetime = (expires_at - datetime.now(UTC)).total_seconds()
        # Refresh ahead of expiry. A local clock already past the expiry (skew) still uses
        # the token for a moment: VOD's 401 would then bring a new one.
        refresh_in = lifetime - min(self._margin, lifetime / 5) if lifetime > 0 else 1.0
        self._refresh_at = self._clock() + refresh_in
        self._token = token
        return token


async def _read(response: httpx.Response) -> httpx.Response:
    await response.aread()
    return response


def auth_from_settings(settings: Settings) -> httpx.Auth:
    """The `httpx.Auth` for the one authentication mode the settings configure."""
    from bot.config import AuthMode

    mode = settings.auth_mode
    if mode is AuthMode.AKSK:
        assert settings.vod_ak is not None and settings.vod_sk is not None
        return AkSkAuth(
            settings.vod_ak, settings.vod_sk, settings.vod_project_id, settings.vod_security_token
        )
    if mode is AuthMode.IAM:
        assert settings.iam_endpoint and settings.iam_domain and settings.iam_username
        assert settings.iam_password is not None
        return IamTokenAuth(
            settings.iam_endpoint,
            settings.iam_domain,
            settings.iam_username,
            settings.iam_password,
            settings.vod_project_id,
        )
    assert settings.vod_auth_token is not None
    return StaticTokenAuth(settings.vod_auth_token)
