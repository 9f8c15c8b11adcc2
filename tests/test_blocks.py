"""Block builders: data in, blocks out; every message the bot can send passes the validator."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.policy import Policy
from bot.slack import blocks
from bot.slack.blocks.picker import Fallback, SheetView, captured_page, picker_page
from bot.slack.errors import describe_error
from bot.store import (
    CaptureRecord,
    CaptureStatus,
    ChangeRecord,
    FollowUpState,
    Source,
    Status,
)
from bot.vod.errors import (
    AssetNotFound,
    InvalidSnapshotUrl,
    SnapshotNotListed,
    SnapshotUrlError,
    VodConnectionError,
    VodOutcomeUnknown,
)
from bot.vod.models import Asset, AssetSummary, FramePosition, Snapshot
from bot.vod.snapshot_url import MAX_URL_LENGTH
from tests import blockkit
from tests.slack_requests import find_button

ASSET_ID = "6e76f92034ceae2fcdcef9413221511f"
HOST = "https://355.cdn-vod.huaweicloud.com"
HOSTS = ["*.cdn-vod.huaweicloud.com"]


def snap_url(n: int, *, pad: int = 0) -> str:
    prefix = f"/{'p' * pad}" if pad else ""
    return f"{HOST}{prefix}/asset/{ASSET_ID}/snapshot/sample/{n}.jpg"


def make_asset(count: int, *, title: str = "Launch keynote", pad: int = 0,
               cover: bool = True, current: int | None = None) -> Asset:
    """`count` snapshots 5 s apart; the cover is VOD's own picture, or snapshot `current`."""
    cover_url = f"{HOST}/shield/asset/{ASSET_ID}/cover/Cover0.jpg" if cover else None
    return Asset(
        asset_id=ASSET_ID,
        title=title,
        cover_url=snap_url(current, pad=pad) if current is not None else cover_url,
        snapshots=[Snapshot(kind="sample", offset=5 * n, url=snap_url(n, pad=pad))
                   for n in range(count)],
    )


def longest_url(asset_id: str) -> str:
    """A snapshot URL of the greatest length the parse accepts."""
    tail = f"/asset/{asset_id}/snapshot/sample/0.jpg"
    return f"{HOST}/{'p' * (MAX_URL_LENGTH - len(HOST) - 1 - len(tail))}{tail}"


def picker(asset: Asset, *, page: int = 0, nonce: str = "n", **kwargs: Any) -> dict[str, Any]:
    """`blocks.picker` for page `page` of `asset` (unsigned pictures)."""
    return blocks.picker(picker_page(asset, snapshot_hosts=HOSTS, page=page), nonce=nonce,
                         sign=str, snapshot_hosts=HOSTS, **kwargs)


#: The picker's three layouts, as `picker()`'s keywords.
LAYOUTS: dict[str, dict[str, Any]] = {
    "sheet": {"sheet": SheetView("F0SHEET1", frozenset({snap_url(2), snap_url(3)}))},
    "rows": {"why": Fallback.NO_SCOPE},
    "links": {"why": Fallback.LINKS},
}


def record(status: Status, *, n: int = 0, code: str | None = None,
           url: str | None = None) -> ChangeRecord:
    return ChangeRecord(
        id=n, requested_at=datetime(2026, 5, 1, 12, n, tzinfo=UTC), finished_at=None,
        team_id="T1", channel_id="C1", user_id="U123", asset_id=ASSET_ID,
        asset_title="Launch <keynote>", previous_cover_url=None,
        snapshot_url=snap_url(n) if url is None else url,
        source=Source.BUTTON, status=status, error_code=code, error_msg=None,
        request_id="r1", idempotency_key=f"k{n}",
    )


#: URLs an audit row may hold from before the snapshot-URL rule: none may become a link.
ODD_RECORDED_URLS = [
    f"{HOST}/asset/{ASSET_ID}/snapshot/../x/0.jpg",
    "https://evil.example.com/a.jpg",
    "javascript:alert(1)",
    "https://x`<!channel>`|<https://evil.example.com|click me>",
    f"{HOST}/asset/{ASSET_ID}/0.jpg\u200b\x1b[2J",
    "x" * 5000,
]
NOT_LISTED = SnapshotNotListed("`https://…` is not one of the snapshots VOD lists for asset `x`.")


NOW = datetime(2026, 12, 3, 13, 53, 10, tzinfo=UTC)


def capture_record(status: CaptureStatus, **changes: Any) -> CaptureRecord:
    base = CaptureRecord(
        id=3, requested_at=datetime(2026, 12, 3, 13, 50, tzinfo=UTC), finished_at=None,
        team_id="T1", channel_id="C1", user_id="U1", asset_id=ASSET_ID, seconds=(5, 83),
        source=Source.COMMAND, status=status, new_snapshots=None, error_code=None,
        error_msg=None, request_id=None)
    return replace(base, **changes)


