"""Pictures of the bot's main messages as Slack draws them, for docs/ (not a benchmark).

    .venv/bin/python bench/slack_pictures.py     # docs/picker.png, picker-rows.png, help.png,
                                                 # outcome.png, not-confirmed-and-denied.png,
                                                 # search-and-history.png (a few seconds)

Each message is built by the bot's own Block Kit functions (`bot.slack.blocks`) and drawn
with Pillow the way Slack's desktop client lays it out: Lato 15 px (`apt-get install
fonts-lato`; DejaVu Sans without it), its colours, code spans, mentions, buttons, context
lines, an image block at most 360 px high, an accessory 88 px square. mrkdwn is read as
Slack reads it: `<…>` is a link or mention token wherever it stands, even inside a code
span, so a message that forgets to escape `<` shows a broken link here (underlined in
red) as in Slack. The picker's sheet is made by `SheetMaker` from the frames the fake VOD
of `setcover-bot demo-vod` serves; other pictures are the demo reel's frames, drawn
locally. A likeness for the docs and for reviewing a layout, not Slack's renderer: emoji
short codes are left out (Pillow draws no colour emoji).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont

from bot.policy import Policy
from bot.sheet import SheetMaker
from bot.slack import blocks
from bot.slack.blocks.picker import Fallback, SheetView, picker_page
from bot.standin.frames import REEL, frame_image
from bot.standin.vod import FakeVod
from bot.store.records import ChangeRecord, FollowUpState, Source, Status
from bot.vod.errors import VodOutcomeUnknown
from bot.vod.models import Asset, AssetSummary, Snapshot

DOCS = Path(__file__).resolve().parent.parent / "docs"
WIDTH, PAD, AVATAR = 760, 20, 36
TEXT_X = PAD + AVATAR + 10
TEXT_WIDTH = WIDTH - TEXT_X - PAD
INK, GREY, LINK, BORDER = (29, 28, 29), (97, 96, 97), (18, 100, 163), (221, 221, 221)
CODE_INK, CODE_BACK, MENTION_BACK = (224, 30, 90), (246, 246, 246), (232, 245, 250)
BUTTON_STYLES = {"primary": ((0, 122, 90), "white"), "danger": ((224, 30, 90), "white")}
FONT_DIRS = (Path("/usr/share/fonts/truetype/lato"), Path("/usr/share/fonts/truetype/dejavu"))
KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"


def font(size: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    """Lato as Slack uses it; DejaVu Sans (bold or not) where Lato is not installed."""
    lato = FONT_DIRS[0] / f"Lato-{weight}.ttf"
    if lato.exists():
        return ImageFont.truetype(str(lato), size)
    bold = "-Bold" if weight in {"Bold", "Black"} else ""
    oblique = "-Oblique" if weight == "Italic" else ""
    return ImageFont.truetype(str(FONT_DIRS[1] / f"DejaVuSans{bold}{oblique}.ttf"), size)


BODY, BOLD, ITALIC, SMALL = font(15), font(15, "Bold"), font(15, "Italic"), font(12)
BUTTON, NAME = font(13, "Bold"), font(15, "Black")
MONO = ImageFont.truetype(str(FONT_DIRS[1] / "DejaVuSansMono.ttf"), 12)
#: Lato has no star or arrows: Slack's clients fall back to another font, and so does this.
SYMBOLS = ImageFont.truetype(str(FONT_DIRS[1] / "DejaVuSans.ttf"), 15)
_SYMBOL = re.compile(r"([★▾→←·…])")


# ---- mrkdwn, read as Slack reads it ---------------------------------------------------------

_TOKEN = re.compile(r"<([^<>]*)>")
_INLINE = re.compile(r"`(?P<code>[^`\n]+)`|(?<![\w*])\*(?P<bold>[^*\n]+?)\*(?![\w*])"
                     r"|(?<![\w_])_(?P<italic>[^_\n]+?)_(?![\w_])|:[a-z0-9_+-]+: ?")
_HELD = re.compile("\x00(\\d+)\x00")
USER_NAMES = {"U0EDITOR": "editor", "U0LEAD": "lead"}


def _token(inner: str) -> tuple[str, str]:
    """One `<…>` token as (style, text): a link, a mention, or what Slack makes of the rest."""
    target, _, label = inner.partition("|")
    if target[:1] in {"@", "#"}:
        name = label or USER_NAMES.get(target[1:], target[1:])
        return "mention", f"{target[0]}{name}"
    if target.startswith("!subteam^"):
        return "mention", "@" + (label or "group")
    if target.startswith("!date^"):  # Slack shows the date in the reader's time zone
        return "plain", _unescape(label or target)
    if re.match(r"[a-z]+://|mailto:", target):
        return "link", _unescape(label or target)
    return "broken", _unescape(label or target)  # no link Slack can follow, text swallowed


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


Run = tuple[str, str]  # (style, text)


def paragraphs(text: str) -> Iterator[tuple[str, list[Run]]]:
    """(kind, runs) per line: kind `line`, `quote` or `pre` (a code block's line)."""
    held: list[Run] = []

    def hold(match: re.Match[str]) -> str:
        held.append(_token(match.group(1)))
        return f"\x00{len(held) - 1}\x00"

    text = _TOKEN.sub(hold, text)  # first, as Slack: even inside code
    for n, part in enumerate(text.split("```")):
        if n % 2:
            for line in part.strip("\n").split("\n"):
                yield "pre", _release([("code", line)], held)
            continue
        for line in part.strip("\n").split("\n") if n else part.split("\n"):
            quote = line.startswith(("&gt;", ">"))
            line = re.sub(r"^(&gt;|>) ?", "", line) if quote else line
            yield ("quote" if quote else "line"), _release(_inline(line), held)


def _inline(line: str) -> list[Run]:
    runs, last = [], 0
    for match in _INLINE.finditer(line):
        runs.append(("plain", line[last:match.start()]))
        style = match.lastgroup
        if style == "code":
            runs.append((style, match.group(style)))
        elif style is not None:  # bold or italic, around code perhaps; else an emoji code
            runs += [(style if inner == "plain" else inner, text)
                     for inner, text in _inline(match.group(style))]
        last = match.end()
    runs.append(("plain", line[last:]))
    return runs


def _release(runs: list[Run], held: list[Run]) -> list[Run]:
    """Tokens back in place, each in its own style; the rest unescaped."""
    out: list[Run] = []
    for style, text in runs:
        for n, piece in enumerate(_HELD.split(text)):
            out.append(held[int(piece)] if n % 2 else (style, _unescape(piece)))
    return [(style, text) for style, text in out if text]


# ---- drawing ------------------------------------------------------------------------------

def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], value: str,
              face: ImageFont.FreeTypeFont, fill: Any) -> float:
    """Draw `value` at `xy`, symbols Lato lacks in the fallback font; the width drawn."""
    x, y = xy
    for part in _SYMBOL.split(value):
        use = face if not _SYMBOL.fullmatch(part) else ImageFont.truetype(
            SYMBOLS.path, face.size)
        draw.text((x, y), part, font=use, fill=fill)
        x += draw.textlength(part, font=use)
    return x - xy[0]


