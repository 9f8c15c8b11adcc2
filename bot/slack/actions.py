"""Button clicks: acknowledge at once, then authorize the clicker and act in a tracked task.

    use_cover:<n>        set frame n of the picker as the cover (key: the picker's nonce);
                         the value carries the asset id, the nonce and the snapshot URL
    current_cover:<n>    the frame that is the cover already: says so; no VOD call
    try_again            the same change again, with the fresh nonce of the failure message
    picker_page:prev|next  another page of the picker, same nonce
    pick_asset:<n>       open the picker of a search result
    undo                 undo the change whose id the button carries (CoverService.undo)
    capture_at           open the "Capture at…" modal (views.open with the click's
                         trigger_id); its submission starts the capture and answers
                         through the picker's response_url, kept in private_metadata

Any other click (an old message's button, say), and a known button whose value the bot
cannot read, is acknowledged and answered "That button is out of date"; nothing else is
done. A frame button's value without a snapshot URL is such a value: no click reaches VOD
before the clicker is authorized.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from bot.covers import Actor
from bot.slack import blocks, flows
from bot.slack.blocks import ActionId
from bot.slack.blocks.picker import Layout
from bot.store import Source
from bot.timecodes import TimecodeError, parse_times

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.delivery import ResponseUrl
    from bot.slack.runtime import Runtime

log = logging.getLogger(__name__)


def _matching(base: ActionId) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(str(base))}(:.*)?$")


def _clicked(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0]


def _out_of_date(runtime: Runtime, reply: ResponseUrl) -> None:
    """A button whose value we cannot read (an old or tampered message): say so."""
    runtime.spawn(reply.send(blocks.error_message(
        f"That button is out of date. Run `{blocks.COMMAND}` again.")), reply, replace=False)


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def use_cover(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        value = blocks.decode(_clicked(body).get("value"))
        reply = runtime.response_url(body.get("response_url"))
        asset_id, nonce, url = value.get("a"), value.get("n"), value.get("u")
        if not (asset_id and nonce and url and isinstance(url, str)):
            _out_of_date(runtime, reply)
            return
        runtime.spawn(flows.change_cover(
            runtime, flows.action_actor(body), reply, asset_id=str(asset_id), url=url,
            key=f"slack-picker:{nonce}", source=Source.BUTTON, from_picker=True,
        ), reply, replace=True)

    async def open_picker(ack: AsyncAck, body: dict[str, Any]) -> None:
        """"Pick a cover" posts an asset's picker; Previous/Next replaces the page shown."""
        await ack()
        clicked = _clicked(body)
        value = blocks.decode(clicked.get("value"))
        reply = runtime.response_url(body.get("response_url"))
        if not value.get("a"):
            _out_of_date(runtime, reply)
            return
        paging = str(clicked.get("action_id", "")).startswith(ActionId.PICKER_PAGE)
        page, mode = value.get("p"), value.get("m")
        runtime.spawn(flows.show_picker(
            runtime, flows.action_actor(body), reply, str(value["a"]), source=Source.BUTTON,
            page=page if isinstance(page, int) else 0, nonce=value.get("n"), replace=paging,
            layout=Layout(mode) if mode in set(Layout) else Layout.SHEET,
        ), reply, replace=paging)

    async def current_cover(ack: AsyncAck, body: dict[str, Any]) -> None:
        """The cover's own button: nothing to change, so no VOD call and no record."""
        await ack()
        value = blocks.decode(_clicked(body).get("value"))
        reply = runtime.response_url(body.get("response_url"))
        number, seconds = value.get("f"), value.get("t")
        runtime.spawn(reply.send(blocks.already_the_cover(
            str(value.get("a") or "this video"),
            number if isinstance(number, int) else None,
            seconds if isinstance(seconds, int) else None)), reply, replace=False)

    async def undo(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        change_id = blocks.decode(_clicked(body).get("value")).get("c")
        reply = runtime.response_url(body.get("response_url"))
        if not isinstance(change_id, int):
            _out_of_date(runtime, reply)
            return
        runtime.spawn(flows.undo(runtime, flows.action_actor(body), reply, change_id), reply,
                      replace=False)

    async def capture_at(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        asset_id = blocks.decode(_clicked(body).get("value")).get("a")
        reply = runtime.response_url(body.get("response_url"))
        if not asset_id or not body.get("trigger_id"):
            _out_of_date(runtime, reply)
            return
        actor = flows.action_actor(body)
        metadata = blocks.encode(a=asset_id, c=actor.channel_id, r=body.get("response_url"))
        # After the acknowledgement, like all the work: the listener returns at once.
        runtime.spawn(client.views_open(trigger_id=body["trigger_id"],
                                        view=blocks.capture_modal(str(asset_id),
                                                                  private_metadata=metadata)),
                      reply, replace=False)

    async def capture_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        meta = blocks.decode_metadata(view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        field = values.get(blocks.CAPTURE_INPUT_BLOCK, {}).get(blocks.CAPTURE_INPUT_ACTION, {})
        try:
            seconds = parse_times(str(field.get("value") or "").split())
        except TimecodeError as exc:
            await ack(response_action="errors", errors={blocks.CAPTURE_INPUT_BLOCK: str(exc)})
            return
        await ack()
        reply = runtime.response_url(meta.get("r"))
        user = body.get("user") or {}
        actor = Actor(team_id=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
                      channel_id=str(meta.get("c") or ""), user_id=str(user.get("id") or ""))
        asset_id = str(meta.get("a") or "")
        # One view, one capture: a submission of it again is not answered twice.
        runtime.spawn(flows.capture(runtime, actor, reply, asset_id, seconds,
                                    source=Source.BUTTON, announce=True,
                                    key=f"slack-view:{view.get('id') or uuid.uuid4()}"),
                      reply, replace=False)

    async def other_click(ack: AsyncAck, body: dict[str, Any]) -> None:
        """A button this version did not make (an old message's, say): say so, do nothing."""
        await ack()
        log.info("a click on an unknown button %r", str(_clicked(body).get("action_id"))[:80])
        _out_of_date(runtime, runtime.response_url(body.get("response_url")))

    app.action(_matching(ActionId.USE_COVER))(use_cover)
    app.action(_matching(ActionId.TRY_AGAIN))(use_cover)
    app.action(_matching(ActionId.PICKER_PAGE))(open_picker)
    app.action(_matching(ActionId.PICK_ASSET))(open_picker)
    app.action(_matching(ActionId.CURRENT_COVER))(current_cover)
    app.action(_matching(ActionId.UNDO))(undo)
    app.action(_matching(ActionId.CAPTURE_AT))(capture_at)
    app.view(blocks.CAPTURE_CALLBACK)(capture_submitted)
    app.action(re.compile(".*"))(other_click)
