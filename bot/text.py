"""Text helpers shared by the VOD client, the command parser and the Block Kit builders."""

from __future__ import annotations

import unicodedata

#: Unicode categories shown as nothing: controls, format characters (bidi overrides and
#: isolates, zero-width spaces and joiners, the BOM), private use, surrogates, and line
#: and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def shorten(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters with an ellipsis: a long argument is not echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten_start(text: str, limit: int = 80) -> str:
    """`text` cut at its start: what ends it (a URL's file name) is what tells it apart."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


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


def one_line(text: str) -> str:
    """`text` (a video's title) as one line of what it says: line breaks and tabs become
    spaces, runs of spaces one; control, bidi and zero-width characters are dropped.

    A title is someone else's text shown in our messages and terminals: on one line it
    cannot fake a line of its own (`✅ @boss approved`) or turn the rest of a line around.
    """
    if not (text.isascii() and text.isprintable()):
        text = "".join(" " if c.isspace() else c for c in text
                       if c.isspace() or unicodedata.category(c) not in _INVISIBLE)
    return " ".join(text.split())