Pictures = Callable[[str], Image.Image]  # an image URL or Slack file id -> the picture


class Canvas:
    """Draws messages top to bottom on a tall page, cropped at the end."""

    def __init__(self, pictures: Pictures) -> None:
        self.pictures = pictures
        self.page = Image.new("RGB", (WIDTH, 6000), "white")
        self.draw = ImageDraw.Draw(self.page)
        self.y = PAD

    def message(self, shown: Shown) -> None:
        if shown.caption:
            draw_text(self.draw, (PAD, self.y), shown.caption.upper(), font(11, "Bold"), GREY)
            self.y += 22
        if shown.ephemeral:
            draw_text(self.draw, (TEXT_X, self.y), "Only visible to you", SMALL, GREY)
            self.y += 18
        self.draw.rounded_rectangle((PAD, self.y, PAD + AVATAR, self.y + AVATAR), 6,
                                    fill=(74, 21, 75))
        self.draw.text((PAD + 12, self.y + 8), "S", font=font(18, "Black"), fill="white")
        x = TEXT_X + draw_text(self.draw, (TEXT_X, self.y), "setcover", NAME, INK) + 6
        self.draw.rounded_rectangle((x, self.y + 2, x + 30, self.y + 17), 3, fill=(232, 232, 232))
        self.draw.text((x + 4, self.y + 3), "APP", font=font(10, "Bold"), fill=GREY)
        self.draw.text((x + 38, self.y + 3), "10:42 AM", font=SMALL, fill=GREY)
        self.y += 24
        message = shown.payload
        for block in message.get("blocks") or [
                {"type": "section", "text": {"type": "mrkdwn", "text": message["text"]}}]:
            self.block(block)
        self.y += 18

    def block(self, block: dict[str, Any]) -> None:
        kind = block["type"]
        if kind == "section":
            self.section(block)
        elif kind == "image":
            if "title" in block:
                self.text(block["title"], small=True)
            self.picture(self.pictures(block.get("slack_file", {}).get("id")
                                       or block["image_url"]))
        elif kind == "context":
            self.context(block["elements"])
        elif kind == "actions":
            self.buttons([e for e in block["elements"] if e["type"] == "button"])
        elif kind == "divider":
            self.draw.line((TEXT_X, self.y + 6, TEXT_X + TEXT_WIDTH, self.y + 6), fill=BORDER)
            self.y += 14
        elif kind == "header":
            self.mrkdwn(f"*{block['text']['text']}*")
        else:
            self.mrkdwn(f"[{kind} block]")

    def section(self, block: dict[str, Any]) -> None:
        accessory, top = block.get("accessory"), self.y
        width = TEXT_WIDTH - (100 if accessory else 0)
        if "text" in block:
            self.text(block["text"], width=width)
        fields = block.get("fields", [])
        for row in range(0, len(fields), 2):
            row_top, bottom = self.y, self.y
            for column, field in enumerate(fields[row:row + 2]):
                self.y = row_top
                self.text(field, x=TEXT_X + column * width // 2, width=width // 2 - 12)
                bottom = max(bottom, self.y)
            self.y = bottom
        if accessory and accessory["type"] == "image":
            thumb = _square(self.pictures(accessory["image_url"]), 88)
            self.page.paste(thumb, (TEXT_X + TEXT_WIDTH - 88, top + 2))
            self.y = max(self.y, top + 94)
        elif accessory and accessory["type"] == "button":
            end, self.y = self.y, top
            self.buttons([accessory], x=TEXT_X + width + 8)
            self.y = max(end, self.y - 10)
        self.y += 6

    def context(self, elements: list[dict[str, Any]]) -> None:
        x = TEXT_X
        for element in elements:
            if element["type"] == "image":
                self.page.paste(_square(self.pictures(element["image_url"]), 18), (x, self.y))
                x += 24
                continue
            self.text(element, x=x, small=True)
            self.y -= 17  # elements flow on one line
            x = TEXT_X + TEXT_WIDTH  # a second text element starts a line of its own
        self.y += 23

    def text(self, obj: dict[str, Any], *, x: int = TEXT_X, width: int = TEXT_WIDTH,
             small: bool = False) -> None:
        if obj.get("type") == "mrkdwn":
            self.mrkdwn(obj["text"], x=x, width=width, small=small)
        else:  # plain_text: only emoji codes are read, and left out here
            self.lines([("line", [("plain", re.sub(r":[a-z0-9_+-]+: ?", "", obj["text"]))])],
                       x=x, width=width, small=small)

    def mrkdwn(self, text: str, *, x: int = TEXT_X, width: int = TEXT_WIDTH,
               small: bool = False) -> None:
        self.lines(paragraphs(text), x=x, width=width, small=small)

    def lines(self, lines: Any, *, x: int, width: int, small: bool) -> None:
        """Wrapped runs from `self.y`, a line each, advancing `self.y`."""
        height = 17 if small else 22
        for kind, runs in lines:
            left = x + (14 if kind == "quote" else 8 if kind == "pre" else 0)
            top, cx = self.y, left
            for style, run in runs:
                face = (SMALL if small and style != "code" else
                        {"bold": BOLD, "italic": ITALIC, "code": MONO}.get(style, BODY))
                colour = {"link": LINK, "mention": LINK, "broken": LINK,
                          "code": CODE_INK}.get(style, GREY if small else INK)
                for word in re.findall(r"\s*\S+\s*|\s+", run):
                    length = self.draw.textlength(word, font=face)
                    if cx + length > x + width and cx > left:
                        cx, self.y = left, self.y + height
                    back = {"code": CODE_BACK, "mention": MENTION_BACK}.get(style)
                    if back and kind != "pre":
                        self.draw.rectangle((cx - 1, self.y + 1, cx + length, self.y + 18),
                                            fill=back)
                    draw_text(self.draw, (cx, self.y + 2), word, face, colour)
                    if style == "broken":
                        self.draw.line((cx, self.y + 18, cx + length, self.y + 18),
                                       fill=CODE_INK, width=2)
                    cx += length
            self.y += height
            if kind == "quote":
                self.draw.line((x + 2, top, x + 2, self.y - 2), fill=BORDER, width=4)
            elif kind == "pre":
                self.draw.rectangle((x, top - 1, x + width, self.y), outline=BORDER)

    def picture(self, picture: Image.Image, *, max_height: int = 360) -> None:
        scale = min(TEXT_WIDTH / picture.width, max_height / picture.height, 1)
        shown = picture.resize((int(picture.width * scale), int(picture.height * scale)))
        self.page.paste(shown, (TEXT_X, self.y + 4))
        self.draw.rectangle((TEXT_X, self.y + 4, TEXT_X + shown.width, self.y + 4 + shown.height),
                            outline=BORDER)
        self.y += shown.height + 12

    def buttons(self, elements: list[dict[str, Any]], *, x: int = TEXT_X) -> None:
        left, self.y = x, self.y + 4
        for element in elements:
            label = re.sub(r":[a-z0-9_+-]+: ?", "", element["text"]["text"])
            width = int(self.draw.textlength(label, font=BUTTON)) + 24
            if x + width > TEXT_X + TEXT_WIDTH and x > left:
                x, self.y = left, self.y + 38
            fill, ink = BUTTON_STYLES.get(element.get("style", ""), ("white", INK))
            self.draw.rounded_rectangle((x, self.y, x + width, self.y + 30), 4, fill=fill,
                                        outline=(190, 190, 190) if fill == "white" else fill)
            draw_text(self.draw, (x + 12, self.y + 7), label, BUTTON, ink)
            x += width + 8
        self.y += 40

    def finish(self) -> Image.Image:
        return self.page.crop((0, 0, WIDTH, self.y))


def _square(picture: Image.Image, side: int) -> Image.Image:
    """Slack crops an accessory image to a square."""
    edge = min(picture.size)
    left, top = (picture.width - edge) // 2, (picture.height - edge) // 2
    return picture.crop((left, top, left + edge, top + edge)).resize((side, side))


@dataclass(frozen=True)
class Shown:
    """One message as somebody sees it: its caption in the picture, and who sees it."""

    caption: str
    payload: dict[str, Any]  # what the bot posts: {"text": …, "blocks": [...]}
    ephemeral: bool = True


def draw(shown: list[Shown], pictures: Pictures) -> Image.Image:
    canvas = Canvas(pictures)
    for item in shown:
        canvas.message(item)
    return canvas.finish()


# ---- the messages -------------------------------------------------------------------------

def reel_picture(url: str) -> Image.Image:
    """The demo reel's frame for a `…/sample/<n>.jpg` URL (what demo-vod serves)."""
    found = re.search(r"/sample/(\d+)\.jpg$", url)
    look, scene = REEL[int(found.group(1)) % len(REEL) if found else 0]
    return frame_image(look, scene)


async def pickers(vod: FakeVod) -> tuple[dict[str, list[Shown]], dict[str, Image.Image]]:
    """The picker of the demo's keynote, with its contact sheet and as compact rows."""
    fake = vod.add_reel(KEYNOTE, "Launch keynote")
    listed = sorted(fake.snapshots["sample"])
    asset = Asset(asset_id=fake.asset_id, title=fake.title, cover_url=fake.cover_url,
                  snapshots=[Snapshot(kind="sample", offset=o, url=u) for o, u in listed])
    hosts = ["127.0.0.1"]
    page = picker_page(asset, snapshot_hosts=hosts)
    async with httpx.AsyncClient() as http:
        maker = SheetMaker(http, sign=str)
        try:
            sheet = await maker.make(page.frames)
        finally:
            maker.close()
    with_sheet = blocks.picker(page, nonce="n", sign=str, snapshot_hosts=hosts,
                               sheet=SheetView("F0SHEET", sheet.suggested))
    rows = blocks.picker(page, nonce="n", sign=str, snapshot_hosts=hosts, why=Fallback.NO_SCOPE)
    made = {"F0SHEET": Image.open(io.BytesIO(sheet.image)).convert("RGB")}
    return {"picker": [Shown("", with_sheet)], "picker-rows": [Shown("", rows)]}, made


def messages() -> dict[str, list[Shown]]:
    """The other main messages, built by the bot's own functions for the demo's keynote."""
    base = f"https://355.cdn-vod.huaweicloud.com/shield/asset/{KEYNOTE}/snapshot/sample"
    asset = Asset(asset_id=KEYNOTE, title="Launch keynote", cover_url=f"{base}/1.jpg",
                  snapshots=[Snapshot(kind="sample", offset=5 * n, url=f"{base}/{n}.jpg")
                             for n in range(12)])
    when = datetime(2026, 12, 3, 10, 42, tzinfo=UTC)

    def record(n: int, status: Status, source: Source, url: str, **extra: Any) -> ChangeRecord:
        return ChangeRecord(
            id=n, requested_at=when, finished_at=when, team_id="T0TEAM", channel_id="C0VIDEO",
            user_id="U0EDITOR", asset_id=KEYNOTE, asset_title="Launch keynote",
            previous_cover_url=None, snapshot_url=url, source=source, status=status,
            error_code=extra.pop("code", None), error_msg=None, request_id=None,
            idempotency_key=None, **extra)

    changed = blocks.changed_in_channel(
        user_id="U0EDITOR", asset_id=KEYNOTE, asset_title="Launch keynote",
        snapshot_url=f"{base}/9.jpg", request_id="fake-cover-000003", change_id=2,
        frame=asset.frame_of(f"{base}/9.jpg"), previous_cover_url=f"{base}/1.jpg")
    undo = blocks.changed_in_channel(
        user_id="U0LEAD", asset_id=KEYNOTE, asset_title="Launch keynote",
        snapshot_url=f"{base}/1.jpg", request_id="fake-cover-000004", change_id=3,
        undoes=record(2, Status.SUCCEEDED, Source.BUTTON, f"{base}/9.jpg"),
        frame=asset.frame_of(f"{base}/1.jpg"), previous_cover_url=f"{base}/9.jpg")
    history = [
        record(3, Status.SUCCEEDED, Source.UNDO, f"{base}/1.jpg", undoes=2),
        record(2, Status.SUCCEEDED, Source.BUTTON, f"{base}/9.jpg"),
        record(1, Status.DENIED, Source.COMMAND, f"{base}/4.jpg", code="DENIED"),
    ]
    unconfirmed = VodOutcomeUnknown("PUT /asset/cover: VOD did not confirm the change")
    denial = asyncio.run(Policy(users=["U0LEAD"]).check("T0TEAM", "C0VIDEO", "U0EDITOR"))
    return {
        "help": [Shown("/setcover help", blocks.usage())],
        "outcome": [
            Shown("In the channel: a changed cover", changed, ephemeral=False),
            Shown("In the channel, minutes later", blocks.cdn_follow_up(
                FollowUpState.LIVE, asset_id=KEYNOTE, asset_title="Launch keynote",
                waited_s=600), ephemeral=False),
            Shown("In the channel: Undo clicked", undo, ephemeral=False),
        ],
        "not-confirmed-and-denied": [
            Shown("When VOD did not confirm", blocks.unknown(
                asset_id=KEYNOTE, error=unconfirmed, snapshot_url=f"{base}/9.jpg")),
            Shown("Not allowed", blocks.denied(reason=str(denial.reason)))],
        "search-and-history": [
            Shown("/setcover search keynote", blocks.search_results("keynote", [
                AssetSummary(asset_id=KEYNOTE, title="Launch keynote"),
                AssetSummary(asset_id="41cff636d5b12a51e7eb2838bbf45201",
                             title="Keynote rehearsal")])),
            Shown("/setcover history", blocks.history(
                KEYNOTE, history, snapshot_hosts=["*.cdn-vod.huaweicloud.com"]))],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    pages = messages()
    vod = FakeVod()
    vod.server.start()
    try:
        shown, made = asyncio.run(pickers(vod))
    finally:
        vod.server.stop()
    for name, items in (shown | pages).items():
        target = args.out / f"{name}.png"
        draw(items, lambda url: made.get(url) or reel_picture(url)).save(target, optimize=True)
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