def every_message() -> list[tuple[str, dict[str, Any]]]:
    """Every kind of message the bot sends, with inputs near Slack's limits."""
    error = InvalidSnapshotUrl("bad url", status_code=400, code="VOD.10001", request_id="req-1")
    out: list[tuple[str, dict[str, Any]]] = [("usage", blocks.usage()),
                                             ("usage+problem", blocks.usage("Nope `x`."))]
    for count in (0, 1, 19, 20, 21, 60, 200):
        asset = make_asset(count, title="T" * 500, current=3)
        for page in range(blocks.page_count(count)):
            for layout, kwargs in LAYOUTS.items():
                out.append((f"picker {count}/{page}/{layout}", picker(asset, page=page,
                                                                     **kwargs)))
    long_id = "a" * 64
    longest = Asset(asset_id=long_id, title="T", snapshots=[
        Snapshot(kind="sample", offset=3600 * 99 + n, url=longest_url(long_id))
        for n in range(20)])
    for layout, kwargs in LAYOUTS.items():
        out.append((f"picker longest urls {layout}", picker(longest, **kwargs)))
        mixed = make_asset(60, pad=MAX_URL_LENGTH)  # none is a snapshot URL: all left out
        mixed.snapshots.extend(make_asset(30).snapshots)
        out.append((f"picker some left out {layout}", picker(mixed, page=1, **kwargs)))
    empty = make_asset(0).model_copy(update={"thumbnail_status": "THUMBNAIL_FAILED",
                                             "exec_desc": "snapshot template missing"})
    out.append(("no snapshots", picker(empty)))
    out.append(("no cover", picker(make_asset(2, cover=False))))
    out.append(("current cover click", blocks.already_the_cover(ASSET_ID, 5, 45)))
    captured = make_asset(30, current=29)
    intro = blocks.captured_intro(captured, captured.snapshots[-10:], nonce="n",
                                  cover_replaced=snap_url(3), replaced_by=snap_url(29))
    for layout, kwargs in LAYOUTS.items():
        out.append((f"captured {layout}", blocks.picker(
            captured_page(captured, captured.snapshots[-10:], snapshot_hosts=HOSTS),
            nonce="n", sign=str, snapshot_hosts=HOSTS, intro=intro, **kwargs)))
    summaries = [AssetSummary(asset_id=f"a{n}", title=f"Video {n} <b>") for n in range(10)]
    out += [
        ("search", blocks.search_results("launch <!channel>", summaries)),
        ("search none", blocks.search_results("zzz", [])),
        ("history", blocks.history(ASSET_ID, [record(Status.SUCCEEDED, n=n) for n in range(10)],
                                   snapshot_hosts=HOSTS)),
        ("history failed", blocks.history(ASSET_ID, [record(Status.FAILED, code="VOD.1")],
                                          snapshot_hosts=HOSTS)),
        ("history odd urls", blocks.history(ASSET_ID, [
            record(Status.SUCCEEDED, n=n, url=url) for n, url in enumerate(ODD_RECORDED_URLS)],
            snapshot_hosts=HOSTS)),
        ("history none", blocks.history(ASSET_ID, [], snapshot_hosts=HOSTS)),
        ("setting", blocks.setting_cover(ASSET_ID)),
        ("confirmation", blocks.confirmation(asset_id=ASSET_ID, asset_title="X")),
        ("failure", blocks.failure(asset_id=ASSET_ID, error=error, snapshot_url=snap_url(1))),
        ("failure longest url", blocks.failure(asset_id="a" * 64, error=error,
                                               snapshot_url=longest_url("a" * 64))),
        ("failure no code", blocks.failure(asset_id=ASSET_ID, error=VodConnectionError("t"),
                                           snapshot_url=snap_url(1))),
        ("failure not listed", blocks.failure(asset_id=ASSET_ID, error=NOT_LISTED,
                                              snapshot_url=snap_url(1))),
        ("denied", blocks.denied(reason="Ask <!subteam^S0LEADS> in #video-leads.")),
        ("busy", blocks.busy(asset_id=ASSET_ID, pending_user_id="U9", snapshot_url=snap_url(1))),
        ("not recorded", blocks.not_recorded(asset_id=ASSET_ID)),
        ("store unavailable", blocks.store_unavailable()),
        ("error", blocks.error_message("Boom", error_id="abc123")),
        ("describe vod", describe_error(error)),
        ("describe url", describe_error(SnapshotUrlError("no"))),
        ("describe other", describe_error(RuntimeError("secret detail"))),
    ]
    for status in (Status.SUCCEEDED, Status.PENDING, Status.FAILED, Status.UNKNOWN):
        out.append((f"duplicate {status}", blocks.duplicate(asset_id=ASSET_ID, status=status,
                                                              error_code="VOD.1")))
    unconfirmed = VodOutcomeUnknown("PUT /asset/cover: VOD did not confirm the change " + "x" * 900)
    out += [
        ("unknown", blocks.unknown(asset_id=ASSET_ID, error=unconfirmed, snapshot_url=snap_url(1))),
        ("unknown longest url", blocks.unknown(asset_id="a" * 64, error=unconfirmed,
                                               snapshot_url=longest_url("a" * 64))),
        ("interrupted", blocks.interrupted(asset_id=ASSET_ID, snapshot_url=snap_url(1))),
        ("restarting", blocks.restarting()),
        ("undo interrupted", blocks.undo_interrupted()),
        ("history every status", blocks.history(ASSET_ID, [
            record(status, n=n) for n, status in enumerate(Status)], snapshot_hosts=HOSTS)),
    ]
    for images in (True, False):
        out.append((f"changed {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="Launch & <keynote>",
            snapshot_url=snap_url(2), request_id="req-9", images=images)))
        out.append((f"changed frame, previous cover {images}", blocks.changed_in_channel(
            user_id="U123", asset_id="a" * 64, asset_title="T" * 500,
            snapshot_url=longest_url("a" * 64), request_id="r" * 200, images=images,
            change_id=2**31, frame=FramePosition(3600 * 99, 999, 999),
            previous_cover_url=longest_url("b" * 64))))
        out.append((f"changed undoable {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="T" * 500,
            snapshot_url=snap_url(2), request_id="req-9", images=images, change_id=2**31)))
        out.append((f"changed by a capture, undone {images}", blocks.changed_in_channel(
            user_id="U123", asset_id="a" * 64, asset_title="T" * 500,
            snapshot_url=longest_url("a" * 64), request_id="r" * 200, images=images,
            change_id=2**31, frame=FramePosition(3600 * 99, 999, 999),
            previous_cover_url=longest_url("b" * 64), by_capture=True, undone_by="U456")))
        out.append((f"undone {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(2),
            request_id=None, images=images, change_id=7, undone_by="U456")))
        out.append((f"undo {images}", blocks.changed_in_channel(
            user_id="U456", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
            request_id="r", images=images, change_id=8, undoes=record(Status.SUCCEEDED, n=7))))
    for state in FollowUpState:
        if state not in (FollowUpState.PENDING, FollowUpState.EXPIRED):  # never posted
            out.append((f"cdn {state}", blocks.cdn_follow_up(
                state, asset_id="a" * 64, asset_title="<!channel> " + "T" * 900,
                waited_s=600)))
    out.append(("CDN refresh refused", blocks.cdn_refused(
        asset_id="a" * 64, asset_title="<!channel> " + "T" * 900,
        reason="quota <!channel> " * 90)))
    out.append(("not undoable", blocks.not_undoable("x" * 3000)))
    out.append(("changed since", blocks.changed_since(replace(
        record(Status.SUCCEEDED, n=9), asset_id="a" * 64, asset_title="<!channel> " + "T" * 900,
        user_id="cli:<!channel>" * 50))))
    out += [("capture asked", blocks.capture_asked("a" * 64, list(range(3590, 3600)))),
            ("capturing", blocks.capturing("a" * 64, list(range(3590, 3600))))]
    # A repeat of another request; in the enum's order, so that test ids are stable.
    for status in [s for s in CaptureStatus if s is not CaptureStatus.FAILED]:
        out.append((f"capture repeated {status}", blocks.capture_repeated(
            capture_record(status, asset_id="a" * 64, seconds=tuple(range(3590, 3600))),
            asker_id="U2", now=NOW)))
    out += [("captures limited", blocks.captures_limited(1000, NOW, now=NOW)),
            ("captures off", blocks.captures_limited(0, None, now=NOW))]
    out.append(("busy undo", blocks.busy(asset_id=ASSET_ID, pending_user_id="U9",
                                         snapshot_url=None)))
    return out


