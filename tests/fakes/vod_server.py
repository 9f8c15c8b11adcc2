"""The fake VOD as pytest fixtures: the fake itself is `bot.standin.vod` (also the local
stand-in of `setcover-bot demo-vod`); tests import it from here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.standin.vod import PROJECT_ID, FakeAsset, FakeVod, Recorded

__all__ = ["PROJECT_ID", "FakeAsset", "FakeVod", "Recorded", "snapshot_url"]

#: The session's fake VOD. Its port is taken on import, so module constants can name the
#: snapshot URLs it lists (`snapshot_url`); the `fake_vod` fixture starts and resets it.
_SESSION_VOD = FakeVod()


def snapshot_url(asset_id: str, kind: str, n: int) -> str:
    """The URL of the `n`-th `kind` snapshot the fake VOD lists for a seeded asset (`add_asset`
    without `snapshots`): on the fake itself, which serves its picture."""
    return _SESSION_VOD.frame_url(asset_id, kind, n)


@pytest.fixture(scope="session")
def _vod_server() -> Iterator[FakeVod]:
    _SESSION_VOD.server.start()
    yield _SESSION_VOD
    _SESSION_VOD.server.stop()


@pytest.fixture
def fake_vod(_vod_server: FakeVod) -> Iterator[FakeVod]:
    """The fake VOD (and IAM), reset and seeded for each test."""
    _vod_server.reset()
    yield _vod_server
    _vod_server.reset()


@pytest.fixture(params=["aksk", "aksk-temp", "iam", "token"])
def vod_auth_mode(request: pytest.FixtureRequest) -> str:
    """Runs a test once per VOD authentication mode."""
    return str(request.param)


@pytest.fixture
def vod_settings(fake_vod: FakeVod) -> Settings:
    """`Settings` with AK/SK credentials for the fake VOD."""
    return fake_vod.settings("aksk")
