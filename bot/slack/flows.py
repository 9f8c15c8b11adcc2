"""What runs after a command or click was acknowledged: authorize → call → render.

Each flow answers through the interaction's `response_url` and keeps within its budget of
5 posts:

- picker (command, "Pick a cover", Previous/Next): the picker with its contact sheet; if
  Slack refuses that, compact rows; if Slack cannot download their pictures, the rows with
  links: 3 posts at most.
- a click on a frame's button or "Try again": "Setting cover…" replaces the picker (1), the
  outcome goes to the channel (2, 3 with the links-only resend), and the picker becomes a
  short confirmation (4). A failure replaces it with the reason and a Try again button (2).
- a capture (`<asset id> at 1:23`): the acknowledgement says "one moment" (free: it is
  said before the bot knows whether VOD will be asked), the new snapshots or the reason
  there are none follow (1, 3 with both fallbacks, as a picker), then, when VOD's task
  made one of them the cover, the outcome in the channel (2, +1 with the resend) and the
  CDN follow-up (3). From the "Capture at…" modal, whose submission has no `response_url`
  of its own, the click's is used, and "Capturing…" is posted once VOD took the task: 4
  in all when Slack shows the pictures. The same Slack request again (a retry, one form
  submitted twice) posts nothing; the same capture asked by another request, one short
  "already asked" (1).
- a click on "Undo" (in the channel): the outcome it is on is replaced by the same
  message marked "Undone by …" (1, 2 with the resend), the channel is told who undid it
  (2 to 4); a refusal goes to the clicker only (1).
- a snapshot URL typed in the command: the acknowledgement says "Setting…" (free), the
  outcome goes to the channel (1, 2 with the resend) or the failure to the user (1).
- after a change or an undo, once the outcome is posted, the CDN refresh is asked for;
  the follow-up ("the new cover is live", `bot.slack.followups`) or, if VOD refuses the
  refresh, a short post saying so, is one more post on the same `response_url`: 5 at most.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, assert_never

from bot import observe
from bot.covers import (
    Actor,
    BadTimes,
    Busy,
    Captured,
    CaptureFailed,
    CaptureLimited,
    CaptureRepeated,
    CaptureTimedOut,
    Changed,
    CoverRequest,
    Denied,
    Duplicate,
    Failed,
    NotRecorded,
    NotUndoable,
    Outcome,
    Undone,
    Unknown,
    to_the_end,
)
from bot.slack import blocks
from bot.slack.blocks.picker import (
    Fallback,
    Layout,
    PickerPage,
    SheetView,
    captured_page,
    picker_page,
)
from bot.slack.delivery import ResponseUrl, image_refused
from bot.slack.runtime import Runtime, Stopped
from bot.store import Source, Status
from bot.vod.url_auth import Sign

log = logging.getLogger(__name__)


def command_actor(body: dict[str, Any]) -> Actor:
    return Actor(
        team_id=str(body.get("team_id") or ""),
        channel_id=str(body.get("channel_id") or ""),
        user_id=str(body.get("user_id") or ""),
    )


def action_actor(body: dict[str, Any]) -> Actor:
    """The clicker, which is not always the one who asked."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return Actor(
        team_id=str(team.get("id") or user.get("team_id") or ""),
        channel_id=str(channel.get("id") or container.get("channel_id") or ""),
        user_id=str(user.get("id") or ""),
    )


async def _allowed(
    runtime: Runtime, actor: Actor, reply: ResponseUrl, *, asset_id: str, source: Source,
    replace: bool,
) -> bool:
    decision = await runtime.covers.authorize(actor, asset_id=asset_id, source=source)
    if not decision.allowed:
        await reply.send(blocks.denied(reason=decision.reason),
                         replace=replace)
    return decision.allowed


async def show_picker(
    runtime: Runtime, actor: Actor, reply: ResponseUrl, asset_id: str, *, source: Source,
    page: int = 0, nonce: str | None = None, replace: bool = False,
    layout: Layout = Layout.SHEET,
) -> None:
    """Authorize, look the asset up, post one page of its picker."""
    if not await _allowed(runtime, actor, reply, asset_id=asset_id, source=source,
                          replace=replace):
        return
    asset = await runtime.covers.get_asset(asset_id)
    shown = picker_page(asset, snapshot_hosts=runtime.settings.vod_snapshot_hosts, page=page)
    await _send_picker(runtime, reply, shown, nonce=nonce or blocks.new_nonce(),
                       replace=replace, layout=layout)


