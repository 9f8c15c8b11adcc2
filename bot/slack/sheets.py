"""The picker's contact sheet in Slack: made once, uploaded once, deleted a day later.

Slack must host the sheet: in Socket Mode the bot has no public URL, and the frames of a
protected VOD account must not be made public. So the sheet is uploaded with slack_sdk's
`files_upload_v2` (`files.getUploadURLExternal`, the upload, `files.completeUploadExternal`)
with no channel: the file stays private to the app, and the picker shows it with an image
block whose `slack_file` is its id.

`SheetUploads.show(frames)` answers the file id and the suggested frames, or why there is
no sheet (`Fallback`: the picker is then compact rows). The same frames shown again (the
same URLs, numbers, times and current cover) reuse the upload: a bounded cache per process,
one upload at a time per sheet. A token without `files:write` is remembered for a while, so
pickers do not compose sheets Slack will refuse.

Sheets are not kept: each upload is a `slack_uploads` row, and every serving process
deletes (`files.delete`) the files older than `SHEET_LIFETIME`, whichever process uploaded
them, also after a restart. A sheet is reused from the cache for half its lifetime, so a
picker's picture outlives the picker (an ephemeral message) by half a day at least.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sheet import Frame, SheetMaker, SheetUnavailable
from bot.slack.blocks.picker import Fallback
from bot.store import AuditStore, StoreUnavailable

log = logging.getLogger(__name__)

#: How long an uploaded sheet is kept in Slack before the bot deletes it.
SHEET_LIFETIME = timedelta(days=1)
#: How often a serving process looks for sheets to delete.
DELETE_EVERY_S = 600.0
#: Sheets remembered per process (a few KB each in memory; the pictures live in Slack).
CACHE_SIZE = 512
#: The upload's own bound, after the sheet is made within `SheetMaker`'s budget.
UPLOAD_BUDGET_S = 5.0
#: After Slack said the token lacks `files:write`, no sheet is tried for this long.
SCOPE_RETRY_S = 300.0
#: Slack's answers to `files.delete` that mean there is nothing left to delete.
_GONE = frozenset({"file_not_found", "file_deleted"})


@dataclass(frozen=True)
class ShownSheet:
    """A sheet Slack holds: the image block's `slack_file` id, and the starred frames."""

    file_id: str
    suggested: frozenset[str]
    uploaded_at: datetime


SheetKey = tuple[Frame, ...]


class SheetUploads:
    """One per serving process: the cache, the uploads and the deletions."""

    def __init__(
        self, *, client: AsyncWebClient, store: AuditStore, maker: SheetMaker,
        lifetime: timedelta = SHEET_LIFETIME, delete_every_s: float = DELETE_EVERY_S,
        cache_size: int = CACHE_SIZE, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.store = store
        self.maker = maker
        self.lifetime = lifetime
        self.delete_every_s = delete_every_s
        self.cache_size = cache_size
        self.clock = clock
        self._cache: OrderedDict[SheetKey, ShownSheet] = OrderedDict()
        self._making: dict[SheetKey, asyncio.Future[ShownSheet | Fallback]] = {}
        self._no_scope_until = 0.0
        #: Uploads whose row could not be written yet (the store was away): written later.
        self._unrecorded: dict[str, datetime] = {}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- showing --------------------------------------------------------------------
    async def show(self, frames: Sequence[Frame]) -> ShownSheet | Fallback:
        """The uploaded sheet of `frames`, made and uploaded only if this process has not
        shown the same frames lately; else why there is none."""
        key = tuple(frames)
        cached = self._cache.get(key)
        if cached is not None and self.clock() - cached.uploaded_at < self.lifetime / 2:
            self._cache.move_to_end(key)
            return cached
        if time.monotonic() < self._no_scope_until:
            return Fallback.NO_SCOPE
        making = self._making.get(key)
        if making is None:  # one upload per sheet: others showing the same frames wait for it
            making = self._making[key] = asyncio.ensure_future(self._make_and_upload(key))
            making.add_done_callback(lambda _: self._making.pop(key, None))
        return await asyncio.shield(making)

    def refused(self, sheet: ShownSheet) -> None:
        """Slack would not show this sheet in a message: do not offer it again."""
        for key, cached in list(self._cache.items()):
            if cached.file_id == sheet.file_id:
                del self._cache[key]

    async def _make_and_upload(self, key: SheetKey) -> ShownSheet | Fallback:
        try:
            sheet = await self.maker.make(key)
        except SheetUnavailable as exc:
            log.info("no contact sheet (%s); the picker shows compact rows", exc.reason)
            return Fallback.FRAMES
        except Exception:  # a picker is still owed: compact rows, and the defect logged
            log.exception("making the contact sheet failed; the picker shows compact rows")
            return Fallback.FRAMES
        alt = f"Contact sheet of {len(key)} frames, numbered 1 to {len(key)} in button order"
        try:
            async with asyncio.timeout(UPLOAD_BUDGET_S):
                answer = await self.client.files_upload_v2(
                    file=sheet.image, filename=sheet.filename, title="Frames", alt_txt=alt)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error == "missing_scope":
                self._no_scope_until = time.monotonic() + SCOPE_RETRY_S
                log.warning("Slack refused the contact sheet: the bot token lacks files:write "
                            "(reinstall the app from manifest.yaml); pickers show compact rows")
                return Fallback.NO_SCOPE
            log.warning("Slack refused the contact sheet upload: %s", error)
            return Fallback.UPLOAD
        except (SlackRequestError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("uploading the contact sheet failed: %s", type(exc).__name__)
            return Fallback.UPLOAD
        shown = ShownSheet(str(answer["file"]["id"]), sheet.suggested, self.clock())
        await self._record(shown.file_id, shown.uploaded_at)
        self._cache[key] = shown
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return shown

    async def _record(self, file_id: str, uploaded_at: datetime) -> None:
        try:
            await self.store.add_upload(file_id, uploaded_at)
        except StoreUnavailable as exc:
            log.warning("could not record upload %s yet (tried again later): %s", file_id, exc)
            self._unrecorded[file_id] = uploaded_at

    # ---- deleting -------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop deleting: what is left waits in the store for the next process."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.delete_old()
            except StoreUnavailable as exc:
                log.warning("deleting old contact sheets: %s", exc)
            except Exception:
                log.exception("deleting old contact sheets failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.delete_every_s)

    async def delete_old(self) -> int:
        """Delete the uploaded files older than the lifetime, from Slack and the store; how
        many. A file Slack no longer has counts as deleted; any other refusal waits for the
        next round."""
        for file_id, uploaded_at in list(self._unrecorded.items()):
            await self.store.add_upload(file_id, uploaded_at)
            del self._unrecorded[file_id]
        deleted = 0
        for file_id in await self.store.uploads_before(self.clock() - self.lifetime):
            try:
                await self.client.files_delete(file=file_id)
            except SlackApiError as exc:
                error = str(exc.response.get("error"))
                if error not in _GONE:
                    log.warning("Slack did not delete contact sheet %s: %s", file_id, error)
                    continue
            except (SlackRequestError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("deleting contact sheet %s failed: %s", file_id, type(exc).__name__)
                continue
            await self.store.forget_upload(file_id)
            deleted += 1
        if deleted:
            log.info("deleted %d contact sheet(s) older than %s from Slack", deleted,
                     self.lifetime)
        return deleted
