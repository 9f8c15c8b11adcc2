"""Hotlink protection ("Key anti-leech"): snapshot and cover URLs signed as VOD's CDN expects.

When a VOD domain has Key anti-leech on, its CDN answers 403 to any URL without a valid,
unexpired signature, so every picture the bot downloads or shows is signed here with the
current time (`UrlSigner.sign`). VOD itself never sees a signed URL: `PUT /asset/cover`
takes the URL exactly as VOD lists it. VOD's console offers four algorithms
(`VOD_URL_AUTH`, key `VOD_URL_AUTH_KEY`), per VOD's "Key防盗链" page:

    A  <url>?auth_key={ts}-{rand}-0-{md5(path-ts-rand-0-key)}          ts: Unix seconds
    B  https://host/{time}/{md5(key + time + path)}{path}              time: yyyyMMddHHmm
    C  https://host/{md5(key + path + hex ts)}/{hex ts}{path}
    D  <url>?auth_info={urlencode(base64(AES-128-CBC(urlencode(dir + "$" + time))))}.{hex iv}
       dir: the path up to and with its last "/"; time: yyyyMMddHHmmss; key: 16 characters

`path` is the URL's whole path as the CDN receives it, prefix included
(`/shield/asset/<id>/snapshot/…`): the CDN checks the request it gets, and VOD's own
examples start at `/asset/` only because their URLs have no prefix.

A signed URL a user pastes is recognised by its form (an A or D query, a B or C path
prefix) and `unsign` removes the signature; the plain URL then goes through the same strict
parse as any other (`bot.vod.snapshot_url`). Nothing checks the pasted signature: only a
snapshot VOD lists for the asset can become its cover, whoever signed what.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import SecretStr

from bot.config import D_KEY_LENGTH, Settings, UrlAuth

#: What shows a picture needs: a URL as VOD lists it in, the URL to fetch or show out.
Sign = Callable[[str], str]

__all__ = ["D_KEY_LENGTH", "Sign", "UrlAuth", "UrlSigner", "unsign", "url_signer"]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def _with_path_prefix(url: str, prefix: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=prefix + parts.path))


def sign_a(url: str, key: str, *, timestamp: int, rand: str) -> str:
    """Algorithm A: the `auth_key` query (uid, unused by VOD, is 0)."""
    path = urlsplit(url).path
    digest = _md5(f"{path}-{timestamp}-{rand}-0-{key}")
    return _with_query(url, f"auth_key={timestamp}-{rand}-0-{digest}")


def sign_b(url: str, key: str, *, when: datetime) -> str:
    """Algorithm B: `/{time}/{md5}` before the path.

    VOD's page gives the time as yyyyMMddHHmm without a time zone; this is UTC (Alibaba's
    CDN, whose scheme B is the same, reads UTC+8: if a real domain refuses B URLs as
    expired by 8 hours, that is why, and `setcover-bot check` shows it).
    """
    time = when.astimezone(UTC).strftime("%Y%m%d%H%M")
    path = urlsplit(url).path
    return _with_path_prefix(url, f"/{time}/{_md5(key + time + path)}")


def sign_c(url: str, key: str, *, timestamp: int) -> str:
    """Algorithm C: `/{md5}/{hex Unix time}` before the path (lowercase hex, no `0x`)."""
    hex_time = format(timestamp, "x")
    path = urlsplit(url).path
    return _with_path_prefix(url, f"/{_md5(key + path + hex_time)}/{hex_time}")


def sign_d(url: str, key: str, *, when: datetime, iv: bytes) -> str:
    """Algorithm D: the `auth_info` query, the directory and time encrypted with the key."""
    # Imported here: only a domain on algorithm D needs the cipher.
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    path = urlsplit(url).path
    directory = path[: path.rfind("/") + 1]
    plain = quote(f"{directory}${when.astimezone(UTC):%Y%m%d%H%M%S}", safe="").encode()
    padder = padding.PKCS7(algorithms.AES.block_size).padder()  # PKCS#5 on 16-byte blocks
    encryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    token = quote(base64.b64encode(sealed).decode(), safe="")
    return _with_query(url, f"auth_info={token}.{iv.hex()}")


class UrlSigner:
    """The process's one signer: `sign` with the current time, `unsign` a pasted URL.

    A `UrlSigner` is itself a `Sign` (calling it signs), so it can be handed to whatever
    downloads or shows pictures. With `UrlAuth.OFF` it returns URLs unchanged.
    """

    def __init__(self, algorithm: UrlAuth, key: SecretStr | None) -> None:
        if algorithm is not UrlAuth.OFF and key is None:
            raise ValueError(f"VOD_URL_AUTH={algorithm} needs VOD_URL_AUTH_KEY")
        self.algorithm = algorithm
        self._key = key

    def __repr__(self) -> str:  # never the key
        return f"UrlSigner(algorithm={self.algorithm.value or 'off'!r})"

    def __call__(self, url: str) -> str:
        return self.sign(url)

    def sign(self, url: str, *, now: datetime | None = None) -> str:
        """`url` signed as the CDN expects at `now` (default: this moment)."""
        if self.algorithm is UrlAuth.OFF or self._key is None:
            return url
        key = self._key.get_secret_value()
        when = now or datetime.now(UTC)
        match self.algorithm:
            case UrlAuth.A:
                return sign_a(url, key, timestamp=int(when.timestamp()),
                              rand=secrets.token_hex(16))
            case UrlAuth.B:
                return sign_b(url, key, when=when)
            case UrlAuth.C:
                return sign_c(url, key, timestamp=int(when.timestamp()))
            case UrlAuth.D:
                return sign_d(url, key, when=when, iv=secrets.token_bytes(16))
        raise AssertionError(f"unknown algorithm {self.algorithm!r}")

    def unsign(self, url: str) -> str:
        return unsign(url)


def url_signer(settings: Settings) -> UrlSigner:
    """The signer `VOD_URL_AUTH` and `VOD_URL_AUTH_KEY` configure (identity when off)."""
    return UrlSigner(settings.vod_url_auth, settings.vod_url_auth_key)


_A_QUERY = re.compile(r"(?P<url>[^?#]+)\?auth_key=[0-9]+-[A-Za-z0-9]+-[0-9]+-[0-9a-f]{32}")
_D_QUERY = re.compile(r"(?P<url>[^?#]+)\?auth_info=[A-Za-z0-9%+/=]+\.[0-9a-f]{32}")
_B_PREFIX = re.compile(r"(?P<origin>[a-z]+://[^/?#]+)/[0-9]{12}/[0-9a-f]{32}(?P<rest>/.*)")
_C_PREFIX = re.compile(r"(?P<origin>[a-z]+://[^/?#]+)/[0-9a-f]{32}/[0-9a-f]{1,16}(?P<rest>/.*)")


def unsign(text: str) -> str:
    """`text` without a recognised anti-leech signature; anything else as it was.

    Recognised only whole: the URL's entire query is one `auth_key` (A) or `auth_info` (D)
    of its exact shape, or its path starts with B's `/yyyyMMddHHmm/md5` or C's
    `/md5/hex time`. A URL with anything more (another parameter, a fragment) is left
    alone, for the strict parse to refuse with its own reason.
    """
    url = text.strip(" \t\r\n")
    for query in (_A_QUERY, _D_QUERY):
        match = query.fullmatch(url)
        if match:
            return match["url"]
    for prefix in (_B_PREFIX, _C_PREFIX):
        match = prefix.fullmatch(url)
        if match:
            return match["origin"] + match["rest"]
    return text
