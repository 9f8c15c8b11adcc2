"""Times as people type them, checked before anything reaches VOD."""

from __future__ import annotations

import pytest

from bot.slack.commands import Capture, Invalid, parse_command
from bot.timecodes import TimecodeError, check_within, format_time, parse_times

ASSET = "6e76f92034ceae2fcdcef9413221511f"


@pytest.mark.parametrize(("words", "seconds"), [
    (["1:23"], [83]),
    (["83s"], [83]),
    (["83"], [83]),
    (["1:02:03"], [3723]),
    (["0:05", "0:10", "1:23"], [5, 10, 83]),
    (["0:05,0:10"], [5, 10]),
    (["0:05", "5s", "5"], [5]),
    (["0"], [0]),
])
def test_accepted_forms(words: list[str], seconds: list[int]) -> None:
    assert parse_times(words) == seconds


@pytest.mark.parametrize(("words", "says"), [
    ([], "at least one time"),
    (["-5"], "negative"),
    (["-0:05"], "negative"),
    (["1:75"], "up to 59"),
    (["1:60"], "up to 59"),
    (["1:60:00"], "up to 59"),
    (["abc"], "not a time"),
    (["1.5"], "not a time"),
    (["1:23s"], "mixes forms"),
    (["1::2"], "not a time"),
    ([str(n) for n in range(11)], "at most 10"),
    (["x" * 500], "not a time"),
    (["1" * 4301], "not a time"),  # past Python's integer-string limit: never int()ed
    (["1234567"], "not a time"),
    (["\u0661:\u0662\u0663"], "not a time"),  # Arabic-Indic digits
    (["\U0001d7cf\U0001d7d0"], "not a time"),  # mathematical bold digits
    (["5"] * 101, "That is 101 times"),  # counted before any word is parsed
])
def test_refused_with_a_reason(words: list[str], says: str) -> None:
    with pytest.raises(TimecodeError, match=says) as caught:
        parse_times(words)
    assert len(str(caught.value)) < 200


def test_past_the_end_names_the_times_and_the_length() -> None:
    with pytest.raises(TimecodeError, match=r"2:20, 3:00 is past the end .* 2:11 long"):
        check_within([5, 140, 180], 131)
    check_within([130], 131)
    with pytest.raises(TimecodeError, match="2:11 is past the end"):  # the length itself
        check_within([131], 131)
    check_within([10_000], None)  # VOD did not say how long the video is


def test_format_time() -> None:
    assert [format_time(s) for s in (0, 83, 3723)] == ["0:00", "1:23", "1:02:03"]


def test_the_command_grammar() -> None:
    hosts = ["*.cdn-vod.huaweicloud.com"]
    assert parse_command(f"{ASSET} at 1:23", hosts) == Capture(ASSET, [83])
    assert parse_command(f"{ASSET} AT 0:05 0:10 1:23", hosts) == Capture(ASSET, [5, 10, 83])
    refused = parse_command(f"{ASSET} at -3", hosts)
    assert isinstance(refused, Invalid) and "negative" in refused.problem
    refused = parse_command(f"{ASSET} at", hosts)
    assert isinstance(refused, Invalid) and "at least one time" in refused.problem
    assert isinstance(parse_command(f"{ASSET} attic", hosts), Invalid)


def test_command_text_is_bounded_before_it_is_parsed() -> None:
    hosts = ["*.cdn-vod.huaweicloud.com"]
    refused = parse_command(f"{ASSET} at {'1' * 4301}", hosts)
    assert isinstance(refused, Invalid) and "4,337 characters" in refused.problem
    refused = parse_command(f"{ASSET} at " + " ".join(str(n) for n in range(8000)), hosts)
    assert isinstance(refused, Invalid) and "at most 3,000" in refused.problem
