"""`setcover-bot demo-vod`: a local VOD with sample videos, to try the bot without a cloud.

It is the tests' fake VOD (`bot.standin.vod`): it checks AK/SK signatures as Huawei Cloud
does and answers asset details, search, cover changes and snapshot tasks. It writes the
settings that reach it to a file (`demo.env`), so every command can use them with
`--env-file demo.env`; add Slack tokens there to drive it from Slack in Socket Mode. It
serves the snapshot pictures too, at its own address (`bot.standin.frames` paints them:
scenes, and a dark, a flat and a blurry frame), so the picker shows a real contact sheet
and `snapshots --scores` has something to judge. Each video's cover is one of its snapshots,
so `undo` works from the first change.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.config import LOOPBACK_HOSTS

if TYPE_CHECKING:
    from bot.standin.vod import FakeVod

DEFAULT_PORT = 8070
SAMPLES = {
    "9a0c6e7d5b4f43a1b2c3d4e5f6a7b8c9": "Product demo 2026",
    "5d1e2f3a4b5c46d7e8f9a0b1c2d3e4f5": "Team offsite highlights",
}


def settings_text(fake: FakeVod) -> str:
    """The `.env` lines for a bot that talks to `fake`, and what to add for Slack."""
    env = fake.settings_env("aksk") | {"DATABASE_URL": "sqlite:///demo.db",
                                       "VOD_SNAPSHOT_HOSTS": "127.0.0.1"}
    env.pop("VOD_TIMEOUT_S", None)
    env.pop("VOD_MAX_RETRIES", None)
    lines = [f"{name}={value}" for name, value in env.items()]
    return (
        "# Settings for the local VOD stand-in (`setcover-bot demo-vod`).\n"
        + "\n".join(lines)
        + "\n# To try it from Slack in Socket Mode, add your app's tokens and your member id:\n"
          "# SLACK_BOT_TOKEN=xoxb-…\n# SLACK_APP_TOKEN=xapp-…\n# SETCOVER_ALLOWED_USERS=U…\n"
    )


def write_settings(env_file: Path, fake: FakeVod) -> str:
    """Write the settings that reach `fake`; in an existing file, only the stand-in's own
    lines are rewritten (a new port, say), and what the user added (Slack tokens, another
    DATABASE_URL) stays. Returns what was done, for the banner."""
    fresh = settings_text(fake)
    if not env_file.exists():
        env_file.write_text(fresh)
        return f"settings written to {env_file}"
    ours = dict(_assignments(fresh.splitlines()))
    ours.pop("DATABASE_URL")  # the audit store is the user's to move
    lines = env_file.read_text().splitlines()
    current = dict(_assignments(lines))
    if all(current.get(name) == value for name, value in ours.items()):
        return f"{env_file} kept (already up to date)"
    rewritten = [f"{name}={ours[name]}" if name in ours else line
                 for line, name in ((line, line.partition("=")[0].strip()) for line in lines)]
    added = [f"{name}={value}" for name, value in ours.items() if name not in current]
    env_file.write_text("\n".join(rewritten + added) + "\n")
    return f"{env_file} updated (the stand-in's lines; the rest kept)"


def _assignments(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    for line in lines:
        name, equals, value = line.partition("=")
        if equals and not name.lstrip().startswith("#"):
            yield name.strip(), value.strip()


def _foreign_endpoint(env_file: Path) -> str | None:
    """The VOD_ENDPOINT of an existing `env_file` when it is not a stand-in on this
    machine (a real account's settings must not be overwritten), else None."""
    if not env_file.is_file():
        return None
    endpoint = dict(_assignments(env_file.read_text().splitlines())).get("VOD_ENDPOINT")
    if endpoint is None or urlsplit(endpoint).hostname in LOOPBACK_HOSTS:
        return None
    return endpoint


def run(port: int, env_file: Path) -> int:
    """Serve until Ctrl-C or SIGTERM; 0 when stopped so."""
    from bot.standin.vod import FakeVod  # aiohttp's server: only when serving

    stop = threading.Event()  # set by SIGTERM; handled before "ready" is printed
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    foreign = _foreign_endpoint(env_file)
    if foreign is not None:
        print(f"error: {env_file} points at {foreign}, not at a stand-in on this machine, so "
              f"it is left alone. Write the stand-in's settings elsewhere (--write "
              f"demo-vod.env), or move {env_file} away.")
        return 1
    try:
        fake = FakeVod(port=port)  # takes the port
        fake.server.start()
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
              "pick another port with --port")
        return 1
    videos = {asset.asset_id: asset.title for asset in fake.assets.values()} | SAMPLES
    for number, (asset_id, title) in enumerate(videos.items()):  # snapshots at its address
        fake.add_reel(asset_id, title, first_scene=number * 3)
    written = write_settings(env_file, fake)
    count = len(fake.assets)
    print(f"Local VOD stand-in on {fake.url} with {count} sample videos; {written}:\n")
    print("\n".join(f"  {line}" for line in settings_text(fake).splitlines()
                    if not line.startswith("#")))
    me = _this_program()
    print(f"\nIn another terminal, from this directory:\n"
          f"  {me} check --env-file {env_file}\n"
          f"  {me} search keynote --env-file {env_file}\n"
          f"  {me} snapshots 6e76f92034ceae2fcdcef9413221511f --scores --env-file "
          f"{env_file}\n"
          "Ctrl-C stops it.", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.stop()
    return 0


def _this_program() -> str:
    """How the user started us, relative to here when it is a path (.venv/bin/…)."""
    program = Path(sys.argv[0])
    if program.is_file():
        return os.path.relpath(program)
    return "setcover-bot"
