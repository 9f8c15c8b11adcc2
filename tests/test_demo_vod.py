"""`setcover-bot demo-vod`, started as the README says, then the CLI against it."""

from __future__ import annotations

import io
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bot.standin.frames import REEL
from tests.processes import bot_environment, console_script, free_port, run_cli

KEYNOTE = "6e76f92034ceae2fcdcef9413221511f"


class DemoVod:
    """A running `setcover-bot demo-vod`, and what it printed until it was ready."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [console_script(), "demo-vod", "--port", str(self.port)], cwd=workdir,
            env=bot_environment({}), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        self.printed = ""
        for line in self.process.stdout:  # ready once it says how to stop it
            self.printed += line
            if line.startswith("Ctrl-C stops it."):
                break
        assert "Ctrl-C stops it." in self.printed, self.printed

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoVod]:
    running = DemoVod(tmp_path)
    yield running
    if running.process.poll() is None:
        running.stop()


def test_the_stand_in_prints_and_writes_the_settings_that_reach_it(
    demo: DemoVod, tmp_path: Path
) -> None:
    written = (tmp_path / "demo.env").read_text()
    assert f"VOD_ENDPOINT=http://127.0.0.1:{demo.port}\n" in written
    assert f"VOD_ENDPOINT=http://127.0.0.1:{demo.port}" in demo.printed
    assert "check --env-file demo.env" in demo.printed
    assert "4 sample videos" in demo.printed
    assert demo.stop() == 0


def test_check_search_snapshots_set_cover_and_history_work_against_it(
    demo: DemoVod, tmp_path: Path
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--env-file", "demo.env", env={}, cwd=tmp_path)

    check = cli("check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert [line.split(":")[0] for line in check.stdout.splitlines()] == [
        "ok    settings", "ok    VOD", "ok    audit store", "skip  Slack"], check.stdout
    assert "4 asset(s)" in check.stdout

    search = cli("search", "keynote")
    assert search.returncode == 0 and search.stdout == f"{KEYNOTE}  Launch keynote\n"

    snapshots = cli("snapshots", KEYNOTE)
    assert snapshots.returncode == 0, snapshots.stderr
    rows = snapshot_rows(snapshots.stdout)
    [first_cover] = [row[-1] for row in rows if "current" in row]  # a snapshot: undo works
    url = rows[2][-1]

    changed = cli("set-cover", url)
    assert changed.returncode == 0, changed.stderr
    assert "Launch keynote" in changed.stdout
    after = cli("snapshots", KEYNOTE)
    assert f"Current cover: {url}" in after.stdout

    history = cli("history", KEYNOTE)
    assert "succeeded" in history.stdout and url in history.stdout
    change_id = history.stdout.split()[0]
    undone = cli("undo", change_id)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert f"Current cover: {first_cover}" in cli("snapshots", KEYNOTE).stdout
    assert (tmp_path / "demo.db").exists()
    assert demo.stop() == 0


def snapshot_rows(printed: str) -> list[list[str]]:
    """`snapshots`' table rows (number first), split into columns."""
    return [cols for cols in map(str.split, printed.splitlines()) if cols and cols[0].isdigit()]


def test_it_serves_real_pictures_that_snapshots_scores(demo: DemoVod, tmp_path: Path) -> None:
    scored = run_cli("snapshots", KEYNOTE, "--scores", "--env-file", "demo.env", env={},
                     cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    rows = snapshot_rows(scored.stdout)
    assert len(rows) == len(REEL)
    assert [row[3] for row in rows if not row[3][0].isdigit()] == ["dark", "blurry", "flat"]
    assert sum("*" in row for row in rows) == 3
    url = rows[1][-1]
    assert url.startswith(f"http://127.0.0.1:{demo.port}/asset/{KEYNOTE}/snapshot/")
    response = httpx.get(url)
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (640, 360)
    assert demo.stop() == 0


def test_a_second_stand_in_on_the_same_port_says_so(demo: DemoVod, tmp_path: Path) -> None:
    second = run_cli("demo-vod", "--port", str(demo.port), env={}, cwd=tmp_path)

    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{demo.port}" in second.stdout
    assert "Traceback" not in second.stdout + second.stderr


def test_a_new_port_rewrites_the_stand_ins_lines_of_an_existing_file(tmp_path: Path) -> None:
    """`demo-vod --port N` after an earlier run: demo.env follows it, the lines the user
    added (Slack tokens) stay."""
    first = DemoVod(tmp_path)
    assert first.stop() == 0
    env_file = tmp_path / "demo.env"
    env_file.write_text(env_file.read_text() + "SLACK_BOT_TOKEN=xoxb-mine\n")
    old_port = first.port

    second = DemoVod(tmp_path)
    try:
        written = env_file.read_text()
        assert f"VOD_ENDPOINT=http://127.0.0.1:{second.port}\n" in written
        assert f"127.0.0.1:{old_port}" not in written
        assert "SLACK_BOT_TOKEN=xoxb-mine\n" in written
        assert "demo.env updated" in second.printed
        search = run_cli("search", "keynote", "--env-file", "demo.env", env={}, cwd=tmp_path)
        assert search.returncode == 0, search.stderr
    finally:
        assert second.stop() == 0


def test_an_env_file_that_is_not_the_stand_ins_is_left_alone(tmp_path: Path) -> None:
    env_file = tmp_path / "demo.env"
    real = "VOD_ENDPOINT=https://vod.cn-north-4.myhuaweicloud.com\nVOD_AK=mine\n"
    env_file.write_text(real)

    result = run_cli("demo-vod", "--port", str(free_port()), env={}, cwd=tmp_path)

    assert result.returncode == 1
    assert env_file.read_text() == real
    assert "demo.env points at https://vod.cn-north-4.myhuaweicloud.com" in result.stdout
    assert "--write" in result.stdout and "Traceback" not in result.stdout + result.stderr
