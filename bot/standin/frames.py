"""Video frames for the stand-ins: painted, not filmed, so the picker has real pictures.

`demo-vod` serves these as its snapshots and the tests score and compose them. A reel mixes
distinct scenes with fine detail (what a good cover looks like) with the three kinds of frame
the suggestion must never star: a dark one (a fade from black), a flat one (a one-colour
title card) and a blurry one (a scene out of focus).
"""

from __future__ import annotations

import io
import random
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter

if TYPE_CHECKING:
    from collections.abc import Callable

WIDTH, HEIGHT = 640, 360


class Look(StrEnum):
    """What a frame looks like, as the scoring should judge it."""

    SCENE = "scene"
    DARK = "dark"
    FLAT = "flat"
    BLURRY = "blurry"


#: The demo reel, in offset order: a fade from black, scenes, a blurry pan, a title card.
#: Each entry is (look, scene number).
REEL: tuple[tuple[Look, int], ...] = (
    (Look.DARK, 0), (Look.SCENE, 0), (Look.SCENE, 1), (Look.SCENE, 2),
    (Look.BLURRY, 3), (Look.SCENE, 4), (Look.SCENE, 5), (Look.SCENE, 6),
    (Look.SCENE, 7), (Look.SCENE, 8), (Look.SCENE, 9), (Look.FLAT, 0),
)


