"""Block builders: data in, blocks out; every message the bot can send passes the validator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.slack import blocks
from bot.slack.errors import describe_error
from bot.store import ChangeRecord, Source, Status
from bot.vod.errors import AssetNotFound, InvalidSnapshotUrl, SnapshotUrlError, VodConnectionError
from bot.vod.models import Asset, AssetSummary, Snapshot
from tests.slack_requests import find_button

ASSET_ID = "6e76f92034ceae2fcdcef9413221511f"
HOST = "https://355.cdn-vod.huaweicloud.com"


def snap_url(n: int, *, pad: int = 0) -> str:
    return f"{HOST}/{'p' * pad}/asset/{ASSET_ID}/snapshot/sample/{n}.jpg"


def make_asset(count: int, *, title: str = "Launch keynote", pad: int = 0,
               cover: bool = True) -> Asset:
    return Asset(
        asset_id=ASSET_ID,
        title=title,
        cover_url=f"{HOST}/shield/asset/{ASSET_ID}/cover/Cover0.jpg" if cover else None,
        snapshots=[Snapshot(kind="sample", offset=5 * n, url=snap_url(n, pad=pad))
                   for n in range(count)],
    )


def record(status: Status, *, n: int = 0, code: str | None = None) -> ChangeRecord:
    return ChangeRecord(
        id=n, requested_at=datetime(2026, 5, 1, 12, n, tzinfo=UTC), finished_at=None,
        team_id="T1", channel_id="C1", user_id="U123", asset_id=ASSET_ID,
        asset_title="Launch <keynote>", previous_cover_url=None, snapshot_url=snap_url(n),
        source=Source.BUTTON, status=status, error_code=code, error_msg=None,
        request_id="r1", idempotency_key=f"k{n}",
    )


def every_message() -> list[tuple[str, dict[str, Any]]]:
    """Every kind of message the bot sends, with inputs near Slack's limits."""
    error = InvalidSnapshotUrl("bad url", status_code=400, code="VOD.10001", request_id="req-1")
    out: list[tuple[str, dict[str, Any]]] = [("usage", blocks.usage()),
                                             ("usage+problem", blocks.usage("Nope `x`."))]
    for count in (0, 1, 23, 24, 60, 200):
        asset = make_asset(count, title="T" * 500)
        for page in range(blocks.page_count(asset)):
            for images in (True, False):
                out.append((f"picker {count}/{page}/{images}",
                            blocks.picker(asset, nonce="n0nce", page=page, images=images)))
    long_urls = make_asset(3, pad=1990)
    out.append(("picker long urls", blocks.picker(long_urls, nonce="n")))
    empty = make_asset(0).model_copy(update={"thumbnail_status": "THUMBNAIL_FAILED",
                                             "exec_desc": "snapshot template missing"})
    out.append(("no snapshots", blocks.picker(empty, nonce="n")))
    out.append(("no cover", blocks.picker(make_asset(2, cover=False), nonce="n")))
    summaries = [AssetSummary(asset_id=f"a{n}", title=f"Video {n} <b>") for n in range(10)]
    out += [
        ("search", blocks.search_results("launch", summaries)),
        ("search none", blocks.search_results("zzz", [])),
        ("history", blocks.history(ASSET_ID, [record(Status.SUCCEEDED, n=n) for n in range(10)])),
        ("history failed", blocks.history(ASSET_ID, [record(Status.FAILED, code="VOD.1")])),
        ("history none", blocks.history(ASSET_ID, [])),
        ("setting", blocks.setting_cover(ASSET_ID)),
        ("confirmation", blocks.confirmation(asset_id=ASSET_ID, asset_title="X")),
        ("failure", blocks.failure(asset_id=ASSET_ID, error=error, snapshot_url=snap_url(1))),
        ("failure long url", blocks.failure(asset_id=ASSET_ID, error=error,
                                            snapshot_url=snap_url(1, pad=1990))),
        ("failure no code", blocks.failure(asset_id=ASSET_ID, error=VodConnectionError("t"),
                                           snapshot_url=None)),
        ("denied", blocks.denied(reason="Ask in #video-leads.", user_id="U123")),
        ("busy", blocks.busy(asset_id=ASSET_ID, pending_user_id="U9", snapshot_url=snap_url(1))),
        ("not recorded", blocks.not_recorded(asset_id=ASSET_ID)),
        ("store unavailable", blocks.store_unavailable()),
        ("error", blocks.error_message("Boom", error_id="abc123")),
        ("describe vod", describe_error(error)),
        ("describe url", describe_error(SnapshotUrlError("no"))),
        ("describe other", describe_error(RuntimeError("secret detail"))),
    ]
    for status in ("succeeded", "pending", "failed"):
        out.append((f"duplicate {status}", blocks.duplicate(asset_id=ASSET_ID, status=status,
                                                              error_code="VOD.1")))
    for images in (True, False):
        out.append((f"changed {images}", blocks.changed_in_channel(
            user_id="U123", asset_id=ASSET_ID, asset_title="Launch & <keynote>",
            snapshot_url=snap_url(2), request_id="req-9", images=images)))
    return out


@pytest.mark.parametrize(("name", "msg"), every_message(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_message_is_valid_block_kit(name: str, msg: dict[str, Any]) -> None:
    assert blocks.problems(msg) == [], name
    json.dumps(msg)  # serializable as sent


def test_validator_catches_what_slack_refuses() -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "x" * 80},
              "action_id": "a", "value": "v" * 2001}
    msg = {"text": "t", "blocks": [
        {"type": "actions", "block_id": "b", "elements": [button, blocks.button("ok", "a", "")]},
        {"type": "image", "block_id": "b", "image_url": "https://x/y.jpg", "alt_text": ""},
    ] + [blocks.section("s")] * 49}
    found = "\n".join(blocks.problems(msg))
    for expected in ("at most 50", "over 75", "over 2000", "not unique", "alt_text"):
        assert expected in found


def test_picker_shows_title_id_cover_and_each_snapshot_with_a_button() -> None:
    asset = make_asset(3)
    msg = blocks.picker(asset, nonce="abc")
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
        assert blocks.decode(button["value"]) == {"a": ASSET_ID, "n": "abc", "i": n,
                                                  "u": snapshot.url}


def test_picker_pages_with_previous_and_next() -> None:
    asset = make_asset(60)
    assert blocks.page_count(asset) == 3
    first = blocks.picker(asset, nonce="n", page=0)
    middle = blocks.picker(asset, nonce="n", page=1)
    last = blocks.picker(asset, nonce="n", page=2)
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
    msg = blocks.picker(make_asset(30), nonce="n", images=False)
    assert blocks.image_urls(msg) == []
    assert blocks.IMAGES_FAILED_NOTE in json.dumps(msg)
    _, nxt = find_button(msg["blocks"], text="Next")
    assert blocks.decode(nxt["value"])["m"] == 0  # the next page stays without pictures
    assert len(find_button(msg["blocks"], text="Use as cover", nth=blocks.PAGE_SIZE - 1)) == 2


def test_long_snapshot_url_is_sent_as_an_index() -> None:
    msg = blocks.picker(make_asset(1, pad=1990), nonce="n")
    _, button = find_button(msg["blocks"], text="Use as cover")
    assert blocks.decode(button["value"]) == {"a": ASSET_ID, "n": "n", "i": 0}


def test_no_snapshots_says_so_and_why() -> None:
    asset = make_asset(0).model_copy(update={"thumbnail_status": "THUMBNAIL_FAILED",
                                             "exec_desc": "no snapshot template"})
    text = json.dumps(blocks.picker(asset, nonce="n"))
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
