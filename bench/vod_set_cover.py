"""Benchmark: `set_cover` through our `VodClient`, Huawei's official SDK and bare httpx.

    .venv/bin/python bench/vod_set_cover.py [--calls 2000] [--concurrency 50] [--repeats 3]

2,000 `set_cover` calls, 50 concurrent, through `VodClient`, through `huaweicloudsdkvod`'s
`VodAsyncClient` (`update_cover_by_thumbnail_async`), and through a bare `httpx.AsyncClient`
over the same aiohttp transport sending requests signed before the timing (the ceiling:
what httpx and the transport cost alone), against the same signature-checking server.
Issue 10's targets: ours at least 3x the SDK's calls per second and at least 90 % of
the bare client's.

The fake VOD of the tests (it recomputes every AK/SK signature) runs in a process of its
own (bench/fake_process.py); each measurement runs one client in a fresh process
(bench/set_cover_client.py), so client and server never share an interpreter and the peak
RSS is the client's. After every run the fake's own record must show every call answered
204, signed, and one cover change per call; otherwise the benchmark stops. Warm-up calls
are not timed.
The clients take turns (the order rotates each repeat); each figure is the median over
the repeats. Prints a table and writes bench/results/<timestamp>-vod_set_cover.json.
`--profile` adds one cProfile run of each client and prints where its time goes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import BENCH, RESULTS, ROOT, FakeProcess, child_env, machine, percentile, write_result

IMPLS = {
    "ours": "VodClient (httpx + aiohttp)",
    "sdk": "VodAsyncClient (SDK 3.1.219)",
    "httpx": "bare httpx + aiohttp (ceiling)",
}
TARGET_SDK_RATIO = 3.0
TARGET_CEILING_SHARE = 0.9
CLIENT_TIMEOUT_S = 90.0


def run_client(
    fake: FakeProcess, impl: str, args: argparse.Namespace, profile: str | None = None
) -> dict[str, Any]:
    """One measurement: a fresh client process, then the fake's record checked."""
    fake.command("reset")
    job = fake.info | {
        "impl": impl, "calls": args.calls, "concurrency": args.concurrency,
        "warmup": args.warmup, "profile": profile,
    }
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "set_cover_client.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=child_env(),
    )
    try:
        out, err = proc.communicate(json.dumps(job), timeout=CLIENT_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"the {impl} client failed (exit {proc.returncode}):\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])

    server = fake.command("stats")
    expected = args.warmup + args.calls
    problems = []
    if server["statuses"] != {"204": expected}:
        problems.append(f"statuses {server['statuses']}, expected {{'204': {expected}}}")
    if server["signed"] != expected:
        problems.append(f"{server['signed']} requests signed with SDK-HMAC-SHA256")
    if server["cover_changes"] != expected:
        problems.append(f"{server['cover_changes']} cover changes recorded")
    if result["calls"] != args.calls:
        problems.append(f"the client timed {result['calls']} calls")
    if problems:
        raise RuntimeError(f"{impl}: the fake VOD's record is wrong: " + "; ".join(problems))
    result["server"] = server
    return result


def describe(result: dict[str, Any]) -> dict[str, float]:
    """The figures of one run."""
    latencies = sorted(result["latencies_s"])
    calls = result["calls"]
    server = result["server"]
    server_cpu_per_call = server["cpu_s"] / server["requests"]
    return {
        "calls_per_s": result["calls_per_s"],
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000,
        "peak_rss_mib": result["peak_rss_kib"] / 1024,
        "rss_after_imports_mib": result["rss_after_imports_kib"] / 1024,
        "rss_growth_mib": (result["peak_rss_kib"] - result["rss_after_imports_kib"]) / 1024,
        "client_cpu_us_per_call": result["cpu_s"] / calls * 1e6,
        "client_cpu_busy": result["cpu_s"] / result["wall_s"],
        "server_cpu_us_per_call": server_cpu_per_call * 1e6,
        # the server's share of one core while the timed calls ran (approximately)
        "server_cpu_busy": server_cpu_per_call * result["calls_per_s"],
    }


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def print_table(summary: dict[str, dict[str, float]], per_run: dict[str, list[float]]) -> None:
    rows = [
        ("calls/s (median)", "calls_per_s", "{:,.0f}"),
        ("latency p50 ms", "p50_ms", "{:.1f}"),
        ("latency p95 ms", "p95_ms", "{:.1f}"),
        ("latency p99 ms", "p99_ms", "{:.1f}"),
        ("latency max ms", "max_ms", "{:.1f}"),
        ("peak RSS MiB", "peak_rss_mib", "{:.1f}"),
        ("  of which imports MiB", "rss_after_imports_mib", "{:.1f}"),
        ("  growth while calling MiB", "rss_growth_mib", "{:.1f}"),
        ("client CPU us/call", "client_cpu_us_per_call", "{:.0f}"),
        ("client CPU busy (cores)", "client_cpu_busy", "{:.2f}"),
        ("server CPU us/call", "server_cpu_us_per_call", "{:.0f}"),
        ("server CPU busy (cores)", "server_cpu_busy", "{:.2f}"),
    ]
    width = 26
    print(f"{'':{width}}" + "".join(f"{IMPLS[i]:>32}" for i in IMPLS))
    print(f"{'calls/s (each run)':{width}}" + "".join(
        f"{' / '.join(f'{v:,.0f}' for v in per_run[i]):>32}" for i in IMPLS
    ))
    for label, key, fmt in rows:
        print(f"{label:{width}}" + "".join(f"{fmt.format(summary[i][key]):>32}" for i in IMPLS))


def print_profile(path: Path, impl: str, limit: int = 15) -> None:
    import pstats

    print(f"\n--- cProfile, {IMPLS[impl]}: top {limit} by own CPU time (all threads) ---")
    stats = pstats.Stats(str(path))
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="also run each client once under cProfile and print the top")
    return parser


