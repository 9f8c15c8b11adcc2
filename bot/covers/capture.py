"""New snapshots at chosen times: start VOD's snapshot task, follow it, record how it ended
(and the cover it set, as a change of its own)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, assert_never

from bot.covers.outcomes import (
    Actor,
    BadTimes,
    Captured,
    CaptureFailed,
    CaptureLimited,
    CaptureOutcome,
    CaptureRepeated,
    CaptureTimedOut,
    Changed,
    Failed,
    NotRecorded,
)
from bot.store import (
    Attempt,
    AuditStore,
    CaptureAttempt,
    CaptureLimitReached,
    CaptureRules,
    CaptureStatus,
    SameCapture,
    Source,
    StoreUnavailable,
)
from bot.timecodes import TimecodeError, check_within
from bot.vod.client import VodClient
from bot.vod.errors import VodError, error_label, request_label
from bot.vod.models import Asset, ThumbnailStatus

log = logging.getLogger(__name__)

#: Called once VOD has accepted a capture's snapshot task (to say it is under way).
Started = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class CaptureWait:
    """How a snapshot task is followed: poll every `poll_s`, backing off, for `timeout_s`."""

    timeout_s: float = 300.0
    poll_s: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.poll_s
        while True:
            yield delay
            delay = min(delay * 1.5, self.poll_s * 10)


@dataclass(frozen=True)
class Captures:
    """Runs a capture someone may make (the cover service authorizes first)."""

    vod: VodClient
    store: AuditStore
    wait: CaptureWait
    rules: CaptureRules

    async def capture(
        self, actor: Actor, asset_id: str, seconds: Sequence[int], *, source: Source,
        key: str | None = None, limited: bool = True, started: Started | None = None,
    ) -> CaptureOutcome:
        """Ask VOD for snapshots at `seconds` and follow the task until it ends.

        Recorded before anything is asked of VOD, so that the same capture (the same
        request `key`, or asset and times) is `CaptureRepeated` and a user past the
        hourly limit (`limited`: a Slack user, not the operator's command line) is
        `CaptureLimited`, neither calling VOD. Times past the video's end are refused
        before the task is started. VOD's request errors become `Failed`;
        THUMBNAIL_FAILED becomes `CaptureFailed` with VOD's reason. `started` is awaited
        once VOD has accepted the task, and only then: a repeat or a refusal starts nothing.
        """
        rules = self.rules if limited else replace(self.rules, per_hour=None)
        if rules.per_hour == 0:
            return CaptureLimited(0, None)
        try:
            capture_id = await self.store.begin_capture(CaptureAttempt(
                team_id=actor.team_id, channel_id=actor.channel_id, user_id=actor.user_id,
                asset_id=asset_id, seconds=tuple(seconds), source=source,
                idempotency_key=key,
            ), rules)
        except SameCapture as exc:
            log.info("capture of %s at %s by %s not asked again: capture %s is %s",
                     asset_id, list(seconds), actor.user_id, exc.existing.id,
                     exc.existing.status)
            return CaptureRepeated(exc.existing)
        except CaptureLimitReached as exc:
            log.info("capture of %s by %s refused: %d in the last hour", asset_id,
                     actor.user_id, exc.per_hour)
            return CaptureLimited(exc.per_hour, exc.next_at)
        except StoreUnavailable as exc:
            log.error("capture refused, audit store unavailable: %s", exc)
            return NotRecorded(str(exc))
        try:
            before = await self.vod.get_asset(asset_id)
            check_within(seconds, before.duration)
        except (VodError, TimecodeError) as exc:
            await self._cancel(capture_id)
            return Failed(asset_id, exc) if isinstance(exc, VodError) else BadTimes(str(exc))
        request_id: str | None = None
        try:
            request_id = await self.vod.capture(asset_id, seconds)
            log.info("capture %s of %s at %s by %s (%s) started [%s]", capture_id, asset_id,
                     list(seconds), actor.user_id, source, request_label(request_id))
            if started is not None:
                await started()
            outcome = await self._follow(before)
        except VodError as exc:
            log.warning("capture %s of %s by %s failed: %s", capture_id, asset_id,
                        actor.user_id, error_label(exc))
            await self._finish(capture_id, CaptureStatus.FAILED, error_code=exc.code,
                               error_msg=exc.message, request_id=exc.request_id or request_id)
            return Failed(asset_id, exc)
        match outcome:
            case Captured():
                await self._finish(capture_id, CaptureStatus.SUCCEEDED,
                                   new_snapshots=len(outcome.new), request_id=request_id)
                if outcome.replaced_by is not None:
                    outcome = replace(outcome, changed=await self._record_cover(
                        capture_id, actor, outcome, outcome.replaced_by, request_id))
            case CaptureFailed():
                await self._finish(capture_id, CaptureStatus.FAILED,
                                   error_code="THUMBNAIL_FAILED", error_msg=outcome.reason,
                                   request_id=request_id)
            case CaptureTimedOut():
                await self._finish(capture_id, CaptureStatus.TIMED_OUT, request_id=request_id)
            case _:
                assert_never(outcome)
        return outcome

    async def _record_cover(
        self, capture_id: int, actor: Actor, captured: Captured, cover: str,
        request_id: str | None,
    ) -> Changed:
        """VOD's task made `cover` the cover: on record as a change of its own (source
        `capture`, once per capture), so that history shows it and it is undone like any
        change. Not recorded (store down), it is still told, without an Undo."""
        asset = captured.asset
        change_id: int | None = None
        try:
            change_id = await self.store.record_capture_change(Attempt(
                idempotency_key=f"capture:{capture_id}", team_id=actor.team_id,
                channel_id=actor.channel_id, user_id=actor.user_id, asset_id=asset.asset_id,
                snapshot_url=cover, source=Source.CAPTURE,
            ), asset_title=asset.title, previous_cover_url=captured.cover_replaced,
                request_id=request_id)
            log.info("change %s: cover of %s set by VOD's snapshot task (capture %s by %s) "
                     "to %s", change_id, asset.asset_id, capture_id, actor.user_id, cover)
        except StoreUnavailable:
            log.exception("could not record the cover capture %s made", capture_id)
        return Changed(
            asset_id=asset.asset_id, asset_title=asset.title, snapshot_url=cover,
            previous_cover_url=captured.cover_replaced, request_id=request_id,
            change_id=change_id, frame=asset.frame_of(cover),
            previous_frame=asset.frame_of(captured.cover_replaced),
        )

    async def _cancel(self, capture_id: int) -> None:
        """VOD was not asked after all: the capture is withdrawn (best effort: left
        pending, it is resolved as stale later)."""
        try:
            await self.store.cancel_capture(capture_id)
        except StoreUnavailable:
            log.warning("could not withdraw capture %s, never asked of VOD", capture_id)

    async def _finish(self, capture_id: int, status: CaptureStatus, **values: Any) -> None:
        """Record how a capture ended; a failure to record is logged, VOD already acted."""
        try:
            await self.store.finish_capture(capture_id, status=status, **values)
        except StoreUnavailable:
            log.exception("could not record the outcome of capture %s (%s)", capture_id, status)

    async def _follow(self, before: Asset) -> Captured | CaptureFailed | CaptureTimedOut:
        """Poll the asset until its snapshot task ends or the wait runs out."""
        wait = self.wait
        started = time.monotonic()
        seen_running = False
        status: ThumbnailStatus | None = before.thumbnail_status
        for delay in wait.delays():
            waited = time.monotonic() - started
            if waited + delay > wait.timeout_s:
                return CaptureTimedOut(before.asset_id, waited, status)
            await asyncio.sleep(delay)
            after = await self.vod.get_asset(before.asset_id)
            status = after.thumbnail_status
            new = [s for s in after.snapshots if s.url not in before.snapshot_urls]
            if status == ThumbnailStatus.THUMBNAILING:
                seen_running = True
            elif status == ThumbnailStatus.FAILED and (
                seen_running or before.thumbnail_status != ThumbnailStatus.FAILED
            ):
                return CaptureFailed(before.asset_id, after.exec_desc or "no reason given")
            elif status == ThumbnailStatus.SUCCEEDED and (new or seen_running):
                replaced = after.cover_url != before.cover_url
                return Captured(after, new, cover_replaced=before.cover_url if replaced else None,
                                replaced_by=after.cover_url if replaced else None)
        raise AssertionError("unreachable: delays() never ends")
