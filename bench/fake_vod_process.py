"""The fake VOD (tests/fakes/vod_server.py) in a process of its own, for the benchmark.

Started by `bench/vod_set_cover.py` with the repository root on PYTHONPATH. On start it
prints one JSON line: the URL, the AK/SK environment for the bot and the snapshot URLs
to set as covers. Then it answers commands on stdin, one JSON line each:

    stats   requests recorded since the last reset, by status; cover changes; the CPU
            seconds this process used since the last reset
    reset   forget the requests and cover changes (FakeVod.reset) and restart the CPU count
    quit    stop the server and exit (end of stdin does the same)
"""

from __future__ import annotations

import collections
import json
import sys
import time

ASSETS = 20  # assets seeded besides the fake's own two; 6 snapshots each


def main() -> None:
    from tests.fakes.vod_server import FakeVod, snapshot_url

    fake = FakeVod()
    fake.server.start()
    asset_ids = [f"{n:032x}" for n in range(1, ASSETS + 1)]

    def seed() -> None:
        for asset_id in asset_ids:
            fake.add_asset(asset_id, f"Bench asset {asset_id[-4:]}")

    seed()
    urls = [
        snapshot_url(asset_id, kind, n)
        for asset_id in asset_ids
        for kind, count in (("sample", 3), ("dots", 2), ("quantity", 1))
        for n in range(count)
    ]
    cpu_at_reset = time.process_time()
    say({
        "url": fake.url,
        "env": fake.settings_env("aksk"),
        "ak": fake.ak,
        "sk": fake.sk,
        "project_id": fake.project_id,
        "snapshot_urls": urls,
    })
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                with fake.lock:
                    statuses = collections.Counter(r.status for r in fake.requests)
                    changes = len(fake.cover_changes)
                    signed = sum(
                        1 for r in fake.requests
                        if (r.header("Authorization") or "").startswith("SDK-HMAC-SHA256 ")
                    )
                say({
                    "requests": sum(statuses.values()),
                    "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
                    "signed": signed,
                    "cover_changes": changes,
                    "cpu_s": time.process_time() - cpu_at_reset,
                })
            elif command == "reset":
                fake.reset()
                seed()
                cpu_at_reset = time.process_time()
                say({"reset": True})
            elif command == "quit":
                break
            else:
                say({"error": f"unknown command {command!r}"})
    finally:
        fake.server.stop()


def say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
