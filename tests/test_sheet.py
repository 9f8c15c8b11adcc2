"""The contact sheet: frames downloaded from the fake VOD's CDN over a real socket, scored,
composed, and the picture decoded back."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from bot.sheet import MAX_FRAMES, Frame, SheetMaker, SheetUnavailable
from bot.sheet.compose import Layout
from bot.sheet.scoring import measure
from bot.standin.frames import REEL, Look, frame_image, frame_jpeg
from bot.vod.client import VodClient
from tests.fakes.vod_server import FakeVod
from tests.processes import StartBot

ASSET = "0c4f5e6d7a8b49c0a1b2c3d4e5f6a7b8"
DROPPED = {Look.DARK: "dark", Look.FLAT: "flat", Look.BLURRY: "blurry"}


@pytest.fixture
def reel(fake_vod: FakeVod) -> list[Frame]:
    """The demo reel's 12 frames as the picker pages them: offset order, frame 2 current."""
    asset = fake_vod.add_reel(ASSET, "Reel")
    listed = sorted(url_offset for url_offset in asset.snapshots["sample"])
    return [Frame(number=n, offset=offset, url=url, is_current=url == asset.cover_url)
            for n, (offset, url) in enumerate(listed, start=1)]


@pytest.fixture
async def vod(fake_vod: FakeVod) -> AsyncIterator[VodClient]:
    async with VodClient.from_settings(fake_vod.settings()) as client:
        yield client


@pytest.fixture
def maker(vod: VodClient) -> Iterator[SheetMaker]:
    # A generous budget: on a busy test machine 20 frames can take over 2.5 s; the budget
    # itself has its own tests.
    made = SheetMaker(vod.http, sign=lambda url: url, budget_s=20)
    yield made
    made.close()


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two same-sized pictures, 0..255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