async def _send_picker(
    runtime: Runtime, reply: ResponseUrl, page: PickerPage, *, nonce: str, replace: bool,
    layout: Layout, intro: Sequence[dict[str, Any]] = (), text: str | None = None,
) -> None:
    """The page with its contact sheet when one can be made and Slack shows it; else
    compact rows, saying why; else (Slack cannot download the frames) rows with links."""
    build = partial(blocks.picker, page, nonce=nonce, sign=runtime.sign, intro=intro,
                    text=text, snapshot_hosts=runtime.settings.vod_snapshot_hosts)
    why = Fallback.LINKS if layout is Layout.LINKS else None
    if layout is Layout.SHEET and page.frames:
        sheet = await runtime.sheets.show(page.frames)
        if isinstance(sheet, Fallback):
            why = sheet
        else:
            ok, answer = await reply.send(
                build(sheet=SheetView(sheet.file_id, sheet.suggested)), replace=replace)
            if ok or not image_refused(answer):
                return
            log.warning("Slack refused the picker with its contact sheet (%s); sending "
                        "compact rows", answer[:200])
            runtime.sheets.refused(sheet)
            why = Fallback.REFUSED
    if why is Fallback.LINKS:
        await reply.send(build(why=why), replace=replace)
    else:
        await reply.send_with_fallback(
            lambda pictures: build(why=why if pictures else Fallback.LINKS), replace=replace)


async def change_cover(
    runtime: Runtime, actor: Actor, reply: ResponseUrl, *, asset_id: str, url: str,
    key: str, source: Source, from_picker: bool = False,
) -> None:
    """Set the cover once per `key`, tell the channel (or the user, if it failed), then
    ask VOD to refresh its CDN copies: the outcome never waits on that refresh.

    `CoverService.change` authorizes before anything reaches VOD, and refuses a URL that
    is not one of the snapshots VOD lists for `asset_id`.
    """
    if from_picker:
        # The picker loses its buttons before anything else happens.
        await reply.send(blocks.setting_cover(asset_id), replace=True)
    request = CoverRequest(actor=actor, snapshot_url=url, source=source,
                           idempotency_key=key, asset_id=asset_id)
    try:
        outcome = await runtime.covers.change(request)
    except asyncio.CancelledError:
        # Shutdown: the change is recorded (unknown once VOD may have acted); say so.
        await reply.send(blocks.interrupted(asset_id=asset_id, snapshot_url=url),
                         replace=from_picker)
        raise Stopped from None
    _note(outcome)
    # VOD has answered: a shutdown from here on does not keep that from the channel.
    await to_the_end(_tell(reply, actor, outcome, asset_id=asset_id, url=url,
                           from_picker=from_picker, sign=runtime.sign))
    if isinstance(outcome, Changed):
        await _refresh_cdn(runtime, reply, outcome)


async def _tell(reply: ResponseUrl, actor: Actor, outcome: Outcome, *, asset_id: str, url: str,
                from_picker: bool, sign: Sign, by_capture: bool = False) -> None:
    """The outcome to the channel (a change, with Undo) or to the user (anything else);
    `by_capture`: the change is the cover VOD's snapshot task made for `actor`."""
    if isinstance(outcome, Changed):
        await reply.send_with_fallback(
            lambda images: blocks.changed_in_channel(
                user_id=actor.user_id, asset_id=outcome.asset_id,
                asset_title=outcome.asset_title, snapshot_url=outcome.snapshot_url,
                request_id=outcome.request_id, images=images, change_id=outcome.change_id,
                frame=outcome.frame, previous_cover_url=outcome.previous_cover_url,
                sign=sign, by_capture=by_capture),
            in_channel=True,
        )
        if from_picker:
            await reply.send(blocks.confirmation(asset_id=outcome.asset_id,
                                                 asset_title=outcome.asset_title),
                             replace=True)
    else:
        await _refused(reply, outcome, actor=actor, asset_id=asset_id, url=url,
                       replace=from_picker)


async def _refresh_cdn(runtime: Runtime, reply: ResponseUrl, changed: Changed) -> None:
    """Once the channel has the outcome: ask VOD to refresh its CDN copies (the follow-up
    then says when every viewer sees the new cover). A refusal is a short post of its own.
    At shutdown nothing more is asked: the change is told, and the copies catch up anyway."""
    if _stopping():
        raise Stopped
    try:
        refresh = await runtime.covers.refresh_cdn(changed, reply_to=reply.url)
    except asyncio.CancelledError:
        raise Stopped from None  # the channel has its outcome already
    if refresh is not None and refresh.refused is not None:
        await reply.send(blocks.cdn_refused(
            asset_id=changed.asset_id, asset_title=changed.asset_title,
            reason=refresh.refused), in_channel=True)


