"""Draw the picker as Slack shows it, from demo-vod's frames: docs/picker.png (the contact
sheet) and docs/picker-rows.png (the compact rows, without files:write).

Not a benchmark: like run_all.py and reliability.py it writes docs/. The messages are the
bot's own (`bot.slack.blocks.picker`), the sheet is made by `SheetMaker` from the frames the
fake VOD of `setcover-bot demo-vod` serves, and each block is drawn the way Slack's desktop
client lays it out (Lato, its colours, its spacing; an image block at most 360 px high, an
accessory 88 px square, buttons wrapping in a row). It is a likeness for the docs and for
reviewing a layout, not Slack's renderer: emoji short codes are left out.

    .venv/bin/python bench/slack_pictures.py
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont

from bot.sheet import SheetMaker
from bot.slack import blocks
from bot.slack.blocks.picker import Fallback, SheetView, picker_page
from bot.standin.vod import FakeVod
from bot.vod.models import Asset, Snapshot

DOCS = Path(__file__).resolve().parent.parent / "docs"
WIDTH, PAD, AVATAR = 760, 20, 36
TEXT_X = PAD + AVATAR + 10
TEXT_WIDTH = WIDTH - TEXT_X - PAD
INK, GREY, LINK, BORDER = (29, 28, 29), (97, 96, 97), (18, 100, 163), (221, 221, 221)
CODE_INK, CODE_BACK = (224, 30, 90), (246, 246, 246)
FONTS = Path("/usr/share/fonts/truetype/lato")


def font(size: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"Lato-{weight}.ttf"), size)


BODY, BOLD, SMALL, BUTTON = font(15), font(15, "Bold"), font(12), font(13, "Bold")
MONO = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 12)
#: Lato has no star: Slack's clients fall back to another font for it, and so does this.
SYMBOLS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], value: str,
         face: ImageFont.FreeTypeFont, fill: Any) -> float:
    """Draw `value` at `xy`, a star in the fallback font; the width drawn."""
    x, y = xy
    for part in re.split("(★)", value):
        use = ImageFont.truetype(SYMBOLS, face.size) if part == "★" else face
        draw.text((x, y), part, font=use, fill=fill)
        x += draw.textlength(part, font=use)
    return x - xy[0]

#: mrkdwn as Slack reads it: links, bold, code; emoji short codes dropped.
_TOKENS = re.compile(r"<([^|>]+)\|([^>]+)>|\*([^*]+)\*|`([^`]+)`|:[a-z_]+: ?")


def spans(text: str) -> list[tuple[str, str]]:
    """(style, text) runs of one line of mrkdwn."""
    out, last = [], 0
    for match in _TOKENS.finditer(text):
        out.append(("plain", text[last:match.start()]))
        if match.group(2):
            out.append(("link", match.group(2)))
        elif match.group(3):
            out.append(("bold", match.group(3)))
        elif match.group(4):
            out.append(("code", match.group(4)))
        last = match.end()
    out.append(("plain", text[last:]))
    return [(style, unescape(run)) for style, run in out if run]


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Canvas:
    """Draws blocks top to bottom on a tall page, cropped at the end."""

    def __init__(self) -> None:
        self.page = Image.new("RGB", (WIDTH, 4000), "white")
        self.draw = ImageDraw.Draw(self.page)
        self.measure = ImageDraw.Draw(Image.new("RGB", (WIDTH, 60)))  # draws to measure
        self.y = PAD

    def header(self, app: str) -> None:
        self.draw.rounded_rectangle((PAD, self.y, PAD + AVATAR, self.y + AVATAR), 6,
                                    fill=(31, 59, 87))
        self.draw.text((TEXT_X, self.y), app, font=font(15, "Black"), fill=INK)
        x = TEXT_X + self.draw.textlength(app, font=font(15, "Black")) + 6
        self.draw.rounded_rectangle((x, self.y + 2, x + 30, self.y + 17), 3, fill=(232, 232, 232))
        self.draw.text((x + 4, self.y + 3), "APP", font=font(10, "Bold"), fill=GREY)
        self.draw.text((x + 38, self.y + 3), "Only visible to you", font=SMALL, fill=GREY)
        self.y += 24

    def mrkdwn(self, text: str, *, x: int = TEXT_X, width: int = TEXT_WIDTH,
               small: bool = False) -> int:
        """Wrapped mrkdwn from `self.y`; the height used."""
        top, line_height = self.y, 17 if small else 22
        for line in text.split("\n"):
            cx = x
            for style, run in spans(line):
                face = SMALL if small else {"bold": BOLD, "code": MONO}.get(style, BODY)
                colour = {"link": LINK, "code": CODE_INK}.get(style, GREY if small else INK)
                for word in re.findall(r"\s*\S+\s*|\s+", run):
                    length = self.draw.textlength(word, font=face)
                    if cx + length > x + width and cx > x:
                        cx, self.y = x, self.y + line_height
                    if style == "code":
                        self.draw.rectangle((cx - 1, self.y + 1, cx + length, self.y + 17),
                                            fill=CODE_BACK)
                    draw_text(self.draw, (cx, self.y + 2), word, face, colour)
                    cx += length
            self.y += line_height
        return self.y - top

    def picture(self, picture: Image.Image, *, max_height: int = 360) -> None:
        scale = min(TEXT_WIDTH / picture.width, max_height / picture.height, 1)
        shown = picture.resize((int(picture.width * scale), int(picture.height * scale)))
        self.page.paste(shown, (TEXT_X, self.y + 4))
        self.draw.rectangle((TEXT_X, self.y + 4, TEXT_X + shown.width, self.y + 4 + shown.height),
                            outline=BORDER)
        self.y += shown.height + 12

    def buttons(self, labels: list[tuple[str, bool]]) -> None:
        x, self.y = TEXT_X, self.y + 4
        for label, primary in labels:
            width = int(draw_text(self.measure, (0, 0), label, BUTTON, INK)) + 24
            if x + width > TEXT_X + TEXT_WIDTH:
                x, self.y = TEXT_X, self.y + 38
            fill, ink = ((0, 122, 90), "white") if primary else ("white", INK)
            self.draw.rounded_rectangle((x, self.y, x + width, self.y + 30), 4, fill=fill,
                                        outline=(190, 190, 190) if not primary else fill)
            draw_text(self.draw, (x + 12, self.y + 7), label, BUTTON, ink)
            x += width + 8
        self.y += 40

    def finish(self) -> Image.Image:
        return self.page.crop((0, 0, WIDTH, self.y + PAD))


def render(message: dict[str, Any], pictures: dict[str, Image.Image]) -> Image.Image:
    """`message` drawn as Slack shows it; `pictures` by image URL or Slack file id."""
    canvas = Canvas()
    canvas.header("setcover")
    for block in message["blocks"]:
        kind = block["type"]
        if kind == "section":
            accessory = block.get("accessory")
            top = canvas.y
            width = TEXT_WIDTH - (100 if accessory else 0)
            canvas.mrkdwn(block["text"]["text"], width=width)
            if accessory and accessory["type"] == "image":
                thumb = pictures[accessory["image_url"]].copy()
                thumb = thumb.resize((88, 88)) if thumb.width == thumb.height else _square(thumb)
                canvas.page.paste(thumb, (TEXT_X + TEXT_WIDTH - 88, top))
                canvas.y = max(canvas.y, top + 92)
            canvas.y += 6
        elif kind == "image":
            source = block.get("slack_file", {}).get("id") or block["image_url"]
            canvas.picture(pictures[source])
        elif kind == "context":
            canvas.mrkdwn("  ".join(e["text"] for e in block["elements"]), small=True)
            canvas.y += 6
        elif kind == "actions":
            canvas.buttons([(e["text"]["text"], e.get("style") == "primary")
                            for e in block["elements"]])
    return canvas.finish()


def _square(picture: Image.Image) -> Image.Image:
    """Slack crops an accessory image to a square and shows it at 88 px."""
    side = min(picture.size)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    return picture.crop((left, top, left + side, top + side)).resize((88, 88))


async def main() -> None:
    vod = FakeVod()
    vod.server.start()
    try:
        fake = vod.add_reel("6e76f92034ceae2fcdcef9413221511f", "Launch keynote")
        listed = sorted(offset_url for offset_url in fake.snapshots["sample"])
        asset = Asset(asset_id=fake.asset_id, title=fake.title, cover_url=fake.cover_url,
                      snapshots=[Snapshot(kind="sample", offset=o, url=u) for o, u in listed])
        hosts = ["127.0.0.1"]
        page = picker_page(asset, snapshot_hosts=hosts)
        async with httpx.AsyncClient() as http:
            frames = {url: Image.open(io.BytesIO((await http.get(url)).content)).convert("RGB")
                      for _, url in listed}
            maker = SheetMaker(http, sign=str)
            try:
                sheet = await maker.make(page.frames)
            finally:
                maker.close()
        pictures: dict[str, Image.Image] = dict(frames)
        pictures["F0SHEET"] = Image.open(io.BytesIO(sheet.image)).convert("RGB")
        with_sheet = blocks.picker(page, nonce="n", sign=str, snapshot_hosts=hosts,
                                   sheet=SheetView("F0SHEET", sheet.suggested))
        rows = blocks.picker(page, nonce="n", sign=str, snapshot_hosts=hosts,
                             why=Fallback.NO_SCOPE)
        render(with_sheet, pictures).save(DOCS / "picker.png", optimize=True)
        render(rows, pictures).save(DOCS / "picker-rows.png", optimize=True)
        print(f"wrote {DOCS / 'picker.png'} and {DOCS / 'picker-rows.png'}")
    finally:
        vod.server.stop()


if __name__ == "__main__":
    asyncio.run(main())
