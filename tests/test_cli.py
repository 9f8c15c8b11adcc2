"""The `setcover-bot` console script, run as a subprocess against the fake VOD."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.processes import run_cli

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"


@pytest.fixture
def env(fake_vod: FakeVod, tmp_path: Path) -> dict[str, str]:
    return fake_vod.settings_env("aksk") | {"DATABASE_URL": f"sqlite:///{tmp_path}/audit.db"}


def test_snapshots_lists_title_cover_and_each_snapshot_in_offset_order(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("snapshots", KEYNOTE, env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Launch keynote" in lines[0]
    assert KEYNOTE in lines[1]
    assert fake_vod.assets[KEYNOTE].cover_url in lines[2]
    snapshot_lines = lines[3:]
    assert [line.split()[:2] for line in snapshot_lines] == [
        ["sample", "0:00"], ["dots", "0:05"], ["sample", "0:10"],
        ["dots", "0:15"], ["sample", "0:20"], ["quantity", "0:25"],
    ]
    assert snapshot_lines[0].endswith(snapshot_url(KEYNOTE, "sample", 0))
    [request] = fake_vod.api_requests
    assert request.status == 200 and request.header("Authorization", ).startswith(
        "SDK-HMAC-SHA256 Access=" + fake_vod.ak
    )


def test_set_cover_changes_it_in_vod_and_records_it(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    url = snapshot_url(KEYNOTE, "dots", 1)

    result = run_cli("set-cover", url, env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Launch keynote" in result.stdout and "3 to 5 minutes" in result.stdout
    assert [(c.asset_id, c.thumbnail_url) for c in fake_vod.cover_changes] == [(KEYNOTE, url)]
    [put] = fake_vod.requests_to("/asset/cover")
    assert put.method == "PUT" and put.json == {"thumbnailUrl": url}

    history = run_cli("history", KEYNOTE, env=env, cwd=tmp_path)
    assert history.returncode == 0, history.stderr
    [line] = history.stdout.splitlines()
    assert "succeeded" in line and "(cli)" in line and url in line


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("not a url", "has a space"),
        ("http://355.cdn-vod.huaweicloud.com/shield/asset/abc/snapshot/sample/0.jpg", "https"),
        ("https://evil.example.com/shield/asset/abc/snapshot/sample/0.jpg", "evil.example.com"),
        ("https://355.cdn-vod.huaweicloud.com/" + "a" * 10_000, "characters long"),
        ("https://355.cdn-vod.huaweicloud.com/no/asset/here.jpg", "not a snapshot URL"),
    ],
)
def test_set_cover_refuses_bad_urls_without_calling_vod(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path, argument: str, expected: str
) -> None:
    result = run_cli("set-cover", argument, env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_vod.requests == []


@pytest.mark.parametrize("asset_id", ["", "   ", "../etc/passwd", "x" * 10_000])
def test_snapshots_refuses_bad_asset_ids_without_calling_vod(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path, asset_id: str
) -> None:
    result = run_cli("snapshots", asset_id, env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "is not a VOD asset id" in result.stderr
    assert fake_vod.requests == []


def test_vod_refusal_prints_code_explanation_and_request_id(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    fake_vod.fail("/asset/cover", status=400, code="VOD.10062",
                  message="Media asset or resource does not exist, please check.")

    result = run_cli("set-cover", snapshot_url(KEYNOTE, "sample", 0), env=env, cwd=tmp_path)

    assert result.returncode == 1
    [put] = fake_vod.requests_to("/asset/cover")
    assert "VOD.10062" in result.stderr
    assert "does not exist in the VOD library" in result.stderr
    assert put.request_id and put.request_id in result.stderr
    assert fake_vod.cover_changes == []
    history = run_cli("history", KEYNOTE, env=env, cwd=tmp_path)
    [line] = history.stdout.splitlines()
    assert line.split()[3:5] == ["failed", "VOD.10062"]


def test_set_cover_that_vod_never_confirms_is_unknown_with_its_own_exit_status(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    fake_vod.fail("/asset/cover", status=504, times=10)  # the gateway gave up waiting

    result = run_cli("set-cover", snapshot_url(KEYNOTE, "sample", 0),
                     env=env | {"VOD_MAX_RETRIES": "1"}, cwd=tmp_path)

    assert result.returncode == 3, result.stderr
    assert "did not confirm" in result.stderr and "may already be live" in result.stderr
    assert "not changed" not in result.stderr
    history = run_cli("history", KEYNOTE, env=env, cwd=tmp_path)
    [line] = history.stdout.splitlines()
    assert line.split()[3] == "unknown"


def test_check_reports_each_step(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("check", env=env | {"SLACK_BOT_TOKEN": "xoxb-1",
                                         "SLACK_SIGNING_SECRET": "s"}, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["ok"] * 4
    assert "aksk credentials accepted, 2 asset(s)" in result.stdout
    assert [r.method for r in fake_vod.api_requests] == ["GET"]


def test_check_names_refused_credentials_without_showing_the_secret(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    wrong_secret = "a-wrong-secret-key-123456"
    result = run_cli("check", env=env | {"VOD_SK": wrong_secret}, cwd=tmp_path)

    assert result.returncode == 1
    assert "FAIL  VOD:" in result.stdout and "APIGW.0301" in result.stdout
    assert wrong_secret not in result.stdout + result.stderr
    assert fake_vod.api_requests[0].status == 401


def test_bad_settings_name_every_variable(tmp_path: Path) -> None:
    result = run_cli("snapshots", KEYNOTE, env={"VOD_TIMEOUT_S": "soon"}, cwd=tmp_path)

    assert result.returncode == 2
    for name in ("VOD_ENDPOINT", "VOD_PROJECT_ID", "VOD_AK", "VOD_TIMEOUT_S"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_without_slack_settings_says_what_is_missing(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("serve", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr


def test_serve_with_an_unreachable_store_says_so_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = env | {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                      "DATABASE_URL": "postgresql://setcover:hunter2@127.0.0.1:1/audit"}
    result = run_cli("serve", env=settings, cwd=tmp_path)

    assert result.returncode == 1
    assert "audit store cannot be used" in result.stderr and "127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        (snapshot_url(KEYNOTE, "sample", 0) + "?x=1", "query"),
        (snapshot_url(KEYNOTE, "sample", 0).replace("/sample/", "/../sample/"), "dot segment"),
        (snapshot_url(KEYNOTE, "sample", 0).replace("https://", "https://@"), "user name"),
        (snapshot_url(KEYNOTE, "sample", 0).replace("https", "HTTPS"), "lowercase"),
        (snapshot_url(KEYNOTE, "sample", 0) + "\u200b", "ZERO WIDTH SPACE"),
    ],
)
def test_set_cover_refuses_what_is_not_a_snapshot_url_before_any_call(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path, argument: str, expected: str
) -> None:
    result = run_cli("set-cover", argument, env=env, cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "snapshots VOD lists" in result.stderr
    assert fake_vod.requests == []


def test_set_cover_refuses_a_url_vod_does_not_list_for_the_asset(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    unlisted = snapshot_url(KEYNOTE, "sample", 99)

    result = run_cli("set-cover", unlisted, env=env, cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert "is not one of the snapshots VOD lists for asset" in result.stderr
    assert fake_vod.requests_to("/asset/cover") == []
    assert [r.path for r in fake_vod.api_requests] == [
        f"/v1.0/{fake_vod.project_id}/asset/details"]
    history = run_cli("history", KEYNOTE, env=env, cwd=tmp_path)
    [line] = history.stdout.splitlines()
    assert "failed" in line and "SNAPSHOT_NOT_LISTED" in line and unlisted in line
