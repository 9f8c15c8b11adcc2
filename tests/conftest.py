"""Shared fixtures: each fake lives in its own module under tests/fakes/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fakes.slack_server",
    "tests.fakes.vod_server",
    "tests.fakes.databases",
]

_OUR_PREFIXES = ("SLACK_", "VOD_", "IAM_", "SETCOVER_", "DATABASE_URL", "PORT", "LOG_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep the developer's own settings and `.env` out of every test."""
    for name in list(os.environ):
        if name.startswith(_OUR_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
