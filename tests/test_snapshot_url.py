"""parse_snapshot_url: which texts may name a snapshot, and why the others may not."""

from __future__ import annotations

import re

import pytest

from bot.vod.errors import SnapshotUrlError
from bot.vod.snapshot_url import (
    host_allowed,
    is_asset_id,
    is_snapshot_url,
    parse_snapshot_url,
)
from tests.snapshot_attacks import ASSET, ATTACKS, GOOD, HOST, HOSTS, PATH


@pytest.mark.parametrize(
    ("text", "canonical", "asset_id"),
    [
        (GOOD, GOOD, ASSET),
        (f"  {GOOD}\n", GOOD, ASSET),  # spaces around what was pasted are not part of it
        (f"https://1.cdn-vod.huaweicloud.com/asset/{ASSET}/snapshot/dots/12.jpg",
         f"https://1.cdn-vod.huaweicloud.com/asset/{ASSET}/snapshot/dots/12.jpg", ASSET),
        (f"https://355.CDN-VOD.huaweicloud.com{PATH}", GOOD, ASSET),  # hosts ignore case
        (f"https://{HOST}:443{PATH}", GOOD, ASSET),  # the default port, said out loud
        (f"https://{HOST}/a/b-c/~d/e.f/asset/abc_DEF-1/snapshot/q/Cover_3.jpg",
         f"https://{HOST}/a/b-c/~d/e.f/asset/abc_DEF-1/snapshot/q/Cover_3.jpg", "abc_DEF-1"),
    ],
)
def test_accepted(text: str, canonical: str, asset_id: str) -> None:
    ref = parse_snapshot_url(text, HOSTS)
    assert (ref.url, ref.canonical, ref.asset_id) == (text.strip(), canonical, asset_id)
    assert is_snapshot_url(text, HOSTS)


@pytest.mark.parametrize(("url", "says"), [(url, says) for _, url, says in ATTACKS],
                         ids=[name for name, _, _ in ATTACKS])
def test_every_attack_is_refused_naming_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(SnapshotUrlError) as raised:
        parse_snapshot_url(url, HOSTS)
    message = raised.value.message
    assert says in message
    assert len(message) < 400  # a long argument is not echoed whole
    assert all(" " <= c <= "~" or c == "…" for c in message)  # nothing hidden is echoed
    assert "snapshots VOD lists" in raised.value.explanation  # and what to do instead
    assert not is_snapshot_url(url, HOSTS)


@pytest.mark.parametrize(("text", "says"), [("", "empty"), ("   ", "empty"),
                                            ("not a url", "a space"), ("x", "https://")])
def test_not_urls_at_all(text: str, says: str) -> None:
    with pytest.raises(SnapshotUrlError, match=says):
        parse_snapshot_url(text, HOSTS)


def test_the_longest_accepted_url() -> None:
    padding = "p" * (1024 - len(GOOD) - 1)  # 1024: the longest URL the bot takes
    url = f"https://{HOST}/{padding}{PATH}"
    assert len(url) == 1024
    assert parse_snapshot_url(url, HOSTS).asset_id == ASSET


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


LOOPBACK_HOSTS = ["127.0.0.1", "localhost", *HOSTS]


@pytest.mark.parametrize(("text", "canonical"), [
    (f"http://127.0.0.1:8080{PATH}", f"http://127.0.0.1:8080{PATH}"),
    (f"http://LocalHost:1{PATH}", f"http://localhost:1{PATH}"),
    (f"http://localhost:65535{PATH}", f"http://localhost:65535{PATH}"),
    (f"https://127.0.0.1:8443{PATH}", f"https://127.0.0.1:8443{PATH}"),
    (f"http://127.0.0.1{PATH}", f"http://127.0.0.1{PATH}"),
])
def test_a_stand_in_on_this_machine_may_use_http_and_a_port(text: str, canonical: str) -> None:
    ref = parse_snapshot_url(text, LOOPBACK_HOSTS)
    assert (ref.canonical, ref.asset_id) == (canonical, ASSET)


def test_the_port_tells_two_stand_ins_apart() -> None:
    one, two = (parse_snapshot_url(f"http://127.0.0.1:{port}{PATH}", LOOPBACK_HOSTS)
                for port in (8080, 8081))
    assert one.canonical != two.canonical


@pytest.mark.parametrize(("text", "says"), [
    (f"http://127.0.0.1:0{PATH}", "not a port number"),
    (f"http://127.0.0.1:65536{PATH}", "not a port number"),
    (f"http://127.0.0.1:08080{PATH}", "not a port number"),
    (f"http://localhost:{PATH}", "not a port number"),
    (f"http://localhost:80a{PATH}", "not a port number"),
    (f"http://127.0.0.2:8080{PATH}", "https://"),  # loopback, but not a name we take
    (f"http://{HOST}:8080{PATH}", "https://"),
    (f"http://127.0.0.1:8080{PATH}?x=1", "query"),
    (f"http://127.0.0.1:8080/shield/../asset/{ASSET}/snapshot/sample/0.jpg", "dot segment"),
    (f"HTTP://127.0.0.1:8080{PATH}", "https://"),
])
def test_loopback_loosens_nothing_else(text: str, says: str) -> None:
    with pytest.raises(SnapshotUrlError, match=re.escape(says)):
        parse_snapshot_url(text, LOOPBACK_HOSTS)


def test_loopback_hosts_must_still_be_configured() -> None:
    with pytest.raises(SnapshotUrlError, match="not a snapshot host"):
        parse_snapshot_url(f"http://127.0.0.1:8080{PATH}", HOSTS)
