"""`SheetMaker`: download a page's frames, score them and compose the sheet, within bounds.

Downloads go over the process's HTTP client (signed with `sign` when the VOD domain has
hotlink protection; cached by the URL as VOD lists it, so a signature's time never splits
the cache). Decoding, scoring and drawing run on a small thread pool, never on the event
loop: Pillow releases the GIL while it works. Each download gets `download_timeout_s`, the
whole sheet `budget_s`; past either, or on any failure, `SheetUnavailable` says why and the
caller shows its fallback. Pillow is imported by the first sheet, not at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import httpx

from bot.sheet.model import (
    MAX_FRAMES,
    ContactSheet,
    Frame,
    FrameScore,
    SheetUnavailable,
    suggest,
)

if TYPE_CHECKING:
    from PIL import Image

    from bot.sheet.scoring import Measures

log = logging.getLogger(__name__)
Result = TypeVar("Result")

#: About 40 snapshots of 1280x720 (real ones are 50-150 KB): the pages of the few videos
#: being worked on, whose sheets are made again when their cover changes. Slack keeps the
#: sheets themselves, so a larger cache would mostly hold frames never asked for again.
DEFAULT_CACHE_BYTES = 4 * 1024 * 1024
#: A snapshot larger than this is not a snapshot; it is not read to the end.
MAX_FRAME_BYTES = 8 * 1024 * 1024
#: Decoding past this many pixels is refused (a 4K frame is 8.3 M): a bounded decode.
MAX_FRAME_PIXELS = 16_000_000
#: Two cores can each run Pillow in parallel; more threads would only queue.
WORKERS = 2
WORKER_NICENESS = 10
#: Sheets in the making at once; more wait for a turn within their own budget. Each holds
#: its page's downloads and decoded tiles, and two cores draw two sheets at a time, so a
#: burst of pickers of different videos costs this many sheets of memory and CPU, not one
#: per picker: the ones past the budget show compact rows instead of drawing in vain.
MAX_SHEETS_IN_MAKING = 3
FILENAME = "contact-sheet.jpg"


class FrameCache:
    """Downloaded frames by unsigned URL, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    def get(self, url: str) -> bytes | None:
        data = self._entries.get(url)
        if data is not None:
            self._entries.move_to_end(url)
        return data

    def put(self, url: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        old = self._entries.pop(url, None)
        self.bytes += len(data) - (len(old) if old is not None else 0)
        self._entries[url] = data
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class _Decoded:
    """A frame as the pool hands it back: its measures and its tile-sized picture."""

    measures: Measures
    small: Image.Image


class SheetMaker:
    """Owns the frame download cache and the thread pool; one per process."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        sign: Callable[[str], str],
        *,
        download_timeout_s: float = 3.0,
        budget_s: float = 2.5,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        max_in_making: int = MAX_SHEETS_IN_MAKING,
    ) -> None:
        self._http = http
        self._sign = sign
        self._download_timeout_s = download_timeout_s
        self._budget_s = budget_s
        self.cache = FrameCache(cache_bytes)
        self._turns = asyncio.Semaphore(max_in_making)
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sheet",
                                        initializer=_yield_to_the_event_loop)

    def close(self) -> None:
        """Stop the pool's threads (work under way is abandoned)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def make(self, frames: Sequence[Frame]) -> ContactSheet:
        """The page's contact sheet; `SheetUnavailable` past the budget (its wait for a turn
        included) or on any failure."""
        if not 1 <= len(frames) <= MAX_FRAMES:
            raise ValueError(f"a sheet shows 1 to {MAX_FRAMES} frames, not {len(frames)}")
        try:
            async with asyncio.timeout(self._budget_s), self._turns:
                decoded = await self._gather(frames)
                return await self._in_pool(_compose, frames, decoded)
        except TimeoutError:
            raise SheetUnavailable(
                f"the frames were not ready within {self._budget_s:g} s") from None

    async def score(self, frames: Sequence[Frame]) -> list[FrameScore]:
        """Each frame's score, in order; a frame that cannot be downloaded or read is
        `unavailable` (the others are still scored)."""
        async def measured(frame: Frame) -> Measures | None:
            try:
                return (await self._decoded(frame)).measures
            except SheetUnavailable as exc:
                log.info("frame %d not scored: %s", frame.number, exc.reason)
                return None

        measures = await asyncio.gather(*(measured(frame) for frame in frames))
        return _scores(frames, measures)

    async def _gather(self, frames: Sequence[Frame]) -> list[_Decoded]:
        """Every frame downloaded and decoded, concurrently; the first failure cancels the
        rest."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._decoded(frame)) for frame in frames]
        except* SheetUnavailable as failures:
            raise failures.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _decoded(self, frame: Frame) -> _Decoded:
        data = await self._download(frame)
        return await self._in_pool(_decode, frame, data)

    async def _download(self, frame: Frame) -> bytes:
        cached = self.cache.get(frame.url)
        if cached is not None:
            return cached
        failed = f"frame {frame.number} could not be downloaded"
        try:
            async with asyncio.timeout(self._download_timeout_s):
                data = await self._fetch(frame)
        except TimeoutError:
            raise SheetUnavailable(
                f"frame {frame.number} took over {self._download_timeout_s:g} s to download"
            ) from None
        except httpx.HTTPError as exc:  # its text would show the signed URL
            raise SheetUnavailable(f"{failed} ({type(exc).__name__})") from None
        self.cache.put(frame.url, data)
        return data

    async def _fetch(self, frame: Frame) -> bytes:
        # auth=None: the VOD client's credentials are for VOD's API, never for its CDN.
        async with self._http.stream(
            "GET", self._sign(frame.url), auth=None, headers={"Accept": "image/*"},
            timeout=self._download_timeout_s, follow_redirects=False,
        ) as response:
            if response.status_code != 200:
                raise SheetUnavailable(
                    f"frame {frame.number} could not be downloaded (HTTP "
                    f"{response.status_code})")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_FRAME_BYTES:
                    raise SheetUnavailable(f"frame {frame.number} is over "
                                           f"{MAX_FRAME_BYTES // 2**20} MiB")
                chunks.append(chunk)
        return b"".join(chunks)

    async def _in_pool(self, work: Callable[..., Result], *args: object) -> Result:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)


# ---- in the pool ---------------------------------------------------------------------

def _yield_to_the_event_loop() -> None:
    """Lower this worker thread's CPU priority (Linux: niceness is per thread), so that on a
    busy machine Slack's acknowledgements on the event loop win the core, not the drawing."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


def _decode(frame: Frame, data: bytes) -> _Decoded:
    """Decode, measure at full size, shrink to a tile."""
    from PIL import Image, UnidentifiedImageError

    from bot.sheet.compose import thumbnail
    from bot.sheet.scoring import measure

    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            if width * height > MAX_FRAME_PIXELS:
                raise SheetUnavailable(f"frame {frame.number} is {width}x{height} pixels, "
                                       "too large for a snapshot")
            opened.load()
            picture = opened if opened.mode == "RGB" else opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise SheetUnavailable(f"frame {frame.number} is not a picture that can be read") \
            from None
    return _Decoded(measure(picture), thumbnail(picture))


def _compose(frames: Sequence[Frame], decoded: Sequence[_Decoded]) -> ContactSheet:
    from bot.sheet.compose import compose

    scores = _scores(frames, [d.measures for d in decoded])
    suggested = suggest(scores)
    image = compose(frames, [d.small for d in decoded], suggested)
    return ContactSheet(image=image, filename=FILENAME, suggested=suggested,
                        scores=tuple(scores))


def _scores(frames: Sequence[Frame], measures: Sequence[Measures | None]) -> list[FrameScore]:
    from bot.sheet.scoring import rank

    return [
        FrameScore(frame.url, score,
                   "unavailable" if m is None else None if score is not None else m.dropped)
        for frame, m, score in zip(frames, measures, rank(measures), strict=True)
    ]
