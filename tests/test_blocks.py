"""Block builders: data in, blocks out; every message the bot can send passes the validator."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.slack import blocks
from bot.slack.errors import describe_error
from bot.store import ChangeRecord, FollowUpState, Source, Status
from bot.vod.errors import (
    AssetNotFound,
    InvalidSnapshotUrl,
    SnapshotNotListed,
    SnapshotUrlError,
    VodConnectionError,
    VodOutcomeUnknown,
)
from bot.vod.models import Asset, AssetSummary, Snapshot
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
               cover: bool = True) -> Asset:
    return Asset(
        asset_id=ASSET_ID,
        title=title,
        cover_url=f"{HOST}/shield/asset/{ASSET_ID}/cover/Cover0.jpg" if cover else None,
        snapshots=[Snapshot(kind="sample", offset=5 * n, url=snap_url(n, pad=pad))
                   for n in range(count)],
    )


def longest_url(asset_id: str) -> str:
    """A snapshot URL of the greatest length the parse accepts."""
    tail = f"/asset/{asset_id}/snapshot/sample/0.jpg"
    return f"{HOST}/{'p' * (MAX_URL_LENGTH - len(HOST) - 1 - len(tail))}{tail}"


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


def every_message() -> list[tuple[str, dict[str, Any]]]:
    """Every kind of message the bot sends, with inputs near Slack's limits."""
    error = InvalidSnapshotUrl("bad url", status_code=400, code="VOD.10001", request_id="req-1")
    out: list[tuple[str, dict[str, Any]]] = [("usage", blocks.usage()),
                                             ("usage+problem", blocks.usage("Nope `x`."))]
    for count in (0, 1, 23, 24, 60, 200):
        asset = make_asset(count, title="T" * 500)
        for page in range(blocks.page_count(asset.snapshots)):
            for images in (True, False):
                out.append((f"picker {count}/{page}/{images}",
                            blocks.picker(asset, nonce="n0nce", page=page, images=images,
                                          snapshot_hosts=HOSTS)))
    long_id = "a" * 64
    longest = Asset(asset_id=long_id, title="T", snapshots=[
        Snapshot(kind="sample", offset=n, url=longest_url(long_id)) for n in range(23)])
    out.append(("picker longest urls", blocks.picker(longest, nonce=blocks.new_nonce(),
                                                    snapshot_hosts=HOSTS)))
    for images in (True, False):
        mixed = make_asset(60, pad=MAX_URL_LENGTH)  # none is a snapshot URL: all left out
        mixed.snapshots.extend(make_asset(30).snapshots)
        out.append((f"picker some left out {images}", blocks.picker(
            mixed, nonce="n", page=1, images=images, snapshot_hosts=HOSTS)))
    empty = make_asset(0).model_copy(update={"thumbnail_status": "THUMBNAIL_FAILED",
                                             "exec_desc": "snapshot template missing"})
    out.append(("no snapshots", blocks.picker(empty, nonce="n", snapshot_hosts=HOSTS)))
    out.append(("no cover", blocks.picker(make_asset(2, cover=False), nonce="n",
                                          snapshot_hosts=HOSTS)))
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
        ("denied", blocks.denied(reason="Ask <!subteam^S0LEADS> in #video-leads.",
                                 user_id="U123")),
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
        ("history every status", blocks.history(ASSET_ID, [
            record(status, n=n) for n, status in enumerate(Status)], snapshot_hosts=HOSTS)),
    ]
    for images in (True, False):
        out.append((f"changed {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="Launch & <keynote>",
            snapshot_url=snap_url(2), request_id="req-9", images=images)))
        out.append((f"changed undoable {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="T" * 500,
            snapshot_url=snap_url(2), request_id="req-9", images=images, change_id=2**31)))
        out.append((f"undone {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(2),
            request_id=None, images=images, change_id=7, undone_by="U456")))
        out.append((f"undo {images}", blocks.changed_in_channel(
            user_id="U456", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
            request_id="r", images=images, change_id=8, undoes=record(Status.SUCCEEDED, n=7))))
        out.append((f"changed, CDN refresh refused {images}", blocks.changed_in_channel(
            user_id="U456", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
            request_id="r", images=images, change_id=8, cdn_refused="quota <!channel> " * 90)))
    for state in FollowUpState:
        if state is not FollowUpState.PENDING:
            out.append((f"cdn {state}", blocks.cdn_follow_up(
                state, asset_id="a" * 64, asset_title="<!channel> " + "T" * 900,
                change_id=2**31, waited_s=600)))
    out.append(("not undoable", blocks.not_undoable("x" * 3000)))
    out.append(("busy undo", blocks.busy(asset_id=ASSET_ID, pending_user_id="U9",
                                         snapshot_url=None)))
    return out


def test_undo_button_carries_the_change_and_an_undone_outcome_has_none() -> None:
    undoable = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
        request_id=None, change_id=42)
    _, undo = find_button(undoable["blocks"], text="Undo")
    assert blocks.decode(undo["value"]) == {"c": 42} and "change 42" in json.dumps(undoable)
    undone = blocks.changed_in_channel(
        user_id="U1", asset_id=ASSET_ID, asset_title="X", snapshot_url=snap_url(1),
        request_id=None, change_id=42, undone_by="U2")
    assert "Undone by <@U2>" in json.dumps(undone)
    with pytest.raises(AssertionError):
        find_button(undone["blocks"], text="Undo")


def test_history_shows_change_ids_and_what_an_undo_undid() -> None:
    undo = replace(record(Status.SUCCEEDED, n=9), source=Source.UNDO, undoes=4)
    text = json.dumps(blocks.history(ASSET_ID, [undo], snapshot_hosts=HOSTS))
    assert "*9*" in text and "via undo of change 4" in text


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


