"""The `setcover-bot` console script, run as a subprocess against the fake VOD."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.standin.frames import REEL, Look
from tests.fakes.slack_server import FakeSlack
from tests.fakes.vod_server import FakeVod, snapshot_url
from tests.processes import free_port, run_cli
from tests.slack_requests import BOT_TOKEN
from tests.snapshot_attacks import GOOD

ROOT = Path(__file__).resolve().parents[1]

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"
REEL_ASSET = "0c4f5e6d7a8b49c0a1b2c3d4e5f6a7b8"


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
    assert lines[2].endswith("(not one of its snapshots)")
    assert lines[4].split() == ["#", "KIND", "TIME", "COVER", "URL"]
    snapshot_lines = lines[5:11]
    assert [line.split()[:3] for line in snapshot_lines] == [
        ["1", "sample", "0:00"], ["2", "dots", "0:05"], ["3", "sample", "0:10"],
        ["4", "dots", "0:15"], ["5", "sample", "0:20"], ["6", "quantity", "0:25"],
    ]
    assert snapshot_lines[0].endswith(snapshot_url(KEYNOTE, "sample", 0))
    assert "current" not in result.stdout.replace("Current cover", "")
    [kinds] = lines[11:]
    assert all(f"{kind} = " in kinds for kind in ("sample", "dots", "quantity"))
    [request] = fake_vod.api_requests
    assert request.status == 200 and request.header("Authorization", ).startswith(
        "SDK-HMAC-SHA256 Access=" + fake_vod.ak
    )


def test_snapshots_marks_the_current_cover_and_scores_each_frame(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    reel = fake_vod.add_reel(REEL_ASSET, "Reel")

    result = run_cli("snapshots", REEL_ASSET, "--scores", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[4].split() == ["#", "KIND", "TIME", "SCORE", "COVER", "URL"]
    rows = [line.split() for line in lines[5:5 + len(REEL)]]
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(REEL) + 1)]
    assert [row[-1] for row in rows] == [fake_vod.frame_url(REEL_ASSET, "sample", n)
                                         for n in range(len(REEL))]
    [current] = [row for row in rows if "current" in row]
    assert current[-1] == reel.cover_url and lines[2].endswith(reel.cover_url)
    scores = {row[0]: row[3] for row in rows}
    for number, (look, _) in enumerate(REEL, start=1):
        if look is Look.SCENE:
            assert 0 < float(scores[str(number)]) <= 1
        else:  # dark, flat, blurry: dropped, and why
            assert scores[str(number)] == look.value
            assert "*" not in rows[number - 1]
    assert sum("*" in row for row in rows) == 3
    assert lines[-1].startswith("Score: 0 to 1") and "* = suggested" in lines[-1]
    assert len(fake_vod.frame_requests) == len(REEL)


def test_set_cover_changes_it_in_vod_and_records_it(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    url = snapshot_url(KEYNOTE, "dots", 1)

    result = run_cli("set-cover", url, env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"changed: change 1: the cover of Launch keynote ({KEYNOTE}) "
                                    f"is now {url}. VOD takes 3 to 5 minutes")
    assert result.stdout.rstrip().endswith("To undo: setcover-bot undo 1")
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
    assert line.split()[4:6] == ["failed", "VOD.10062"]


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
    assert line.split()[4] == "unknown"


APP_TOKEN = "xapp-1-A0APP-fake-app-token"


@pytest.fixture
def slack_env(fake_slack: FakeSlack) -> dict[str, str]:
    """Socket Mode settings against the fake Slack, with a user and a group allowed."""
    fake_slack.usergroups = {"S0EDITORS": ["U1", "U2"]}
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": fake_slack.api_url, "SETCOVER_ALLOWED_USERS": "U0ME",
            "SETCOVER_ALLOWED_USERGROUPS": "S0EDITORS"}


def lines_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def failures_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in lines_of(result) if line.startswith("FAIL")]


def test_check_says_what_slack_vod_and_the_store_answered(
    fake_vod: FakeVod, fake_slack: FakeSlack, env: dict[str, str],
    slack_env: dict[str, str], tmp_path: Path,
) -> None:
    result = run_cli("check", env=env | slack_env, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = lines_of(result)
    assert all(line.startswith("ok ") for line in lines), lines
    text = result.stdout
    assert "aksk credentials accepted" in text and "2 asset(s)" in text
    assert "workspace Video Team (T1), bot user @setcover (UBOT)" in text
    assert "commands, files:write, usergroups:read" in text
    assert "app token accepted" in text and "user group S0EDITORS: 2 member(s)" in text
    assert "audit store: reachable and migrated" in text
    [auth] = fake_slack.api_calls("auth.test")
    assert auth.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    [connections] = fake_slack.api_calls("apps.connections.open")
    assert connections.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    [group] = fake_slack.api_calls("usergroups.users.list")
    assert group.body["usergroup"] == "S0EDITORS"
    [vod_call] = fake_vod.api_requests
    assert vod_call.method == "GET" and vod_call.path.endswith("/asset/list")
    assert fake_vod.cover_changes == [] and result.stderr == ""


def test_check_names_the_scopes_the_bot_lacks(
    fake_slack: FakeSlack, env: dict[str, str], slack_env: dict[str, str], tmp_path: Path
) -> None:
    fake_slack.bot_scopes = ["commands"]

    result = run_cli("check", env=env | slack_env, cwd=tmp_path)

    assert result.returncode == 1
    assert failures_of(result) == [
        "FAIL  Slack: the bot lacks the scope(s) usergroups:read: add them under OAuth & "
        "Permissions → Scopes (as in manifest.yaml), then reinstall the app",
        "FAIL  Slack: user group S0EDITORS cannot be read (missing_scope): check "
        "SETCOVER_ALLOWED_USERGROUPS and the usergroups:read scope",
    ]


def test_check_notes_a_missing_files_write_without_failing(
    fake_slack: FakeSlack, env: dict[str, str], slack_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 15: without files:write the picker still serves (compact rows): a note."""
    fake_slack.bot_scopes = ["commands", "usergroups:read"]

    result = run_cli("check", env=env | slack_env, cwd=tmp_path)

    assert result.returncode == 0, result.stdout
    notes = [line for line in lines_of(result) if not line.startswith("ok ")]
    assert notes == [
        "note  Slack: the bot lacks the scope files:write, so pickers show compact rows "
        "instead of one contact sheet of all frames: add it under OAuth & Permissions → "
        "Scopes (as in manifest.yaml), then reinstall the app",
    ]