def test_undo_button_carries_the_change_and_an_undone_outcome_has_none() -> None:
    undoable = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
        request_id=None, change_id=42)
    _, undo = find_button(undoable["blocks"], text="Undo")
    assert blocks.decode(undo["value"]) == {"c": 42}
    assert texts(undoable)[-1] == f"For support: asset {ASSET_ID} · change 42"
    undone = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
        request_id=None, change_id=42, undone_by="U2")
    assert "Undone by <@U2>" in json.dumps(undone)
    with pytest.raises(AssertionError):
        find_button(undone["blocks"], text="Undo")


def test_undo_over_a_later_change_names_who_made_it_and_what_to_do() -> None:
    later = replace(record(Status.SUCCEEDED, n=9), user_id="U0LEAD")
    msg = blocks.changed_since(later)
    headline, support = texts(msg)
    assert headline == (
        ":no_entry_sign: That change cannot be undone: the cover of *Launch &lt;keynote&gt;* "
        "was changed again after it, by <@U0LEAD> (<!date^1777637340^{date_short_pretty} "
        "{time}|2026-05-01 12:09 UTC>). Undo that change first (with the Undo button on its "
        f"message), or pick a frame with `/setcover {ASSET_ID}`.")
    assert support == f"For support: asset {ASSET_ID} · change 9"
    by_cli = texts(blocks.changed_since(replace(later, user_id="cli:ops")))[0]
    assert "by `cli:ops`" in by_cli


def test_history_shows_change_ids_and_what_an_undo_undid() -> None:
    undo = replace(record(Status.SUCCEEDED, n=9), source=Source.UNDO, undoes=4)
    text = json.dumps(blocks.history(ASSET_ID, [undo], snapshot_hosts=HOSTS))
    assert "*9*" in text and "undo of change 4" in text


def texts(msg: dict[str, Any]) -> list[str]:
    """Every text of `msg` as Slack shows it, block by block (buttons' too)."""
    found = []
    for block in msg["blocks"]:
        for part in [block.get("text"), block.get("title"),
                     *(block.get("elements") or [])]:
            if isinstance(part, dict):
                text = part.get("text")
                found.append(text["text"] if isinstance(text, dict) else text)
    return [text for text in found if text]


