"""What a contact sheet is made of and what it gives back: plain data, no Pillow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: The most frames one sheet (one page of the picker) shows: 5 rows of 4.
MAX_FRAMES = 20
COLUMNS = 4
MAX_SUGGESTED = 3


@dataclass(frozen=True)
class Frame:
    """One tile of a page, in button order."""

    number: int  # 1..n, as shown on the tile and its button
    offset: float  # seconds into the video
    url: str  # exactly as VOD lists it (unsigned): the cache key and the value PUT as cover
    is_current: bool


@dataclass(frozen=True)
class FrameScore:
    """How good a frame looks as a cover: `score` from 0 to 1 when kept, else why not."""

    url: str
    score: float | None  # None when dropped or not downloaded
    dropped: str | None  # "dark" | "flat" | "blurry" | "unavailable" | None


@dataclass(frozen=True)
class ContactSheet:
    """The composed picture, and which frames it stars."""

    image: bytes  # JPEG, 4 columns, numbered, timed, current outlined, suggestions starred
    filename: str
    suggested: frozenset[str]  # unsigned URLs of the starred frames
    scores: tuple[FrameScore, ...]  # in the order of the frames


class SheetUnavailable(Exception):
    """No sheet for these frames: one could not be downloaded or read, or time ran out.

    `reason` says which and why, for logs and the fallback's note; it never holds a signed URL.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def suggest(scores: Sequence[FrameScore]) -> frozenset[str]:
    """The URLs to star: the best 1 to 3 kept frames, never more than a quarter of them
    (a URL listed twice counts once). Only ever a suggestion: nothing is set by itself."""
    best_first = sorted((s for s in scores if s.score is not None), key=lambda s: -(s.score or 0))
    count = min(MAX_SUGGESTED, len(scores) // 4)
    return frozenset(list(dict.fromkeys(s.url for s in best_first))[:count])
