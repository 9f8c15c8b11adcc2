"""The contact sheet in Slack (`bot.slack.sheets`): uploaded once per sheet with no channel,
deleted after its lifetime by whichever process runs next, on SQLite and PostgreSQL, against
the fake Slack's real file-upload calls and frames served over HTTP."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image
from slack_sdk.web.async_client import AsyncWebClient

from bot.sheet import Frame, SheetMaker
from bot.slack.blocks.picker import Fallback
from bot.slack.sheets import SHEET_LIFETIME, SheetUploads, ShownSheet
from bot.store import AuditStore
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.slack_requests import BOT_TOKEN

REEL_ASSET = "5e1ec7ed0000000000000000000000aa"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def make_uploads(
    fake_slack: FakeSlack, audit_store: AuditStore, http: httpx.AsyncClient
) -> Callable[..., SheetUploads]:
    """`make_uploads(**parameters)`: a process's uploader on the test's store (call it again
    for a restarted process)."""

    def make(**parameters: object) -> SheetUploads:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
        maker = SheetMaker(http, sign=str)
        return SheetUploads(client=client, store=audit_store, maker=maker, **parameters)  # type: ignore[arg-type]

    return make


async def test_the_same_frames_are_composed_and_uploaded_once(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, frames: list[Frame]
) -> None:
    uploads = make_uploads()
    first = await uploads.show(frames)
    again = await uploads.show(list(frames))
    assert isinstance(first, ShownSheet) and again == first
    (upload,) = fake_slack.completed_uploads()
    assert upload.id == first.file_id and upload.shared_to is None  # private to the app
    with Image.open(io.BytesIO(upload.data)) as picture:
        assert picture.width >= 800
    other_cover = [Frame(f.number, f.offset, f.url, is_current=f.number == 3) for f in frames]
    assert (await uploads.show(other_cover)) != first
    assert len(fake_slack.completed_uploads()) == 2


async def test_without_files_write_no_sheet_is_made_for_a_while(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, frames: list[Frame]
) -> None:
    fake_slack.bot_scopes.remove("files:write")
    uploads = make_uploads()
    assert await uploads.show(frames) is Fallback.NO_SCOPE
    assert await uploads.show(frames[:4]) is Fallback.NO_SCOPE
    assert len(fake_slack.api_calls("files.getUploadURLExternal")) == 1
    assert fake_slack.completed_uploads() == []


async def test_a_refused_upload_is_no_sheet_and_is_not_remembered(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, frames: list[Frame]
) -> None:
    uploads = make_uploads()
    fake_slack.token_error = "invalid_auth"
    assert await uploads.show(frames) is Fallback.UPLOAD
    fake_slack.token_error = None
    assert isinstance(await uploads.show(frames), ShownSheet)


async def test_sheets_are_deleted_after_a_day_also_by_a_restarted_process(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, frames: list[Frame]
) -> None:
    clock = Clock()
    before = make_uploads(clock=clock)
    shown = await before.show(frames)
    assert isinstance(shown, ShownSheet)
    assert await before.delete_old() == 0

    clock.now += SHEET_LIFETIME + timedelta(minutes=1)
    after_restart = make_uploads(clock=clock)  # knows nothing but the store
    assert await after_restart.delete_old() == 1
    assert [f.deleted for f in fake_slack.completed_uploads()] == [True]
    (call,) = fake_slack.api_calls("files.delete")
    assert call.body["file"] == shown.file_id
    assert await after_restart.delete_old() == 0  # forgotten once deleted

    again = await after_restart.show(frames)  # shown after its deletion: uploaded again
    assert isinstance(again, ShownSheet) and again.file_id != shown.file_id
    assert len(fake_slack.completed_uploads()) == 2


async def test_a_cached_sheet_is_not_shown_once_it_may_be_deleted(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, frames: list[Frame]
) -> None:
    clock = Clock()
    uploads = make_uploads(clock=clock, lifetime=timedelta(hours=2))
    first = await uploads.show(frames)
    clock.now += timedelta(minutes=59)
    assert await uploads.show(frames) == first
    clock.now += timedelta(minutes=2)  # past half its lifetime: a new upload
    assert await uploads.show(frames) != first
    assert len(fake_slack.completed_uploads()) == 2


async def test_a_file_slack_no_longer_has_counts_as_deleted(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, audit_store: AuditStore
) -> None:
    clock = Clock()
    await audit_store.add_upload("F0GONE", clock.now - SHEET_LIFETIME * 2)
    uploads = make_uploads(clock=clock)
    assert await uploads.delete_old() == 1
    assert await audit_store.uploads_before(clock.now) == []


async def test_a_refused_deletion_is_tried_again_next_time(
    make_uploads: Callable[..., SheetUploads], fake_slack: FakeSlack, audit_store: AuditStore,
    frames: list[Frame],
) -> None:
    clock = Clock()
    uploads = make_uploads(clock=clock)
    shown = await uploads.show(frames)
    assert isinstance(shown, ShownSheet)
    clock.now += SHEET_LIFETIME * 2
    fake_slack.token_error = "ratelimited"
    assert await uploads.delete_old() == 0
    assert await audit_store.uploads_before(clock.now) == [shown.file_id]
    fake_slack.token_error = None
    assert await uploads.delete_old() == 1


@pytest.fixture
def frames(fake_vod: FakeVod) -> list[Frame]:
    """The 12 frames of the demo reel, served by the fake VOD, as one page in offset order."""
    asset = fake_vod.add_reel(REEL_ASSET, "Reel")
    listed = sorted((offset, url) for offset, url in asset.snapshots["sample"])
    return [Frame(number, float(offset), url, is_current=url == asset.cover_url)
            for number, (offset, url) in enumerate(listed, 1)]