def frame_jpeg(look: Look, scene: int, *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """The frame as a JPEG file, the way a VOD snapshot arrives."""
    return _jpeg(look, scene, width, height)


def frame_image(look: Look, scene: int, *, width: int = WIDTH,
                height: int = HEIGHT) -> Image.Image:
    """The frame as a picture (RGB)."""
    if look is Look.FLAT:
        return _title_card(scene, width, height)
    picture = _paint(scene, width, height)
    if look is Look.DARK:
        return ImageEnhance.Brightness(picture).enhance(0.06)
    if look is Look.BLURRY:
        return picture.filter(ImageFilter.GaussianBlur(radius=width / 80))
    return picture


@lru_cache(maxsize=64)
def _jpeg(look: Look, scene: int, width: int, height: int) -> bytes:
    out = io.BytesIO()
    frame_image(look, scene, width=width, height=height).save(out, "JPEG", quality=88)
    return out.getvalue()


# ---- painting ------------------------------------------------------------------------

Colour = tuple[int, int, int]


def _paint(scene: int, width: int, height: int) -> Image.Image:
    """Scene `scene`: one of the painters below, with colours and shapes varied by number."""
    rng = random.Random(scene * 7919 + 1)
    painter = _PAINTERS[scene % len(_PAINTERS)]
    picture = Image.new("RGB", (width, height))
    painter(ImageDraw.Draw(picture), rng, width, height)
    return _grain(picture, rng)


def _gradient(draw: ImageDraw.ImageDraw, top: Colour, bottom: Colour, width: int,
              y0: int, y1: int) -> None:
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        draw.line([(0, y), (width, y)], fill=_mix(top, bottom, t))


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def _ridge(rng: random.Random, width: int, base: float, rough: float) -> list[tuple[float, float]]:
    """A jagged skyline from left to right, around height `base`."""
    points, y, x = [], base, 0.0
    while x <= width:
        points.append((x, y))
        x += rng.uniform(width / 60, width / 18)
        y = min(max(base + rng.uniform(-rough, rough), base - 2 * rough), base + rough)
    return [*points, (width, y)]


def _mountains(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    sky_top = rng.choice([(38, 72, 140), (90, 40, 110), (20, 90, 150)])
    _gradient(draw, sky_top, (250, 180, 110), w, 0, h)
    sun = (rng.uniform(0.2, 0.8) * w, rng.uniform(0.18, 0.35) * h)
    r = h / 10
    draw.ellipse([sun[0] - r, sun[1] - r, sun[0] + r, sun[1] + r], fill=(255, 236, 170))
    for layer, colour in enumerate([(120, 90, 140), (80, 60, 110), (40, 35, 70)]):
        ridge = _ridge(rng, w, h * (0.45 + 0.15 * layer), h * 0.12)
        draw.polygon([*ridge, (w, h), (0, h)], fill=colour)


def _city(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    _gradient(draw, (12, 18, 48), rng.choice([(200, 90, 60), (140, 60, 150)]), w, 0, h)
    x = 0.0
    while x < w:
        bw, bh = rng.uniform(w / 16, w / 7), rng.uniform(h * 0.3, h * 0.85)
        shade = rng.randint(20, 55)
        draw.rectangle([x, h - bh, x + bw, h], fill=(shade, shade, shade + 20))
        for wy in range(int(h - bh) + 8, h - 6, 12):
            for wx in range(int(x) + 5, int(x + bw) - 6, 10):
                if rng.random() < 0.55:
                    draw.rectangle([wx, wy, wx + 4, wy + 6], fill=(255, 214, 120))
        x += bw + rng.uniform(1, w / 60)


def _forest(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    _gradient(draw, (170, 215, 235), (225, 240, 220), w, 0, h // 2)
    _gradient(draw, (70, 120, 50), (30, 70, 30), w, h // 2, h)
    for _ in range(70):
        x, base = rng.uniform(0, w), rng.uniform(h * 0.45, h * 1.05)
        size = (base / h) * h * 0.35
        green = (rng.randint(10, 50), rng.randint(70, 140), rng.randint(20, 60))
        draw.rectangle([x - size / 14, base - size * 0.2, x + size / 14, base], fill=(80, 50, 30))
        draw.polygon([(x, base - size), (x - size / 3, base - size * 0.15),
                      (x + size / 3, base - size * 0.15)], fill=green)


def _sea(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    horizon = int(h * rng.uniform(0.4, 0.55))
    _gradient(draw, (250, 200, 150), (255, 150, 100), w, 0, horizon)
    _gradient(draw, (30, 100, 150), (10, 40, 80), w, horizon, h)
    for y in range(horizon + 4, h, 7):
        for _ in range(6):
            x = rng.uniform(0, w)
            draw.line([(x, y), (x + rng.uniform(10, 40), y)], fill=(200, 230, 255), width=1)
    bx, by = rng.uniform(0.2, 0.7) * w, horizon + h * 0.08
    draw.polygon([(bx, by), (bx + w * 0.12, by), (bx + w * 0.1, by + h * 0.04),
                  (bx + w * 0.02, by + h * 0.04)], fill=(60, 30, 20))
    draw.polygon([(bx + w * 0.05, by - h * 0.2), (bx + w * 0.05, by - 2),
                  (bx + w * 0.11, by - 2)], fill=(245, 245, 235))


def _stage(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    _gradient(draw, (20, 22, 60), (45, 30, 80), w, 0, h)
    hue = rng.choice([(60, 160, 250), (250, 120, 60), (90, 220, 150)])
    draw.rectangle([w * 0.18, h * 0.1, w * 0.82, h * 0.58], fill=(240, 242, 248))
    for i in range(6):  # a bar chart on the slide
        top = h * (0.5 - rng.uniform(0.08, 0.33))
        left = w * (0.25 + i * 0.085)
        draw.rectangle([left, top, left + w * 0.06, h * 0.52], fill=_mix(hue, (30, 30, 60),
                                                                        i / 8))
    draw.polygon([(w * 0.42, h * 0.7), (w * 0.58, h * 0.7), (w * 0.55, h), (w * 0.45, h)],
                 fill=(70, 50, 40))
    for x in range(0, w, 12):  # the audience's heads
        y = h * 0.9 + rng.uniform(-6, 6)
        draw.ellipse([x, y, x + 11, y + 14], fill=(rng.randint(10, 40),) * 3)


def _shapes(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    _gradient(draw, (245, 235, 220), (220, 210, 200), w, 0, h)
    palette = [(230, 60, 80), (40, 150, 200), (250, 190, 40), (60, 170, 100), (120, 80, 190)]
    for _ in range(40):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(8, h / 6)
        colour = rng.choice(palette)
        if rng.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour, outline=(30, 30, 30))
        else:
            draw.rectangle([x - r, y - r, x + r, y + r * 0.6], fill=colour, outline=(30, 30, 30))


_PAINTERS: tuple[Callable[[ImageDraw.ImageDraw, random.Random, int, int], None], ...] = (
    _mountains, _city, _forest, _sea, _stage, _shapes,
)


def _grain(picture: Image.Image, rng: random.Random) -> Image.Image:
    """Film grain: the fine detail a real frame has (and sharpness measures). One noise
    field a size, shifted for each frame: generating noise costs more than the painting."""
    width, height = picture.size
    noise = ImageChops.offset(_noise(picture.size), rng.randrange(width), rng.randrange(height))
    return Image.blend(picture, noise, 0.06 + rng.uniform(0, 0.03))


@lru_cache(maxsize=4)
def _noise(size: tuple[int, int]) -> Image.Image:
    return Image.effect_noise(size, 40).convert("RGB")


def _title_card(scene: int, width: int, height: int) -> Image.Image:
    """A one-colour card with one small line of text: what ends many videos."""
    colour = [(24, 92, 170), (150, 40, 60), (40, 120, 80)][scene % 3]
    card = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(card)
    draw.text((width / 2, height / 2), "Thanks for watching", fill=(235, 240, 250),
              anchor="mm", font_size=max(10, height // 24))
    return card