def run(args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    print(f"VOD client throughput: {args.calls} set_cover calls, {args.concurrency} concurrent, "
          f"{args.warmup} warm-up calls, {args.repeats} repeats", flush=True)
    raw: dict[str, list[dict[str, Any]]] = {impl: [] for impl in IMPLS}
    profiles: dict[str, str] = {}
    with FakeProcess("vod") as fake:
        for repeat in range(args.repeats):
            order = list(IMPLS)[repeat % len(IMPLS):] + list(IMPLS)[:repeat % len(IMPLS)]
            for impl in order:
                result = run_client(fake, impl, args)
                raw[impl].append(result)
                print(f"  run {repeat + 1} {impl:>5}: {result['calls_per_s']:8,.0f} calls/s",
                      flush=True)
        if args.profile:
            RESULTS.mkdir(parents=True, exist_ok=True)
            for impl in IMPLS:
                path = RESULTS / f"profile-{impl}.pstats"
                run_client(fake, impl, args, profile=str(path))
                profiles[impl] = str(path)

    figures = {impl: [describe(r) for r in raw[impl]] for impl in IMPLS}
    summary = {impl: median_figures(figures[impl]) for impl in IMPLS}
    per_run = {impl: [f["calls_per_s"] for f in figures[impl]] for impl in IMPLS}
    sdk_ratio = summary["ours"]["calls_per_s"] / summary["sdk"]["calls_per_s"]
    ceiling_share = summary["ours"]["calls_per_s"] / summary["httpx"]["calls_per_s"]
    print()
    print_table(summary, per_run)
    met = sdk_ratio >= TARGET_SDK_RATIO
    print(f"\nours / SDK (median calls/s): {sdk_ratio:.2f}x "
          f"(target {TARGET_SDK_RATIO:.0f}x: {'met' if met else 'MISSED'})")
    print(f"ours / bare httpx: {ceiling_share:.0%} (target {TARGET_CEILING_SHARE:.0%}: "
          f"{'met' if ceiling_share >= TARGET_CEILING_SHARE else 'MISSED'})")
    print("every run: all calls answered 204 by the fake VOD after verifying the AK/SK "
          "signature, one recorded cover change per call")
    for impl, path in profiles.items():
        print_profile(Path(path), impl)
    return {
        "benchmark": "vod_set_cover",
        "started": stamp,
        "machine": machine(),
        "parameters": {"calls": args.calls, "concurrency": args.concurrency,
                       "warmup": args.warmup, "repeats": args.repeats},
        "impls": IMPLS,
        "summary": summary,
        "per_run_calls_per_s": per_run,
        "ratio_sdk": sdk_ratio,
        "share_of_ceiling": ceiling_share,
        "targets": {"ratio_sdk": TARGET_SDK_RATIO, "share_of_ceiling": TARGET_CEILING_SHARE},
        "runs": {impl: [
            {k: v for k, v in r.items() if k != "latencies_s"} | {"figures": f}
            for r, f in zip(raw[impl], figures[impl], strict=True)
        ] for impl in IMPLS},
        "profiles": profiles,
    }


def main() -> int:
    args = parser().parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = run(args, stamp)
    path = write_result("vod_set_cover", result, stamp)
    print(f"\nwrote {path.relative_to(ROOT)} in {time.monotonic() - START:.0f} s")
    return 0


START = time.monotonic()

if __name__ == "__main__":
    sys.exit(main())
