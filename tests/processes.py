"""Run the installed `setcover-bot` console script as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

OUR_PREFIXES = ("SLACK_", "VOD_", "IAM_", "SETCOVER_", "DATABASE_URL", "PORT", "LOG_")


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