def test_the_outcome_names_the_frame_and_shows_the_previous_cover_beside_it() -> None:
    """Issue 15 part 6: `0:45, frame 5 of 12`, the new cover, the previous one small as
    the headline's accessory, and the ids in one small line at the end."""
    msg = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="Launch keynote", snapshot_url=snap_url(9),
        request_id="req-7", change_id=7, frame=FramePosition(45, 5, 12),
        previous_cover_url=snap_url(2))

    headline, new_cover, *_, undo, support = msg["blocks"]
    assert headline["text"]["text"] == (
        ":frame_with_picture: <@U1> set the cover of *Launch keynote* to the frame at *0:45* "
        "(frame 5 of 12).\nBefore, the cover was the picture on the right.")
    assert headline["accessory"]["image_url"] == snap_url(2)
    assert new_cover["image_url"] == snap_url(9)
    assert new_cover["title"]["text"] == "New cover: 0:45, frame 5 of 12"
    assert undo["type"] == "actions"
    assert support == blocks.support_line(asset_id=ASSET_ID, change_id=7, request_id="req-7")
    assert texts({"blocks": [support]}) == [
        f"For support: asset {ASSET_ID} · change 7 · VOD request req-7"]
    everything_else = " ".join(texts(msg)[:-1])
    for jargon in ("change 7", "request", ASSET_ID, "CDN"):
        assert jargon not in everything_else


def test_an_undo_says_whose_change_and_which_frame_is_back() -> None:
    msg = blocks.changed_in_channel(
        user_id="U2", asset_id=ASSET_ID, asset_title="Launch keynote", snapshot_url=snap_url(1),
        request_id=None, change_id=8, undoes=record(Status.SUCCEEDED, n=7),
        frame=FramePosition(5, 2, 12), previous_cover_url=snap_url(9))
    assert texts(msg)[0] == (
        ":leftwards_arrow_with_hook: <@U2> undid <@U123>'s change of the cover of *Launch "
        "keynote*: it is back to the frame at *0:05* (frame 2 of 12).\nBefore, the cover was "
        "the picture on the right.")


def test_a_cover_a_capture_made_is_told_as_the_capture_s_doing_with_undo() -> None:
    """The snapshot task VOD ran for <@U1> made the cover, not U1's pick: the headline says
    so in editors' words; Undo and the support line stay."""
    msg = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="Launch keynote", snapshot_url=snap_url(9),
        request_id="req-7", change_id=7, frame=FramePosition(45, 5, 12),
        previous_cover_url=snap_url(2), by_capture=True)

    headline, new_cover, *_, undo, support = msg["blocks"]
    assert headline["text"]["text"] == (
        ":frame_with_picture: The new frames <@U1> asked for made the frame at *0:45* the "
        "cover of *Launch keynote* (the video service does this with the first new frame)."
        "\nBefore, the cover was the picture on the right.")
    assert msg["text"].startswith(
        "The new frames <@U1> asked for made one of them the cover of Launch keynote.")
    assert "set the cover" not in json.dumps(msg)
    assert new_cover["image_url"] == snap_url(9)
    find_button(msg["blocks"], text="Undo")
    assert undo["type"] == "actions"
    assert support == blocks.support_line(asset_id=ASSET_ID, change_id=7, request_id="req-7")
    unplaced = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="", snapshot_url=snap_url(9),
        request_id=None, by_capture=True)
    assert texts(unplaced)[0] == (
        f":frame_with_picture: The new frames <@U1> asked for made one of them the cover of "
        f"*{ASSET_ID}* (the video service does this with the first new frame).")


def test_without_pictures_the_outcome_links_both_covers() -> None:
    msg = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(9),
        request_id=None, images=False, frame=FramePosition(45, 5, 12),
        previous_cover_url=snap_url(2))
    assert blocks.image_urls(msg) == []
    shown = " ".join(texts(msg))
    assert f"<{snap_url(9)}|New cover: 0:45, frame 5 of 12>" in shown
    assert f"Before, the cover was <{snap_url(2)}|this picture>." in shown


@pytest.mark.parametrize(("state", "expected"), [
    (FollowUpState.LIVE, ":white_check_mark: Every viewer now sees the new cover of *X*."),
    (FollowUpState.FAILED, ":warning: Some viewers may see the old cover of *X* a while "
                           "longer: the video service could not refresh its copies. The cover "
                           "itself is changed."),
    (FollowUpState.UNCONFIRMED, ":hourglass: The video service has not confirmed yet that "
                                "every viewer sees the new cover of *X* (still refreshing its "
                                "copies after 10 minutes). The cover itself is changed."),
])
def test_the_cdn_follow_up_speaks_of_viewers_not_of_the_cdn(
    state: FollowUpState, expected: str
) -> None:
    msg = blocks.cdn_follow_up(state, asset_id=ASSET_ID, asset_title="X", waited_s=600)
    assert texts(msg) == [expected]


