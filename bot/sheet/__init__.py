"""The picker's contact sheet: a page's frames in one picture, with the best ones starred.

`SheetMaker.make(frames)` downloads, scores and composes; `SheetMaker.score(frames)` only
scores (`setcover-bot snapshots --scores`). Importing this package does not import Pillow:
the first sheet does (in `bot.sheet.scoring` and `bot.sheet.compose`).
"""

from bot.sheet.maker import SheetMaker
from bot.sheet.model import MAX_FRAMES, Frame, FrameScore, SheetUnavailable, suggest

__all__ = ["MAX_FRAMES", "Frame", "FrameScore", "SheetMaker", "SheetUnavailable", "suggest"]
