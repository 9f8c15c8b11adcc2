"""The one path that changes a cover: authorize → record pending → VOD → record the outcome.

The slash command, the buttons and the command line all call `CoverService.change`, so
every change is authorized the same way, goes through the same client and is on record.
No record, no change: if the store cannot be written, VOD is never called.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_random_exponential,
)

from bot import metrics, observe
from bot.config import Settings
from bot.policy import Decision, Policy
from bot.sheet import SheetMaker
from bot.store import (
    AssetBusy,
    Attempt,
    AuditStore,
    CaptureAttempt,
    CaptureStatus,
    ChangeRecord,
    DuplicateChange,
    Source,
    Status,
    StoreUnavailable,
)
from bot.store.audit import INTERRUPTED, INTERRUPTED_MSG
from bot.text import shorten, visible
from bot.timecodes import TimecodeError, check_within
from bot.vod.client import VodClient
from bot.vod.errors import SnapshotNotListed, SnapshotUrlError, VodError, VodOutcomeUnknown
from bot.vod.models import Asset, AssetSummary, Snapshot, ThumbnailStatus
from bot.vod.snapshot_url import SnapshotRef, parse_snapshot_url

log = logging.getLogger(__name__)

#: An outcome VOD gave while the store was down is written once the store is back: tried
#: with backoff (at most this far apart) for this long, and at shutdown for the flush time.
LATE_WRITE_MAX_WAIT_S = 5.0
LATE_WRITE_BUDGET_S = 600.0
LATE_WRITE_FLUSH_S = 2.0


@dataclass(frozen=True)
class Actor:
    """Who asks, and where: the three things the policy decides on."""

    team_id: str
    channel_id: str
    user_id: str


@dataclass(frozen=True)
class CoverRequest:
    """A change to make. `asset_id`: the asset the asker means (a picker's); None takes it
    from the URL. `undoes`: the change an undo puts back the cover of."""

    actor: Actor
    snapshot_url: str
    source: Source
    idempotency_key: str
    asset_id: str | None = None
    undoes: int | None = None
    #: Where to tell the channel that the new cover is live (an interaction's
    #: `response_url`: a capability, kept out of reprs); None: nobody to tell (the CLI).
    reply_to: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CdnRefresh:
    """The CDN refresh asked for after a change: VOD's `task_id`, or why VOD refused."""

    task_id: str | None = None
    refused: str | None = None


@dataclass(frozen=True)
class Changed:
    asset_id: str
    asset_title: str
    snapshot_url: str
    previous_cover_url: str | None
    request_id: str | None
    change_id: int | None = None
    #: None when CDN refreshes are off (`VOD_REFRESH_CDN=false`).
    cdn: CdnRefresh | None = None


@dataclass(frozen=True)
class Failed:
    asset_id: str
    error: VodError


@dataclass(frozen=True)
class Unknown:
    """VOD was sent the change and never confirmed it: the cover may or may not be live.

    Sending the same change again is safe (setting the same cover twice changes nothing).
    """

    asset_id: str
    error: VodOutcomeUnknown


@dataclass(frozen=True)
class Denied:
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """The same request (same idempotency key) was already taken; nothing was done again."""

    existing: ChangeRecord


@dataclass(frozen=True)
class Busy:
    """Another change of this asset is in flight; this one was not started."""

    pending: ChangeRecord


@dataclass(frozen=True)
class NotRecorded:
    """The audit store could not be written, so the change was refused."""

    reason: str


Outcome = Changed | Failed | Unknown | Denied | Duplicate | Busy | NotRecorded


@dataclass(frozen=True)
class Captured:
    """The snapshot task finished: `new` are the snapshots it made (in offset order).

    `cover_replaced` is the cover before the task when VOD replaced it meanwhile (a
    snapshot task makes one of its snapshots the cover, VOD's `cover_position`), else None.
    """

    asset: Asset
    new: list[Snapshot]
    cover_replaced: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class CaptureFailed:
    """VOD ran the snapshot task and reported THUMBNAIL_FAILED; `reason` is its exec_desc."""

    asset_id: str
    reason: str


@dataclass(frozen=True)
class CaptureTimedOut:
    """VOD had not finished the snapshot task when the bot stopped waiting."""

    asset_id: str
    waited_s: float
    status: str | None


@dataclass(frozen=True)
class BadTimes:
    """The times cannot be captured (e.g. past the end of the video); nothing was sent."""

    problem: str


CaptureOutcome = (
    Captured | CaptureFailed | CaptureTimedOut | BadTimes | Denied | Failed | NotRecorded
)


@dataclass(frozen=True)
class NotUndoable:
    """There is no earlier cover the bot can put back; nothing was sent to VOD."""

    reason: str


@dataclass(frozen=True)
class Undone:
    """The cover the video had before `undone` is back: `changed` is the undo itself."""

    changed: Changed
    undone: ChangeRecord


UndoOutcome = Undone | NotUndoable | Failed | Unknown | Denied | Duplicate | Busy | NotRecorded


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
class RefreshWait:
    """How a CDN refresh task is followed: first look after `poll_s`, backing off to ten
    times that, until `deadline_s` after the change; then the channel hears VOD has not
    confirmed it."""

    poll_s: float = 15.0
    deadline_s: float = 600.0

    def delay(self, attempts: int) -> float:
        """The pause after the `attempts`-th look (0: before the first)."""
        return min(self.poll_s * 1.5 ** max(attempts - 1, 0), self.poll_s * 10)


class CoverService:
    """Authorizes, records and performs cover changes; the Slack app and CLI only call this."""

    def __init__(
        self, *, vod: VodClient, store: AuditStore, policy: Policy, snapshot_hosts: list[str],
        capture_wait: CaptureWait | None = None, refresh_wait: RefreshWait | None = None,
    ) -> None:
        self.vod = vod
        self.store = store
        self.policy = policy
        self.snapshot_hosts = snapshot_hosts
        self.capture_wait = capture_wait or CaptureWait()
        self._late_writes: set[asyncio.Task[None]] = set()
        #: None: no CDN refresh after a change (`VOD_REFRESH_CDN=false`).
        self.refresh_wait = refresh_wait

    async def authorize(self, actor: Actor, *, asset_id: str, source: Source) -> Decision:
        """Ask the policy; a denial is recorded (best effort: a denial needs no record)."""
        decision = await self.policy.check(actor.team_id, actor.channel_id, actor.user_id)
        if not decision.allowed:
            attempt = _attempt(actor, asset_id=asset_id, snapshot_url="", source=source)
            await self._record_refused(attempt, Status.DENIED, decision.reason)
        return decision

    @metrics.CHANGES_IN_FLIGHT.track_inprogress()
    async def change(self, request: CoverRequest, *, apply_policy: bool = True) -> Outcome:
        """Set the cover once, whatever the number of times the same request arrives.

        `apply_policy=False` is the caller's explicit choice not to ask the Slack policy:
        the command line runs with the operator's own cloud credentials, so its changes are
        recorded but not asked about. Raises `SnapshotUrlError`
        for a text that is no snapshot URL, or one of another asset than the one asked for
        (nothing recorded: it names no asset of ours). A URL that parses but is not one of
        the snapshots VOD lists for the asset is a recorded `Failed` (`SnapshotNotListed`);
        either way nothing is sent to VOD but reads.
        """
        ref = parse_snapshot_url(request.snapshot_url, self.snapshot_hosts)
        if request.asset_id is not None and request.asset_id != ref.asset_id:
            raise SnapshotUrlError(
                f"That snapshot belongs to asset `{ref.asset_id}`, not to "
                f"`{visible(request.asset_id)}`."
            )
        actor = request.actor
        decision = (
            await self.policy.check(actor.team_id, actor.channel_id, actor.user_id)
            if apply_policy else Decision(allowed=True, reason="")
        )
        attempt = _attempt(actor, asset_id=ref.asset_id, snapshot_url=ref.url,
                           source=request.source)
        if not decision.allowed:
            await self._record_refused(attempt, Status.DENIED, decision.reason)
            return Denied(decision.reason)

        try:
            change_id = await self.store.begin(
                replace(attempt, idempotency_key=request.idempotency_key, undoes=request.undoes)
            )
        except DuplicateChange as exc:
            await self._record_refused(
                attempt, Status.DUPLICATE, f"the same request as change {exc.existing.id}"
            )
            return Duplicate(exc.existing)
        except AssetBusy as exc:
            await self._record_refused(
                attempt, Status.BUSY,
                f"change {exc.pending.id} by {exc.pending.user_id} of this asset was pending",
            )
            return Busy(exc.pending)
        except StoreUnavailable as exc:
            log.error("cover change refused, audit store unavailable: %s", exc)
            return NotRecorded(str(exc))

        asset: Asset | None = None
        sending = False
        try:
            asset = await self.vod.get_asset(ref.asset_id)
            listed_url = self._listed_url(asset, ref)
            sending = True
            request_id = await self.vod.set_cover(listed_url)
        except VodOutcomeUnknown as exc:
            await self._finish(change_id, Status.UNKNOWN, asset, error=exc)
            log.warning("change %s: cover of %s by %s (%s) to %s not confirmed by VOD: %s",
                        change_id, ref.asset_id, actor.user_id, request.source, ref.url,
                        exc.message)
            return Unknown(ref.asset_id, exc)
        except VodError as exc:
            await self._finish(change_id, Status.FAILED, asset, error=exc)
            log.warning("change %s: cover of %s by %s (%s) failed: %s %s [request id %s]",
                        change_id, ref.asset_id, actor.user_id, request.source, exc.code,
                        exc.message, exc.request_id)
            return Failed(ref.asset_id, exc)
        except BaseException:
            # Stopped (shutdown, crash of the task): once the PUT was on its way, VOD may
            # have acted; before it, VOD surely was not asked.
            status = Status.UNKNOWN if sending else Status.FAILED
            await self._finish(change_id, status, asset, error=None)
            raise
        await self._finish(change_id, Status.SUCCEEDED, asset, request_id=request_id)
        log.info("change %s: cover of %s set by %s (%s) to %s [request id %s]",
                 change_id, ref.asset_id, actor.user_id, request.source, listed_url, request_id)
        return Changed(
            asset_id=ref.asset_id,
            asset_title=asset.title,
            snapshot_url=listed_url,
            previous_cover_url=asset.cover_url,
            request_id=request_id,
            change_id=change_id,
            cdn=await self._refresh_cdn(change_id, asset, request.reply_to),
        )

    async def _refresh_cdn(
        self, change_id: int, asset: Asset, reply_to: str | None
    ) -> CdnRefresh | None:
        """Ask VOD to refresh the CDN for the changed asset and, when there is a channel
        to tell, record the follow-up. The change is done either way: a refusal (quota)
        is logged and returned, never raised."""
        if self.refresh_wait is None:
            return None
        try:
            task_id = await self.vod.refresh_cdn([asset.asset_id])
        except VodError as exc:
            log.warning("change %s: VOD refused to refresh the CDN for %s: %s %s "
                        "[request id %s]", change_id, asset.asset_id, exc.code, exc.message,
                        exc.request_id)
            return CdnRefresh(refused=exc.message)
        log.info("change %s: CDN refresh of %s asked for (task %s)", change_id,
                 asset.asset_id, task_id)
        if reply_to is not None:
            due = datetime.now(UTC) + timedelta(seconds=self.refresh_wait.delay(0))
            try:
                await self.store.add_follow_up(
                    change_id=change_id, asset_id=asset.asset_id, asset_title=asset.title,
                    task_id=task_id, response_url=reply_to, due_at=due)
            except StoreUnavailable:
                log.exception("change %s: could not record the CDN follow-up", change_id)
        return CdnRefresh(task_id=task_id)

    async def undo(
        self, actor: Actor, change_id: int, *, apply_policy: bool = True,
        reply_to: str | None = None,
    ) -> UndoOutcome:
        """Put back the cover the video had before change `change_id`, as a change of its
        own (source `undo`, linked to it), at most once: its key comes from `change_id`.

        The cover to put back is the snapshot of the asset's previous succeeded change on
        record; failing that, the cover VOD reported before the change, if it is a snapshot
        URL (the change itself then checks VOD still lists it). Otherwise `NotUndoable`,
        and VOD is not called.
        """
        try:
            record = await self.store.get(change_id)
            if record is None or record.status is not Status.SUCCEEDED:
                return NotUndoable(f"Change {change_id} is not on record as a cover change "
                                   "that succeeded, so there is nothing to undo.")
            previous = await self.store.previous_success(record.asset_id, before=record.id)
        except StoreUnavailable as exc:
            return NotRecorded(str(exc))
        if apply_policy:  # off only by the caller's choice (the CLI), as for `change`
            decision = await self.authorize(actor, asset_id=record.asset_id, source=Source.UNDO)
            if not decision.allowed:
                return Denied(decision.reason)
        target = previous.snapshot_url if previous else record.previous_cover_url
        if target is None:
            return NotUndoable(f"VOD reported no cover before change {change_id}, so there "
                               "is no earlier cover to put back.")
        if previous is None:
            try:
                parse_snapshot_url(target, self.snapshot_hosts)
            except SnapshotUrlError:
                return NotUndoable(
                    f"The cover before change {change_id} was not one of the video's "
                    "snapshots (an image uploaded in the VOD console, say), and only "
                    "snapshots can be set from here. Pick one with "
                    f"`/setcover {record.asset_id}`.")
            asset = await self.vod.get_asset(record.asset_id)
            if target not in asset.snapshot_urls:
                return NotUndoable(f"The cover before change {change_id} is no longer one of "
                                   "the video's snapshots, so it cannot be put back.")
        outcome = await self.change(CoverRequest(
            actor=actor, snapshot_url=target, source=Source.UNDO,
            idempotency_key=f"undo:{change_id}", undoes=change_id, reply_to=reply_to,
        ), apply_policy=apply_policy)
        return Undone(outcome, record) if isinstance(outcome, Changed) else outcome

    async def capture(
        self, actor: Actor, asset_id: str, seconds: Sequence[int], *, source: Source,
        apply_policy: bool = True,
    ) -> CaptureOutcome:
        """Ask VOD for snapshots at `seconds` and follow the task until it ends.

        Snapshots cost money, so Slack users are authorized as for a change. Times past the
        video's end are refused before the task is started. VOD's request errors become
        `Failed`; THUMBNAIL_FAILED becomes `CaptureFailed` with VOD's reason.
        """
        if apply_policy:  # off only by the caller's choice, as for `change`
            decision = await self.authorize(actor, asset_id=asset_id, source=source)
            if not decision.allowed:
                return Denied(decision.reason)
        try:
            before = await self.vod.get_asset(asset_id)
        except VodError as exc:
            return Failed(asset_id, exc)
        try:
            check_within(seconds, before.duration)
        except TimecodeError as exc:
            return BadTimes(str(exc))
        try:
            capture_id = await self.store.begin_capture(CaptureAttempt(
                team_id=actor.team_id, channel_id=actor.channel_id, user_id=actor.user_id,
                asset_id=before.asset_id, seconds=tuple(seconds), source=source,
            ))
        except StoreUnavailable as exc:
            log.error("capture refused, audit store unavailable: %s", exc)
            return NotRecorded(str(exc))
        request_id: str | None = None
        try:
            request_id = await self.vod.capture(asset_id, seconds)
            log.info("capture %s of %s at %s by %s (%s) started [request id %s]", capture_id,
                     asset_id, list(seconds), actor.user_id, source, request_id)
            outcome = await self._follow_capture(before)
        except VodError as exc:
            log.warning("capture %s of %s by %s failed: %s %s [request id %s]", capture_id,
                        asset_id, actor.user_id, exc.code, exc.message, exc.request_id)
            await self._finish_capture(capture_id, CaptureStatus.FAILED, error_code=exc.code,
                                       error_msg=exc.message,
                                       request_id=exc.request_id or request_id)
            return Failed(asset_id, exc)
        match outcome:
            case Captured():
                await self._finish_capture(capture_id, CaptureStatus.SUCCEEDED,
                                           new_snapshots=len(outcome.new), request_id=request_id)
            case CaptureFailed():
                await self._finish_capture(capture_id, CaptureStatus.FAILED,
                                           error_code="THUMBNAIL_FAILED",
                                           error_msg=outcome.reason, request_id=request_id)
            case _:
                await self._finish_capture(capture_id, CaptureStatus.TIMED_OUT,
                                           request_id=request_id)
        return outcome

    async def _finish_capture(self, capture_id: int, status: CaptureStatus, **values: Any) -> None:
        """Record how a capture ended; a failure to record is logged, VOD already acted."""
        try:
            await self.store.finish_capture(capture_id, status=status, **values)
        except StoreUnavailable:
            log.exception("could not record the outcome of capture %s (%s)", capture_id, status)

    async def _follow_capture(self, before: Asset) -> CaptureOutcome:
        """Poll the asset until its snapshot task ends or the wait runs out."""
        wait = self.capture_wait
        started = time.monotonic()
        seen_running = False
        status: str | None = before.thumbnail_status
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

    def _listed_url(self, asset: Asset, ref: SnapshotRef) -> str:
        """VOD's own text of the snapshot `ref` names, which is what is sent back to VOD.

        Compared after the same strict parse, so only a URL VOD lists for this asset, and
        that itself passes the parse, can become its cover.
        """
        for snapshot in asset.snapshots:
            try:
                listed = parse_snapshot_url(snapshot.url, self.snapshot_hosts)
            except SnapshotUrlError:
                continue
            if listed.canonical == ref.canonical:
                return snapshot.url
        raise SnapshotNotListed(
            f"`{shorten(ref.url)}` is not one of the snapshots VOD lists for asset "
            f"`{ref.asset_id}`."
        )

    async def get_asset(self, asset_id: str) -> Asset:
        return await self.vod.get_asset(asset_id)

    async def search(self, words: str) -> list[AssetSummary]:
        return await self.vod.search_assets(words)

    async def history(self, asset_id: str, limit: int = 10) -> list[ChangeRecord]:
        return await self.store.history(asset_id, limit=limit)

    async def _finish(
        self,
        change_id: int,
        status: Status,
        asset: Asset | None,
        *,
        error: VodError | None = None,
        request_id: str | None = None,
    ) -> None:
        """Record how the change ended; a failure to record is logged, VOD already acted."""
        code: str | None = error.code if error else None
        message: str | None = error.message if error else None
        if error is None and status is not Status.SUCCEEDED:
            code, message = INTERRUPTED, (
                "the bot stopped before asking VOD" if status is Status.FAILED
                else INTERRUPTED_MSG
            )
        outcome: dict[str, Any] = {
            "status": status,
            "asset_title": asset.title if asset else None,
            "previous_cover_url": asset.cover_url if asset else None,
            "error_code": code,
            "error_msg": message,
            "request_id": error.request_id if error else request_id,
        }
        try:
            await self.store.finish(change_id, **outcome)
        except StoreUnavailable as exc:
            # VOD has answered and the user must hear it now; the record follows as soon
            # as the store is back, so the row does not hold its video until it goes stale.
            log.warning("could not record the outcome of change %s (%s) yet, retrying in "
                        "the background: %s", change_id, status, exc)
            task = asyncio.get_running_loop().create_task(
                self._finish_later(change_id, outcome))
            self._late_writes.add(task)
            task.add_done_callback(self._late_writes.discard)

    async def _finish_later(self, change_id: int, outcome: dict[str, Any]) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(StoreUnavailable),
            wait=wait_random_exponential(multiplier=0.2, max=LATE_WRITE_MAX_WAIT_S),
            stop=stop_after_delay(LATE_WRITE_BUDGET_S),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self.store.finish(change_id, **outcome)
        except StoreUnavailable as exc:
            log.error("gave up recording the outcome of change %s (%s): %s; the row becomes "
                      "unknown once it is stale", change_id, outcome["status"], exc)
            return
        log.info("recorded the outcome of change %s (%s) now that the store is back",
                 change_id, outcome["status"])

    async def aclose(self, grace_s: float = LATE_WRITE_FLUSH_S) -> None:
        """At shutdown, give outcomes still waiting for the store `grace_s`, then stop."""
        if not self._late_writes:
            return
        _, unwritten = await asyncio.wait(set(self._late_writes), timeout=grace_s)
        for task in unwritten:
            task.cancel()
        if unwritten:
            log.error("%d change outcome(s) could not be recorded before shutdown; their "
                      "rows become unknown once stale", len(unwritten))

    async def _record_refused(self, attempt: Attempt, status: Status, reason: str) -> None:
        """Best effort: nothing was done, so a refusal needs no record to be safe."""
        if status is Status.DENIED:
            metrics.DENIALS.labels(source=attempt.source.value).inc()
            observe.note(outcome="denied")
            log.info("denied: %s may not change covers (team %s, channel %s, asset %s, %s)",
                     attempt.user_id, attempt.team_id, attempt.channel_id,
                     attempt.asset_id or "-", attempt.source,
                     extra={"event": "denied", "team": attempt.team_id,
                            "channel": attempt.channel_id, "user": attempt.user_id,
                            "asset": attempt.asset_id or None, "source": attempt.source.value})
        try:
            await self.store.record_refused(attempt, status, reason)
        except StoreUnavailable:
            log.warning("could not record a %s attempt by %s", status, attempt.user_id)


def _attempt(actor: Actor, *, asset_id: str, snapshot_url: str, source: Source) -> Attempt:
    """The attempt as refused attempts record it: no idempotency key."""
    return Attempt(
        idempotency_key=None,
        team_id=actor.team_id,
        channel_id=actor.channel_id,
        user_id=actor.user_id,
        asset_id=asset_id,
        snapshot_url=snapshot_url,
        source=source,
    )


@dataclass(frozen=True)
class Services:
    """What one process holds for its whole life: one store, one policy and the cover
    service (which holds the one VOD client)."""

    store: AuditStore
    policy: Policy
    covers: CoverService
    #: The picker's contact sheets; downloads over the VOD client's HTTP client.
    sheet_maker: SheetMaker


#: Room for event-loop delays and clock differences between hosts sharing a database.
#: (Lateness costs nothing else: a real outcome written later overwrites the guess.)
STALE_MARGIN = timedelta(seconds=10)


def stale_after(settings: Settings) -> timedelta:
    """How old a pending change can be before no live process can still be making it.

    A change makes two VOD calls (asset details, then the PUT); each gives up within its
    retry budget plus at most one attempt's timeout.
    """
    per_call = settings.vod_retry_budget_s + settings.vod_timeout_s
    return timedelta(seconds=2 * per_call) + STALE_MARGIN


@asynccontextmanager
async def open_services(
    settings: Settings, slack_client: AsyncWebClient | None
) -> AsyncIterator[Services]:
    """Open the process's client and store (migrated, stale rows expired), then close them."""
    policy = Policy.from_settings(settings, slack_client)
    async with VodClient.from_settings(settings) as vod, AuditStore.from_url(
        settings.database_url, stale_after=stale_after(settings)
    ) as store:
        await store.migrate()
        expired = await store.expire_stale()
        if expired:
            log.warning("marked %d interrupted cover change(s) as unknown", expired)
        covers = CoverService(
            vod=vod, store=store, policy=policy, snapshot_hosts=settings.vod_snapshot_hosts,
            capture_wait=CaptureWait(timeout_s=settings.vod_capture_timeout_s,
                                     poll_s=settings.vod_capture_poll_s),
            refresh_wait=RefreshWait(poll_s=settings.vod_refresh_poll_s,
                                     deadline_s=settings.vod_refresh_deadline_s)
            if settings.vod_refresh_cdn else None,
        )
        sheet_maker = SheetMaker(vod.http, sign=lambda url: url)
        try:
            yield Services(store=store, policy=policy, covers=covers, sheet_maker=sheet_maker)
        finally:
            sheet_maker.close()
            await covers.aclose()
