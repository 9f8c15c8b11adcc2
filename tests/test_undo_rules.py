"""Issue 16 (defects 3 and 11, and a planted bug): what `CoverService.undo` refuses, run
in-process on the fake VOD and each store.

Undo acts only on a change that succeeded, of the asker's own workspace, that is still the
video's latest and whose cover VOD still shows; every refusal sends VOD nothing but reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import count

import pytest

from bot.covers import (
    Actor,
    Changed,
    CoverRequest,
    CoverService,
    Denied,
    Duplicate,
    Failed,
    NotUndoable,
    Undone,
    Unknown,
)
from bot.services import open_services
from bot.store import Source, Status
from tests.fakes.vod_server import FakeVod, snapshot_url

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
A, B, C = (snapshot_url(KEYNOTE, "sample", n) for n in range(3))
EDITOR = Actor(team_id="T0VIDEO", channel_id="C0VIDEO", user_id="U0EDITOR")
LEAD = Actor(team_id="T0VIDEO", channel_id="C0VIDEO", user_id="U0LEAD")
STRANGER = Actor(team_id="T0OTHER", channel_id="C0OTHER", user_id="U0EDITOR")
_keys = count()


@pytest.fixture
async def covers(fake_vod: FakeVod, database_url: str) -> AsyncIterator[CoverService]:
    settings = fake_vod.settings(database_url=database_url, vod_retry_budget_s=1,
                                 setcover_allowed_users=["U0EDITOR", "U0LEAD"])
    async with open_services(settings, slack_client=None) as services:
        yield services.covers


async def change(covers: CoverService, url: str, actor: Actor = EDITOR, *,
                 source: Source = Source.COMMAND) -> Changed:
    outcome = await covers.change(CoverRequest(
        actor=actor, snapshot_url=url, source=source, idempotency_key=f"k{next(_keys)}"),
        apply_policy=source is not Source.CLI)
    assert isinstance(outcome, Changed), outcome
    return outcome


def puts(fake_vod: FakeVod) -> list[str]:
    return [c.thumbnail_url for c in fake_vod.cover_changes]


async def test_an_older_change_is_not_undone_over_a_later_one(
    covers: CoverService, fake_vod: FakeVod
) -> None:
    await change(covers, A)
    b = await change(covers, B)
    c = await change(covers, C, LEAD)
    fake_vod.reset_requests()

    refused = await covers.undo(EDITOR, b.change_id or 0)

    assert isinstance(refused, NotUndoable), refused
    assert refused.later is not None and refused.later.id == c.change_id
    assert refused.later.user_id == "U0LEAD" and refused.pick_from == KEYNOTE
    assert f"change {c.change_id}, by U0LEAD" in refused.reason
    assert fake_vod.requests_to("/asset/cover") == [] and puts(fake_vod) == [A, B, C]
    assert fake_vod.assets[KEYNOTE].cover_url == C

    undone = await covers.undo(EDITOR, c.change_id or 0)  # the latest one is undoable
    assert isinstance(undone, Undone) and fake_vod.assets[KEYNOTE].cover_url == B


async def test_a_later_change_of_any_source_counts(
    covers: CoverService, fake_vod: FakeVod
) -> None:
    """The operator's command line and an undo are changes like any: the query does not
    pick sources."""
    await change(covers, A)
    b = await change(covers, B)
    cli = await change(covers, C, Actor("", "", "cli:ops"), source=Source.CLI)
    refused = await covers.undo(EDITOR, b.change_id or 0)
    assert isinstance(refused, NotUndoable) and refused.later is not None
    assert refused.later.id == cli.change_id and refused.later.source is Source.CLI

    undo = await covers.undo(Actor("", "", "cli:ops"), cli.change_id or 0,
                             apply_policy=False)
    assert isinstance(undo, Undone) and fake_vod.assets[KEYNOTE].cover_url == B
    # B is the cover again, but by the undo: B's own Undo would throw the undo away.
    again = await covers.undo(EDITOR, b.change_id or 0)
    assert isinstance(again, NotUndoable) and again.later is not None
    assert again.later.id == undo.changed.change_id and again.later.source is Source.UNDO
    assert puts(fake_vod) == [A, B, C, B]


async def test_undoing_the_same_change_again_is_already_done(
    covers: CoverService, fake_vod: FakeVod
) -> None:
    await change(covers, A)
    b = await change(covers, B)
    first = await covers.undo(EDITOR, b.change_id or 0)
    assert isinstance(first, Undone)

    second = await covers.undo(LEAD, b.change_id or 0)
    assert isinstance(second, Duplicate) and second.existing.id == first.changed.change_id
    assert second.existing.status is Status.SUCCEEDED and puts(fake_vod) == [A, B, A]


async def test_a_cover_changed_outside_the_bot_is_not_undone(
    covers: CoverService, fake_vod: FakeVod
) -> None:
    await change(covers, A)
    b = await change(covers, B)
    fake_vod.assets[KEYNOTE].cover_url = C  # someone used the VOD console
    fake_vod.reset_requests()

    refused = await covers.undo(EDITOR, b.change_id or 0)

    assert isinstance(refused, NotUndoable) and refused.later is None
    assert "changed outside the bot" in refused.reason and refused.pick_from == KEYNOTE
    assert [r.method for r in fake_vod.api_requests] == ["GET"]  # one read, no PUT
    assert fake_vod.assets[KEYNOTE].cover_url == C and puts(fake_vod) == [A, B]


async def test_another_workspaces_change_is_not_on_record(
    covers: CoverService, fake_vod: FakeVod
) -> None:
    await change(covers, A)
    b = await change(covers, B)
    fake_vod.reset_requests()

    stranger = await covers.undo(STRANGER, b.change_id or 0)
    missing = await covers.undo(STRANGER, 999)

    assert isinstance(stranger, NotUndoable) and isinstance(missing, NotUndoable)
    # Word for word what a change that does not exist gets: nothing says it is there.
    assert stranger.reason == missing.reason.replace("999", str(b.change_id))
    assert stranger.pick_from is None and stranger.later is None
    assert fake_vod.api_requests == [] and fake_vod.assets[KEYNOTE].cover_url == B

    # The operator's command line sees every workspace's changes.
    operator = await covers.undo(Actor("", "", "cli:ops"), b.change_id or 0,
                                 apply_policy=False)
    assert isinstance(operator, Undone) and fake_vod.assets[KEYNOTE].cover_url == A


async def test_a_change_that_did_not_succeed_is_not_undone(
    covers: CoverService, fake_vod: FakeVod
) -> None:
    """Failed, unknown and denied rows are on record, each with a snapshot and the cover
    before it: undoing one would set that cover. Each is refused, and VOD sent nothing."""
    await change(covers, A)
    fake_vod.fail("/asset/cover", status=400, code="VOD.10053", message="Bad picture.")
    failed = await covers.change(CoverRequest(
        actor=EDITOR, snapshot_url=B, source=Source.COMMAND, idempotency_key="failed"))
    fake_vod.drop("/asset/cover", times=20)
    unknown = await covers.change(CoverRequest(
        actor=EDITOR, snapshot_url=B, source=Source.COMMAND, idempotency_key="unknown"))
    with fake_vod.lock:
        fake_vod.faults.clear()
    denied = await covers.change(CoverRequest(
        actor=Actor("T0VIDEO", "C0VIDEO", "U0INTRUDER"), snapshot_url=C,
        source=Source.COMMAND, idempotency_key="denied"))
    assert isinstance(failed, Failed) and isinstance(unknown, Unknown)
    assert isinstance(denied, Denied)
    rows = {r.status: r for r in await covers.history(KEYNOTE)}
    assert set(rows) == {Status.SUCCEEDED, Status.FAILED, Status.UNKNOWN, Status.DENIED}
    fake_vod.assets[KEYNOTE].cover_url = B  # the unknown PUT may well have landed
    fake_vod.reset_requests()

    for status in (Status.FAILED, Status.UNKNOWN, Status.DENIED):
        for actor, apply_policy in ((EDITOR, True), (Actor("", "", "cli:ops"), False)):
            refused = await covers.undo(actor, rows[status].id, apply_policy=apply_policy)
            assert isinstance(refused, NotUndoable), (status, refused)
            assert "not on record as a cover change that succeeded" in refused.reason
    assert fake_vod.requests_to("/asset/cover") == [] and puts(fake_vod) == [A]
    assert fake_vod.assets[KEYNOTE].cover_url == B
