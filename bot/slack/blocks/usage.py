"""Help: what `/setcover` does, and examples."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.primitives import COMMAND, Message, esc, message, section
from bot.timecodes import MAX_TIMES

USAGE = esc("\n".join(
    [
        f"*`{COMMAND}`* sets a video's cover from one of its snapshots.",
        f"• `{COMMAND} <asset id>`: show the video's snapshots and pick one",
        f"• `{COMMAND} <snapshot URL>`: use that snapshot as its video's cover now",
        f"• `{COMMAND} <asset id> at 1:23 …`: new snapshots at those times (up to "
        f"{MAX_TIMES}), to pick from",
        f"• `{COMMAND} search <words>`: find videos by title",
        f"• `{COMMAND} history <asset id>`: the last cover changes of a video",
        f"• `{COMMAND} help`: this message",
    ]
))
EXAMPLES = esc("\n".join(
    [
        "*Examples*",
        f"`{COMMAND} 2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4`",
        f"`{COMMAND} https://1.cdn-vod.huaweicloud.com/…/asset/2f8a9c1e…/snapshot/sample/3.jpg`",
        f"`{COMMAND} 2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4 at 0:05 1:23`",
        f"`{COMMAND} search launch trailer`",
        f"`{COMMAND} history 2f8a9c1e0b7d4e6fa1c3d5e7f9a0b2c4`",
    ]
))


def usage(problem: str | None = None) -> Message:
    """Help; with `problem` first when the command was not understood."""
    blocks: list[dict[str, Any]] = []
    if problem:  # mrkdwn, but what the user typed in it may hold `<!channel>`: escaped
        blocks.append(section(f":warning: {esc(problem)}"))
    blocks += [section(USAGE), section(EXAMPLES)]
    text = f"{problem} " if problem else ""
    return message(text + f"Usage: {COMMAND} <asset id> [at <times>] | <snapshot URL> | "
                   "search <words> | history <asset id> | help", blocks)
