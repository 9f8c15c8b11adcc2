"""A change and its outcome: in the channel, to the one who clicked, and every refusal."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.ids import ActionId, BlockId
from bot.slack.blocks.primitives import (
    COMMAND,
    Message,
    button,
    context,
    esc,
    image,
    is_slack_user,
    link,
    message,
    section,
    who,
)
from bot.slack.blocks.values import encode, new_nonce, use_cover_value
from bot.store.records import ChangeRecord, FollowUpState, Status
from bot.text import shorten
from bot.vod.errors import InvalidArgument, VodError
from bot.vod.url_auth import Sign

VOD_DELAY_NOTE = "VOD takes 3 to 5 minutes to show the new cover everywhere."




def setting_cover(asset_id: str) -> Message:
    """What replaces the picker while the change runs: nothing left to click."""
    return message(f"Setting the cover of {asset_id}…", [section(
        f":hourglass_flowing_sand: Setting the cover of `{esc(asset_id)}`…"
    )])


def changed_in_channel(
    *, user_id: str, asset_id: str, asset_title: str, snapshot_url: str,
    request_id: str | None, images: bool = True, change_id: int | None = None,
    undoes: ChangeRecord | None = None, undone_by: str | None = None,
    cdn_refused: str | None = None, sign: Sign = str,
) -> Message:
    """The channel's news: who set the cover of which video, and the new cover (shown
    through `sign`: the process's `UrlSigner` under hotlink protection).

    `change_id` adds an Undo button for that change; `undoes` says the change put back
    an earlier cover; `undone_by` marks an outcome someone has since undone (no button);
    `cdn_refused` is VOD's reason for refusing the CDN refresh (the change stands).
    """
    title = esc(asset_title or asset_id)
    if undoes is not None:
        headline = (f":leftwards_arrow_with_hook: <@{user_id}> undid change {undoes.id} by "
                    f"{who(undoes.user_id)}: the cover of *{title}* (`{esc(asset_id)}`) is "
                    "back to what it was.")
        text = f"<@{user_id}> undid a cover change of {title}."
    else:
        headline = (f":frame_with_picture: <@{user_id}> set the cover of *{title}* "
                    f"(`{esc(asset_id)}`).")
        text = f"<@{user_id}> set the cover of {title}."
    blocks = [section(headline, block=str(BlockId.OUTCOME))]
    if images:
        blocks.append(image(sign(snapshot_url), f"New cover of {asset_title or asset_id}",
                            block=str(BlockId.OUTCOME_IMAGE)))
    else:
        blocks.append(section(f"New cover: {link(sign(snapshot_url), 'open picture')}"))
        blocks.append(context(
            "Slack could not download the picture from the video service, so it is shown "
            "as a link."))
    notes = [VOD_DELAY_NOTE]
    if change_id is not None:
        notes.append(f"change {change_id}")
    if request_id:
        notes.append(f"VOD request id `{esc(request_id)}`")
    blocks.append(context(" · ".join(notes)))
    if cdn_refused is not None:
        blocks.append(context(
            f":information_source: VOD did not refresh its CDN ({esc(shorten(cdn_refused, 300))}"
            "), so some viewers may see the old cover a while longer. The cover is changed.",
            block=str(BlockId.CDN_REFUSED)))
    if undone_by is not None:
        blocks.append(context(f":leftwards_arrow_with_hook: Undone by <@{undone_by}>.",
                              block=str(BlockId.UNDONE)))
    elif change_id is not None:
        blocks.append({"type": "actions", "block_id": str(BlockId.UNDO), "elements": [
            button("Undo", str(ActionId.UNDO), encode(c=change_id))]})
    return message(f"{text} {VOD_DELAY_NOTE}", blocks, mrkdwn=True)


def cdn_follow_up(
    state: FollowUpState, *, asset_id: str, asset_title: str, change_id: int, waited_s: float,
) -> Message:
    """What the channel hears once VOD's CDN refresh after change `change_id` ended:
    live, failed, or (after `waited_s` without an answer) not confirmed yet."""
    waited = (f"{round(waited_s / 60)} minutes" if waited_s >= 120
              else f"{round(waited_s)} seconds")
    name = asset_title or asset_id
    video = f"*{esc(name)}* (`{esc(asset_id)}`)"
    match FollowUpState(state):
        case FollowUpState.LIVE:
            text = f"The new cover of {name} is live."
            line = f":white_check_mark: The new cover of {video} is live: VOD refreshed its CDN."
        case FollowUpState.FAILED:
            text = f"VOD could not refresh its CDN for {name}."
            line = (f":warning: VOD could not refresh its CDN for {video}: some viewers may see "
                    "the old cover until their copies expire. The cover itself is changed.")
        case FollowUpState.UNCONFIRMED:
            text = f"VOD has not confirmed yet that the new cover of {name} is live."
            line = (f":hourglass: VOD has not confirmed yet that the new cover of {video} is live "
                    f"everywhere (its CDN refresh was still running after {waited}). "
                    "The cover itself is changed.")
        case _:
            raise ValueError(f"no follow-up is posted while {state}")
    return message(text, [section(line), context(f"change {change_id}")])


def not_undoable(reason: str) -> Message:
    return message(f"That change cannot be undone: {reason}", [section(
        f":no_entry_sign: That change cannot be undone. {esc(reason)}")])


def confirmation(*, asset_id: str, asset_title: str) -> Message:
    """What the picker becomes once the cover is set."""
    title = esc(asset_title or asset_id)
    return message(f"Cover of {asset_title or asset_id} set.", [section(
        f":white_check_mark: Cover of *{title}* (`{esc(asset_id)}`) set; the channel has been "
        f"told. {VOD_DELAY_NOTE}"
    )])


def failure(*, asset_id: str, error: VodError, snapshot_url: str | None) -> Message:
    """Ephemeral: why it failed, VOD's code and request id, and a Try again button that
    sets `snapshot_url` (none without one: a failed capture is not a change to retry).

    A change the bot refused itself (`InvalidArgument`: nothing was sent to VOD) says what
    was wrong and what to do instead, with no VOD code and no Try again.
    """
    if isinstance(error, InvalidArgument):
        return message(f"The cover of {asset_id} was not changed: {error.message}", [section(
            f":no_entry: The cover of `{esc(asset_id)}` was *not* changed; nothing was sent "
            f"to VOD. {esc(error.message)}\n{esc(error.explanation)}",
            block=str(BlockId.OUTCOME),
        )])
    reason = esc(error.explanation)
    detail = esc(error.message) if error.message and error.message != error.explanation else ""
    blocks = [section(
        f":warning: The cover of `{esc(asset_id)}` was *not* changed. {reason}"
        + (f"\n> {shorten(detail, 500)}" if detail else ""),
        block=str(BlockId.OUTCOME),
    )]
    blocks.append(context(
        f"VOD error code: `{esc(error.code)}`" if error.code else "VOD error code: none",
        f"request id: `{esc(error.request_id)}`" if error.request_id else "request id: none",
    ))
    if snapshot_url is not None:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    code = f" [{error.code}]" if error.code else ""
    return message(f"The cover of {asset_id} was not changed: {error.explanation}{code}", blocks)


def unknown(*, asset_id: str, error: VodError, snapshot_url: str | None) -> Message:
    """Ephemeral: VOD never confirmed the change, which may be live; a safe Try again."""
    detail = esc(error.message) if error.message else ""
    blocks = [section(
        f":grey_question: VOD did not confirm the new cover of `{esc(asset_id)}`, so it may "
        "or may not be changed: it may already be live. Check the video's cover. *Try "
        "again* is safe: setting the same cover twice changes nothing."
        + (f"\n> {shorten(detail, 500)}" if detail else ""),
        block=str(BlockId.OUTCOME),
    )]
    if snapshot_url:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    return message(f"VOD did not confirm the new cover of {asset_id}; it may already be live.",
                   blocks)


def interrupted(*, asset_id: str, snapshot_url: str | None) -> Message:
    """Ephemeral: the bot is stopping and gave up on this change before VOD confirmed it."""
    blocks = [section(
        f":grey_question: The bot is restarting and stopped before VOD confirmed the new "
        f"cover of `{esc(asset_id)}`, so it may or may not be changed. Check the video's "
        "cover in a minute. *Try again* is safe: setting the same cover twice changes "
        "nothing.",
        block=str(BlockId.OUTCOME),
    )]
    if snapshot_url:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    return message(f"The bot restarted before VOD confirmed the cover of {asset_id}.", blocks)


def restarting() -> Message:
    """Ephemeral: the bot is stopping and gave up on a request that changed nothing."""
    return message("The bot is restarting; nothing was changed. Try again in a minute.", [
        section(":warning: The bot is restarting and could not finish this; nothing was "
                "changed. Try again in a minute.")
    ])


def _retry_actions(asset_id: str, snapshot_url: str) -> dict[str, Any]:
    value = use_cover_value(asset_id, new_nonce(), snapshot_url)
    return {"type": "actions", "block_id": str(BlockId.RETRY),
            "elements": [button("Try again", str(ActionId.TRY_AGAIN), value)]}


def denied(*, reason: str, user_id: str) -> Message:
    """Who may do this, and the requester's id so an admin can add them.

    `reason` is the policy's own mrkdwn (it mentions the allowed groups and channels as
    `<!subteam^S…>` and `<#C…>`), so it is not escaped.
    """
    return message(f"You may not change video covers here. {reason}", [
        section(f":no_entry: You may not change video covers here. {reason}"),
        context(f"Your Slack user id is `{esc(user_id)}`: an admin can add it to "
                "`SETCOVER_ALLOWED_USERS`."),
    ], mrkdwn=True)


def duplicate(*, asset_id: str, status: Status, error_code: str | None = None) -> Message:
    """The same click (or a Slack retry of it) arrived again: nothing done twice.

    No follow-up is promised for a pending change: the process making it may be gone.
    """
    if status is Status.SUCCEEDED:
        text = (f":white_check_mark: That cover change of `{esc(asset_id)}` was already made; "
                f"nothing was changed again. {VOD_DELAY_NOTE}")
    elif status is Status.PENDING:
        text = (f":hourglass_flowing_sand: That cover change of `{esc(asset_id)}` is already "
                f"under way, so it was not started again. Its outcome will show in "
                f"`{COMMAND} history {esc(asset_id)}` within a few minutes.")
    elif status is Status.UNKNOWN:
        text = (f":grey_question: That cover change of `{esc(asset_id)}` was already sent, and "
                "VOD did not confirm it: it may already be live. Check the video's cover, or "
                f"run `{COMMAND} {esc(asset_id)}` to pick again (setting the same cover twice "
                "changes nothing).")
    else:
        code = f" (`{esc(error_code)}`)" if error_code else ""
        text = (f":warning: That cover change of `{esc(asset_id)}` was already tried and "
                f"{esc(status)}{code}. Run `{COMMAND} {esc(asset_id)}` to pick again.")
    return message(f"That cover change of {asset_id} was already requested.", [section(text)])


def busy(*, asset_id: str, pending_user_id: str | None, snapshot_url: str | None) -> Message:
    """Another change of the video is in flight; Try again sets `snapshot_url` (an undo
    has none: it is tried again with its own Undo button)."""
    who = f" by <@{pending_user_id}>" if pending_user_id and is_slack_user(pending_user_id) \
        else ""
    blocks = [section(
        f":hourglass_flowing_sand: Another cover change of `{esc(asset_id)}` is in progress"
        f"{who}. Wait a minute, then try again."
    )]
    if snapshot_url:
        blocks.append(_retry_actions(asset_id, snapshot_url))
    return message(f"Another cover change of {asset_id} is in progress.", blocks)


def not_recorded(*, asset_id: str) -> Message:
    """A change refused because its record could not be written."""
    return message("The cover was not changed: the audit log cannot be written.", [section(
        f":no_entry: The cover of `{esc(asset_id)}` was *not* changed: the audit log cannot "
        "be written right now, and covers are never changed without a record. Try again "
        "later, or tell an admin."
    )])


def store_unavailable() -> Message:
    """Anything else that needed the audit log while it could not be reached."""
    return message("The audit log cannot be reached right now.", [section(
        ":no_entry: The audit log cannot be reached right now, so this cannot be done; "
        "nothing was changed. Try again later, or tell an admin."
    )])


def error_message(text: str, *, error_id: str | None = None) -> Message:
    blocks = [section(f":warning: {esc(text)}")]
    if error_id:
        blocks.append(context(f"Error id `{error_id}`: quote it to your admin."))
    return message(text, blocks)
