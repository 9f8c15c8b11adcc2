"""Draw the contact sheet: the page's frames in 4 columns, in button order, row by row.

Each tile carries its number (big enough to read when Slack shows the sheet at about a third
of its size), its time, a star when suggested, and for the current cover a green outline and
a *current* label. `Layout` says where each tile is, so a test can crop tile i back out.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from bot.sheet.model import COLUMNS, Frame
from bot.timecodes import format_time

TILE_WIDTH, TILE_HEIGHT = 300, 169  # 16:9
GAP, MARGIN = 12, 16
BACKGROUND = (29, 28, 29)  # Slack's dark grey
TILE_BACKGROUND = (52, 50, 52)
CURRENT = (46, 182, 125)  # Slack's green
STAR = (236, 178, 46)  # Slack's yellow
LABEL_BACKGROUND = (0, 0, 0, 170)
WHITE = (255, 255, 255)
JPEG_QUALITY = 88

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Layout:
    """Where the tiles of a sheet of `count` frames are."""

    count: int

    @property
    def rows(self) -> int:
        return math.ceil(self.count / COLUMNS)

    @property
    def size(self) -> tuple[int, int]:
        width = 2 * MARGIN + COLUMNS * TILE_WIDTH + (COLUMNS - 1) * GAP
        return width, 2 * MARGIN + self.rows * TILE_HEIGHT + (self.rows - 1) * GAP

    def tile(self, index: int) -> Box:
        """The box of tile `index` (0-based, button order)."""
        row, column = divmod(index, COLUMNS)
        left = MARGIN + column * (TILE_WIDTH + GAP)
        top = MARGIN + row * (TILE_HEIGHT + GAP)
        return left, top, left + TILE_WIDTH, top + TILE_HEIGHT

    def picture(self, index: int, frame_size: tuple[int, int]) -> Box:
        """Where a frame of `frame_size` sits in its tile: as large as fits, centred."""
        left, top, _, _ = self.tile(index)
        width, height = fit(frame_size)
        x, y = left + (TILE_WIDTH - width) // 2, top + (TILE_HEIGHT - height) // 2
        return x, y, x + width, y + height


def fit(frame_size: tuple[int, int]) -> tuple[int, int]:
    """The frame's size scaled to fit a tile, keeping its shape (portrait video too)."""
    width, height = frame_size
    scale = min(TILE_WIDTH / width, TILE_HEIGHT / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail(picture: Image.Image) -> Image.Image:
    """The frame at tile size (box-reduced first, then Lanczos: fast and sharp)."""
    return picture.resize(fit(picture.size), Image.Resampling.LANCZOS, reducing_gap=2.0)


def compose(frames: Sequence[Frame], thumbnails: Sequence[Image.Image],
            suggested: frozenset[str]) -> bytes:
    """The sheet as a JPEG: `thumbnails[i]` (from `thumbnail`) is the picture of `frames[i]`."""
    layout = Layout(len(frames))
    sheet = Image.new("RGB", layout.size, BACKGROUND)
    if len(thumbnails) != len(frames):
        raise ValueError("one thumbnail per frame")
    tiles = ImageDraw.Draw(sheet)
    for index, small in enumerate(thumbnails):
        tiles.rectangle(layout.tile(index), fill=TILE_BACKGROUND)  # shows a portrait frame's tile
        left, top, _, _ = layout.picture(index, small.size)
        sheet.paste(small, (left, top))
    draw = ImageDraw.Draw(sheet, "RGBA")
    for index, frame in enumerate(frames):
        _label(draw, layout.tile(index), frame, frame.url in suggested)
    out = io.BytesIO()
    # 4:4:4: no chroma subsampling, so the coloured labels keep crisp edges.
    sheet.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return out.getvalue()


def _label(draw: ImageDraw.ImageDraw, tile: Box, frame: Frame, suggested: bool) -> None:
    left, top, right, bottom = tile
    number = str(frame.number)
    font = _font(44)
    width = int(draw.textlength(number, font=font))
    badge = (left, top, left + width + 24, top + 56)
    draw.rounded_rectangle(badge, radius=8, fill=LABEL_BACKGROUND)
    draw.text((left + 12, top + 28), number, font=font, fill=WHITE, anchor="lm",
              stroke_width=1, stroke_fill=WHITE)
    if suggested:
        _star(draw, (right - 28, top + 28), 22)
    time_font = _font(26)
    time_text = format_time(int(frame.offset))
    width = int(draw.textlength(time_text, font=time_font))
    draw.rounded_rectangle((right - width - 20, bottom - 38, right, bottom), radius=6,
                           fill=LABEL_BACKGROUND)
    draw.text((right - 10, bottom - 19), time_text, font=time_font, fill=WHITE, anchor="rm")
    if frame.is_current:
        draw.rectangle((left - 4, top - 4, right + 3, bottom + 3), outline=CURRENT, width=6)
        width = int(draw.textlength("current", font=time_font))
        draw.rectangle((left, bottom - 38, left + width + 20, bottom), fill=CURRENT)
        draw.text((left + 10, bottom - 19), "current", font=time_font, fill=WHITE, anchor="lm",
                  stroke_width=1, stroke_fill=WHITE)


def _star(draw: ImageDraw.ImageDraw, centre: tuple[float, float], radius: float) -> None:
    """A five-pointed star, yellow on a dark disc so it shows on any picture."""
    x, y = centre
    draw.ellipse((x - radius - 4, y - radius - 4, x + radius + 4, y + radius + 4),
                 fill=LABEL_BACKGROUND)
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((x + r * math.cos(angle), y + r * math.sin(angle) + radius * 0.08))
    draw.polygon(points, fill=STAR)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font (no file to ship or find)."""
    return ImageFont.load_default(size=size)
