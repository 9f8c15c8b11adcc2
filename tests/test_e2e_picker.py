"""End to end, issue 15: the picker as one contact sheet, through the console script.

`setcover-bot serve` against the fake VOD, whose reel asset (`add_reel`) lists 12 snapshots
on the loopback that it serves as painted JPEG frames (scenes, and one dark, one flat, one
blurry), and the fake Slack, which takes file uploads as Slack does and keeps the bytes.
The tests judge the uploaded picture with Pillow on their own: its tiles are the frames, in
button order; the sharpest frame is starred and the dark, flat and blurry ones are not.
"""

from __future__ import annotations

import io
import secrets
import time

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from bot.sheet.compose import Layout
from bot.standin.frames import REEL, Look, frame_image
from bot.standin.vod import FakeAsset
from tests import blockkit
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod
from tests.processes import ServedBot, StartBot

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"  # as the fake VOD seeds it


@pytest.fixture
def reel(fake_vod: FakeVod) -> FakeAsset:
    """A reel of its own for each test: the module's bot remembers frames and sheets."""
    return fake_vod.add_reel(secrets.token_hex(16), "Launch reel")


def in_offset_order(asset: FakeAsset) -> list[tuple[int, str]]:
    return sorted(asset.snapshots["sample"])


def frame_buttons(picker: Recorded) -> list[str]:
    (row,) = [b for b in picker.blocks if b.get("block_id") == "picker_frames"]
    return [e["text"]["text"] for e in row["elements"]]


def open_picker(bot: ServedBot, reel: FakeAsset) -> Recorded:
    _, url = bot.command(reel.asset_id)
    (picker,) = bot.posts(url)
    assert blockkit.problems({"text": picker.text, "blocks": picker.blocks}) == []
    return picker


def test_the_picker_is_one_uploaded_sheet_of_the_12_frames_in_button_order(
    bot: ServedBot, fake_slack: FakeSlack, reel: FakeAsset
) -> None:
    picker = open_picker(bot, reel)
    (upload,) = fake_slack.completed_uploads()
    assert upload.shared_to is None  # no channel: private to the app
    (image,) = [b for b in picker.blocks if b["type"] == "image"]
    assert image["slack_file"] == {"id": upload.id}
    assert [label.removeprefix("★ ").split(" · ")[0] for label in frame_buttons(picker)] == [
        str(n) for n in range(1, 13)]

    with Image.open(io.BytesIO(upload.data)) as opened:
        sheet = opened.convert("RGB")
    assert sheet.width >= 800
    layout = Layout(12)
    for index, (look, scene) in enumerate(REEL):
        box = layout.picture(index, frame_image(look, scene).size)
        tile = sheet.crop(box)
        distances = [_distance(tile, frame_image(*other).resize(tile.size)) for other in REEL]
        assert distances.index(min(distances)) == index, f"tile {index + 1} is not frame"


def test_a_click_sets_that_frame_and_the_current_cover_changes_nothing(
    bot: ServedBot, fake_vod: FakeVod, reel: FakeAsset
) -> None:
    picker = open_picker(bot, reel)
    labels = frame_buttons(picker)
    offset, url = in_offset_order(reel)[4]
    fifth = next(label for label in labels if label.removeprefix("★ ").startswith("5 · "))
    assert fifth.endswith(f"5 · 0:{offset:02d}")
    _, click_url = bot.click(picker, text=fifth)
    bot.posts(click_url, 3)
    assert [(c.asset_id, c.thumbnail_url) for c in fake_vod.cover_changes] == [(reel.asset_id, url)]

    fake_vod.reset_requests()
    current = next(label for label in labels if label.endswith("(current)"))
    assert current.removeprefix("★ ").startswith("2 · ")  # the reel's cover is frame 2
    _, click_url = bot.click(picker, text=current)
    (answer,) = bot.posts(click_url)
    assert "already the cover" in answer.all_text() and answer.body["replace_original"] is False
    bot.finished("current_cover")
    assert fake_vod.api_requests == [] and len(fake_vod.cover_changes) == 1


