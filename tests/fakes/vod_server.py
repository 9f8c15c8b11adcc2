"""The fake VOD as pytest fixtures: the fake itself is `bot.standin.vod` (also the local
stand-in of `setcover-bot demo-vod`); tests import it from here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.standin.vod import (
    PROJECT_ID,
    SNAPSHOT_HOST,
    FakeAsset,
    FakeVod,
    Recorded,
    snapshot_url,
)

__all__ = ["PROJECT_ID", "SNAPSHOT_HOST", "FakeAsset", "FakeVod", "Recorded", "snapshot_url"]


@pytest.fixture(scope="session")
def _vod_server() -> Iterator[FakeVod]:
    fake = FakeVod()
    fake.server.start()
    yield fake
    fake.server.stop()


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