def test_a_refused_cdn_refresh_is_told_as_viewers_see_it() -> None:
    """Its own post after the outcome, in the follow-up's words, with VOD's reason."""
    msg = blocks.cdn_refused(asset_id=ASSET_ID, asset_title="X", reason="Quota exceeded.")
    assert texts(msg) == [
        ":warning: Some viewers may see the old cover of *X* a while longer: the video "
        "service could not refresh its copies (Quota exceeded.). The cover itself is changed."]
    assert msg["text"] == "Some viewers may see the old cover of X a while longer."
    outcome = json.dumps(blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
        request_id=None, change_id=8))
    assert "refresh" not in outcome and "viewers" not in outcome


def test_an_unconfirmed_change_is_said_in_editors_words_with_the_current_cover_a_click_away(
) -> None:
    unconfirmed = VodOutcomeUnknown(
        "PUT /asset/cover: VOD did not confirm the change (PUT /asset/cover failed: no "
        "answer in time from vod.example.com:443)")
    msg = blocks.unknown(asset_id=ASSET_ID, error=unconfirmed, snapshot_url=snap_url(1))

    shown = texts(msg)
    assert shown[0] == (
        ":grey_question: The video service did not confirm the new cover in time, so the "
        "cover may or may not have changed. *Show the current cover* shows which one the "
        "video has now. *Try again* is safe: setting the same cover twice changes nothing.")
    assert "PUT" not in json.dumps(msg) and "no answer in time" not in json.dumps(msg)
    _, show = find_button(msg["blocks"], text="Show the current cover")
    assert show["action_id"].startswith(blocks.ActionId.PICK_ASSET)
    assert blocks.decode(show["value"]) == {"a": ASSET_ID}
    find_button(msg["blocks"], text="Try again")


def test_search_says_first_n_only_when_there_may_be_more() -> None:
    three = [AssetSummary(asset_id=f"a{n}", title=f"V{n}") for n in range(3)]
    ten = [AssetSummary(asset_id=f"a{n}", title=f"V{n}") for n in range(10)]
    assert texts(blocks.search_results("launch", three))[0] == "3 videos matching *launch*:"
    assert texts(blocks.search_results("launch", ten))[0] == (
        "The first 10 videos matching *launch* (more words narrow it down):")


def test_history_reads_in_editors_words_and_tells_its_links_apart() -> None:
    records = [
        replace(record(Status.SUCCEEDED, n=2), source=Source.COMMAND),
        replace(record(Status.DENIED, n=1, code="DENIED"), source=Source.BUTTON),
        replace(record(Status.FAILED, n=0, code="VOD.10062"), source=Source.CLI),
    ]
    msg = blocks.history(ASSET_ID, records, snapshot_hosts=HOSTS)
    first, denied, failed = texts(msg)[1:]
    assert first.endswith(f"<{snap_url(2)}|sample/2.jpg> · :white_check_mark: changed · "
                          "typed in Slack")
    assert denied.endswith(":no_entry: not allowed · picked in Slack")
    assert failed.endswith(":x: failed (`VOD.10062`) · from a terminal")
    assert "DENIED" not in json.dumps(msg) and "via " not in json.dumps(msg)


def test_the_usage_shows_placeholders_literally() -> None:
    """Slack reads `<asset id>` as a link token even inside a code span: escaped."""
    usage = texts(blocks.usage())[0]
    assert "`/setcover &lt;asset id&gt;`" in usage
    assert "`/setcover search &lt;words&gt;`" in usage
    assert blockkit.unescaped(usage) == []


@pytest.mark.parametrize(("name", "msg"), every_message(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_message_is_valid_block_kit(name: str, msg: dict[str, Any]) -> None:
    assert blockkit.problems(msg) == [], name
    json.dumps(msg)  # serializable as sent


def test_validator_catches_what_slack_refuses() -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "x" * 80},
              "action_id": "a", "value": "v" * 2001}
    msg = {"text": "t", "blocks": [
        {"type": "actions", "block_id": "b", "elements": [button, blocks.button("ok", "a", "")]},
        {"type": "image", "block_id": "b", "image_url": "https://x/y.jpg", "alt_text": ""},
    ] + [blocks.section("s")] * 49}
    found = "\n".join(blockkit.problems(msg))
    for expected in ("at most 50", "over 75", "over 2000", "not unique", "alt_text"):
        assert expected in found
    # slack_sdk's models, on their own, refuse or misread the same blocks
    sdk = "\n".join(blockkit.sdk_problems(msg["blocks"]))
    for expected in ("cannot exceed 75", "reads it differently"):
        assert expected in sdk
    assert "no model" in "".join(blockkit.sdk_problems([{"type": "no_such_block"}]))


def labels(msg: dict[str, Any], block: str) -> list[str]:
    return [e["text"]["text"] for b in msg["blocks"] if b.get("block_id") == block
            for e in b["elements"]]


