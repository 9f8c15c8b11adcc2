"""A fake VOD CDN with Key anti-leech on, on a real socket (127.0.0.1).

It serves the bytes tests `put` under a path, and, when `protect`ed, answers 403 to any
request without a valid, unexpired signature of the domain's algorithm (A to D), as VOD's
"Key防盗链" page describes them. The checks are written here from that page, apart from
`bot.vod.url_auth`, so the bot's signer is judged against a second reading, not against
itself: A and C take the Unix time (C in hex), B the UTC minute (yyyyMMddHHmm), D the UTC
second inside the AES-128-CBC token. A request is valid within `window_s` of its time (the
console's "allowed time difference", 120 minutes by default).

The fake VOD lists snapshot URLs on it (`snapshot_url`), which the strict parse accepts
because a loopback host may be `http://` with a port.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pytest
from aiohttp import web
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.standin.server import Standin
from bot.standin.vod import FakeVod

#: The key the tests' CDN is configured with, by algorithm (D's is 16 characters).
KEYS = {"A": "GCTbw44s6MPLh4GqgDpnfuFHgy25Enly", "B": "aliyuncdnexp1234-b-key",
        "C": "DvYmqE81E1F9R791H6lmht", "D": "0123456789abcdef"}
WINDOW_S = 120 * 60

_B_PATH = re.compile(r"/(?P<time>[0-9]{12})/(?P<md5>[0-9a-f]{32})(?P<path>/.*)")
_C_PATH = re.compile(r"/(?P<md5>[0-9a-f]{32})/(?P<hex>[0-9a-fA-F]{1,16})(?P<path>/.*)")


@dataclass(frozen=True)
class CdnRequest:
    target: str  # path and query as they arrived
    status: int


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class FakeCdn(Standin):
    """Bytes by path; `protect(algorithm, key)` turns Key anti-leech on (tests: `reset`)."""

    def __init__(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        super().__init__(app)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.files: dict[str, bytes] = {}
            self.requests: list[CdnRequest] = []
            self.algorithm = ""
            self.key = ""
            self.window_s = float(WINDOW_S)

    def protect(self, algorithm: str, key: str | None = None) -> str:
        """Require signatures of `algorithm` with `key` (default: `KEYS`); returns the key."""
        with self.lock:
            self.algorithm, self.key = algorithm, key or KEYS[algorithm]
            return self.key

    def put(self, path: str, body: bytes) -> str:
        """Serve `body` at `path`; returns its plain (unsigned) URL."""
        with self.lock:
            self.files[path] = body
        return self.url + path

    def snapshot_url(self, asset_id: str, kind: str, n: int, body: bytes = b"") -> str:
        """A snapshot URL on this CDN (with a `/shield` prefix, as VOD's example has),
        serving `body` (default: a few bytes naming it)."""
        path = f"/shield/asset/{asset_id}/snapshot/{kind}/{n}.jpg"
        return self.put(path, body or f"frame {asset_id} {kind} {n}".encode())

    def serve_assets(
        self, vod: FakeVod, picture: Callable[[str], bytes] | None = None
    ) -> None:
        """Move every snapshot and cover `vod` lists onto this CDN, at the same paths, each
        serving `picture(its URL before)` (default: a few bytes naming it)."""
        def moved(url: str) -> str:
            path = urlsplit(url).path
            return self.put(path, picture(url) if picture else f"picture at {path}".encode())

        with vod.lock:  # read, then fetch without the lock: the fake VOD may serve them
            assets = list(vod.assets.values())
        for asset in assets:
            snapshots = {kind: [(offset, moved(url)) for offset, url in items]
                         for kind, items in asset.snapshots.items()}
            cover = asset.cover_url and moved(asset.cover_url)
            with vod.lock:
                asset.snapshots, asset.cover_url = snapshots, cover

    def statuses(self) -> list[int]:
        with self.lock:
            return [request.status for request in self.requests]

    # ---- the server -----------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.Response:
        target = request.raw_path
        with self.lock:
            algorithm, key, window = self.algorithm, self.key, self.window_s
        path = self._check(target, algorithm, key, window, time.time())
        with self.lock:
            body = self.files.get(path) if path is not None else None
            status = 403 if path is None else 200 if body is not None else 404
            self.requests.append(CdnRequest(target, status))
        if body is None:
            return web.Response(status=status, text="Forbidden" if status == 403 else "")
        return web.Response(body=body, content_type="image/jpeg")

    def _check(
        self, target: str, algorithm: str, key: str, window: float, now: float
    ) -> str | None:
        """The plain path `target` asks for, or None when its signature does not hold."""
        path, _, query = target.partition("?")
        if not algorithm:
            return path if not query else None
        if algorithm in "AD":
            name, _, value = query.partition("=")
            expected = "auth_key" if algorithm == "A" else "auth_info"
            if name != expected or "&" in value:
                return None
            valid = (_valid_a if algorithm == "A" else _valid_d)(path, value, key)
            return path if valid is not None and abs(now - valid) <= window else None
        match = (_B_PATH if algorithm == "B" else _C_PATH).fullmatch(path)
        if query or match is None:
            return None
        plain = match["path"]
        if algorithm == "B":
            signed_at = datetime.strptime(match["time"], "%Y%m%d%H%M").replace(tzinfo=UTC)
            digest, when = _md5(key + match["time"] + plain), signed_at.timestamp()
        else:
            digest, when = _md5(key + plain + match["hex"]), int(match["hex"], 16)
        return plain if digest == match["md5"] and abs(now - when) <= window else None


def _valid_a(path: str, value: str, key: str) -> float | None:
    """The time an `auth_key` value was signed at, if its hash holds."""
    parts = value.split("-")
    if len(parts) != 4 or not parts[0].isdigit():
        return None
    timestamp, rand, uid, digest = parts
    return float(timestamp) if _md5(f"{path}-{timestamp}-{rand}-{uid}-{key}") == digest \
        else None


def _valid_d(path: str, value: str, key: str) -> float | None:
    """The time sealed in an `auth_info` value, if it decrypts to this path's directory."""
    token, _, iv_hex = value.rpartition(".")
    try:
        sealed = base64.b64decode(unquote(token), validate=True)
        decryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(bytes.fromhex(iv_hex))) \
            .decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        padded = decryptor.update(sealed) + decryptor.finalize()
        plain = unquote((unpadder.update(padded) + unpadder.finalize()).decode())
    except ValueError:  # bad base64, IV, block size or padding, not UTF-8
        return None
    directory, _, stamp = plain.rpartition("$")
    if directory != path[: path.rfind("/") + 1]:
        return None
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


@pytest.fixture(scope="session")
def _cdn_server() -> Iterator[FakeCdn]:
    fake = FakeCdn()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def fake_cdn(_cdn_server: FakeCdn) -> Iterator[FakeCdn]:
    """The fake CDN, unprotected and empty for each test."""
    _cdn_server.reset()
    yield _cdn_server
    _cdn_server.reset()