@pytest.mark.parametrize(("refused", "expected"), [
    ("token_error", "FAIL  Slack: SLACK_BOT_TOKEN refused: invalid_auth: Slack does not know "
                    "this token: copy it again"),
    ("app_token_error", "FAIL  Slack: SLACK_APP_TOKEN refused: invalid_auth: Slack does not "
                        "know this token: copy it again"),
])
def test_check_says_which_token_slack_refused_without_showing_it(
    fake_slack: FakeSlack, env: dict[str, str], slack_env: dict[str, str], tmp_path: Path,
    refused: str, expected: str,
) -> None:
    setattr(fake_slack, refused, "invalid_auth")

    result = run_cli("check", env=env | slack_env, cwd=tmp_path)

    assert result.returncode == 1
    assert failures_of(result) == [
        expected + (" (an app-level token with connections:write; Socket Mode on)"
                    if refused == "app_token_error" else "")
    ]
    assert BOT_TOKEN not in result.stdout + result.stderr
    assert APP_TOKEN not in result.stdout + result.stderr


def test_check_without_slack_settings_skips_slack_and_says_what_to_add(
    fake_vod: FakeVod, fake_slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    """The demo path: VOD and the store work, no Slack app yet. Not a failure."""
    result = run_cli("check", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = lines_of(result)
    assert [line.split(":")[0] for line in lines] == [
        "ok    settings", "ok    VOD", "ok    audit store", "skip  Slack",
    ]
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SETCOVER_ALLOWED_USERS"):
        assert name in lines[3]
    assert fake_slack.calls == []


def test_check_refuses_badly_pasted_values_without_sending_them(
    fake_vod: FakeVod, fake_slack: FakeSlack, env: dict[str, str], slack_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """A token with a space and `me` for a member id fail before any call that would use
    them; the value itself is never printed."""
    spaced = APP_TOKEN[:12] + " " + APP_TOKEN[12:]
    result = run_cli("check", env=env | slack_env | {
        "SLACK_APP_TOKEN": spaced, "SETCOVER_ALLOWED_USERS": "me,U0ME"}, cwd=tmp_path)

    assert result.returncode == 1
    assert failures_of(result) == [
        "FAIL  Slack: SLACK_APP_TOKEN: contains a space or line break: copy it again, in one "
        "piece",
        "FAIL  Slack: SETCOVER_ALLOWED_USERS: 'me' is not a member id (U…): in Slack, the "
        "person's profile → ⋮ → Copy member ID",
    ]
    assert fake_slack.api_calls("apps.connections.open") == []
    assert spaced not in result.stdout + result.stderr


def test_serve_refuses_badly_pasted_values_before_any_call(
    fake_vod: FakeVod, fake_slack: FakeSlack, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("serve", env=env | {
        "SLACK_BOT_TOKEN": "xoxb-1 2", "SLACK_APP_TOKEN": APP_TOKEN, "VOD_SK": "s k",
        "SETCOVER_ALLOWED_USERS": "me"}, cwd=tmp_path)

    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "VOD_SK", "SETCOVER_ALLOWED_USERS"):
        assert f"  {name}: " in result.stderr
    assert "xoxb-1 2" not in result.stderr
    assert fake_slack.calls == [] and fake_vod.requests == []


def test_check_with_bad_settings_names_every_variable(tmp_path: Path) -> None:
    result = run_cli("check", env={"SLACK_BOT_TOKEN": "xoxp-1"}, cwd=tmp_path)

    assert result.returncode == 2 and result.stdout == ""
    named = [line.split(":")[0].strip() for line in result.stderr.splitlines()[1:-1]]
    assert named == ["VOD_ENDPOINT", "VOD_PROJECT_ID", "VOD_AK", "SLACK_BOT_TOKEN",
                     "SLACK_SIGNING_SECRET"]


def test_check_with_bad_vod_settings_and_no_slack_names_only_vod(tmp_path: Path) -> None:
    result = run_cli("check", env={}, cwd=tmp_path)

    assert result.returncode == 2
    named = [line.split(":")[0].strip() for line in result.stderr.splitlines()[1:-1]]
    assert named == ["VOD_ENDPOINT", "VOD_PROJECT_ID", "VOD_AK"]


def test_check_says_a_wrong_project_is_the_setting_to_look_at(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("check", env=env | {"VOD_PROJECT_ID": "0" * 32}, cwd=tmp_path)

    assert result.returncode == 1
    [vod] = [line for line in lines_of(result) if line.startswith("FAIL  VOD")]
    assert "APIGW.0306" in vod and "VOD_PROJECT_ID" in vod and "vod:asset:list" in vod


@pytest.mark.parametrize(("endpoint", "cause"), [
    ("http://127.0.0.1:1", "connection refused by 127.0.0.1:1"),
    ("https://vod.no-such-region.invalid", "cannot resolve host vod.no-such-region.invalid"),
])
def test_a_wrong_endpoint_reads_as_its_cause_not_as_an_outage(
    env: dict[str, str], tmp_path: Path, endpoint: str, cause: str
) -> None:
    settings = env | {"VOD_ENDPOINT": endpoint, "VOD_MAX_RETRIES": "0"}

    result = run_cli("snapshots", KEYNOTE, env=settings, cwd=tmp_path)

    assert result.returncode == 1
    assert cause in result.stderr and "VOD_ENDPOINT" in result.stderr
    assert "in time" not in result.stderr and "Try again" not in result.stderr


def test_a_tls_failure_is_named(env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as plain:  # answers TLS with plain bytes
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        endpoint = f"https://127.0.0.1:{plain.getsockname()[1]}"
        thread = threading.Thread(target=_answer_plainly, args=(plain,), daemon=True)
        thread.start()
        result = run_cli("snapshots", KEYNOTE, cwd=tmp_path,
                         env=env | {"VOD_ENDPOINT": endpoint, "VOD_MAX_RETRIES": "0"})

    assert result.returncode == 1
    assert f"TLS failure with {endpoint.removeprefix('https://')}" in result.stderr


def _answer_plainly(server: socket.socket) -> None:
    connection, _ = server.accept()
    with connection:
        connection.recv(1024)
        connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")


def test_check_names_refused_credentials_without_showing_the_secret(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    wrong_secret = "a-wrong-secret-key-123456"
    result = run_cli("check", env=env | {"VOD_SK": wrong_secret}, cwd=tmp_path)

    assert result.returncode == 1
    assert "FAIL  VOD:" in result.stdout and "APIGW.0301" in result.stdout
    assert wrong_secret not in result.stdout + result.stderr
    assert fake_vod.api_requests[0].status == 401


def test_search_prints_each_match_with_its_asset_id(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("search", "avatar", "behind", env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert lines_of(result) == ["41cff636d5b12a51e7eb2838bbf45201  Avatar behind the scenes"]
    [request] = fake_vod.api_requests
    assert ("query_string", "avatar behind") in request.query


def test_search_without_a_match_says_so(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("search", "nothing like it", env=env, cwd=tmp_path)

    assert result.returncode == 0
    assert lines_of(result) == ["No video matches 'nothing like it'."]


@pytest.mark.parametrize("words", [[], ["x" * 200]])
def test_search_refuses_no_words_or_too_many(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path, words: list[str]
) -> None:
    result = run_cli("search", *words, env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "WORDS" in result.stderr or "at most 128" in result.stderr
    assert fake_vod.requests == [] and "Traceback" not in result.stderr


def test_terminal_commands_print_the_answer_without_a_log_line_per_request(
    env: dict[str, str], tmp_path: Path
) -> None:
    quiet = run_cli("snapshots", KEYNOTE, env=env, cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""

    logged = run_cli("snapshots", KEYNOTE, env=env | {"LOG_LEVEL": "INFO"}, cwd=tmp_path)
    assert logged.returncode == 0 and "vod GET" in logged.stderr
    assert "httpx" not in logged.stderr


@pytest.mark.parametrize("command", ["serve", "check", "search", "snapshots", "set-cover",
                                     "history"])
def test_each_command_explains_itself_settings_and_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse's way out of --help
        main([command, "--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    text = " ".join(out.split())
    assert ".env" in text and ".env.example" in text and "--env-file" in text
    assert "exit status: 0" in text and " 1 " in text and " 2 " in text
    for argument in re.findall(r"^  ([A-Z_]+)\s", out, re.MULTILINE):
        assert re.search(rf"^  {argument}\s+\S", out, re.MULTILINE), argument


@pytest.mark.parametrize(("command", "codes"), [
    ("serve", "012"), ("check", "012"), ("search", "012"), ("snapshots", "012"),
    ("set-cover", "0123"), ("capture", "012"), ("undo", "0123"), ("history", "012"),
    ("demo-vod", "012"),
])
def test_each_commands_help_lists_only_the_exit_codes_it_returns(
    command: str, codes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])

    exit_status = capsys.readouterr().out.split("exit status:")[1]
    assert "".join(re.findall(r"^  (\d)  \S", exit_status, re.MULTILINE)) == codes


def test_env_file_option_reads_another_file(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "demo.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))

    result = run_cli("search", "keynote", "--env-file", "demo.env", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Launch keynote" in result.stdout

    missing = run_cli("search", "keynote", "--env-file", "nope.env", env={}, cwd=tmp_path)
    assert missing.returncode == 2 and "nope.env is not a file" in missing.stderr


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


def test_serve_with_nothing_set_names_vod_and_slack_variables_at_once(tmp_path: Path) -> None:
    result = run_cli("serve", env={}, cwd=tmp_path)

    assert result.returncode == 2
    for name in ("VOD_ENDPOINT", "VOD_PROJECT_ID", "VOD_AK", "SLACK_BOT_TOKEN",
                 "SLACK_SIGNING_SECRET"):
        assert f"  {name}: " in result.stderr


def test_the_readme_start_line_on_a_copied_env_example_says_what_to_fill(
    tmp_path: Path,
) -> None:
    """`cp -n .env.example .env && setcover-bot serve`, before filling anything in."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")

    result = run_cli("serve", env={}, cwd=tmp_path)

    assert result.returncode == 2 and "Traceback" not in result.stderr
    for name in ("VOD_PROJECT_ID", "VOD_AK", "VOD_SK", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
                 "SETCOVER_ALLOWED_USERS"):
        assert f"  {name}: still the example from .env.example; yours is " in result.stderr
    assert not (tmp_path / "setcover.db").exists()


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
        (GOOD + "?x=1", "query"),  # GOOD: a snapshot URL of the cloud's shape
        (GOOD.replace("/sample/", "/../sample/"), "dot segment"),
        (GOOD.replace("https://", "https://@"), "user name"),
        (GOOD.replace("https", "HTTPS"), "lowercase"),
        (GOOD + "\u200b", "ZERO WIDTH SPACE"),
    ],
)
def test_set_cover_refuses_what_is_not_a_snapshot_url_before_any_call(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path, argument: str, expected: str
) -> None:
    result = run_cli("set-cover", argument, env=env, cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "snapshots VOD lists" in result.stderr
    assert "`setcover-bot snapshots ASSET_ID` lists them" in result.stderr
    assert "/setcover" not in result.stderr  # CLI words in a terminal
    assert fake_vod.requests == []


def test_a_failed_change_is_logged_without_none_for_what_vod_did_not_give(
    env: dict[str, str], tmp_path: Path
) -> None:
    unreachable = env | {"VOD_ENDPOINT": f"http://127.0.0.1:{free_port()}",
                         "VOD_MAX_RETRIES": "0"}
    result = run_cli("set-cover", snapshot_url(KEYNOTE, "sample", 0), env=unreachable,
                     cwd=tmp_path)

    assert result.returncode == 1
    assert "[no error code or request id from VOD]" in result.stderr
    assert "None" not in result.stderr


def test_an_empty_search_is_answered_plainly(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("search", " ", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr == "error: Say what to search for: a few words of the video's title.\n"
    assert fake_vod.requests == []


def test_set_cover_refuses_a_url_vod_does_not_list_for_the_asset(
    fake_vod: FakeVod, env: dict[str, str], tmp_path: Path
) -> None:
    unlisted = snapshot_url(KEYNOTE, "sample", 99)

    result = run_cli("set-cover", unlisted, env=env, cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert "is not one of the snapshots VOD lists for asset" in result.stderr
    assert f"/{KEYNOTE}/snapshot/sample/99.jpg` is not one" in result.stderr  # its end shown
    assert fake_vod.requests_to("/asset/cover") == []
    assert [r.path for r in fake_vod.api_requests] == [
        f"/v1.0/{fake_vod.project_id}/asset/details"]
    history = run_cli("history", KEYNOTE, env=env, cwd=tmp_path)
    [line] = history.stdout.splitlines()
    assert "failed" in line and "SNAPSHOT_NOT_LISTED" in line and unlisted in line


def test_history_line_shows_a_recorded_url_escaped() -> None:
    """A URL recorded before the snapshot rule cannot drive the operator's terminal."""
    from datetime import UTC, datetime

    from bot.cli import format_history_line
    from bot.store import ChangeRecord, Source, Status

    record = ChangeRecord(
        id=7, requested_at=datetime(2026, 11, 26, tzinfo=UTC), finished_at=None, team_id="T1",
        channel_id="C1", user_id="U1", asset_id="a1", asset_title=None,
        previous_cover_url=None, snapshot_url="https://x.example/\x1b[2J\u202ejpg.exe",
        source=Source.BUTTON, status=Status.FAILED, error_code=None, error_msg=None,
        request_id=None, idempotency_key=None)
    line = format_history_line(record)
    assert "\x1b" not in line and "\u202e" not in line
    assert "https://x.example/\\x1b[2J\\u202ejpg.exe" in line