async def test_the_sheet_shows_the_frames_in_button_order(
    maker: SheetMaker, reel: list[Frame]
) -> None:
    sheet = await maker.make(reel)
    picture = decoded(sheet.image)
    layout = Layout(len(reel))
    assert picture.size == layout.size and picture.width >= 800
    assert layout.rows == 3
    originals = [frame_image(look, scene) for look, scene in REEL]
    for index in range(len(reel)):
        box = layout.picture(index, originals[index].size)
        tile = picture.crop(box)
        # The middle of the tile: the number, time and star sit at its edges.
        w, h = tile.size
        middle = (w // 4, h // 4, 3 * w // 4, 3 * h // 4)
        distances = [difference(tile.crop(middle), original.resize(tile.size).crop(middle))
                     for original in originals]
        assert distances.index(min(distances)) == index, (index, distances)
        assert distances[index] < 12


async def test_dark_flat_and_blurry_frames_are_never_starred_and_the_sharpest_is(
    maker: SheetMaker, reel: list[Frame]
) -> None:
    sheet = await maker.make(reel)
    by_url = {score.url: score for score in sheet.scores}
    assert [score.url for score in sheet.scores] == [frame.url for frame in reel]
    for frame, (look, _) in zip(reel, REEL, strict=True):
        if look in DROPPED:
            assert by_url[frame.url].dropped == DROPPED[look]
            assert by_url[frame.url].score is None
            assert frame.url not in sheet.suggested
        else:
            assert by_url[frame.url].dropped is None
            assert 0 < (by_url[frame.url].score or 0) <= 1
    sharpest = max((frame for frame, (look, _) in zip(reel, REEL, strict=True)
                    if look is Look.SCENE),
                   key=lambda f: measure(frame_image(*REEL[f.number - 1])).sharpness)
    assert sharpest.url in sheet.suggested
    assert len(sheet.suggested) == 3  # 12 frames: at most a quarter


@pytest.mark.parametrize("first_scene", [0, 3, 6, 9])  # the reels demo-vod serves
@pytest.mark.parametrize("size", [(640, 360), (1280, 720)])
def test_every_demo_reel_is_judged_as_painted(first_scene: int, size: tuple[int, int]) -> None:
    for look, scene in REEL:
        data = frame_jpeg(look, scene + first_scene, width=size[0], height=size[1])
        measures = measure(decoded(data))
        assert measures.dropped == DROPPED.get(look), (look, scene + first_scene, measures)


@pytest.mark.parametrize(("frames", "stars"), [(3, 0), (4, 1), (8, 2), (12, 3), (20, 3)])
async def test_at_most_a_quarter_of_the_page_is_starred(
    maker: SheetMaker, reel: list[Frame], frames: int, stars: int
) -> None:
    page = [reel[i % len(reel)] for i in range(frames)]
    page = [Frame(n, f.offset, f.url, f.is_current) for n, f in enumerate(page, start=1)]
    sheet = await maker.make(page)
    assert len(sheet.suggested) == stars
    assert Layout(frames).rows == -(-frames // 4)


async def test_a_page_holds_at_most_twenty_frames(maker: SheetMaker, reel: list[Frame]) -> None:
    with pytest.raises(ValueError, match="1 to 20"):
        await maker.make([reel[0]] * (MAX_FRAMES + 1))


async def test_frames_are_downloaded_once_without_vod_credentials_and_signed(
    fake_vod: FakeVod, vod: VodClient, reel: list[Frame]
) -> None:
    maker = SheetMaker(vod.http, sign=lambda url: url + "?auth_key=1700000000-0-0-abc",
                       budget_s=20)
    fake_vod.reset_requests()
    first = await maker.make(reel)
    downloads = fake_vod.frame_requests
    assert sorted(r.path for r in downloads) == sorted(
        f.url.removeprefix(fake_vod.url) for f in reel)
    assert all(r.query == [("auth_key", "1700000000-0-0-abc")] for r in downloads)
    for request in downloads:  # VOD's API credentials never go to its CDN
        assert request.header("Authorization") is None
        assert request.header("X-Auth-Token") is None
        assert request.header("X-Sdk-Date") is None
    second = await maker.make(reel)
    assert len(fake_vod.frame_requests) == len(reel)  # all from the cache
    assert second.suggested == first.suggested
    assert fake_vod.api_requests == []  # no VOD API call either
    maker.close()


async def test_the_cache_is_bounded_in_bytes(
    fake_vod: FakeVod, vod: VodClient, reel: list[Frame]
) -> None:
    sizes = {}
    for frame in reel:
        response = await vod.http.get(frame.url, auth=None)
        sizes[frame.url] = len(response.content)
    room = sum(sorted(sizes.values())[-4:])  # room for about 4 frames, not 12
    maker = SheetMaker(vod.http, sign=lambda url: url, cache_bytes=room, budget_s=20)
    await maker.make(reel)
    assert 0 < maker.cache.bytes <= room
    assert 0 < len(maker.cache) < len(reel)
    kept = len(maker.cache)
    fake_vod.reset_requests()
    await maker.make(reel)  # what was kept is not downloaded again
    assert len(reel) - kept <= len(fake_vod.frame_requests) < len(reel)
    assert maker.cache.bytes <= room
    maker.close()


async def test_past_the_time_budget_the_sheet_is_unavailable(
    fake_vod: FakeVod, vod: VodClient, reel: list[Frame]
) -> None:
    fake_vod.latency[reel[4].url.removeprefix(fake_vod.url)] = 10
    maker = SheetMaker(vod.http, sign=lambda url: url)
    started = time.monotonic()
    with pytest.raises(SheetUnavailable, match=r"not ready within 2\.5 s"):
        await maker.make(reel)
    assert time.monotonic() - started < 5  # 2.5 s, and a generous margin
    maker.close()


async def test_a_slow_download_is_cut_at_its_own_timeout(
    fake_vod: FakeVod, vod: VodClient, reel: list[Frame]
) -> None:
    fake_vod.latency[reel[0].url.removeprefix(fake_vod.url)] = 10
    maker = SheetMaker(vod.http, sign=lambda url: url, download_timeout_s=0.5, budget_s=8)
    with pytest.raises(SheetUnavailable, match=r"frame 1 took over 0\.5 s to download"):
        await maker.make(reel)
    scores = await maker.score(reel)  # scoring goes on without it
    assert scores[0].dropped == "unavailable" and scores[0].score is None
    assert scores[1].score is not None
    maker.close()


async def test_a_refused_or_unreadable_frame_makes_no_sheet_and_says_why(
    fake_vod: FakeVod, maker: SheetMaker, reel: list[Frame]
) -> None:
    fake_vod.fail(reel[2].url.removeprefix(fake_vod.url), status=403)
    with pytest.raises(SheetUnavailable) as refused:
        await maker.make(reel)
    assert refused.value.reason == "frame 3 could not be downloaded (HTTP 403)"
    unlisted = Frame(1, 0, fake_vod.frame_url(ASSET, "sample", 99), False)
    with pytest.raises(SheetUnavailable, match=r"\(HTTP 404\)"):
        await maker.make([unlisted])
    not_a_picture = Frame(1, 0, f"{fake_vod.url}/v1.0/{fake_vod.project_id}/asset/list",
                          False)
    with pytest.raises(SheetUnavailable, match="could not be downloaded"):
        await maker.make([not_a_picture])


def test_the_served_bot_starts_without_pillow(start_bot: StartBot) -> None:
    """Pillow costs memory and start-up time: the first sheet loads it, not the start."""
    bot = start_bot()
    libraries = Path(f"/proc/{bot.process.pid}/maps").read_text()
    assert "/uvloop/" in libraries  # the maps are the served process's
    assert "/PIL/" not in libraries


async def test_a_burst_of_pickers_draws_a_bounded_number_of_sheets_at_once(
    fake_vod: FakeVod, vod: VodClient
) -> None:
    """Six pickers of six videos at once: the CDN is asked for two sheets' frames, and the
    others only once one of those is drawn (memory and CPU held to two sheets)."""
    pages = []
    for n in range(6):
        asset = fake_vod.add_reel(f"{n:x}" * 32, f"Reel {n}", first_scene=n)
        pages.append([Frame(number=i, offset=offset, url=url, is_current=False)
                      for i, (offset, url) in enumerate(sorted(asset.snapshots["sample"]), 1)])
    fake_vod.latency[".jpg"] = 1.5
    maker = SheetMaker(vod.http, sign=lambda url: url, budget_s=30, max_in_making=2)
    making = [asyncio.create_task(maker.make(page)) for page in pages]
    seen, settled = -1, 0
    while settled < 3:  # the requests stop coming while the first sheets' frames are slow
        await asyncio.sleep(0.2)
        count = len(fake_vod.frame_requests)
        seen, settled = count, settled + 1 if count == seen else 0
    assert seen == 2 * 12
    sheets = await asyncio.gather(*making)
    assert len(fake_vod.frame_requests) == 6 * 12
    assert all(len(sheet.scores) == 12 for sheet in sheets)
    maker.close()
