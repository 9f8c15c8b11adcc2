"""The `/setcover` grammar, as Slack sends the text."""

from __future__ import annotations

import pytest

from bot.slack.commands import (
    Help,
    History,
    Invalid,
    Search,
    SetFromUrl,
    ShowPicker,
    parse_command,
)
from bot.vod.client import search_words
from bot.vod.errors import InvalidArgument
from tests.snapshot_attacks import ATTACKS

HOSTS = ["*.cdn-vod.huaweicloud.com"]
ASSET = "6e76f92034ceae2fcdcef9413221511f"
URL = f"https://355.cdn-vod.huaweicloud.com/shield/asset/{ASSET}/snapshot/sample/1.jpg"


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", " help ", "--help", None])
def test_help(text: str | None) -> None:
    assert parse_command(text, HOSTS) == Help()


def test_asset_id_opens_the_picker() -> None:
    assert parse_command(ASSET, HOSTS) == ShowPicker(ASSET)
    assert parse_command(f"  {ASSET}  ", HOSTS) == ShowPicker(ASSET)


@pytest.mark.parametrize("text", [URL, f"<{URL}>", f"<{URL}|snapshot>", f"<{URL}|{URL}>"])
def test_snapshot_url_bare_or_wrapped(text: str) -> None:
    assert parse_command(text, HOSTS) == SetFromUrl(url=URL, asset_id=ASSET)


def test_a_url_with_a_query_is_refused_after_slack_escaping_is_undone() -> None:
    command = parse_command(f"<{URL}?a=1&amp;b=2>", HOSTS)
    assert isinstance(command, Invalid)
    assert "query" in command.problem and "&amp;" not in command.problem


@pytest.mark.parametrize(("name", "url", "says"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_every_attack_is_invalid_with_what_was_wrong_and_what_to_do(
    name: str, url: str, says: str
) -> None:
    for text in (url, f"<{url}>", f"<{url}|snapshot>"):
        command = parse_command(text, HOSTS)
        if name == "non-breaking-space":  # whitespace after the text, as any other
            assert command == SetFromUrl(url=url.strip("\xa0"), asset_id=ASSET)
            continue
        assert isinstance(command, Invalid), text
        if name.startswith("inner-") or "://" not in url:  # words, or no URL at all
            continue
        assert says in command.problem and "snapshots VOD lists" in command.problem, text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("http://355.cdn-vod.huaweicloud.com/x/asset/abc/snapshot/s/1.jpg", "https"),
        ("https://evil.example.com/asset/abc/snapshot/s/1.jpg", "not a snapshot host"),
        ("<https://evil.example.com/a.jpg|look>", "not a snapshot host"),
        ("https://355.cdn-vod.huaweicloud.com/nothing.jpg", "not a snapshot URL"),
        (f"{URL} extra", "alone"),
    ],
)
def test_bad_urls_say_why(text: str, why: str) -> None:
    command = parse_command(text, HOSTS)
    assert isinstance(command, Invalid)
    assert why in command.problem


def test_search() -> None:
    assert parse_command("search launch  trailer", HOSTS) == Search("launch trailer")
    assert parse_command("SEARCH payload", HOSTS) == Search("payload")
    assert parse_command("search Tom &amp; Jerry", HOSTS) == Search("Tom & Jerry")


def test_search_needs_words() -> None:
    command = parse_command("search", HOSTS)
    assert isinstance(command, Invalid) and "needs words" in command.problem
    command = parse_command("search " + "x" * 300, HOSTS)
    assert isinstance(command, Invalid)


@pytest.mark.parametrize("length", [129, 150, 200])  # VOD searches at most 128
def test_a_search_longer_than_vod_takes_is_refused_by_the_parser(length: int) -> None:
    command = parse_command("search " + "w" * length, HOSTS)
    assert isinstance(command, Invalid)
    assert f"{length} characters long" in command.problem and "at most 128" in command.problem
    with pytest.raises(InvalidArgument) as raised:  # the client's check: one sentence
        search_words("w" * length)
    assert raised.value.message == command.problem


def test_the_longest_search_vod_takes_passes() -> None:
    words = " ".join(["word"] * 26)[:128].strip()
    assert parse_command(f"search {words}", HOSTS) == Search(words)
    spaced = "   ".join(["abc"] * 30)  # counted as VOD gets it: one space between words
    assert len(spaced) > 128
    assert parse_command(f"search {spaced}", HOSTS) == Search(" ".join(["abc"] * 30))


def test_history() -> None:
    assert parse_command(f"history {ASSET}", HOSTS) == History(ASSET)
    for text in ("history", "history a b", "history ../etc"):
        assert isinstance(parse_command(text, HOSTS), Invalid), text


@pytest.mark.parametrize("text", ["two words", "<@U123|bob>", "<#C123|video>", "a/b", "ÿ"])
def test_anything_else_is_invalid(text: str) -> None:
    command = parse_command(text, HOSTS)
    assert isinstance(command, Invalid)
    assert command.problem
