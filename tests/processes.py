"""Run the installed `setcover-bot` console script as a user would: the CLI, or `serve`."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.server import wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.vod_server import FakeVod
from tests.slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    USER_ID,
    click_body,
    command_body,
    signature_headers,
)

#: Our settings' environment variables: kept out of every test (conftest) and subprocess.
OUR_PREFIXES = ("SLACK_", "VOD_", "IAM_", "SETCOVER_", "DATABASE_URL", "PORT", "LOG_")
#: uvicorn shuts down gracefully on SIGTERM, then re-raises the signal so that the parent
#: sees how the process ended: exit by SIGTERM after a clean shutdown is a success.
CLEAN_EXITS = (0, -signal.SIGTERM)


def console_script() -> str:
    found = shutil.which("setcover-bot") or str(Path(sys.executable).parent / "setcover-bot")
    assert Path(found).exists(), "install the project first: pip install -e '.[test]'"
    return found


def bot_environment(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without any of our settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIXES)}
    return env | settings


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), *args], env=bot_environment(env), cwd=cwd,
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedBot:
    """A `setcover-bot serve` process and the requests Slack would send it.

    By default it lets `USER_ID` change covers and keeps its audit store in a SQLite file in
    `workdir`; `settings` overrides any variable (another DATABASE_URL, other rules);
    `open_files` lowers its limit of open files (`ulimit -n`).
    """

    def __init__(
        self, workdir: Path, vod: FakeVod, slack: FakeSlack,
        settings: dict[str, str] | None = None, *, open_files: int | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.slack = slack
        self.settings = vod.settings_env("aksk") | {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "SETCOVER_ALLOWED_USERS": USER_ID,
            "DATABASE_URL": f"sqlite:///{workdir}/audit.db",
            "PORT": str(self.port),
            "LOG_LEVEL": "INFO",
        } | (settings or {})
        self.log = (workdir / f"bot-{self.port}.log").open("w+b")
        self.process = subprocess.Popen(
            [console_script(), "serve"], cwd=workdir, env=bot_environment(self.settings),
            stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=None if open_files is None else lambda: resource.setrlimit(
                resource.RLIMIT_NOFILE, (open_files, open_files)),
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)
        try:
            wait_until(self._healthy, timeout=30, interval=0.1)
        except AssertionError:
            self.stop()
            raise AssertionError(f"the bot did not start:\n{self.output()}") from None

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the bot exited ({self.process.returncode}):\n{self.output()}")
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def assert_clean_exit(self) -> None:
        """Stopped by SIGTERM cleanly, no stack trace, and no secret in anything it logged."""
        code = self.stop()
        output = self.output()
        assert code in CLEAN_EXITS, output
        assert "Traceback" not in output, output
        for name in ("VOD_SK", "VOD_SECURITY_TOKEN", "VOD_AUTH_TOKEN", "IAM_PASSWORD",
                     "VOD_URL_AUTH_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                     "SLACK_APP_TOKEN"):
            secret = self.settings.get(name)
            assert not secret or secret not in output, f"{name} appears in the log"

    def finished(self, kind: str, count: int = 1) -> None:
        """Wait until `count` Slack requests of `kind` (`use_cover`, …) have done all their
        work: each logs one `bot.requests` line at its very end, after its last post."""
        wait_until(lambda: self.output().count(f"bot.requests: slack {kind} ") >= count)

    def logged(self, fragment: str, count: int = 1) -> None:
        """Wait until the bot has logged `fragment` `count` times."""
        wait_until(lambda: self.output().count(fragment) >= count)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.http.close()
        return self.process.returncode

    # ---- what Slack does ------------------------------------------------------------
    def post(self, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post("/slack/events", content=body,
                              headers=headers or signature_headers(body))

    def command(self, text: str, **kwargs: str) -> tuple[httpx.Response, str]:
        url = self.slack.new_response_url()
        return self.post(command_body(text, response_url=url, **kwargs)), url

    def click(self, message: Recorded, **select: object) -> tuple[httpx.Response, str]:
        url = self.slack.new_response_url()
        return self.post(click_body(message.blocks, response_url=url, **select)), url  # type: ignore[arg-type]

    def open_capture_form(self, asset_id: str) -> tuple[dict[str, Any], str]:
        """Open the asset's picker and click its "Capture at…": the modal the bot asked
        Slack to open, and the click's response_url (where the capture answers)."""
        _, url = self.command(asset_id)
        (picker,) = self.posts(url)
        _, click_url = self.click(picker, text="Capture at…")
        (opened,) = wait_until(lambda: self.slack.api_calls("views.open"))
        view = opened.body["view"]
        return (json.loads(view) if isinstance(view, str) else view), click_url

    def posts(self, url: str, count: int = 1) -> list[Recorded]:
        return wait_until(lambda: (p := self.slack.posts_to(url)) and len(p) >= count and p)


#: The `start_bot` fixture (tests/conftest.py): `start_bot(**settings) -> ServedBot`.
StartBot = Callable[..., ServedBot]
