"""Is a message valid Block Kit? The builders in `bot.slack.blocks` are judged here, in the
tests, by two judges: our reading of Slack's documented limits (`problems`: counts,
lengths, unique ids, required fields) and slack_sdk's own block models (`sdk_problems`),
so the code is not the only judge of itself.
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.slack.blocks import Message

# Slack's documented limits (https://api.slack.com/reference/block-kit/blocks), written
# here rather than imported from the builders: the code is not the judge of itself.
MAX_BLOCKS = 50
MAX_BUTTON_TEXT = 75
MAX_SECTION_TEXT = 3000
MAX_ALT_TEXT = 2000
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_IMAGE_URL = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25

_BLOCK_TYPES = {"section", "context", "actions", "image", "divider", "header"}

#: The `<…>` tokens the bot means to write in mrkdwn: links, mentions of a user, a channel
#: or a user group, and dates. Slack reads any other `<…>` as a token too, even inside a
#: code span, so text must carry `&lt;` and `&gt;` instead.
_TOKEN = re.compile(r"<(?:https?://[^<>|\s]+(?:\|[^<>]*)?|@[UW][A-Z0-9]+|#[CG][A-Z0-9]+"
                    r"|!subteam\^[A-Z0-9]+(?:\|[^<>]*)?|!date\^\d+\^[^<>|]*\|[^<>]*)>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_QUOTE = re.compile(r"^>", re.MULTILINE)  # a block quote: `>` starting a line


def unescaped(text: str) -> list[str]:
    """The `<`, `>` and `&` in mrkdwn `text` that Slack would read as markup although the
    bot did not write a token: typed or static text that was not escaped."""
    rest = _QUOTE.sub("", _ENTITY.sub("", _TOKEN.sub("", text)))
    return [char for char in rest if char in "<>&"]


def problems(msg: Message) -> list[str]:
    """Every way `msg` breaks Slack's Block Kit limits, by our reading and by slack_sdk's
    block models; `[]` when Slack will take it."""
    found: list[str] = []
    blocks = msg.get("blocks") or []
    if not (msg.get("text") or blocks):
        found.append("message has neither text nor blocks")
    if not msg.get("text"):
        found.append("message has no fallback text")
    elif unescaped(msg["text"]):
        found.append(f"fallback text has unescaped {''.join(unescaped(msg['text']))!r}")
    if len(blocks) > MAX_BLOCKS:
        found.append(f"{len(blocks)} blocks, Slack takes at most {MAX_BLOCKS}")
    block_ids: set[str] = set()
    action_ids: set[str] = set()

    def check_element(element: dict[str, Any], where: str) -> None:
        kind = element.get("type")
        if kind == "button":
            text = element.get("text", {})
            if text.get("type") != "plain_text" or not text.get("text"):
                found.append(f"{where}: button text must be non-empty plain_text")
            elif len(text["text"]) > MAX_BUTTON_TEXT:
                found.append(f"{where}: button text over {MAX_BUTTON_TEXT} characters")
            aid = element.get("action_id")
            if not aid or len(aid) > MAX_ACTION_ID:
                found.append(f"{where}: action_id missing or too long")
            elif aid in action_ids:
                found.append(f"{where}: action_id {aid!r} is not unique")
            else:
                action_ids.add(aid)
            if len(element.get("value", "")) > MAX_BUTTON_VALUE:
                found.append(f"{where}: button value over {MAX_BUTTON_VALUE} characters")
        elif kind == "image":
            if not element.get("alt_text"):
                found.append(f"{where}: image without alt_text")
            elif len(element["alt_text"]) > MAX_ALT_TEXT:
                found.append(f"{where}: alt_text over {MAX_ALT_TEXT} characters")
            slack_file = element.get("slack_file")
            if slack_file is not None:  # an uploaded file, named by id: no URL beside it
                if "image_url" in element or set(slack_file) != {"id"} or not slack_file["id"]:
                    found.append(f"{where}: slack_file must be {{'id': …}} alone")
            elif not element.get("image_url") or len(element["image_url"]) > MAX_IMAGE_URL:
                found.append(f"{where}: image_url missing or too long")
        elif kind in {"mrkdwn", "plain_text"}:
            if not element.get("text"):
                found.append(f"{where}: empty text")
            elif len(element["text"]) > MAX_SECTION_TEXT:
                found.append(f"{where}: text over {MAX_SECTION_TEXT} characters")
            elif kind == "mrkdwn" and unescaped(element["text"]):
                found.append(f"{where}: unescaped {''.join(unescaped(element['text']))!r} in "
                             f"mrkdwn {element['text'][:80]!r}")
        else:
            found.append(f"{where}: unexpected element type {kind!r}")

    for number, block in enumerate(blocks):
        where = f"block {number}"
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            found.append(f"{where}: unknown block type {kind!r}")
        bid = block.get("block_id")
        if bid is not None:
            if len(bid) > MAX_BLOCK_ID:
                found.append(f"{where}: block_id too long")
            if bid in block_ids:
                found.append(f"{where}: block_id {bid!r} is not unique")
            block_ids.add(bid)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                found.append(f"{where}: section without text")
            if "text" in block:
                check_element(block["text"], where)
            if "accessory" in block:
                check_element(block["accessory"], f"{where} accessory")
        elif kind in ("context", "actions"):
            elements = block.get("elements") or []
            limit = MAX_CONTEXT_ELEMENTS if kind == "context" else MAX_ACTIONS_ELEMENTS
            if not elements or len(elements) > limit:
                found.append(f"{where}: {kind} needs 1 to {limit} elements")
            for element in elements:
                check_element(element, where)
        elif kind == "image":
            check_element(block, where)
            title = block.get("title")
            if title is not None and (title.get("type") != "plain_text"
                                      or len(title.get("text", "")) > 2000):
                found.append(f"{where}: image title must be plain_text under 2000")
    return found + sdk_problems(blocks)


def sdk_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """What slack_sdk's block models refuse, or read differently from what we wrote.

    `Block.parse` builds the typed model (unknown types: None), `to_dict()` runs every
    validator of the block and its elements (lengths, counts, required fields) and drops
    what the model does not know or keep, so a block that does not survive the round trip
    unchanged is one Slack may not read as we meant it.
    """
    found: list[str] = []
    for number, raw in enumerate(blocks):
        where = f"block {number}"
        model = Block.parse(raw)
        if model is None or type(model) is Block:
            found.append(f"{where}: slack_sdk has no model for block type {raw.get('type')!r}")
            continue
        try:
            again = model.to_dict()
        except SlackObjectFormationError as exc:
            found.append(f"{where}: slack_sdk refuses it: {exc}")
            continue
        if again != raw:
            found.append(f"{where}: slack_sdk reads it differently: {again!r} != {raw!r}")
    return found