def test_sheet_picker_is_one_picture_and_one_row_of_numbered_buttons() -> None:
    asset = make_asset(12, current=1)
    sheet = SheetView("F0SHEET1", frozenset({snap_url(4), snap_url(9)}))
    msg = picker(asset, nonce="abc", sheet=sheet)
    kinds = [b["type"] for b in msg["blocks"]]
    assert kinds == ["section", "image", "actions", "context", "actions"]
    image = msg["blocks"][1]
    assert image["slack_file"] == {"id": "F0SHEET1"} and "image_url" not in image
    assert "numbered as the buttons" in image["alt_text"]
    assert labels(msg, "picker_frames") == [
        "1 · 0:00", "2 · 0:05 (current)", "3 · 0:10", "4 · 0:15", "★ 5 · 0:20", "6 · 0:25",
        "7 · 0:30", "8 · 0:35", "9 · 0:40", "★ 10 · 0:45", "11 · 0:50", "12 · 0:55"]
    _, ten = find_button(msg["blocks"], text="★ 10 · 0:45")
    assert ten["action_id"].startswith("use_cover:")
    assert blocks.decode(ten["value"]) == {"a": ASSET_ID, "n": "abc", "u": snap_url(9)}
    _, current = find_button(msg["blocks"], text="2 · 0:05 (current)")
    assert current["action_id"].startswith("current_cover:")
    assert blocks.decode(current["value"]) == {"a": ASSET_ID, "f": 2, "t": 5}
    assert labels(msg, "picker_nav") == ["Capture at…"]
    text = json.dumps(msg, ensure_ascii=False)
    assert "★ suggested" in text and "Cover0.jpg" not in text
    assert blocks.image_urls(msg) == []  # Slack downloads nothing but its own file


def test_sheet_picker_pages_by_20_with_capture_and_the_pages_on_one_row() -> None:
    asset = make_asset(45)
    assert blocks.page_count(45) == 3
    sheet = SheetView("F1", frozenset())
    first, middle, last = (picker(asset, page=page, sheet=sheet) for page in range(3))
    assert labels(middle, "picker_frames")[0] == "21 · 1:40"
    assert len(labels(middle, "picker_frames")) == 20 and len(labels(last, "picker_frames")) == 5
    assert labels(first, "picker_nav") == ["Capture at…", "Next"]
    assert labels(middle, "picker_nav") == ["Capture at…", "Previous", "Next"]
    assert labels(last, "picker_nav") == ["Capture at…", "Previous"]
    _, nxt = find_button(middle["blocks"], text="Next")
    assert blocks.decode(nxt["value"]) == {"a": ASSET_ID, "n": "n", "p": 2}
    assert "Page 2 of 3 · frames 21 to 40 of 45" in json.dumps(middle, ensure_ascii=False)
    assert "★ suggested" not in json.dumps(middle, ensure_ascii=False)  # no star, no legend


def test_compact_rows_show_each_frame_small_with_its_own_button_and_say_why() -> None:
    asset = make_asset(60, current=29)
    msg = picker(asset, page=1, why=Fallback.NO_SCOPE)
    assert len(msg["blocks"]) <= blocks.MAX_BLOCKS
    text = json.dumps(msg)
    assert "files:write" in text and "reinstall" in text
    rows = [b for b in msg["blocks"] if b.get("block_id", "").startswith("snapshot_row:")]
    assert len(rows) == 20
    assert rows[0]["text"]["text"] == "*1:40* · frame 21 of 60"
    assert rows[0]["accessory"] == {"type": "image", "image_url": snap_url(20),
                                    "alt_text": "Frame 21 at 1:40"}
    _, use = find_button(msg["blocks"], text="Use this frame (1:40)")
    assert blocks.decode(use["value"])["u"] == snap_url(20)
    _, current = find_button(msg["blocks"], text="Current cover (2:25)")
    assert current["action_id"].startswith("current_cover:")
    _, nxt = find_button(msg["blocks"], text="Next")
    assert blocks.decode(nxt["value"])["m"] == 1  # the next page tries no sheet again


def test_rows_with_links_when_slack_cannot_download_the_frames() -> None:
    msg = picker(make_asset(30), why=Fallback.LINKS)
    assert blocks.image_urls(msg) == []
    assert "shown as links" in json.dumps(msg)
    _, nxt = find_button(msg["blocks"], text="Next")
    assert blocks.decode(nxt["value"])["m"] == 0
    pages = [msg, picker(make_asset(30), page=1, why=Fallback.LINKS)]
    urls = [blocks.decode(e["value"])["u"] for page in pages for b in page["blocks"]
            if b["type"] == "actions" for e in b["elements"]
            if e["action_id"].startswith("use_cover:")]
    assert urls == [snap_url(n) for n in range(30)]  # every frame, each with its button


def test_pictures_and_links_are_signed_and_button_values_are_not() -> None:
    asset = make_asset(3, current=1)

    def sign(url: str) -> str:
        return url + "?auth_key=1-0-0-abc"

    for kwargs in LAYOUTS.values():
        msg = blocks.picker(picker_page(asset, snapshot_hosts=HOSTS), nonce="n", sign=sign,
                            **kwargs)
        assert all(url.endswith("?auth_key=1-0-0-abc") for url in blocks.image_urls(msg))
        values = [blocks.decode(e["value"]).get("u") for b in msg["blocks"]
                  if b["type"] == "actions" for e in b["elements"]]
        assert "auth_key" not in json.dumps(values)


def test_the_header_shows_the_cover_unless_a_frame_of_the_page_is_it() -> None:
    rows = {"why": Fallback.FRAMES}
    assert "picker_header" in [b.get("block_id") for b in picker(make_asset(3))["blocks"]]
    assert picker(make_asset(3), **rows)["blocks"][0]["accessory"]["alt_text"] == "Current cover"
    assert "accessory" not in picker(make_asset(3, current=2), **rows)["blocks"][0]


