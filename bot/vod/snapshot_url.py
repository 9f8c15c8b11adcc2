"""Which texts may name a snapshot: a strict parse, before any network call.

A URL becomes a cover only if it is one of the snapshot URLs VOD lists for its asset
(`bot.covers.CoverService` checks that against the asset's details). This module is the
parse both sides of that comparison go through, and it is deliberately narrow:

    https://<allowed host>[:443]/<segment>/…/asset/<asset_id>/snapshot/<kind>/<file>.jpg

lowercase `https`, a host of DNS labels matching `VOD_SNAPSHOT_HOSTS`, the default port
only (a stand-in on this machine, `127.0.0.1` or `localhost`, may be `http://` with a
port, as `VOD_ENDPOINT` may), no userinfo, path segments of letters, digits and `-._~`
only (so no percent-encoding, no backslash, no dot segments, no empty segments), no query,
no fragment, only printable ASCII, nothing after the file name, and at most
`MAX_URL_LENGTH` characters. A browser, a CDN and VOD may each read anything looser
differently; this parse has one reading. Each refusal says what was wrong and what to do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import NoReturn

from bot.config import LOOPBACK_HOSTS
from bot.text import visible
from bot.vod.errors import SnapshotUrlError

#: Real snapshot URLs are about 100 characters; this also keeps a URL, with the asset id
#: and a nonce, inside one button value (2,000 characters), so a click always carries it.
MAX_URL_LENGTH = 1024
ASSET_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SCHEME = "https://"
_LOOPBACK_SCHEME = "http://"
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_SNAPSHOT_PATH = re.compile(
    r"(?:/[A-Za-z0-9._~-]+)*/asset/(?P<asset_id>[A-Za-z0-9][A-Za-z0-9_-]{0,63})"
    r"/snapshot/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+\.jpg"
)
_SHAPE = "https://<snapshot host>/…/asset/<asset id>/snapshot/<kind>/<name>.jpg"


@dataclass(frozen=True)
class SnapshotRef:
    """A URL that passed the parse: as given (`url`), for comparing (`canonical`), its asset.

    `canonical` differs from `url` only in the host's case and an explicit `:443`, so two
    texts naming the same snapshot compare equal and nothing else does.
    """

    url: str
    canonical: str
    asset_id: str


def is_asset_id(text: str) -> bool:
    return ASSET_ID_PATTERN.fullmatch(text) is not None


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """`*.cdn-vod.huaweicloud.com` matches `355.cdn-vod.huaweicloud.com`, not the bare domain."""
    return any(fnmatchcase(host.lower(), pattern.lower()) for pattern in patterns)


def is_snapshot_url(text: str, allowed_hosts: Sequence[str]) -> bool:
    try:
        parse_snapshot_url(text, allowed_hosts)
    except SnapshotUrlError:
        return False
    return True


def parse_snapshot_url(text: str, allowed_hosts: Sequence[str]) -> SnapshotRef:
    """Check `text` (spaces around it ignored) names a snapshot; `SnapshotUrlError` says why not."""
    url = text.strip(" \t\r\n")
    if not url:
        _refuse("The snapshot URL is empty.")
    shown = visible(url)
    if len(url) > MAX_URL_LENGTH:
        _refuse(f"The snapshot URL is {len(url)} characters long; snapshot URLs are at most "
                f"{MAX_URL_LENGTH}.")
    printable = url.isascii() and url.isprintable() and " " not in url  # fast, in C
    for position, char in enumerate(() if printable else url, start=1):
        if not "!" <= char <= "~":
            _refuse(f"`{shown}` has {_describe_char(char)} at position {position}; snapshot "
                    "URLs are printable ASCII with no spaces.")
    if "\\" in url:
        _refuse(f"`{shown}` contains a backslash, which browsers read as `/`.")
    scheme = next((s for s in (_SCHEME, _LOOPBACK_SCHEME) if url.startswith(s)), None)
    if scheme is None:
        if url[: len(_SCHEME)].lower() == _SCHEME:
            _refuse(f"`{shown}` must start with `https://` in lowercase.")
        _refuse(f"`{shown}` is not an https:// URL; snapshot URLs start with `https://`.")
    if "?" in url:
        _refuse(f"`{shown}` has a query (`?…`); snapshot URLs have none.")
    if "#" in url:
        _refuse(f"`{shown}` has a fragment (`#…`); snapshot URLs have none.")
    authority, slash, path = url[len(scheme):].partition("/")
    path = slash + path
    if "@" in authority:
        _refuse(f"`{shown}` carries a user name (`…@`); snapshot URLs have none.")
    if "%" in authority:
        _refuse(f"`{shown}` has percent-encoding (`%`) in its host.")
    host, colon, port = authority.partition(":")
    host = host.lower()
    if len(host) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in host.split(".")):
        _refuse(f"`{shown}` does not have a host name made of DNS labels.")
    loopback = host in LOOPBACK_HOSTS
    if scheme == _LOOPBACK_SCHEME and not loopback:
        _refuse(f"`{shown}` is not an https:// URL; snapshot URLs start with `https://` "
                "(`http://` only on 127.0.0.1 or localhost).")
    if loopback and colon and not (_PORT.fullmatch(port) and int(port) <= 65535):
        _refuse(f"`{shown}` names port `{visible(port, 20)}`, which is not a port number.")
    if not loopback and colon and port != "443":
        _refuse(f"`{shown}` names port `{visible(port, 20)}`; snapshot URLs use the "
                "default https port.")
    if not host_allowed(host, allowed_hosts):
        _refuse(f"{host} is not a snapshot host of this VOD library (allowed: "
                f"{', '.join(allowed_hosts)}).")
    if "%" in path:
        _refuse(f"`{shown}` has percent-encoding (`%`) in its path.")
    segments = path.split("/")[1:]
    if any(segment in {".", ".."} for segment in segments):
        _refuse(f"`{shown}` has a dot segment (`/./` or `/../`) in its path.")
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        _refuse(f"`{shown}` has an empty path segment or a character other than letters, "
                "digits and `-._~` in its path.")
    match = _SNAPSHOT_PATH.fullmatch(path)
    if match is None:
        _refuse(f"`{shown}` is not a snapshot URL: expected {_SHAPE}, with nothing after the "
                "file name.")
    # A stand-in's port tells one local server from another; elsewhere it is 443.
    authority = f"{host}:{port}" if loopback and colon else host
    return SnapshotRef(url=url, canonical=f"{scheme}{authority}{path}",
                       asset_id=match.group("asset_id"))


def _describe_char(char: str) -> str:
    if char == " ":
        return "a space"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip() if name else \
        f"U+{ord(char):04X} (a control character)"


def _refuse(problem: str) -> NoReturn:
    raise SnapshotUrlError(problem)
