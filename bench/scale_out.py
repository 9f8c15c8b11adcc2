"""Benchmark: completed cover changes per second with 1, 2 and 4 `setcover-bot serve`
processes on one PostgreSQL database.

    .venv/bin/python bench/scale_out.py [--changes 600] [--concurrency 50] [--repeats 3]

Issue 10: 2 processes should complete at least 1.6x the changes of one. A fresh database
is created on 127.0.0.1:5432 for the run (`BENCH_POSTGRES_URL` names the server's
maintenance database) and dropped after it; the server itself is never touched.

Four processes are started (the installed console script, production settings, the same
`DATABASE_URL`); a level of n uses the first n, the others stay idle. For each level,
`--changes` signed `/setcover <snapshot URL>` commands (each a different asset: one full
cover change each: policy, pending row, VOD look-up and change, outcome row, the outcome
posted to the channel) go round-robin to the n processes, `--concurrency` in flight,
as fast as they are acknowledged. Completed changes per second = changes / (the last
outcome post reaching the fake Slack - the first request sent). The fake VOD answers at
once, so the figure is what the processes' CPU allows. Checked after every level: every
acknowledgement 200, one outcome post per change, one cover change per change at the fake
VOD, and that many `succeeded` rows in the database. Levels run in turn, reversed on
every other repeat; the figure is the median over repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from harness import FakeProcess, Served, machine, median, run_alone, start_setcover
from psycopg import sql

from tests.slack_requests import command_body, signature_headers

LEVELS = (1, 2, 4)
TARGET_TWO = 1.6
WARMUP_PER_PROCESS = 20
SETTLE_TIMEOUT_S = 120.0
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class Database:
    """A fresh PostgreSQL database for the run, dropped afterwards."""

    def __init__(self, stamp: str) -> None:
        self.name = f"setcover_bench_{stamp.lower()}"
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.url = f"{ADMIN_URL.rpartition('/')[0]}/{self.name}"

    def succeeded(self) -> int:
        with psycopg.connect(self.url, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT count(*) FROM cover_changes WHERE status = 'succeeded'").fetchone()
            return int(row[0]) if row else 0

    def drop(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(self.name)))


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL server process on this machine, by pid (the server
    forks one per connection, so a change's share is the sum of their deltas)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(" (")[2].rpartition(")")
        if name.startswith("postgres"):
            fields = rest.split()
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def postgres_cpu_since(before: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu().items())


async def change_covers(bots: list[Served], vod: FakeProcess, slack: FakeProcess,
                        changes: int, concurrency: int, hooks: str) -> dict[str, Any]:
    """`changes` cover changes spread over `bots`; wait for every outcome post."""
    urls = vod.info["snapshot_urls"]
    requests = []
    for i in range(changes):
        body = command_body(urls[i * 6 + i % 6], response_url=f"{slack.info['url']}/hooks/"
                            f"{hooks}-{i}")
        requests.append((bots[i % len(bots)].url + "/slack/events", body.encode(),
                         signature_headers(body)))
    statuses: dict[int, int] = {}
    todo = iter(requests)
    cpu0 = time.process_time()
    pg0 = postgres_cpu()
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            for url, body, headers in todo:
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    acked = time.monotonic()
    load_cpu_s = time.process_time() - cpu0
    deadline = acked + SETTLE_TIMEOUT_S
    while (stats := slack.command(f"stats {hooks}-"))["hook_posts"] < changes:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{stats['hook_posts']} of {changes} outcomes after "
                               f"{SETTLE_TIMEOUT_S:.0f} s: {stats}")
        await asyncio.sleep(0.05)
    done = stats["last_post_at"]
    pg_cpu_s = postgres_cpu_since(pg0)
    vod_stats = vod.command("stats")
    problems = []
    if statuses != {200: changes}:
        problems.append(f"acknowledgements {statuses}")
    if stats["hook_posts"] != changes or stats["by_kind"] != {"in_channel": changes}:
        problems.append(f"outcome posts {stats['by_kind']}")
    if vod_stats["cover_changes"] != changes:
        problems.append(f"{vod_stats['cover_changes']} cover changes at VOD")
    if problems:
        raise RuntimeError(f"{len(bots)} process(es), {changes} changes: " + "; ".join(problems))
    slack.command("reset")
    vod.command("reset")
    return {"changes": changes, "acked_in_s": acked - started, "done_in_s": done - started,
            "changes_per_s": changes / (done - started),
            "cpu_ms_per_change": {
                "fake VOD": vod_stats["cpu_s"] / changes * 1000,
                "fake Slack": stats["cpu_s"] / changes * 1000,
                "load generator": load_cpu_s / changes * 1000,
                "PostgreSQL": pg_cpu_s / changes * 1000,
            }}


def run(args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    print(f"scale-out: {args.changes} cover changes per level, {args.concurrency} in flight, "
          f"levels {LEVELS} processes on one PostgreSQL, {args.repeats} repeats", flush=True)
    database = Database(stamp)
    per_level: dict[int, list[dict[str, Any]]] = {n: [] for n in LEVELS}
    cpu: dict[int, list[float]] = {n: [] for n in LEVELS}
    try:
        with tempfile.TemporaryDirectory(prefix="setcover-scale-") as tmp, \
                FakeProcess("vod", "--assets", str(args.changes)) as vod, \
                FakeProcess("slack") as slack:
            bots: list[Served] = []
            try:
                for _ in range(max(LEVELS)):
                    bots.append(start_setcover(vod, slack, Path(tmp),
                                               DATABASE_URL=database.url))
                warm = asyncio.run(change_covers(
                    bots, vod, slack, min(args.changes, WARMUP_PER_PROCESS * len(bots)),
                    args.concurrency, "warm"))
                recorded = warm["changes"]
                for repeat in range(args.repeats):
                    order = LEVELS if repeat % 2 == 0 else tuple(reversed(LEVELS))
                    for n in order:
                        cpu0 = [bot.cpu_s() for bot in bots[:n]]
                        result = asyncio.run(change_covers(
                            bots[:n], vod, slack, args.changes, args.concurrency,
                            f"r{repeat}-n{n}"))
                        busy = sum(bot.cpu_s() - c for bot, c in zip(bots, cpu0, strict=False))
                        result["bot_cpu_s_per_change_ms"] = busy / args.changes * 1000
                        result["cpu_ms_per_change"]["bots"] = result["bot_cpu_s_per_change_ms"]
                        recorded += args.changes
                        succeeded = database.succeeded()
                        if succeeded != recorded:
                            raise RuntimeError(f"{succeeded} succeeded rows, expected {recorded}")
                        per_level[n].append(result)
                        cpu[n].append(result["bot_cpu_s_per_change_ms"])
                        print(f"  repeat {repeat + 1}, {n} process(es): "
                              f"{result['changes_per_s']:7.1f} changes/s "
                              f"(bot CPU {result['bot_cpu_s_per_change_ms']:.1f} ms per change)",
                              flush=True)
                peak_rss = [bot.peak_rss_mib() for bot in bots]
            finally:
                for bot in bots:
                    bot.stop()
    finally:
        database.drop()
    rates = {n: median([r["changes_per_s"] for r in per_level[n]]) for n in LEVELS}
    parts = per_level[1][0]["cpu_ms_per_change"]
    cpu_parts = {part: median([r["cpu_ms_per_change"][part] for r in per_level[1]])
                 for part in parts}
    scaling = {n: rates[n] / rates[1] for n in LEVELS}
    print("completed changes/s (median): " + ", ".join(
        f"{n} process(es) {rates[n]:.1f} ({scaling[n]:.2f}x)" for n in LEVELS))
    return {
        "benchmark": "scale_out",
        "started": stamp,
        "machine": machine(),
        "parameters": vars(args) | {"levels": LEVELS, "warmup_per_process": WARMUP_PER_PROCESS,
                                    "vod_latency_s": 0.0},
        "changes_per_s": rates,
        "scaling": scaling,
        "bot_cpu_ms_per_change": {n: median(cpu[n]) for n in LEVELS},
        # with one process: what each part of the set-up spends per change (not PostgreSQL)
        "cpu_ms_per_change_one_process": cpu_parts,
        "target_two": TARGET_TWO,
        "peak_rss_mib": peak_rss,
        "runs": per_level,
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    return parser


if __name__ == "__main__":
    sys.exit(run_alone("scale_out", parser(), run))
