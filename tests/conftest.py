"""Shared fixtures: each fake lives in its own module under tests/fakes/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the fakes are plugins (below): importing them here comes too early
    from tests.fakes.slack_server import FakeSlack
    from tests.fakes.vod_server import FakeVod
    from tests.processes import ServedBot, StartBot

pytest_plugins = [
    "tests.fakes.slack_server",
    "tests.fakes.vod_server",
    "tests.fakes.databases",
    "tests.fakes.cdn_server",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep the developer's own settings and `.env` out of every test."""
    from tests.processes import OUR_PREFIXES

    for name in list(os.environ):
        if name.startswith(OUR_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(scope="module")
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    _vod_server: FakeVod, _slack_server: FakeSlack,
) -> Iterator[ServedBot]:
    """One `setcover-bot serve` for the test module, with the module's `SERVED_SETTINGS`
    if it has any; it must exit cleanly at the end."""
    from tests.processes import ServedBot

    bot = ServedBot(tmp_path_factory.mktemp("served"), _vod_server, _slack_server,
                    getattr(request.module, "SERVED_SETTINGS", None))
    yield bot
    bot.assert_clean_exit()


@pytest.fixture
def bot(served: ServedBot, fake_vod: FakeVod, fake_slack: FakeSlack) -> ServedBot:
    """The module's served bot, with the fakes emptied for this test."""
    return served


@pytest.fixture
def start_bot(
    tmp_path: Path, fake_vod: FakeVod, fake_slack: FakeSlack
) -> Iterator[StartBot]:
    """Start bots with `start_bot(**settings)`; each is stopped, and checked, afterwards."""
    from tests.processes import ServedBot

    started: list[ServedBot] = []

    def start(**settings: str) -> ServedBot:
        workdir = tmp_path / f"bot{len(started)}"
        workdir.mkdir()
        bot = ServedBot(workdir, fake_vod, fake_slack, settings)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.assert_clean_exit()
