"""`CoverService` in-process, on the fake VOD and a SQLite store: who decides on policy."""

from __future__ import annotations

from pathlib import Path

from bot.covers import Actor, Changed, CoverRequest, Denied
from bot.services import open_services
from bot.store import Source, Status
from tests.fakes.vod_server import FakeVod, snapshot_url

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"


async def test_skipping_the_slack_policy_is_the_callers_choice_not_the_label(
    fake_vod: FakeVod, tmp_path: Path
) -> None:
    """Nobody is allowed here; only `apply_policy=False` (the CLI's choice) changes a cover."""
    settings = fake_vod.settings(database_url=f"sqlite:///{tmp_path}/audit.db")
    actor = Actor(team_id="T1", channel_id="C1", user_id="U1")
    url = snapshot_url(KEYNOTE, "sample", 1)

    def request(key: str) -> CoverRequest:
        return CoverRequest(actor=actor, snapshot_url=url, source=Source.CLI,
                            idempotency_key=key)

    async with open_services(settings, slack_client=None) as services:
        labelled = await services.covers.change(request("k1"))
        assert isinstance(labelled, Denied)
        assert fake_vod.requests_to("/asset/cover") == []

        chosen = await services.covers.change(request("k2"), apply_policy=False)
        assert isinstance(chosen, Changed)
        assert [c.thumbnail_url for c in fake_vod.cover_changes] == [url]
        statuses = [r.status for r in await services.store.history(KEYNOTE)]
        assert statuses == [Status.SUCCEEDED, Status.DENIED]
