"""Benchmark: the bot's CPU per cover change against another checkout's, side by side.

    .venv/bin/python bench/cpu_versus.py --baseline ../setcover-64405d6 [--changes 400]

CPU time per change depends on the machine as much as on the code: the same commit costs
three times as much on a busy 2-core machine as on a quiet one (contended caches and
cores). A figure from another day cannot tell a regression from a noisy machine, so this
runs one `setcover-bot serve` of this checkout and one of `--baseline` (a checkout with
its own `.venv`, installed with `pip install -e .`) on one PostgreSQL database and the same
fakes, alternating rounds of `--changes` cover changes (as `scale_out.py` makes them), and
reports each one's median CPU per change and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import (
    FakeProcess,
    Served,
    console_script,
    free_port,
    machine,
    median,
    setcover_env,
    write_result,
)
from scale_out import Database, change_covers

WARMUP = 40


def start(script: str, name: str, vod: FakeProcess, slack: FakeProcess, workdir: Path,
          database_url: str) -> Served:
    port = free_port()
    return Served(name, [script, "serve"], workdir=workdir, port=port,
                  env=setcover_env(vod, slack, workdir, port, DATABASE_URL=database_url))


def run(args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    baseline_script = args.baseline.resolve() / ".venv" / "bin" / "setcover-bot"
    if not baseline_script.exists():
        raise SystemExit(f"{baseline_script} is missing: install the baseline checkout first")
    scripts = {"this checkout": console_script(), "baseline": str(baseline_script)}
    cpu: dict[str, list[float]] = {name: [] for name in scripts}
    database = Database(stamp)
    try:
        with tempfile.TemporaryDirectory(prefix="setcover-cpu-") as tmp, \
                FakeProcess("vod", "--assets", str(args.changes)) as vod, \
                FakeProcess("slack") as slack:
            bots = {name: start(script, name.replace(" ", "-"), vod, slack, Path(tmp),
                                database.url) for name, script in scripts.items()}
            try:
                for name, bot in bots.items():
                    asyncio.run(change_covers([bot], vod, slack, WARMUP, args.concurrency,
                                              f"warm-{name[0]}"))
                for repeat in range(args.repeats):
                    order = list(bots) if repeat % 2 == 0 else list(reversed(bots))
                    for name in order:
                        bot = bots[name]
                        before = bot.cpu_s()
                        asyncio.run(change_covers([bot], vod, slack, args.changes,
                                                  args.concurrency, f"r{repeat}-{name[0]}"))
                        cpu[name].append((bot.cpu_s() - before) / args.changes * 1000)
                        print(f"  repeat {repeat + 1}, {name}: {cpu[name][-1]:.2f} ms per change",
                              flush=True)
            finally:
                for bot in bots.values():
                    bot.stop()
    finally:
        database.drop()
    ours, theirs = median(cpu["this checkout"]), median(cpu["baseline"])
    print(f"bot CPU per change (median): this checkout {ours:.2f} ms, baseline {theirs:.2f} ms "
          f"({ours / theirs:.2f}x)")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.baseline,
                            text=True, capture_output=True, check=False).stdout.strip()
    return {"benchmark": "cpu_versus", "started": stamp, "machine": machine(),
            "parameters": vars(args) | {"baseline": str(args.baseline)},
            "baseline_commit": commit or str(args.baseline),
            "cpu_ms_per_change": {"this checkout": ours, "baseline": theirs},
            "ratio": ours / theirs, "runs": cpu}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", type=Path, required=True)
    p.add_argument("--changes", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--repeats", type=int, default=4)
    return p


def main() -> int:
    args = parser().parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    print(write_result("cpu_versus", run(args, stamp), stamp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