def test_the_current_cover_click_says_so_kindly() -> None:
    text = json.dumps(blocks.already_the_cover(ASSET_ID, 5, 45))
    assert "Frame 5 (0:45) is already the cover" in text and "nothing was changed" in text


def test_the_longest_snapshot_url_fits_a_button_with_the_longest_asset_id() -> None:
    long_id = "a" * 64
    url = longest_url(long_id)
    asset = Asset(asset_id=long_id, title="T", snapshots=[Snapshot(kind="sample", offset=0,
                                                                   url=url)])
    for kwargs in LAYOUTS.values():
        _, button = find_button(picker(asset, **kwargs)["blocks"], action_prefix="use_cover")
        assert blocks.decode(button["value"])["u"] == url
        assert len(button["value"]) <= blockkit.MAX_BUTTON_VALUE


def test_picker_offers_only_snapshot_urls_and_says_how_many_it_left_out() -> None:
    asset = make_asset(2)
    odd = ["http://355.cdn-vod.huaweicloud.com/asset/x/snapshot/s/0.jpg",
           f"{HOST}/asset/{ASSET_ID}/snapshot/sample/0.jpg?x=1",
           f"https://cdn.example.com/asset/{ASSET_ID}/snapshot/sample/0.jpg"]
    asset.snapshots.extend(Snapshot(kind="dots", offset=60 + n, url=url)
                           for n, url in enumerate(odd))
    for kwargs in LAYOUTS.values():
        msg = picker(asset, **kwargs)
        values = [blocks.decode(e["value"])["u"] for b in msg["blocks"]
                  if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"].startswith("use_cover:")]
        assert values == [s.url for s in asset.snapshots[:2]]
        assert all(url not in json.dumps(msg) for url in odd)
        assert "3 snapshot(s) VOD lists are not shown" in json.dumps(msg)
        assert "VOD_SNAPSHOT_HOSTS" in json.dumps(msg)


def test_a_capture_picker_numbers_its_frames_as_the_full_picker_does() -> None:
    asset = make_asset(30)
    page = captured_page(asset, asset.snapshots[-2:], snapshot_hosts=HOSTS)
    msg = blocks.picker(page, nonce="n", sign=str, sheet=SheetView("F1", frozenset()),
                        intro=blocks.captured_intro(asset, asset.snapshots[-2:], nonce="n"))
    assert labels(msg, "picker_frames") == ["29 · 2:20", "30 · 2:25"]
    assert "2 new frames of" in json.dumps(msg) and labels(msg, "picker_nav") == ["Capture at…"]


def test_no_snapshots_says_so_and_why() -> None:
    asset = make_asset(0).model_copy(update={"thumbnail_status": "THUMBNAIL_FAILED",
                                             "exec_desc": "no snapshot template"})
    text = json.dumps(picker(asset))
    assert "no snapshots" in text and "THUMBNAIL_FAILED" in text and "no snapshot template" in text


def test_failure_has_reason_code_request_id_and_a_fresh_try_again() -> None:
    error = AssetNotFound("gone", status_code=404, code="VOD.10062", request_id="req-7")
    first = blocks.failure(asset_id=ASSET_ID, error=error, snapshot_url=snap_url(1))
    second = blocks.failure(asset_id=ASSET_ID, error=error, snapshot_url=snap_url(1))
    text = json.dumps(first)
    assert error.explanation in text and "VOD.10062" in text and "req-7" in text
    _, retry1 = find_button(first["blocks"], text="Try again")
    _, retry2 = find_button(second["blocks"], text="Try again")
    assert blocks.decode(retry1["value"])["u"] == snap_url(1)
    assert blocks.decode(retry1["value"])["n"] != blocks.decode(retry2["value"])["n"]


def test_titles_are_escaped() -> None:
    msg = blocks.changed_in_channel(user_id="U1", asset_id="a", asset_title="<!channel> & co",
                                    snapshot_url=snap_url(0), request_id=None)
    text = json.dumps(msg["blocks"][0])  # mrkdwn; alt text is plain text
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text
    assert "<@U1>" in text and blocks.VOD_DELAY_NOTE in json.dumps(msg)


@pytest.mark.parametrize("rules", [{}, {"users": ["U9"]}, {"teams": ["T9"]},
                                   {"channels": ["C9"]}])
async def test_a_denial_says_who_may_and_the_requesters_id_once(rules: dict) -> None:
    decision = await Policy(**rules).check("T1", "C1", "U0X")
    msg = blocks.denied(reason=decision.reason)

    [shown] = texts(msg)
    assert shown.count("U0X") == 1, shown
    assert shown.count("SETCOVER_ALLOWED_") == 1 + (not rules) * 3, shown
    assert shown.count("may") + shown.count("can") <= 2, shown


def test_denied_keeps_the_policy_mentions_clickable() -> None:
    reason = "Only members of <!subteam^S0LEADS> may change video covers in <#C0COVERS>."
    section_text = blocks.denied(reason=reason)["blocks"][0]["text"]["text"]
    assert "<!subteam^S0LEADS>" in section_text and "<#C0COVERS>" in section_text


def test_unknown_error_gets_an_id_and_no_details() -> None:
    text = json.dumps(describe_error(RuntimeError("password=hunter2")))
    assert "hunter2" not in text and "Error id" in text


def test_failure_refused_by_the_bot_has_no_vod_code_and_no_try_again() -> None:
    msg = blocks.failure(asset_id=ASSET_ID, error=NOT_LISTED, snapshot_url=snap_url(1))
    text = json.dumps(msg)
    assert "not one of the snapshots VOD lists" in text and "nothing was sent to VOD" in text
    assert "Try again" not in text and "VOD error code" not in text


def test_history_links_only_snapshot_urls_and_shows_the_rest_as_inert_code() -> None:
    good = snap_url(3)
    records = [record(Status.SUCCEEDED, n=0, url=good)] + [
        record(Status.FAILED, n=n + 1, url=url) for n, url in enumerate(ODD_RECORDED_URLS)]
    msg = blocks.history(ASSET_ID, records, snapshot_hosts=HOSTS)
    texts = [b["elements"][0]["text"] for b in msg["blocks"][1:]]
    assert f"<{good}|sample/3.jpg>" in texts[0]
    for text in texts[1:]:
        assert "not a snapshot URL: `" in text
        code = text.split("not a snapshot URL: `", 1)[1].split("`", 1)[0]
        assert "<" not in code and ">" not in code
        assert all(" " <= c <= "~" or c == "…" for c in code)
        assert len(code) <= 120
    assert "<https://evil" not in json.dumps(msg) and "<!channel>" not in json.dumps(msg)
    assert "\\u200b\\x1b[2J" in texts[5]  # what hid in the URL is shown


def test_usage_escapes_what_the_user_typed() -> None:
    msg = blocks.usage("I did not understand `<!channel> & <@U1>`.")
    assert "<!channel>" not in json.dumps(msg)
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in msg["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(("name", "msg"), every_message(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_no_fallback_text_holds_a_mention_it_did_not_mean(name: str, msg: dict[str, Any]) -> None:
    """Slack reads `text` as mrkdwn: only the bot's own mentions may be in it."""
    hostile = msg["text"].replace("<@U123>", "").replace("<!subteam^S0LEADS>", "")
    assert "<!" not in hostile and "<#" not in hostile and "<http" not in hostile, name


def test_titles_and_words_in_fallback_texts_are_escaped() -> None:
    changed = blocks.changed_in_channel(user_id="U1", asset_id="a", asset_title="<!channel>",
                                        snapshot_url=snap_url(0), request_id=None)
    assert changed["text"].startswith("<@U1> set the cover of &lt;!channel&gt;.")
    assert blocks.search_results("<!here> & co", [])["text"] == \
        "No video title matches &lt;!here&gt; &amp; co"


# ---- captures asked for again, and the hourly limit (issue 16, defect 5) -------------------
@pytest.mark.parametrize(("status", "says"), [
    (CaptureStatus.PENDING, "VOD is making them now, so I did not ask again"),
    (CaptureStatus.SUCCEEDED, "VOD made them, so I did not ask again"),
    (CaptureStatus.TIMED_OUT, "VOD had not finished them when I stopped waiting"),
])
def test_a_capture_asked_for_again_says_by_whom_when_and_where_its_frames_are(
    status: CaptureStatus, says: str
) -> None:
    msg = blocks.capture_repeated(capture_record(status), asker_id="U2", now=NOW)
    text = " ".join(texts(msg))
    assert f"<@U1> asked for frames of `{ASSET_ID}` at 0:05, 1:23 3 minutes ago" in text
    assert says in text
    mine = blocks.capture_repeated(capture_record(status), asker_id="U1", now=NOW)
    assert "You asked for frames" in " ".join(texts(mine))
    just_now = blocks.capture_repeated(capture_record(status, requested_at=NOW), asker_id="U1",
                                       now=NOW)
    assert "1:23 just now" in " ".join(texts(just_now))


def test_a_capture_command_is_acknowledged_without_promising_a_snapshot_task() -> None:
    """Said before the bot knows whether VOD will be asked (the same capture under way, the
    hourly limit): it promises an answer, not a task; "Capturing…" comes once VOD took it."""
    asked = blocks.capture_asked(ASSET_ID, [5, 83])
    assert texts(asked) == [f":camera_with_flash: New frames of `{ASSET_ID}` at 0:05, 1:23: "
                            "one moment. The frames, or why there are none, follow here."]
    assert "Capturing" not in json.dumps(asked)
    assert texts(blocks.capturing(ASSET_ID, [5]))[0].startswith(
        f":camera_with_flash: Capturing `{ASSET_ID}` at 0:05… VOD makes the snapshots")


def test_the_hourly_limit_says_when_the_next_capture_is_possible() -> None:
    msg = blocks.captures_limited(10, datetime(2026, 12, 3, 14, 5, tzinfo=UTC), now=NOW)
    assert msg["text"] == ("You have asked for 10 captures in the last hour; the next is "
                           "possible at 14:05 UTC (in 12 minutes).")
    one = blocks.captures_limited(1, datetime(2026, 12, 3, 13, 53, 40, tzinfo=UTC), now=NOW)
    assert "asked for 1 capture in the last hour" in one["text"] and "(in a minute)" in one["text"]
    off = blocks.captures_limited(0, None, now=NOW)
    assert "Capturing new frames is turned off here" in " ".join(texts(off))
