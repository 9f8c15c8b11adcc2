"""Hotlink protection end to end: the installed `setcover-bot` with `VOD_URL_AUTH`, the fake
VOD listing its snapshots on the fake CDN, which enforces the algorithm on its own."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from pydantic import SecretStr

from bot.config import UrlAuth
from bot.sheet import Frame, SheetMaker, SheetUnavailable
from bot.vod.client import VodClient
from bot.vod.url_auth import UrlSigner
from tests.fakes.cdn_server import FakeCdn
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod
from tests.processes import StartBot, run_cli

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
ALGORITHMS = ["A", "B", "C", "D"]


def protected_env(fake_vod: FakeVod, fake_cdn: FakeCdn, algorithm: str) -> dict[str, str]:
    key = fake_cdn.protect(algorithm)
    fake_cdn.serve_assets(fake_vod)
    return fake_vod.settings_env() | {"VOD_SNAPSHOT_HOSTS": "127.0.0.1",
                                      "VOD_URL_AUTH": algorithm, "VOD_URL_AUTH_KEY": key}


def forms_of(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_check_fetches_a_signed_snapshot_and_names_the_key_when_refused(
    fake_vod: FakeVod, fake_cdn: FakeCdn, tmp_path: Path, algorithm: str
) -> None:
    env = protected_env(fake_vod, fake_cdn, algorithm) | {"LOG_LEVEL": "DEBUG"}

    good = run_cli("check", env=env, cwd=tmp_path)
    [line] = [line for line in good.stdout.splitlines() if "snapshots:" in line]
    assert line.startswith("ok    snapshots: the CDN serves http://127.0.0.1:")
    assert f"signed with algorithm {algorithm}" in line
    assert fake_cdn.statuses() == [200]

    wrong_key = "wrong-key-16char"
    bad = run_cli("check", env=env | {"VOD_URL_AUTH_KEY": wrong_key}, cwd=tmp_path)
    assert bad.returncode == 1
    [line] = [line for line in bad.stdout.splitlines() if "snapshots:" in line]
    assert line.startswith("FAIL  snapshots: the CDN refused")
    assert "VOD_URL_AUTH " in line and "VOD_URL_AUTH_KEY" in line
    assert fake_cdn.statuses() == [200, 403]
    output = good.stdout + good.stderr + bad.stdout + bad.stderr
    assert not any(form in output for key in (env["VOD_URL_AUTH_KEY"], wrong_key)
                   for form in forms_of(key))


def test_check_says_why_a_d_key_of_another_length_is_refused(
    fake_vod: FakeVod, fake_cdn: FakeCdn, tmp_path: Path
) -> None:
    env = protected_env(fake_vod, fake_cdn, "D") | {"VOD_URL_AUTH_KEY": "too-short"}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "VOD_URL_AUTH_KEY: algorithm D (AES-128) takes a key of exactly 16" in result.stderr
    assert "too-short" not in result.stdout + result.stderr


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_pasted_signed_url_sets_the_cover_to_the_plain_one(
    fake_vod: FakeVod, fake_cdn: FakeCdn, start_bot: StartBot, algorithm: str
) -> None:
    env = protected_env(fake_vod, fake_cdn, algorithm) | {"LOG_LEVEL": "DEBUG"}
    bot = start_bot(**env)
    plain = fake_vod.assets[KEYNOTE].snapshots["sample"][0][1]
    pasted = UrlSigner(UrlAuth(algorithm), SecretStr(env["VOD_URL_AUTH_KEY"])).sign(plain)
    assert pasted != plain

    response, url = bot.command(f"<{pasted}>")

    assert response.status_code == 200
    (outcome,) = bot.posts(url)
    assert outcome.body["response_type"] == "in_channel"
    assert [(c.asset_id, c.thumbnail_url) for c in fake_vod.cover_changes] == [(KEYNOTE, plain)]
    bot.finished("set_from_url")
    assert not any(form in bot.output() for form in forms_of(env["VOD_URL_AUTH_KEY"]))


def test_the_command_line_takes_a_signed_url_too(
    fake_vod: FakeVod, fake_cdn: FakeCdn, tmp_path: Path
) -> None:
    env = protected_env(fake_vod, fake_cdn, "C")
    plain = fake_vod.assets[KEYNOTE].snapshots["dots"][0][1]
    pasted = UrlSigner(UrlAuth.C, SecretStr(env["VOD_URL_AUTH_KEY"])).sign(plain)

    result = run_cli("set-cover", pasted, env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [c.thumbnail_url for c in fake_vod.cover_changes] == [plain]


REEL = "0c4f5e6d7a8b49c0a1b2c3d4e5f6a7b8"


def reel_on_cdn(fake_vod: FakeVod, fake_cdn: FakeCdn, algorithm: str) -> str:
    """The demo reel's frames served by the protected CDN; returns its key."""
    fake_vod.add_reel(REEL, "Reel")
    fake_cdn.serve_assets(fake_vod, picture=lambda url: httpx.get(url).content
                          if url.startswith(fake_vod.url) else b"not a frame")
    return fake_cdn.protect(algorithm)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_the_sheet_is_made_from_signed_downloads(
    fake_vod: FakeVod, fake_cdn: FakeCdn, algorithm: str
) -> None:
    key = reel_on_cdn(fake_vod, fake_cdn, algorithm)
    listed = sorted(fake_vod.assets[REEL].snapshots["sample"])
    frames = [Frame(number=n, offset=offset, url=url, is_current=False)
              for n, (offset, url) in enumerate(listed, start=1)]
    async with VodClient.from_settings(fake_vod.settings()) as vod:
        unsigned = SheetMaker(vod.http, sign=str)
        with pytest.raises(SheetUnavailable):
            await unsigned.make(frames)
        unsigned.close()
        assert set(fake_cdn.statuses()) == {403}

        signed = SheetMaker(vod.http, sign=UrlSigner(UrlAuth(algorithm), SecretStr(key)))
        sheet = await signed.make(frames)
        signed.close()
    assert [score.dropped for score in sheet.scores].count("unavailable") == 0
    assert sheet.suggested and sheet.suggested <= {frame.url for frame in frames}
    assert fake_cdn.statuses().count(200) == len(frames)  # each signed download served


