"""A change and its outcome: in the channel, to the one who clicked, and every refusal."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.ids import ActionId, BlockId, action_id
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
    slack_date,
    who,
)
from bot.slack.blocks.values import encode, new_nonce, use_cover_value
from bot.store.records import ChangeRecord, FollowUpState, Status
from bot.text import shorten
from bot.vod.errors import InvalidArgument, SnapshotUrlError, VodError
from bot.vod.models import FramePosition
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
    frame: FramePosition | None = None,
    previous_cover_url: str | None = None, sign: Sign = str, by_capture: bool = False,
) -> Message:
    """The channel's news, in editors' words: who set the cover of which video to which
    frame, the new cover as a picture and the previous one small beside the headline (so
    what Undo would bring back is in sight). Ids go to one small line at the end. Pictures
    and links are shown through `sign` (the process's `UrlSigner` under hotlink protection).

    `change_id` adds an Undo button for that change; `undoes` says the change put back
    an earlier cover; `undone_by` marks an outcome someone has since undone (no button);
    `by_capture`: VOD's snapshot task made the cover, not `user_id`'s pick, and the
    headline says so (`user_id` asked for the frames).
    """
    title = esc(asset_title or asset_id)
    to_frame = f" to the frame at *{frame.time}* (frame {frame.number} of {frame.count})" \
        if frame else ""
    if undoes is not None:
        back = f": it is back to the frame at *{frame.time}* (frame {frame.number} of " \
               f"{frame.count})" if frame else ": it is back to what it was"
        headline = (f":leftwards_arrow_with_hook: <@{user_id}> undid {who(undoes.user_id)}'s "
                    f"change of the cover of *{title}*{back}.")
        text = f"<@{user_id}> undid a cover change of {title}."
    elif by_capture:
        made = f"the frame at *{frame.time}*" if frame else "one of them"
        headline = (f":frame_with_picture: The new frames <@{user_id}> asked for made {made} "
                    f"the cover of *{title}* (the video service does this with the first new "
                    "frame).")
        text = f"The new frames <@{user_id}> asked for made one of them the cover of {title}."
    else:
        headline = f":frame_with_picture: <@{user_id}> set the cover of *{title}*{to_frame}."
        text = f"<@{user_id}> set the cover of {title}."
    previous = None
    if previous_cover_url and previous_cover_url != snapshot_url:
        if images:
            previous = image(sign(previous_cover_url),
                             f"Previous cover of {asset_title or asset_id}")
            headline += "\nBefore, the cover was the picture on the right."
        else:
            headline += f"\nBefore, the cover was {link(sign(previous_cover_url), 'this picture')}."
    blocks = [section(headline, block=str(BlockId.OUTCOME), accessory=previous)]
    new_cover = f"New cover: {frame.label}" if frame else "New cover"
    if images:
        blocks.append(image(sign(snapshot_url), f"{new_cover} of {asset_title or asset_id}",
                            title=new_cover, block=str(BlockId.OUTCOME_IMAGE)))
    else:
        blocks.append(section(f"{link(sign(snapshot_url), new_cover)}."))
        blocks.append(context(
            "Slack could not download the pictures from the video service, so they are "
            "shown as links."))
    blocks.append(context(VOD_DELAY_NOTE))
    if undone_by is not None:
        blocks.append(context(f":leftwards_arrow_with_hook: Undone by <@{undone_by}>.",
                              block=str(BlockId.UNDONE)))
    elif change_id is not None:
        blocks.append({"type": "actions", "block_id": str(BlockId.UNDO), "elements": [
            button("Undo", str(ActionId.UNDO), encode(c=change_id))]})
    blocks.append(support_line(asset_id=asset_id, change_id=change_id, request_id=request_id))
    return message(f"{text} {VOD_DELAY_NOTE}", blocks, mrkdwn=True)


def support_line(*, asset_id: str, change_id: int | None = None,
                 request_id: str | None = None) -> dict[str, Any]:
    """The one small line of ids, for whoever is asked about this later: the asset, the
    change (what `history` and `setcover-bot undo` name) and VOD's request id."""
    ids = [f"asset {esc(asset_id)}"]
    if change_id is not None:
        ids.append(f"change {change_id}")
    if request_id:
        ids.append(f"VOD request {esc(request_id)}")
    return context("For support: " + " · ".join(ids), block=str(BlockId.SUPPORT))


def cdn_follow_up(
    state: FollowUpState, *, asset_id: str, asset_title: str, waited_s: float,
) -> Message:
    """What the channel hears once VOD's CDN refresh after a change ended: live, failed,
    or (after `waited_s` without an answer) not confirmed yet. Said as viewers see it."""
    waited = (f"{round(waited_s / 60)} minutes" if waited_s >= 120
              else f"{round(waited_s)} seconds")
    name = asset_title or asset_id
    video = f"*{esc(name)}*"
    match FollowUpState(state):
        case FollowUpState.LIVE:
            text = f"Every viewer now sees the new cover of {name}."
            line = f":white_check_mark: Every viewer now sees the new cover of {video}."
        case FollowUpState.FAILED:
            return cdn_refused(asset_id=asset_id, asset_title=asset_title)
        case FollowUpState.UNCONFIRMED:
            text = f"VOD has not confirmed yet that every viewer sees the new cover of {name}."
            line = (f":hourglass: The video service has not confirmed yet that every viewer "
                    f"sees the new cover of {video} (still refreshing its copies after "
                    f"{waited}). The cover itself is changed.")
        case _:
            raise ValueError(f"no follow-up is posted while {state}")
    return message(text, [section(line)])


def cdn_refused(*, asset_id: str, asset_title: str, reason: str | None = None) -> Message:
    """The CDN refresh after a change failed, or VOD refused to start it (`reason`, VOD's
    words: a quota, say): a post of its own after the outcome, said as viewers see it."""
    name = asset_title or asset_id
    why = f" ({esc(shorten(reason, 300))})" if reason else ""
    return message(f"Some viewers may see the old cover of {name} a while longer.", [section(
        f":warning: Some viewers may see the old cover of *{esc(name)}* a while longer: the "
        f"video service could not refresh its copies{why}. The cover itself is changed.")])


def not_undoable(reason: str, *, pick_from: str | None = None) -> Message:
    """`pick_from`: the asset whose snapshots to pick from instead, when that helps."""
    pick = f" Pick one with `{COMMAND} {esc(pick_from)}`." if pick_from else ""
    return message(f"That change cannot be undone: {reason}", [section(
        f":no_entry_sign: That change cannot be undone. {esc(reason)}{pick}")])


def changed_since(later: ChangeRecord) -> Message:
    """An Undo on a change that is no longer the video's latest: undoing it would throw
    `later` away, so the clicker hears whose change came since and what to do instead."""
    name = later.asset_title or later.asset_id
    when = slack_date(later.finished_at or later.requested_at)
    return message(f"That change cannot be undone: the cover of {name} was changed again.", [
        section(f":no_entry_sign: That change cannot be undone: the cover of *{esc(name)}* "
                f"was changed again after it, by {who(later.user_id)} ({when}). Undo that "
                "change first (with the Undo button on its message), or pick a frame with "
                f"`{COMMAND} {esc(later.asset_id)}`."),
        support_line(asset_id=later.asset_id, change_id=later.id),
    ])


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
        pick = f" Pick one with `{COMMAND} {esc(asset_id or '<asset id>')}`." \
            if isinstance(error, SnapshotUrlError) else ""
        return message(f"The cover of {asset_id} was not changed: {error.message}", [section(
            f":no_entry: The cover of `{esc(asset_id)}` was *not* changed; nothing was sent "
            f"to VOD. {esc(error.message)}\n{esc(error.explanation)}{pick}",
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
    """Ephemeral: VOD never confirmed the change, which may be live. Said in editors'
    words (the technical cause is in the log), with a way to see the cover as it is now
    and a safe Try again."""
    return _unconfirmed(
        "The video service did not confirm the new cover in time", asset_id=asset_id,
        snapshot_url=snapshot_url, request_id=error.request_id,
        text=f"VOD did not confirm the new cover of {asset_id}; it may already be live.")


def interrupted(*, asset_id: str, snapshot_url: str | None) -> Message:
    """Ephemeral: the bot is stopping and gave up on this change before VOD confirmed it."""
    return _unconfirmed(
        "The bot restarted before the video service confirmed the new cover",
        asset_id=asset_id, snapshot_url=snapshot_url, request_id=None,
        text=f"The bot restarted before VOD confirmed the cover of {asset_id}.")


def undo_interrupted() -> Message:
    """Ephemeral: the bot is stopping and gave up on an undo it may already have sent to
    VOD (the undo is then on record as unknown), so "nothing was changed" could be wrong."""
    return message("The bot is restarting and could not finish the undo.", [section(
        ":warning: The bot is restarting and could not finish the undo: if the video service "
        "was already asked, the earlier cover may be back. Look at the video's cover before "
        f"changing it again: `{COMMAND} history &lt;asset id&gt;` shows what was done.")])


def _unconfirmed(what: str, *, asset_id: str, snapshot_url: str | None,
                 request_id: str | None, text: str) -> Message:
    retry = " *Try again* is safe: setting the same cover twice changes nothing." \
        if snapshot_url else ""
    buttons = [button("Show the current cover", action_id(ActionId.PICK_ASSET, "current"),
                      encode(a=asset_id))]
    if snapshot_url:
        buttons.append(_retry_button(asset_id, snapshot_url))
    return message(text, [
        section(f":grey_question: {what}, so the cover may or may not have changed. "
                f"*Show the current cover* shows which one the video has now.{retry}",
                block=str(BlockId.OUTCOME)),
        {"type": "actions", "block_id": str(BlockId.RETRY), "elements": buttons},
        support_line(asset_id=asset_id, request_id=request_id),
    ])


def restarting() -> Message:
    """Ephemeral: the bot is stopping and gave up on a request that changed nothing."""
    return message("The bot is restarting; nothing was changed. Try again in a minute.", [
        section(":warning: The bot is restarting and could not finish this; nothing was "
                "changed. Try again in a minute.")
    ])


def _retry_actions(asset_id: str, snapshot_url: str) -> dict[str, Any]:
    return {"type": "actions", "block_id": str(BlockId.RETRY),
            "elements": [_retry_button(asset_id, snapshot_url)]}


def _retry_button(asset_id: str, snapshot_url: str) -> dict[str, Any]:
    value = use_cover_value(asset_id, new_nonce(), snapshot_url)
    return button("Try again", str(ActionId.TRY_AGAIN), value)


def denied(*, reason: str) -> Message:
    """Who may do this, once: the policy's `reason` names the setting and the requester's
    own id, so an admin can add them.

    `reason` is the policy's own mrkdwn (it mentions the allowed groups and channels as
    `<!subteam^S…>` and `<#C…>`), so it is not escaped.
    """
    return message(reason, [section(f":no_entry: {reason}")], mrkdwn=True)


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