def test_the_sharpest_frame_is_starred_and_dark_flat_blurry_never_are(
    bot: ServedBot, reel: FakeAsset
) -> None:
    picker = open_picker(bot, reel)
    starred = {int(label.removeprefix("★ ").split(" · ")[0])
               for label in frame_buttons(picker) if label.startswith("★ ")}
    assert 1 <= len(starred) <= 3
    never = {n for n, (look, _) in enumerate(REEL, 1) if look is not Look.SCENE}
    assert len(never) == 3 and not starred & never
    sharpness = {n: _laplacian_variance(frame_image(*REEL[n - 1]))
                 for n in range(1, 13) if n not in never}
    assert max(sharpness, key=sharpness.__getitem__) in starred


def test_a_seeded_videos_picker_is_a_sheet_of_frames_the_fake_vod_served(
    bot: ServedBot, fake_slack: FakeSlack, fake_vod: FakeVod
) -> None:
    """The seeded videos list their snapshots on the fake VOD, not on a CDN host the bot
    would look up in DNS: nothing a test does leaves 127.0.0.1."""
    listed = fake_vod.assets[KEYNOTE].all_snapshot_urls()
    assert all(url.startswith(fake_vod.url + "/") for url in listed)
    _, url = bot.command(KEYNOTE)
    (picker,) = bot.posts(url)
    assert sorted(fake_vod.url + r.path for r in fake_vod.frame_requests) == sorted(listed)
    assert [r.status for r in fake_vod.frame_requests] == [200] * len(listed)
    (upload,) = fake_slack.completed_uploads()
    assert [b["slack_file"] for b in picker.blocks if b["type"] == "image"] == [{"id": upload.id}]
    assert len(frame_buttons(picker)) == len(listed)


def test_a_second_picker_of_the_same_video_uploads_nothing(
    bot: ServedBot, fake_slack: FakeSlack, fake_vod: FakeVod, reel: FakeAsset
) -> None:
    first = open_picker(bot, reel)
    downloads = len(fake_vod.frame_requests)
    second = open_picker(bot, reel)
    assert len(fake_slack.completed_uploads()) == 1
    assert len(fake_slack.api_calls("files.getUploadURLExternal")) == 1
    assert len(fake_vod.frame_requests) == downloads == 12
    sheets = [[b["slack_file"] for b in p.blocks if b["type"] == "image"] for p in (first, second)]
    assert sheets[0] == sheets[1]


def test_without_files_write_the_picker_is_compact_rows_within_3_s(
    start_bot: StartBot, fake_slack: FakeSlack, fake_vod: FakeVod, reel: FakeAsset
) -> None:
    bot = start_bot()  # its own: the bot remembers a missing scope
    fake_slack.bot_scopes.remove("files:write")
    started = time.monotonic()
    _, url = bot.command(reel.asset_id)
    (picker,) = bot.posts(url)
    assert time.monotonic() - started < 3
    assert blockkit.problems({"text": picker.text, "blocks": picker.blocks}) == []
    assert "files:write" in picker.all_text() and fake_slack.completed_uploads() == []
    rows = [b for b in picker.blocks if b.get("block_id", "").startswith("snapshot_row")]
    assert len(rows) == 12 and len(picker.blocks) <= 50
    offset, url5 = in_offset_order(reel)[4]
    assert rows[4]["text"]["text"] == f"*0:{offset:02d}* · frame 5 of 12"
    assert rows[4]["accessory"]["image_url"] == url5
    _, click_url = bot.click(picker, text=f"Use this frame (0:{offset:02d})")
    bot.posts(click_url, 3)
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [url5]


def test_a_sheet_slack_will_not_show_gives_way_to_compact_rows(
    bot: ServedBot, fake_slack: FakeSlack, reel: FakeAsset
) -> None:
    fake_slack.reject_slack_files = True
    _, url = bot.command(reel.asset_id)
    refused, rows = bot.posts(url, 2)
    assert refused.answer["error"] == "invalid_blocks"
    assert "Slack would not show" in rows.all_text()
    assert [b for b in rows.blocks if b["type"] == "image"] == []
    assert len([b for b in rows.blocks if "accessory" in b]) == 12


def _distance(one: Image.Image, other: Image.Image) -> float:
    """Mean absolute difference of two pictures of one size, over the three channels."""
    return sum(ImageStat.Stat(ImageChops.difference(one, other)).mean) / 3


def _laplacian_variance(picture: Image.Image) -> float:
    """Sharpness as the variance of the Laplacian, at full size, computed here on its own."""
    kernel = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)
    return float(ImageStat.Stat(picture.convert("L").filter(kernel)).var[0])