def test_picker_shows_title_id_cover_and_each_snapshot_with_a_button() -> None:
    asset = make_asset(3)
    msg = blocks.picker(asset, nonce="abc", snapshot_hosts=HOSTS)
    text = json.dumps(msg)
    assert "Launch keynote" in text and ASSET_ID in text and "Cover0.jpg" in text
    images = [b for b in msg["blocks"] if b["type"] == "image"]
    assert [i["alt_text"] for i in images] == ["Snapshot at 0:00", "Snapshot at 0:05",
                                              "Snapshot at 0:10"]
    # each image is followed by its own "Use as cover" button
    for n, snapshot in enumerate(asset.snapshots):
        position = msg["blocks"].index(images[n])
        follower = msg["blocks"][position + 1]
        assert follower["type"] == "actions"
        button = follower["elements"][0]
        assert button["text"]["text"] == "Use as cover"
        assert blocks.decode(button["value"]) == {"a": ASSET_ID, "n": "abc", "u": snapshot.url}


def test_picker_pages_with_previous_and_next() -> None:
    asset = make_asset(60)
    assert blocks.page_count(asset.snapshots) == 3
    first, middle, last = (blocks.picker(asset, nonce="n", page=page, snapshot_hosts=HOSTS)
                           for page in range(3))
    labels = lambda m: [e["text"]["text"] for b in m["blocks"] if b["type"] == "actions"  # noqa: E731
                        for e in b["elements"] if e["text"]["text"] != "Use as cover"]
    assert labels(first) == ["Next", "Capture at…"]
    assert labels(middle) == ["Previous", "Next", "Capture at…"]
    assert labels(last) == ["Previous", "Capture at…"]
    _, nxt = find_button(middle["blocks"], text="Next")
    assert blocks.decode(nxt["value"]) == {"a": ASSET_ID, "n": "n", "p": 2}
    shown = sum(len([b for b in m["blocks"] if b["type"] == "image"])
                for m in (first, middle, last))
    assert shown == 60
    assert "Page 2 of 3" in json.dumps(middle)


def test_links_only_picker_says_why_and_keeps_the_buttons() -> None:
    msg = blocks.picker(make_asset(30), nonce="n", images=False, snapshot_hosts=HOSTS)
    assert blocks.image_urls(msg) == []
    assert blocks.IMAGES_FAILED_NOTE in json.dumps(msg)
    _, nxt = find_button(msg["blocks"], text="Next")
    assert blocks.decode(nxt["value"])["m"] == 0  # the next page stays without pictures
    pages = [msg, blocks.picker(make_asset(30), nonce="n", page=1, images=False,
                                snapshot_hosts=HOSTS)]
    urls = [blocks.decode(e["value"])["u"] for page in pages for b in page["blocks"]
            for e in ([b["accessory"]] if "accessory" in b else [])
            if e["text"]["text"] == "Use as cover"]
    assert urls == [snap_url(n) for n in range(30)]  # every snapshot, each with its button


def test_the_longest_snapshot_url_fits_a_button_with_the_longest_asset_id() -> None:
    long_id = "a" * 64
    url = longest_url(long_id)
    asset = Asset(asset_id=long_id, title="T", snapshots=[Snapshot(kind="sample", offset=0,
                                                                   url=url)])
    msg = blocks.picker(asset, nonce=blocks.new_nonce(), snapshot_hosts=HOSTS)
    _, button = find_button(msg["blocks"], text="Use as cover")
    assert blocks.decode(button["value"])["u"] == url
    assert len(button["value"]) <= blockkit.MAX_BUTTON_VALUE


def test_picker_offers_only_snapshot_urls_and_says_how_many_it_left_out() -> None:
    asset = make_asset(2)
    odd = ["http://355.cdn-vod.huaweicloud.com/asset/x/snapshot/s/0.jpg",
           f"{HOST}/asset/{ASSET_ID}/snapshot/sample/0.jpg?x=1",
           f"https://cdn.example.com/asset/{ASSET_ID}/snapshot/sample/0.jpg"]
    asset.snapshots.extend(Snapshot(kind="dots", offset=60 + n, url=url)
                           for n, url in enumerate(odd))
    msg = blocks.picker(asset, nonce="n", snapshot_hosts=HOSTS)
    values = [blocks.decode(e["value"])["u"] for b in msg["blocks"] if b["type"] == "actions"
              for e in b["elements"] if e["text"]["text"] == "Use as cover"]
    assert values == [s.url for s in asset.snapshots[:2]]
    assert all(url not in json.dumps(msg) for url in odd)
    assert "3 snapshot(s) VOD lists are not shown" in json.dumps(msg)
    assert "VOD_SNAPSHOT_HOSTS" in json.dumps(msg)


def test_no_snapshots_says_so_and_why() -> None:
    asset = make_asset(0).model_copy(update={"thumbnail_status": "THUMBNAIL_FAILED",
                                             "exec_desc": "no snapshot template"})
    text = json.dumps(blocks.picker(asset, nonce="n", snapshot_hosts=HOSTS))
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


def test_denied_names_the_user_id() -> None:
    text = json.dumps(blocks.denied(reason="Only #leads may.", user_id="U0X"))
    assert "U0X" in text and "Only #leads may." in text


def test_denied_keeps_the_policy_mentions_clickable() -> None:
    reason = "Only members of <!subteam^S0LEADS> may change video covers in <#C0COVERS>."
    section_text = blocks.denied(reason=reason, user_id="U0X")["blocks"][0]["text"]["text"]
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
    assert f"<{good}|snapshot>" in texts[0]
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
