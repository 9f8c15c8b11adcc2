"""Pictures of the bot's messages as Slack draws them, for docs/ (not a benchmark).

    apt-get install chromium-headless-shell fonts-lato fonts-noto-color-emoji
    .venv/bin/python bench/message_pictures.py        # writes docs/{help,outcome,…}.png

(bench/slack_pictures.py draws the picker and its contact sheet with Pillow; this draws
the other messages in a browser, where mrkdwn, mentions and emoji are laid out as text.)

Each message is built by the bot's own Block Kit functions (bot.slack.blocks) and drawn in
HTML with Slack's desktop styles (Lato 15 px, its buttons, context lines, code spans and
link colours), then photographed by headless Chromium. The one thing that matters most is
read as Slack reads it: `<…>` is a link or mention token wherever it stands, even inside a
code span, so a message that forgets to escape `<` shows a broken link here as in Slack.
Pictures of snapshots are drawn locally (no network): the demo reel's frames
(`bot.standin.frames`), or a coloured frame with its file name.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "docs"
WIDTH = 760

EMOJI = {
    "frame_with_picture": "🖼️", "leftwards_arrow_with_hook": "↩️", "no_entry_sign": "🚫",
    "white_check_mark": "✅", "information_source": "\u2139\ufe0f", "camera_with_flash": "📸",
    "warning": "⚠️", "hourglass_flowing_sand": "⏳", "x": "❌", "question": "❓",
    "mag": "🔍", "scroll": "📜", "lock": "🔒", "grey_question": "❔", "repeat": "🔁",
    "hourglass": "⌛", "star": "⭐", "heavy_check_mark": "✔️", "stopwatch": "⏱️",
    "no_entry": "⛔", "construction": "🚧", "wave": "👋", "bulb": "💡", "clock3": "🕒",
}

CSS = """
body { margin: 0; background: #fff; font-family: Lato, 'Noto Color Emoji', sans-serif;
  font-size: 15px; line-height: 1.46668; color: #1d1c1d; width: WIDTHpx; }
.msg { display: flex; padding: 8px 20px; }
.avatar { width: 36px; height: 36px; border-radius: 4px; background: #4a154b; color: #fff;
  font-weight: 900; display: flex; align-items: center; justify-content: center;
  margin-right: 8px; flex: none; font-size: 18px; }
.body { flex: 1; min-width: 0; }
.who { font-weight: 900; }
.app { font-size: 10px; font-weight: 700; background: rgba(29,28,29,.13); color: #616061;
  border-radius: 2px; padding: 1px 3px; margin-left: 4px; vertical-align: 2px; }
.time { color: #616061; font-size: 12px; margin-left: 6px; }
.only { color: #616061; font-size: 13px; padding: 4px 20px 0 64px; }
.caption { color: #616061; font-size: 12px; padding: 14px 20px 0 20px; font-weight: 700;
  text-transform: uppercase; letter-spacing: .05em; }
.block { margin: 4px 0; }
.section { display: flex; gap: 12px; white-space: pre-wrap; word-wrap: break-word; }
.section .text { flex: 1; min-width: 0; }
.acc-img { width: 88px; height: 88px; border-radius: 4px; object-fit: cover; flex: none; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
.context { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; color: #616061;
  font-size: 12px; line-height: 1.5; white-space: pre-wrap; }
.context img { width: 20px; height: 20px; border-radius: 3px; object-fit: cover; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
.btn { height: 28px; padding: 0 12px; font-size: 13px; font-weight: 700; border-radius: 4px;
  border: 1px solid rgba(29,28,29,.3); background: #fff; color: #1d1c1d;
  display: inline-flex; align-items: center; }
.btn.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.image .title { font-size: 13px; color: #616061; margin-bottom: 4px; }
.image img { max-width: 360px; max-height: 360px; border-radius: 8px; display: block;
  border: 1px solid rgba(29,28,29,.1); }
.header { font-size: 18px; font-weight: 900; }
hr { border: 0; border-top: 1px solid rgba(29,28,29,.13); margin: 8px 0; }
b { font-weight: 900; }
code { font-family: Monaco, Menlo, 'DejaVu Sans Mono', monospace; font-size: 12px;
  color: #e01e5a; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13);
  border-radius: 3px; padding: 2px 3px 1px; }
pre { font-family: Monaco, Menlo, 'DejaVu Sans Mono', monospace; font-size: 12px;
  background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 4px;
  padding: 8px; margin: 4px 0; white-space: pre-wrap; }
a { color: #1264a3; text-decoration: none; }
a.broken { color: #1264a3; text-decoration: underline wavy #e01e5a; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
blockquote { margin: 0; padding-left: 12px; border-left: 4px solid #ddd; }
""".replace("WIDTH", str(WIDTH))


# --- mrkdwn, read as Slack reads it ------------------------------------------------------

_TOKEN = re.compile(r"<([^<>]*)>")
_CODE_BLOCK = re.compile(r"```(.*?)```", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")


def _token(inner: str) -> str:
    """One `<…>` token: a link, a mention, a date, or (anything else) what Slack makes of it."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(label or _user_name(target[1:]))}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{html.escape(label or target[1:])}</span>'
    if target.startswith("!date^"):
        return html.escape(label or target)
    if target.startswith("!subteam^"):
        return f'<span class="mention">@{html.escape(label or "group")}</span>'
    if re.match(r"[a-z]+://|mailto:", target):
        return f'<a href="#">{html.escape(_unescape(label or target))}</a>'
    # Not a link Slack can follow: it still swallows the text as a (broken) link token.
    return f'<a class="broken" href="#">{html.escape(_unescape(label or target))}</a>'


def _user_name(user_id: str) -> str:
    return {"U0EDITOR": "editor", "U0LEAD": "lead"}.get(user_id, user_id)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_html(text: str) -> str:
    """Slack's mrkdwn as HTML. `<…>` tokens come first, as in Slack: even inside code."""
    tokens: list[str] = []

    def hold(rendered: str) -> str:
        tokens.append(rendered)
        return f"\x00{len(tokens) - 1}\x00"

    text = _TOKEN.sub(lambda m: hold(_token(m.group(1))), text)
    text = html.escape(_unescape(text), quote=False)
    text = _CODE_BLOCK.sub(lambda m: hold(f"<pre>{m.group(1).strip(chr(10))}</pre>"), text)
    text = _CODE.sub(lambda m: hold(f"<code>{m.group(1)}</code>"), text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    text = _STRIKE.sub(r"<s>\1</s>", text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = re.sub(r"(?m)^&gt; ?(.*)$", r"<blockquote>\1</blockquote>", text)
    for _ in range(3):  # tokens inside code spans and code inside bold
        text = re.sub(r"\x00(\d+)\x00", lambda m: tokens[int(m.group(1))], text)
    return text


def _text(obj: dict[str, Any]) -> str:
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(obj["text"])
    return _plain_html(obj["text"]) if obj.get("emoji", True) else html.escape(obj["text"])


def _plain_html(text: str) -> str:
    """plain_text: only emoji codes are read."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), html.escape(text))


# --- blocks ------------------------------------------------------------------------------

Picture = Callable[[str], str]  # an image URL -> what the <img> shows (a data: URI)


def _button(element: dict[str, Any]) -> str:
    style = element.get("style", "")
    return f'<span class="btn {style}">{_text(element["text"])}</span>'


def _element(element: dict[str, Any], picture: Picture) -> str:
    kind = element.get("type")
    if kind == "button":
        return _button(element)
    if kind == "image":
        url = element.get("image_url") or element.get("slack_file", {}).get("url", "")
        return f'<img src="{picture(url)}" alt="{html.escape(element.get("alt_text", ""))}">'
    if kind in {"mrkdwn", "plain_text"}:
        return f"<span>{_text(element)}</span>"
    return f"<span>[{html.escape(str(kind))}]</span>"


def block_html(block: dict[str, Any], picture: Picture) -> str:
    kind = block["type"]
    if kind == "section":
        text = _text(block["text"]) if "text" in block else ""
        fields = "".join(f"<div>{_text(f)}</div>" for f in block.get("fields", []))
        fields = f'<div class="fields">{fields}</div>' if fields else ""
        accessory = block.get("accessory")
        side = ""
        if accessory and accessory.get("type") == "image":
            side = (f'<img class="acc-img" src="{picture(accessory["image_url"])}" '
                    f'alt="{html.escape(accessory.get("alt_text", ""))}">')
        elif accessory:
            side = _element(accessory, picture)
        return f'<div class="block section"><div class="text">{text}{fields}</div>{side}</div>'
    if kind == "context":
        inner = "".join(_element(e, picture) for e in block["elements"])
        return f'<div class="block context">{inner}</div>'
    if kind == "actions":
        inner = "".join(_element(e, picture) for e in block["elements"])
        return f'<div class="block actions">{inner}</div>'
    if kind == "image":
        title = f'<div class="title">{_text(block["title"])} ▾</div>' if "title" in block else ""
        url = block.get("image_url") or block.get("slack_file", {}).get("url", "")
        return (f'<div class="block image">{title}<img src="{picture(url)}" '
                f'alt="{html.escape(block.get("alt_text", ""))}"></div>')
    if kind == "divider":
        return "<hr>"
    if kind == "header":
        return f'<div class="block header">{_text(block["text"])}</div>'
    return f'<div class="block">[{html.escape(kind)} block]</div>'


@dataclass(frozen=True)
class Shown:
    """One message as somebody sees it: its caption in the picture, and who sees it."""

    caption: str
    payload: dict[str, Any]  # what the bot posts: {"text": …, "blocks": [...]}
    ephemeral: bool = True


def page_html(shown: Iterable[Shown], picture: Picture) -> str:
    parts = []
    for item in shown:
        blocks = item.payload.get("blocks") or [
            {"type": "section", "text": {"type": "mrkdwn", "text": item.payload["text"]}}]
        inner = "".join(block_html(b, picture) for b in blocks)
        only = '<div class="only">👁 Only visible to you</div>' if item.ephemeral else ""
        caption = f'<div class="caption">{html.escape(item.caption)}</div>' if item.caption else ""
        parts.append(
            f'{caption}{only}<div class="msg"><div class="avatar">S</div><div class="body">'
            f'<div><span class="who">setcover</span><span class="app">APP</span>'
            f'<span class="time">10:42 AM</span></div>{inner}</div></div>')
    return f"<!doctype html><meta charset=utf-8><style>{CSS}</style><body>{''.join(parts)}"


def demo_picture(url: str) -> str:
    """The demo reel's frame for a `…/sample/<n>.jpg` URL (`bot.standin.frames`, what
    demo-vod serves); any other URL a placeholder."""
    from bot.standin.frames import REEL, frame_jpeg

    found = re.search(r"/sample/(\d+)\.jpg$", url)
    if found is None or int(found.group(1)) >= len(REEL):
        return placeholder_picture(url)
    look, scene = REEL[int(found.group(1))]
    data = frame_jpeg(look, scene, width=480, height=270)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def placeholder_picture(url: str) -> str:
    """A 16:9 frame in a colour of its own, with the URL's file name, as a PNG data URI
    (no network)."""
    import zlib

    from PIL import Image, ImageDraw

    hue = zlib.crc32(url.encode())
    colour = (60 + hue % 120, 60 + hue // 7 % 120, 90 + hue // 49 % 120)
    image = Image.new("RGB", (320, 180), colour)
    draw = ImageDraw.Draw(image)
    name = "/".join(url.rstrip("/").split("/")[-2:])
    draw.text((12, 150), name, fill=(230, 230, 230))
    return _data_uri(image)


def _data_uri(image: Any) -> str:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def photograph(page: str, out: Path) -> None:
    """Headless Chromium draws the page; the white space below the last message is cut."""
    from PIL import Image, ImageChops

    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if browser is None:
        raise SystemExit("needs headless Chromium: apt-get install chromium-headless-shell "
                         "fonts-lato fonts-noto-color-emoji")
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "page.html"
        page_file.write_text(page)
        shot = Path(tmp) / "shot.png"
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={WIDTH},4000", f"--screenshot={shot}", page_file.as_uri()],
            check=True, capture_output=True, timeout=60)
        image = Image.open(shot).convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    bottom = min(image.height, (box[3] if box else image.height) + 12)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.crop((0, 0, WIDTH, bottom)).save(out, optimize=True)


def pictures() -> dict[str, list[Shown]]:
    """The main messages, built by the bot's own functions for the demo's keynote."""
    from datetime import UTC, datetime

    from bot.policy import Policy
    from bot.slack import blocks
    from bot.store.records import ChangeRecord, FollowUpState, Source, Status
    from bot.vod.errors import VodOutcomeUnknown
    from bot.vod.models import Asset, AssetSummary, Snapshot

    asset_id = "6e76f92034ceae2fcdcef9413221511f"
    base = f"https://355.cdn-vod.huaweicloud.com/shield/asset/{asset_id}/snapshot/sample"
    asset = Asset(asset_id=asset_id, title="Launch keynote", cover_url=f"{base}/1.jpg",
                  snapshots=[Snapshot(kind="sample", offset=5 * n, url=f"{base}/{n}.jpg")
                             for n in range(12)])
    frame = asset.frame_of(f"{base}/9.jpg")
    when = datetime(2026, 12, 3, 10, 42, tzinfo=UTC)

    def record(n: int, status: Status, source: Source, url: str, **extra: Any) -> ChangeRecord:
        return ChangeRecord(
            id=n, requested_at=when, finished_at=when, team_id="T0TEAM", channel_id="C0VIDEO",
            user_id="U0EDITOR", asset_id=asset_id, asset_title="Launch keynote",
            previous_cover_url=None, snapshot_url=url, source=source, status=status,
            error_code=extra.pop("code", None), error_msg=None, request_id=None,
            idempotency_key=None, **extra)

    changed = blocks.changed_in_channel(
        user_id="U0EDITOR", asset_id=asset_id, asset_title="Launch keynote",
        snapshot_url=f"{base}/9.jpg", request_id="fake-cover-000003", change_id=2,
        frame=frame, previous_cover_url=f"{base}/1.jpg")
    undo = blocks.changed_in_channel(
        user_id="U0LEAD", asset_id=asset_id, asset_title="Launch keynote",
        snapshot_url=f"{base}/1.jpg", request_id="fake-cover-000004", change_id=3,
        undoes=record(2, Status.SUCCEEDED, Source.BUTTON, f"{base}/9.jpg"),
        frame=asset.frame_of(f"{base}/1.jpg"), previous_cover_url=f"{base}/9.jpg")
    history = [
        record(3, Status.SUCCEEDED, Source.UNDO, f"{base}/1.jpg", undoes=2),
        record(2, Status.SUCCEEDED, Source.BUTTON, f"{base}/9.jpg"),
        record(1, Status.DENIED, Source.COMMAND, f"{base}/4.jpg", code="DENIED"),
    ]
    unconfirmed = VodOutcomeUnknown("PUT /asset/cover: VOD did not confirm the change")
    return {
        "help": [Shown("/setcover help", blocks.usage())],
        "outcome": [
            Shown("In the channel: a changed cover", changed, ephemeral=False),
            Shown("In the channel, minutes later", blocks.cdn_follow_up(
                FollowUpState.LIVE, asset_id=asset_id, asset_title="Launch keynote",
                waited_s=600), ephemeral=False),
            Shown("In the channel: Undo clicked", undo, ephemeral=False),
        ],
        "not-confirmed-and-denied": [
            Shown("When VOD did not confirm", blocks.unknown(
                asset_id=asset_id, error=unconfirmed, snapshot_url=f"{base}/9.jpg")),
            Shown("Not allowed", blocks.denied(reason=_reason(Policy(users=["U0LEAD"]))))],
        "search-and-history": [
            Shown("/setcover search keynote", blocks.search_results("keynote", [
                AssetSummary(asset_id=asset_id, title="Launch keynote"),
                AssetSummary(asset_id="41cff636d5b12a51e7eb2838bbf45201",
                             title="Keynote rehearsal")])),
            Shown("/setcover history", blocks.history(
                asset_id, history, snapshot_hosts=["*.cdn-vod.huaweicloud.com"]))],
    }


def _reason(policy: Any) -> str:
    import asyncio

    return str(asyncio.run(policy.check("T0TEAM", "C0VIDEO", "U0EDITOR")).reason)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PICTURES)
    args = parser.parse_args(argv)
    for name, shown in pictures().items():
        target = args.out / f"{name}.png"
        photograph(page_html(shown, demo_picture), target)
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
