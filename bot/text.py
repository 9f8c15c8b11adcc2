"""Text helpers shared by the VOD client, the command parser and the Block Kit builders."""

from __future__ import annotations


def shorten(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters with an ellipsis: a long argument is not echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visible(text: str, limit: int = 80) -> str:
    """`text` shortened, every character outside printable ASCII written as an escape.

    What someone pasted is shown as it really is (`\\u200b`, `\\x1b`): an invisible or
    look-alike character cannot hide in an error message or a history line.
    """
    if text.isascii() and text.isprintable():  # the usual case, without a loop per character
        return shorten(text, limit)
    escaped = "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode()
                      for c in text)
    return shorten(escaped, limit)
