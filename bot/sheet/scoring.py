"""Which frames would make a good cover: cheap, well-known measures, Pillow only.

A frame is dropped when it is dark (mean luminance under 7.5 % of full scale), flat (the
fullest 5 % of the 256 luminance bins hold 80 % or more of the pixels: one colour dominates)
or blurry (its edge energy barely drops when it is blurred a little more: a sharp frame
loses most of it, one already out of focus keeps it; the principle of Crete et al.'s "blur
effect" metric, 2007, so it does not depend on the scene's contrast or size). The rest are
ranked by sharpness (variance of the Laplacian), contrast (luminance spread) and
colourfulness (Hasler and Süsstrunk's opponent-colour measure), each relative to the best
frame of the page, sharpness weighing most. Sharpness is measured at the size the frame was
downloaded: fine detail is exactly what downscaling would remove. Scores only ever
suggest; nothing is set by itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageStat

DARK_BELOW = 0.075
FLAT_TOP_BINS = math.ceil(256 * 0.05)
FLAT_SHARE = 0.80
#: Blurry: a 3x3 box blur keeps more than this share of the Laplacian's variance. Sharp
#: frames keep 0.15 to 0.35 of it, the painted out-of-focus frame 0.99.
BLURRY_ABOVE = 0.6
WEIGHTS = {"sharpness": 0.6, "contrast": 0.2, "colourfulness": 0.2}

# Offset 128 keeps the negative half of the response inside an 8-bit picture.
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)
# RGB -> (R-G)/2 + 128, (R+G)/4 - B/2 + 128: the two opponent channels, halved to fit 8 bits.
_OPPONENT = (0.5, -0.5, 0.0, 128.0, 0.25, 0.25, -0.5, 128.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Measures:
    """One frame's measures, on 8-bit scales."""

    brightness: float  # mean luminance, 0..1
    flatness: float  # share of pixels in the fullest 5 % of luminance bins
    sharpness: float  # variance of the Laplacian
    blur: float  # share of that variance left after a 3x3 box blur
    contrast: float  # standard deviation of luminance
    colourfulness: float

    @property
    def dropped(self) -> str | None:
        """Why this frame is never suggested, or None."""
        if self.brightness < DARK_BELOW:
            return "dark"
        if self.flatness >= FLAT_SHARE:
            return "flat"
        if self.blur > BLURRY_ABOVE:
            return "blurry"
        return None


def measure(picture: Image.Image) -> Measures:
    """The measures of one decoded frame (RGB), at its own size."""
    luminance = picture.convert("L")
    histogram = luminance.histogram()
    stat = ImageStat.Stat(histogram)  # mean and spread from the histogram: one pass
    fullest = sum(sorted(histogram, reverse=True)[:FLAT_TOP_BINS])
    sharpness = _laplacian_variance(luminance)
    blurred = _laplacian_variance(luminance.filter(ImageFilter.BoxBlur(1)))
    return Measures(
        brightness=stat.mean[0] / 255,
        flatness=fullest / max(1, sum(histogram)),
        sharpness=sharpness,
        blur=blurred / sharpness if sharpness else 1.0,
        contrast=stat.stddev[0],
        colourfulness=_colourfulness(picture),
    )


def _laplacian_variance(luminance: Image.Image) -> float:
    return float(ImageStat.Stat(luminance.filter(_LAPLACIAN)).var[0])


def _colourfulness(picture: Image.Image) -> float:
    """Hasler and Süsstrunk (2003). A colour average: measured on a 4x smaller copy."""
    small = picture.reduce(4) if min(picture.size) >= 64 else picture
    opponent = ImageStat.Stat(small.convert("RGB", matrix=_OPPONENT))
    rg_mean, yb_mean = ((m - 128) * 2 for m in opponent.mean[:2])
    rg_std, yb_std = (s * 2 for s in opponent.stddev[:2])
    return math.hypot(rg_std, yb_std) + 0.3 * math.hypot(rg_mean, yb_mean)


def rank(measures: Sequence[Measures | None]) -> list[float | None]:
    """Each kept frame's score, 0..1, relative to the best of the page; None when dropped
    or not measured."""
    kept = [m for m in measures if m is not None and m.dropped is None]
    if not kept:
        return [None] * len(measures)
    best = {name: max(getattr(m, name) for m in kept) or 1.0 for name in WEIGHTS}
    return [
        None if m is None or m.dropped is not None
        else round(sum(w * getattr(m, name) / best[name] for name, w in WEIGHTS.items()), 3)
        for m in measures
    ]
