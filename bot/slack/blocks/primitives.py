"""The parts every message is made of: Slack's limits, escaping, and the block shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.text import shorten, visible

Message = dict[str, Any]

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_BUTTON_TEXT = 75
MAX_SECTION_TEXT = 3000
MAX_ALT_TEXT = 2000

COMMAND = "/setcover"


def esc(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to.

    Every mrkdwn text the bot builds passes through here, static text too: Slack reads
    `<…>` as a link or mention token even inside a code span, so `<asset id>` in the
    usage would show as a broken link. Only the tokens the bot means (`link`, mentions,
    dates) are written raw around escaped text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{esc(label).replace('|', '¦')}>"


def slack_date(when: datetime) -> str:
    """A date Slack shows in the reader's own time zone, with a UTC fallback."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def mrkdwn_text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": shorten(text, MAX_SECTION_TEXT)}


def plain_text(text: str, limit: int = MAX_BUTTON_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit), "emoji": True}


def section(text: str, *, block: str | None = None, accessory: dict | None = None) -> dict:
    out: dict[str, Any] = {"type": "section", "text": mrkdwn_text(text)}
    if block:
        out["block_id"] = block
    if accessory:
        out["accessory"] = accessory
    return out


def context(*texts: str, block: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "context", "elements": [mrkdwn_text(t) for t in texts]}
    if block:
        out["block_id"] = block
    return out


def button(
    text: str, action: str, value: str, *, style: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text),
        "action_id": action,
        "value": value,
    }
    if style:
        out["style"] = style
    return out


def image(url: str, alt: str, *, title: str | None = None, block: str | None = None) -> dict:
    out: dict[str, Any] = {"type": "image", "image_url": url,
                           "alt_text": shorten(alt, MAX_ALT_TEXT)}
    if title:
        out["title"] = plain_text(title, 2000)
    if block:
        out["block_id"] = block
    return out


def message(text: str, blocks: list[dict[str, Any]], *, mrkdwn: bool = False) -> Message:
    """`text` is the notification and screen-reader fallback of the blocks.

    Slack reads it as mrkdwn too, so a title or a typed word holding `<!channel>` would
    notify a channel: it is escaped here, unless the caller built it as mrkdwn (`mrkdwn`,
    to keep a mention) and escaped what it put in.
    """
    return {"text": shorten(text if mrkdwn else esc(text), 3000), "blocks": blocks}


def inert(text: str, limit: int = 100) -> str:
    """`text` for inside a code span: shortened, every odd character visible as an escape,
    no backtick to close the span and no `<…>` Slack would read as a link or a mention."""
    return esc(visible(text, limit).replace("`", "'"))


def is_slack_user(user_id: str) -> bool:
    return bool(user_id) and user_id[0] in "UW" and user_id.isalnum()


def who(user_id: str) -> str:
    return f"<@{user_id}>" if is_slack_user(user_id) else f"`{esc(user_id)}`"


def image_urls(msg: Message) -> list[str]:
    """Every picture Slack would download to show `msg` (not the files it holds itself,
    named by `slack_file`)."""
    urls = []
    for block in msg.get("blocks") or []:
        accessory = block.get("accessory") or {}
        for image in (block, accessory, *(block.get("elements") or [])):
            if image.get("type") == "image" and "image_url" in image:
                urls.append(image["image_url"])
    return urls
