"""Which URLs may become a cover: `https`, an allowed snapshot host, an asset id in the path.

Checked before any network call, so a typo or a foreign link never reaches VOD.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from bot.vod.errors import SnapshotUrlError

MAX_URL_LENGTH = 2000
ASSET_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SNAPSHOT_PATH = re.compile(r"/asset/(?P<asset_id>[A-Za-z0-9_-]{1,64})/snapshot/[^?#]+$")


@dataclass(frozen=True)
class SnapshotRef:
    """A checked snapshot URL and the asset it belongs to."""

    url: str
    asset_id: str


def is_asset_id(text: str) -> bool:
    return ASSET_ID_PATTERN.fullmatch(text) is not None


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """`*.cdn-vod.huaweicloud.com` matches `355.cdn-vod.huaweicloud.com`, not the bare domain."""
    host = host.lower().rstrip(".")
    return any(fnmatchcase(host, pattern.lower()) for pattern in patterns)


def parse_snapshot_url(text: str, allowed_hosts: Sequence[str]) -> SnapshotRef:
    """Check `text` is an allowed snapshot URL; raise `SnapshotUrlError` saying why not."""
    url = text.strip()
    if not url:
        raise SnapshotUrlError("The snapshot URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise SnapshotUrlError(
            f"The snapshot URL is {len(url)} characters long; snapshot URLs are under "
            f"{MAX_URL_LENGTH}."
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise SnapshotUrlError(f"{shorten(url)} is not a valid URL.") from None
    if parts.scheme != "https":
        raise SnapshotUrlError(
            f"{shorten(url)} is not an https:// URL; snapshot URLs start with https://."
        )
    if not host_allowed(host, allowed_hosts):
        raise SnapshotUrlError(
            f"{host or 'That URL'} is not a snapshot host of this VOD library "
            f"(allowed: {', '.join(allowed_hosts)})."
        )
    if parts.username or parts.password:
        raise SnapshotUrlError("Snapshot URLs do not carry a user name or password.")
    match = _SNAPSHOT_PATH.search(parts.path)
    if match is None:
        raise SnapshotUrlError(
            f"{shorten(url)} is not a snapshot URL: expected …/asset/<asset_id>/snapshot/…jpg."
        )
    return SnapshotRef(url=url, asset_id=match.group("asset_id"))


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