def _stopping() -> bool:
    """Whether this task was asked to stop (a shutdown) while it finished telling a change."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def undo(runtime: Runtime, actor: Actor, reply: ResponseUrl, change_id: int) -> None:
    """Undo a change from its outcome message: that message is marked undone (replaced in
    place) and the channel is told who undid it, with an Undo of its own."""
    try:
        outcome = await runtime.covers.undo(actor, change_id)
    except asyncio.CancelledError:
        # Shutdown: the undo is recorded (unknown once VOD may have acted); say so, not
        # the runtime's "nothing was changed".
        await reply.send(blocks.undo_interrupted())
        raise Stopped from None
    if isinstance(outcome, Undone):
        _note(outcome.changed)
        await to_the_end(_tell_undone(runtime, reply, actor, outcome))
        await _refresh_cdn(runtime, reply, outcome.changed)
    elif isinstance(outcome, NotUndoable) and outcome.later is not None:
        await reply.send(blocks.changed_since(outcome.later))
    elif isinstance(outcome, NotUndoable):
        await reply.send(blocks.not_undoable(outcome.reason, pick_from=outcome.pick_from))
    elif isinstance(outcome, Duplicate) and outcome.existing.status is Status.SUCCEEDED:
        await reply.send(blocks.not_undoable(
            f"It was already undone (change {outcome.existing.id} by "
            f"{outcome.existing.user_id})."))
    else:
        _note(outcome)
        await _refused(reply, outcome, actor=actor, asset_id=None, url=None, replace=False)


async def _tell_undone(runtime: Runtime, reply: ResponseUrl, actor: Actor,
                       outcome: Undone) -> None:
    """The undone outcome marked so, in place, and the undo itself told to the channel."""
    undone, changed = outcome.undone, outcome.changed
    # The undone change's own frame is where the undo found the cover.
    undone_frame = changed.previous_frame \
        if changed.previous_cover_url == undone.snapshot_url else None
    await reply.send_with_fallback(lambda images: blocks.changed_in_channel(
        user_id=undone.user_id, asset_id=undone.asset_id,
        asset_title=undone.asset_title or "", snapshot_url=undone.snapshot_url,
        request_id=undone.request_id, images=images, change_id=undone.id,
        undone_by=actor.user_id, frame=undone_frame,
        previous_cover_url=undone.previous_cover_url, sign=runtime.sign,
        by_capture=undone.source is Source.CAPTURE),
        in_channel=True, replace=True)
    await reply.send_with_fallback(lambda images: blocks.changed_in_channel(
        user_id=actor.user_id, asset_id=changed.asset_id, asset_title=changed.asset_title,
        snapshot_url=changed.snapshot_url, request_id=changed.request_id, images=images,
        change_id=changed.change_id, undoes=undone, frame=changed.frame,
        previous_cover_url=changed.previous_cover_url, sign=runtime.sign),
        in_channel=True)


async def _refused(
    reply: ResponseUrl, outcome: Failed | Unknown | Denied | Duplicate | Busy | NotRecorded, *,
    actor: Actor, asset_id: str | None, url: str | None, replace: bool,
) -> None:
    """Tell the requester why a change did not happen, or may not have (only they see it).

    Without a `url` (an undo, a capture) there is no Try again button: an undo is tried
    again with its own Undo button.
    """
    match outcome:
        case Failed():
            await reply.send(blocks.failure(asset_id=outcome.asset_id, error=outcome.error,
                                            snapshot_url=url), replace=replace)
        case Unknown():
            await reply.send(blocks.unknown(asset_id=outcome.asset_id, error=outcome.error,
                                            snapshot_url=url), replace=replace)
        case Denied():
            await reply.send(blocks.denied(reason=outcome.reason),
                             replace=replace)
        case Duplicate():
            existing = outcome.existing
            await reply.send(blocks.duplicate(
                asset_id=existing.asset_id, status=existing.status,
                error_code=existing.error_code), replace=replace)
        case Busy():
            await reply.send(blocks.busy(asset_id=outcome.pending.asset_id,
                                         pending_user_id=outcome.pending.user_id,
                                         snapshot_url=url), replace=replace)
        case NotRecorded():
            await reply.send(blocks.not_recorded(asset_id=asset_id or "this video"),
                             replace=replace)
        case _:
            assert_never(outcome)


async def capture(
    runtime: Runtime, actor: Actor, reply: ResponseUrl, asset_id: str, seconds: list[int], *,
    source: Source, key: str, announce: bool = False,
) -> None:
    """Start a snapshot task (once per `key`, and per asset and times), follow it, then
    show the new snapshots to pick from, and tell the channel if the task changed the
    cover.

    `announce`: say "Capturing…" once VOD has taken the task (the modal's path: a
    command's acknowledgement says what happens, free). The same Slack request again
    (`key`: a retry, a form submitted twice) posts nothing: its first answer is the answer,
    and `reply` has 5 posts in all.
    """

    async def started() -> None:
        await reply.send(blocks.capturing(asset_id, seconds))

    outcome = await runtime.covers.capture(actor, asset_id, seconds, source=source, key=key,
                                           started=started if announce else None)
    match outcome:
        case Captured() if not outcome.new:
            await reply.send(blocks.nothing_captured(outcome.asset))
        case Captured():
            nonce = blocks.new_nonce()
            await _send_picker(
                runtime, reply, captured_page(
                    outcome.asset, outcome.new,
                    snapshot_hosts=runtime.settings.vod_snapshot_hosts),
                nonce=nonce, replace=False, layout=Layout.SHEET,
                intro=blocks.captured_intro(outcome.asset, outcome.new, nonce=nonce,
                                            cover_replaced=outcome.cover_replaced,
                                            replaced_by=outcome.replaced_by,
                                            sign=runtime.sign),
                text=f"{blocks.new_frames(len(outcome.new))} of "
                     f"{outcome.asset.title or outcome.asset.asset_id}")
        case CaptureFailed():
            await reply.send(blocks.capture_failed(asset_id, outcome.reason))
        case CaptureTimedOut():
            await reply.send(blocks.capture_timed_out(asset_id, waited_s=outcome.waited_s,
                                                      status=outcome.status))
        case CaptureRepeated() if outcome.existing.idempotency_key == key:
            log.info("capture %s: the same Slack request again, already answered",
                     outcome.existing.id)
        case CaptureRepeated():
            await reply.send(blocks.capture_repeated(outcome.existing, asker_id=actor.user_id,
                                                     now=datetime.now(UTC)))
        case CaptureLimited():
            await reply.send(blocks.captures_limited(outcome.per_hour, outcome.next_at,
                                                     now=datetime.now(UTC)))
        case BadTimes():
            await reply.send(blocks.error_message(outcome.problem))
        case Denied() | Failed() | NotRecorded():
            await _refused(reply, outcome, actor=actor, asset_id=asset_id, url=None,
                           replace=False)
        case _:
            assert_never(outcome)
    if isinstance(outcome, Captured) and outcome.changed is not None:
        # VOD's task made a new frame the cover: the channel hears of it as of any change,
        # with Undo (the capturer keeps *Put it back* in the picker above), and the CDN
        # copies are refreshed as after any change.
        await to_the_end(_tell(reply, actor, outcome.changed, asset_id=asset_id,
                               url=outcome.changed.snapshot_url, from_picker=False,
                               sign=runtime.sign, by_capture=True))
        await _refresh_cdn(runtime, reply, outcome.changed)


def _note(outcome: Outcome) -> None:
    """The outcome and VOD's request id, for the request's log line and counter."""
    request_id = error_code = None
    if isinstance(outcome, Changed):
        request_id = outcome.request_id
    elif isinstance(outcome, Failed | Unknown):
        request_id, error_code = outcome.error.request_id, outcome.error.code
    observe.note(outcome=observe.snake(type(outcome).__name__), vod_request_id=request_id,
                 error_code=error_code)


async def search(runtime: Runtime, actor: Actor, reply: ResponseUrl, words: str) -> None:
    if not await _allowed(runtime, actor, reply, asset_id="", source=Source.COMMAND,
                          replace=False):
        return
    found = await runtime.covers.search(words)
    await reply.send(blocks.search_results(words, found))


async def history(runtime: Runtime, actor: Actor, reply: ResponseUrl, asset_id: str) -> None:
    if not await _allowed(runtime, actor, reply, asset_id=asset_id, source=Source.COMMAND,
                          replace=False):
        return
    records = await runtime.covers.history(asset_id)
    await reply.send(blocks.history(asset_id, records,
                                    snapshot_hosts=runtime.settings.vod_snapshot_hosts,
                                    sign=runtime.sign))
