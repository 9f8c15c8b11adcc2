"""The one path that changes a cover: authorize → record pending → VOD → record the outcome.

The slash command, the buttons and the command line all call `CoverService.change`, so
every change is authorized the same way, goes through the same client and is on record.
No record, no change: if the store cannot be written, VOD is never called.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from bot import metrics, observe
from bot.covers import outcomes
from bot.covers.capture import Captures, CaptureWait, Started
from bot.covers.cdn import CdnRefresher, RefreshWait
from bot.covers.outcomes import Actor, CdnRefresh, CoverRequest
from bot.covers.recording import LATE_WRITE_FLUSH_S, OutcomeRecorder, to_the_end
from bot.policy import Decision, Policy
from bot.store import (
    AssetBusy,
    Attempt,
    AuditStore,
    CaptureRules,
    ChangedSince,
    ChangeRecord,
    DuplicateChange,
    Source,
    Status,
    StoreUnavailable,
)
from bot.text import shorten_start, visible
from bot.vod.client import VodClient
from bot.vod.errors import (
    SnapshotNotListed,
    SnapshotUrlError,
    VodError,
    VodOutcomeUnknown,
    error_label,
    request_label,
)
from bot.vod.models import Asset, AssetSummary
from bot.vod.snapshot_url import SnapshotRef, parse_snapshot_url
from bot.vod.url_auth import unsign

log = logging.getLogger(__name__)


class CoverService:
    """Authorizes, records and performs cover changes; the Slack app and CLI only call this."""

    def __init__(
        self, *, vod: VodClient, store: AuditStore, policy: Policy, snapshot_hosts: list[str],
        capture_wait: CaptureWait | None = None, refresh_wait: RefreshWait | None = None,
        capture_rules: CaptureRules | None = None,
    ) -> None:
        self.vod = vod
        self.store = store
        self.policy = policy
        self.snapshot_hosts = snapshot_hosts
        self.captures = Captures(vod=vod, store=store, wait=capture_wait or CaptureWait(),
                                 rules=capture_rules or CaptureRules())
        self.recorder = OutcomeRecorder(store)
        #: None: no CDN refresh after a change (`VOD_REFRESH_CDN=false`).
        self.refresh_wait = refresh_wait
        self.cdn = (CdnRefresher(vod=vod, store=store, wait=refresh_wait)
                    if refresh_wait is not None else None)

    async def authorize(self, actor: Actor, *, asset_id: str, source: Source) -> Decision:
        """Ask the policy; a denial is recorded (best effort: a denial needs no record)."""
        decision = await self.policy.check(actor.team_id, actor.channel_id, actor.user_id)
        if not decision.allowed:
            attempt = _attempt(actor, asset_id=asset_id, snapshot_url="", source=source)
            await self._record_refused(attempt, Status.DENIED, decision.reason)
        return decision

    @metrics.CHANGES_IN_FLIGHT.track_inprogress()
    async def change(
        self, request: CoverRequest, *, apply_policy: bool = True
    ) -> outcomes.Outcome:
        """Set the cover once, whatever the number of times the same request arrives.

        `apply_policy=False` is the caller's explicit choice not to ask the Slack policy:
        the command line runs with the operator's own cloud credentials, so its changes are
        recorded but not asked about. Raises `SnapshotUrlError`
        for a text that is no snapshot URL, or one of another asset than the one asked for
        (nothing recorded: it names no asset of ours). A URL that parses but is not one of
        the snapshots VOD lists for the asset is a recorded `Failed` (`SnapshotNotListed`);
        either way nothing is sent to VOD but reads. A URL signed for hotlink protection
        is taken without its signature (`bot.vod.url_auth.unsign`).
        """
        ref = parse_snapshot_url(unsign(request.snapshot_url), self.snapshot_hosts)
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
            return outcomes.Denied(decision.reason)

        try:
            change_id = await self.store.begin(
                replace(attempt, idempotency_key=request.idempotency_key, undoes=request.undoes)
            )
        except DuplicateChange as exc:
            await self._record_refused(
                attempt, Status.DUPLICATE, f"the same request as change {exc.existing.id}"
            )
            return outcomes.Duplicate(exc.existing)
        except AssetBusy as exc:
            await self._record_refused(
                attempt, Status.BUSY,
                f"change {exc.pending.id} by {exc.pending.user_id} of this asset was pending",
            )
            return outcomes.Busy(exc.pending)
        except StoreUnavailable as exc:
            log.error("cover change refused, audit store unavailable: %s", exc)
            return outcomes.NotRecorded(str(exc))

        asset: Asset | None = None
        sending = False
        try:
            asset = await self.vod.get_asset(ref.asset_id)
            listed_url = self._listed_url(asset, ref)
            sending = True
            request_id = await self.vod.set_cover(listed_url)
        except VodOutcomeUnknown as exc:
            await self.recorder.finish(change_id, Status.UNKNOWN, asset, error=exc)
            log.warning("change %s: cover of %s by %s (%s) to %s not confirmed by VOD: %s",
                        change_id, ref.asset_id, actor.user_id, request.source, ref.url,
                        exc.message)
            return outcomes.Unknown(ref.asset_id, exc)
        except VodError as exc:
            await self.recorder.finish(change_id, Status.FAILED, asset, error=exc)
            log.warning("change %s: cover of %s by %s (%s) failed: %s", change_id,
                        ref.asset_id, actor.user_id, request.source, error_label(exc))
            return outcomes.Failed(ref.asset_id, exc)
        except BaseException:
            # Stopped (shutdown, crash of the task): once the PUT was on its way, VOD may
            # have acted; before it, VOD surely was not asked.
            status = Status.UNKNOWN if sending else Status.FAILED
            await self.recorder.finish(change_id, status, asset, error=None)
            raise
        # VOD has acted: the record is made (and the change told) even through a shutdown.
        await to_the_end(
            self.recorder.finish(change_id, Status.SUCCEEDED, asset, request_id=request_id))
        log.info("change %s: cover of %s set by %s (%s) to %s [%s]", change_id, ref.asset_id,
                 actor.user_id, request.source, listed_url, request_label(request_id))
        return outcomes.Changed(
            asset_id=ref.asset_id,
            asset_title=asset.title,
            snapshot_url=listed_url,
            previous_cover_url=asset.cover_url,
            request_id=request_id,
            change_id=change_id,
            frame=asset.frame_of(listed_url),
            previous_frame=asset.frame_of(asset.cover_url),
        )

    async def refresh_cdn(
        self, changed: outcomes.Changed, *, reply_to: str | None = None
    ) -> CdnRefresh | None:
        """Ask VOD to refresh its CDN copies of a changed video; None when refreshes are off.

        Called once the change is told, never before: the outcome does not wait on VOD's
        refresh (10 s when it hangs, the retry budget when it answers 503). With `reply_to`
        (the outcome's `response_url`), the channel hears when the new cover is live.
        """
        if self.cdn is None or changed.change_id is None:
            return None
        return await self.cdn.after_change(
            changed.change_id, changed.asset_id, changed.asset_title, reply_to)

    async def undo(
        self, actor: Actor, change_id: int, *, apply_policy: bool = True
    ) -> outcomes.UndoOutcome:
        """Put back the cover the video had before change `change_id`, as a change of its
        own (source `undo`, linked to it), at most once: its key comes from `change_id`.

        Only the video's latest change can be undone, and only while VOD still shows its
        cover: undoing an older one would throw away every change made since. A change
        of another Slack workspace is "not on record" to the asker (the command line, the
        operator's, sees all). The cover to put back is the snapshot of the asset's
        previous succeeded change on record; failing that, the cover VOD reported before
        the change, if it is a snapshot VOD still lists. Otherwise `NotUndoable`, and VOD
        is sent nothing.
        """
        try:
            record = await self.store.get(change_id)
            if (record is None or record.status is not Status.SUCCEEDED
                    or (apply_policy and record.team_id != actor.team_id)):
                return outcomes.NotUndoable(
                    f"Change {change_id} is not on record as a cover change that succeeded, "
                    "so there is nothing to undo.")
            latest = await self.store.last_success(record.asset_id)
            previous = await self.store.last_success(record.asset_id, before=record.id)
        except StoreUnavailable as exc:
            return outcomes.NotRecorded(str(exc))
        if apply_policy:  # off only by the caller's choice (the CLI), as for `change`
            decision = await self.authorize(actor, asset_id=record.asset_id, source=Source.UNDO)
            if not decision.allowed:
                return outcomes.Denied(decision.reason)
        target = await self._undo_target(record, latest=latest, previous=previous)
        if not isinstance(target, str):
            return target
        try:
            outcome = await self.change(CoverRequest(
                actor=actor, snapshot_url=target, source=Source.UNDO,
                idempotency_key=f"undo:{change_id}", undoes=change_id,
            ), apply_policy=apply_policy)
        except ChangedSince as exc:  # a change succeeded since `latest` was read
            return _changed_since(record, exc.latest)
        if isinstance(outcome, outcomes.Changed):
            return outcomes.Undone(outcome, record)
        return outcome

    async def _undo_target(
        self, record: ChangeRecord, *, latest: ChangeRecord | None,
        previous: ChangeRecord | None,
    ) -> str | outcomes.NotUndoable | outcomes.Duplicate:
        """The cover an undo of `record` puts back, or why there is none. `latest`: the
        asset's latest succeeded change; `previous`: the one before `record`."""
        if latest is not None and latest.id != record.id:
            return _changed_since(record, latest)
        target = previous.snapshot_url if previous else record.previous_cover_url
        if target is None:
            return outcomes.NotUndoable(
                f"VOD reported no cover before change {record.id}, so there is no earlier "
                "cover to put back.")
        if previous is None:
            try:
                parse_snapshot_url(target, self.snapshot_hosts)
            except SnapshotUrlError:
                return outcomes.NotUndoable(
                    f"The cover before change {record.id} was not one of the video's "
                    "snapshots (an image uploaded in the VOD console, say), and only "
                    "snapshots can be set from here.", pick_from=record.asset_id)
        asset = await self.vod.get_asset(record.asset_id)
        if not self._same_snapshot(asset.cover_url, record.snapshot_url):
            return outcomes.NotUndoable(
                f"The cover was changed outside the bot after change {record.id} (in the VOD "
                "console, say), so undoing it would throw that cover away.",
                pick_from=record.asset_id)
        if previous is None and target not in asset.snapshot_urls:
            return outcomes.NotUndoable(
                f"The cover before change {record.id} is no longer one of the video's "
                "snapshots, so it cannot be put back.")
        return target

    async def capture(
        self, actor: Actor, asset_id: str, seconds: Sequence[int], *, source: Source,
        apply_policy: bool = True, key: str | None = None, started: Started | None = None,
    ) -> outcomes.CaptureOutcome:
        """Ask VOD for snapshots at `seconds` and follow the task until it ends.

        Snapshots cost money, so Slack users are authorized as for a change, and held to
        the hourly limit; the same capture (request `key`, or asset and times) is asked of
        VOD once (`Captures.capture`, which awaits `started` once VOD took the task).
        """
        if apply_policy:  # off only by the caller's choice, as for `change`
            decision = await self.authorize(actor, asset_id=asset_id, source=source)
            if not decision.allowed:
                return outcomes.Denied(decision.reason)
        return await self.captures.capture(actor, asset_id, seconds, source=source, key=key,
                                           limited=apply_policy, started=started)

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
            f"`{shorten_start(ref.url)}` is not one of the snapshots VOD lists for asset "
            f"`{ref.asset_id}`."
        )

    def _same_snapshot(self, cover_url: str | None, snapshot_url: str) -> bool:
        """Whether VOD's cover is the snapshot at `snapshot_url`, however either is written
        (host case, `:443`, a hotlink signature)."""
        if cover_url is None:
            return False
        try:
            cover = parse_snapshot_url(unsign(cover_url), self.snapshot_hosts)
            snapshot = parse_snapshot_url(unsign(snapshot_url), self.snapshot_hosts)
        except SnapshotUrlError:
            return False
        return cover.canonical == snapshot.canonical

    async def get_asset(self, asset_id: str) -> Asset:
        return await self.vod.get_asset(asset_id)

    async def search(self, words: str) -> list[AssetSummary]:
        return await self.vod.search_assets(words)

    async def history(self, asset_id: str, limit: int = 10) -> list[ChangeRecord]:
        return await self.store.history(asset_id, limit=limit)

    async def aclose(self, grace_s: float = LATE_WRITE_FLUSH_S) -> None:
        """At shutdown, give outcomes still waiting for the store `grace_s`, then stop."""
        await self.recorder.aclose(grace_s)

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


def _changed_since(
    record: ChangeRecord, latest: ChangeRecord
) -> outcomes.NotUndoable | outcomes.Duplicate:
    """Why change `record` cannot be undone now that `latest` is the video's latest change."""
    if latest.undoes == record.id:
        return outcomes.Duplicate(latest)
    return outcomes.NotUndoable(
        f"The cover was changed again after change {record.id} (change {latest.id}, "
        f"by {latest.user_id}): undo that one first, or pick a snapshot.",
        pick_from=record.asset_id, later=latest)


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
