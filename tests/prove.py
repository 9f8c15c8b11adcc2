"""What the issue 9 suites (faults, fuzz, load) share: the profile, and their figures.

`PROVE_PROFILE=full` runs the long profiles (`bench/reliability.py` sets it); anything else
is the short CI profile. With `PROVE_REPORT=<file>`, each suite adds its figures to that
JSON file, which `bench/reliability.py` turns into `docs/reliability.md`.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

FULL = os.environ.get("PROVE_PROFILE", "ci") == "full"
_lock = threading.Lock()


#: Served bots log everything in the full profile, so that the secret scan of
#: `bench/reliability.py` reads every level; in CI only warnings, to stay fast.
BOT_LOG_LEVEL = "DEBUG" if FULL else "WARNING"


def pick(ci: int, full: int) -> int:
    """The size for the profile in force."""
    return full if FULL else ci


def report(suite: str, **figures: Any) -> None:
    """Add `figures` to suite `suite` of the report file (counts add up across tests)."""
    path = os.environ.get("PROVE_REPORT")
    if not path:
        return
    with _lock:
        file = Path(path)
        data = json.loads(file.read_text()) if file.exists() else {}
        entry = data.setdefault(suite, {})
        for name, value in figures.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                entry[name] = entry.get(name, 0) + value
            elif isinstance(value, list):
                entry[name] = sorted(set(entry.get(name, [])) | set(value))
            else:
                entry[name] = value
        file.write_text(json.dumps(data, indent=2, sort_keys=True))


def slack_requests_done(kind: str | None = None) -> float:
    """Slack requests this process has finished (in-process apps), of `kind` or all."""
    total = 0.0
    for family in REGISTRY.collect():
        if family.name != "setcover_slack_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and kind in (None, sample.labels["kind"]):
                total += sample.value
    return total