def test_snapshot_scores_download_signed(
    fake_vod: FakeVod, fake_cdn: FakeCdn, tmp_path: Path
) -> None:
    key = reel_on_cdn(fake_vod, fake_cdn, "D")
    env = fake_vod.settings_env() | {"VOD_SNAPSHOT_HOSTS": "127.0.0.1",
                                     "VOD_URL_AUTH": "D", "VOD_URL_AUTH_KEY": key}

    result = run_cli("snapshots", REEL, "--scores", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "unavailable" not in result.stdout and "*" in result.stdout
    assert set(fake_cdn.statuses()) == {200}


def shown_urls(blocks: list[dict[str, Any]]) -> list[str]:
    """Every picture and link a message shows (not what its buttons carry)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("image_url"), str):
                found.append(node["image_url"])
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.extend(re.findall(r"<(https?://[^|>]+)[|>]", node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_picker_and_outcome_show_only_urls_the_cdn_serves(
    fake_vod: FakeVod, fake_cdn: FakeCdn, fake_slack: FakeSlack, start_bot: StartBot,
    algorithm: str,
) -> None:
    key = reel_on_cdn(fake_vod, fake_cdn, algorithm)
    bot = start_bot(**fake_vod.settings_env() | {
        "VOD_SNAPSHOT_HOSTS": "127.0.0.1", "VOD_URL_AUTH": algorithm, "VOD_URL_AUTH_KEY": key,
        "LOG_LEVEL": "DEBUG"})

    _, url = bot.command(REEL)
    (picker,) = bot.posts(url)
    [sheet] = fake_slack.completed_uploads()  # composed from 12 signed downloads
    assert fake_cdn.statuses().count(200) >= 12 and 403 not in fake_cdn.statuses()
    _, click_url = bot.click(picker, action_prefix="use_cover", nth=4)
    _, outcome, _ = bot.posts(click_url, 3)

    listed = {u for _, u in fake_vod.assets[REEL].snapshots["sample"]}
    [change] = fake_vod.cover_changes
    assert change.thumbnail_url in listed  # VOD gets the URL as it lists it, unsigned
    shown = shown_urls(picker.blocks) + shown_urls(outcome.blocks)
    assert any(u.startswith(fake_cdn.url) for u in shown_urls(outcome.blocks))
    for shown_url in shown:
        if shown_url.startswith(fake_cdn.url):
            assert shown_url not in listed  # signed, not as listed
            assert httpx.get(shown_url, timeout=5).status_code == 200, shown_url
    assert sheet.length > 0
    assert not any(form in bot.output() for form in forms_of(key))
