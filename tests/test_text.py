"""`bot.text`: how what someone typed is shown back."""

from __future__ import annotations

import pytest

from bot.text import one_line, visible


@pytest.mark.parametrize(("text", "shown"), [
    ("https://355.cdn-vod.huaweicloud.com/a b~", "https://355.cdn-vod.huaweicloud.com/a b~"),
    ("tab\there", "tab\\there"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("colour\x1b[31m", "colour\\x1b[31m"),
    ("café", "caf\\xe9"),
    ("x" * 100, "x" * 79 + "…"),
])
def test_visible_escapes_everything_but_printable_ascii(text: str, shown: str) -> None:
    assert visible(text) == shown


@pytest.mark.parametrize(("title", "shown"), [
    ("Launch keynote", "Launch keynote"),
    ("Line one\nLine two\r\n\tthree", "Line one Line two three"),
    ("  many   spaces ", "many spaces"),
    ("abc\u202edef\u2066x\u2069", "abcdefx"),  # bidi override and isolate
    ("zero\u200bwidth\u200d\ufeff", "zerowidth"),
    ("para\u2029graph\u2028line\x85next\x1b[31m", "para graph line next[31m"),
    ("新しい動画 🎬", "新しい動画 🎬"),
])
def test_one_line_keeps_what_a_title_says_on_one_line(title: str, shown: str) -> None:
    assert one_line(title) == shown
