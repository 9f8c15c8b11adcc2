"""parse_snapshot_url: which texts may become a cover, and why the others may not."""

from __future__ import annotations

import pytest

from bot.vod.errors import SnapshotUrlError
from bot.vod.snapshot_url import MAX_URL_LENGTH, host_allowed, is_asset_id, parse_snapshot_url

HOSTS = ["*.cdn-vod.huaweicloud.com"]
ASSET = "6e76f92034ceae2fcdcef9413221511f"
GOOD = f"https://355.cdn-vod.huaweicloud.com/shield/asset/{ASSET}/snapshot/sample/0.jpg"


@pytest.mark.parametrize(
    ("text", "asset_id"),
    [
        (GOOD, ASSET),
        (f"  {GOOD}\n", ASSET),
        (f"https://1.cdn-vod.huaweicloud.com/asset/{ASSET}/snapshot/dots/12.jpg", ASSET),
        ("https://355.CDN-VOD.huaweicloud.com./a/b/asset/abc_DEF-1/snapshot/quantity/3.jpg",
         "abc_DEF-1"),
        (f"https://355.cdn-vod.huaweicloud.com:443/asset/{ASSET}/snapshot/sample/0.jpg?x=1",
         ASSET),
    ],
)
def test_accepted(text: str, asset_id: str) -> None:
    ref = parse_snapshot_url(text, HOSTS)
    assert ref.asset_id == asset_id
    assert ref.url == text.strip()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not a url", "https://"),
        (GOOD.replace("https://", "http://"), "https://"),
        (GOOD.replace("https://", "ftp://"), "https://"),
        ("https://cdn-vod.huaweicloud.com/asset/x/snapshot/sample/0.jpg", "not a snapshot host"),
        ("https://evil.example.com/asset/x/snapshot/sample/0.jpg", "evil.example.com"),
        ("https://355.cdn-vod.huaweicloud.com.evil.com/asset/x/snapshot/a.jpg", "snapshot host"),
        ("https://user:pw@355.cdn-vod.huaweicloud.com/asset/x/snapshot/a.jpg", "password"),
        ("https://355.cdn-vod.huaweicloud.com:99999/asset/x/snapshot/a.jpg", "not a valid URL"),
        ("https://355.cdn-vod.huaweicloud.com/asset/x/cover/a.jpg", "expected …/asset/"),
        ("https://355.cdn-vod.huaweicloud.com/asset//snapshot/a.jpg", "expected …/asset/"),
        ("https://355.cdn-vod.huaweicloud.com/asset/a%2Fb/snapshot/a.jpg", "expected …/asset/"),
        ("https://355.cdn-vod.huaweicloud.com/asset/x/snapshot/", "expected …/asset/"),
        (GOOD + "x" * 10_000, f"under {MAX_URL_LENGTH}"),
    ],
)
def test_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(SnapshotUrlError) as raised:
        parse_snapshot_url(text, HOSTS)
    assert says in str(raised.value)
    assert len(str(raised.value)) < 300  # a long argument is not echoed whole


def test_hosts_come_from_configuration() -> None:
    url = f"https://media.example.com/asset/{ASSET}/snapshot/sample/0.jpg"
    assert parse_snapshot_url(url, ["media.example.com"]).asset_id == ASSET
    with pytest.raises(SnapshotUrlError, match=r"allowed: media\.example\.com"):
        parse_snapshot_url(GOOD, ["media.example.com"])


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("355.cdn-vod.huaweicloud.com", True), ("a.b.cdn-vod.huaweicloud.com", True),
     ("cdn-vod.huaweicloud.com", False), ("x.cdn-vod.huaweicloud.com.cn", False), ("", False)],
)
def test_host_patterns(host: str, allowed: bool) -> None:
    assert host_allowed(host, HOSTS) is allowed


@pytest.mark.parametrize(
    ("text", "ok"),
    [(ASSET, True), ("a", True), ("abc_DEF-1", True), ("", False), ("-abc", False),
     ("a/b", False), ("a b", False), ("a" * 64, True), ("a" * 65, False), ("视频", False)],
)
def test_is_asset_id(text: str, ok: bool) -> None:
    assert is_asset_id(text) is ok
