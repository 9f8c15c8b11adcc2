"""`bot.text`: how what someone typed is shown back."""

from __future__ import annotations

import pytest

from bot.text import visible


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
