"""Run every benchmark of issues 10 and 18 and write docs/benchmarks.md (its summary table
first) and its plot.

    .venv/bin/python bench/run_all.py            # about 5 minutes on 2 cores
    .venv/bin/python bench/run_all.py --quick    # a smoke run: fewer rounds, not for the docs

Needs `pip install -e '.[test,bench]'` and PostgreSQL on 127.0.0.1:5432 (for the scale-out;
`BENCH_POSTGRES_URL` names another server's maintenance database). Network: 127.0.0.1 only.
The numbers in the docs are this run's; the analysis under "Reading it" is
bench/analysis.md, copied in as it is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ack_latency
import cpu_versus
import picker_time
import scale_out
import vod_set_cover
from harness import BENCH, RESULTS, ROOT, write_result

DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks-ack-latency.png"
COMMAND = ".venv/bin/python bench/run_all.py"
ACK_RATIO_TARGET = 1.1
RSS_RATIO_TARGET = 1.5
STARTUP_TARGET_S = 1.5
CPU_PER_CHANGE_TARGET_MS = 3.0


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def summary_rows(ack: dict[str, Any], vod: dict[str, Any], scale: dict[str, Any],
                 picker: dict[str, Any], versus: dict[str, Any] | None
                 ) -> list[tuple[str, str, str, str]]:
    rows = []
    for kind, label in (("commands", "`/setcover <asset_id>`"), ("clicks", "button click")):
        s = ack["summary"][kind]
        rows.append((
            f"ack p99, {label} (median of {ack['parameters']['rounds']} rounds)",
            f"≤ {ACK_RATIO_TARGET}x bare Bolt",
            f"{s['setcover']['p99_ms']:.1f} ms vs {s['bare']['p99_ms']:.1f} ms: "
            f"**{s['ratio_p99']:.2f}x**",
            verdict(s["ratio_p99"] <= ACK_RATIO_TARGET),
        ))
    for kind, label in (("first", "first show"), ("cached", "the same frames again")):
        f, target = picker["figures"][kind], picker["targets_s"][kind]
        rows.append((f"command to picker posted with its sheet, {label} (12 frames, CDN 50 ms)",
                     f"p95 < {target} s",
                     f"p50 {f['p50_ms'] / 1000:.2f} s, **p95 {f['p95_ms'] / 1000:.2f} s**",
                     verdict(f["p95_ms"] / 1000 < target)))
    rss = ack["peak_rss_mib"]
    rss_ratio = rss["setcover"] / rss["bare"]
    rows.append(("peak RSS of the served bot after the load", f"≤ {RSS_RATIO_TARGET}x bare Bolt",
                 f"{rss['setcover']:.1f} vs {rss['bare']:.1f} MiB: **{rss_ratio:.2f}x**",
                 verdict(rss_ratio <= RSS_RATIO_TARGET)))
    start = ack["startup_median_s"]
    rows.append(("start to first `/healthz` 200", f"< {STARTUP_TARGET_S} s",
                 f"{start:.2f} s (median of {len(ack['startup_s'])})",
                 verdict(start < STARTUP_TARGET_S)))
    calls = {impl: vod["summary"][impl]["calls_per_s"] for impl in vod["summary"]}
    rows.append(("`VodClient` vs the official SDK", "≥ 3x",
                 f"{calls['ours']:,.0f} vs {calls['sdk']:,.0f} calls/s: "
                 f"**{vod['ratio_sdk']:.2f}x**", verdict(vod["ratio_sdk"] >= 3.0)))
    rows.append(("`VodClient` vs bare httpx over aiohttp", "≥ 90 %",
                 f"{calls['ours']:,.0f} vs {calls['httpx']:,.0f} calls/s: "
                 f"**{vod['share_of_ceiling']:.0%}**", verdict(vod["share_of_ceiling"] >= 0.9)))
    cpu = scale["bot_cpu_ms_per_change"][1]
    rows.append(("bot CPU per cover change (one process, PostgreSQL)",
                 f"≤ {CPU_PER_CHANGE_TARGET_MS:.1f} ms", f"**{cpu:.1f} ms**",
                 verdict(cpu <= CPU_PER_CHANGE_TARGET_MS)))
    if versus is not None:
        v = versus["cpu_ms_per_change"]
        rows.append((f"the same, side by side with `{versus['baseline_commit']}`",
                     "not more", f"{v['this checkout']:.1f} vs {v['baseline']:.1f} ms: "
                     f"**{versus['ratio']:.2f}x**", verdict(versus["ratio"] <= 1.0)))
    rates = scale["changes_per_s"]
    two = scale["scaling"][2]
    rows.append(("scale-out on one PostgreSQL, 2 processes vs 1", "the 2-core bound",
                 " / ".join(f"{rates[n]:.0f}" for n in scale_out.LEVELS)
                 + f" changes/s for 1 / 2 / 4: **{two:.2f}x** "
                 f"(bound {two_core_bound(scale):.2f}x)", "measured"))
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def summary_table(ack: dict[str, Any], vod: dict[str, Any], scale: dict[str, Any],
                  picker: dict[str, Any], versus: dict[str, Any] | None) -> str:
    return table(("figure", "target", "measured", ""),
                 summary_rows(ack, vod, scale, picker, versus))


def ack_rounds_table(ack: dict[str, Any], kind: str) -> str:
    rows = []
    for server, label in (("setcover", "setcover"), ("bare", "bare Bolt")):
        for n, r in enumerate(ack["rounds"][kind][server], start=1):
            rows.append((label, str(n), f"{r['p50_ms']:.1f}", f"{r['p90_ms']:.1f}",
                         f"{r['p99_ms']:.1f}", f"{r['max_ms']:.1f}",
                         f"{r['server_cpu_s']:.2f}", f"{r['done_in_s']:.1f}"))
        m = ack["summary"][kind][server]
        rows.append((f"**{label}**", "median", f"{m['p50_ms']:.1f}", f"{m['p90_ms']:.1f}",
                     f"**{m['p99_ms']:.1f}**", f"{m['max_ms']:.1f}", "", ""))
    return table(("server", "round", "p50 ms", "p90 ms", "p99 ms", "max ms",
                  "server CPU s", "round done in s"), rows)


def picker_table(picker: dict[str, Any]) -> str:
    rows = []
    for kind, label in (("first", "first show"), ("cached", "same frames again")):
        f = picker["figures"][kind]
        rows.append((label, *(f"{f[key] / 1000:.2f}" for key in
                              ("p50_ms", "p90_ms", "p95_ms", "max_ms")),
                     f"< {picker['targets_s'][kind]}"))
    return table(("", "p50 s", "p90 s", "p95 s", "max s", "aim (p95)"), rows)


def vod_table(vod: dict[str, Any]) -> str:
    impls = list(vod["impls"])
    keys = [("calls/s (median)", "calls_per_s", "{:,.0f}"),
            ("latency p50 ms", "p50_ms", "{:.1f}"), ("latency p99 ms", "p99_ms", "{:.1f}"),
            ("client CPU µs per call", "client_cpu_us_per_call", "{:.0f}"),
            ("client CPU busy (cores)", "client_cpu_busy", "{:.2f}"),
            ("peak RSS MiB", "peak_rss_mib", "{:.1f}")]
    rows = [("calls/s (each run)",
             *(" / ".join(f"{v:,.0f}" for v in vod["per_run_calls_per_s"][i]) for i in impls))]
    rows += [(label, *(fmt.format(vod["summary"][i][key]) for i in impls))
             for label, key, fmt in keys]
    return table(("", *(vod["impls"][i] for i in impls)), rows)


def scale_table(scale: dict[str, Any]) -> str:
    rows = []
    for n in scale_out.LEVELS:
        runs = scale["runs"][n]
        rows.append((str(n), " / ".join(f"{r['changes_per_s']:.0f}" for r in runs),
                     f"**{scale['changes_per_s'][n]:.0f}**", f"{scale['scaling'][n]:.2f}x",
                     f"{scale['bot_cpu_ms_per_change'][n]:.1f}"))
    return table(("processes", "changes/s (each repeat)", "median", "vs 1 process",
                  "bot CPU ms per change"), rows)


def two_core_bound(scale: dict[str, Any]) -> float:
    """2B/(B+O): what 2 processes can give over one on 2 cores, with B the bots' CPU per
    change and O everyone else's (see analysis.md)."""
    parts = scale["cpu_ms_per_change_one_process"]
    bots = parts["bots"]
    return 2 * bots / sum(parts.values())


def scale_bound(scale: dict[str, Any]) -> str:
    """The CPU per change of each part with one process, and the 2-core bound it sets."""
    parts = scale["cpu_ms_per_change_one_process"]
    listed = ", ".join(f"{name} {ms:.2f} ms" for name, ms in parts.items())
    return (f"CPU per change with one process: {listed} (PostgreSQL: all its server "
            "processes on the machine). On 2 cores "
            f"that bounds 2 processes at 2B/(B+O) = {two_core_bound(scale):.2f}x of one "
            f"(measured: {scale['scaling'][2]:.2f}x; see below).")


def versus_section(versus: dict[str, Any] | None) -> str:
    if versus is None:
        return ""
    p, v = versus["parameters"], versus["cpu_ms_per_change"]
    return f"""
### CPU per change, side by side with `{versus['baseline_commit']}`

CPU time per change moves with the machine's load as much as with the code, so the figure
above is compared with another commit's in the same run (`bench/cpu_versus.py`): one
process of each on one PostgreSQL database, {p['repeats']} alternating rounds of
{p['changes']} changes as above. Median bot CPU per change: this commit **{v['this checkout']:.2f}
ms**, `{versus['baseline_commit']}` {v['baseline']:.2f} ms: **{versus['ratio']:.2f}x**.
"""


def measured_commit() -> str:
    """The commit whose tree was measured, and whether the work tree differed from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                            "bot", "bench", "pyproject.toml"], cwd=ROOT, text=True,
                           capture_output=True, check=False).stdout.strip()
    return f"`{head}`" + (" with uncommitted changes to bot/ or bench/" if dirty else "")


def write_doc(ack: dict[str, Any], vod: dict[str, Any], scale: dict[str, Any],
              picker: dict[str, Any], versus: dict[str, Any] | None, profile: str,
              stamp: str, took_s: float,
              load: tuple[tuple[float, float, float], tuple[float, float, float]]) -> None:
    m = ack["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    p = ack["parameters"]
    analysis = (BENCH / "analysis.md").read_text().strip()
    commit = measured_commit()
    doc = f"""# Benchmarks

Made by `{COMMAND}` (all of `bench/`, {took_s / 60:.1f} minutes) on {stamp[:4]}-{stamp[4:6]}-\
{stamp[6:8]} at {stamp[9:11]}:{stamp[11:13]} UTC, measuring commit {commit}. Every
number below is that run's; `bench/results/{stamp}-*.json` held the raw data
(git-ignored). How each benchmark works is in `bench/README.md`.

**Machine**: {m['cpus']} vCPUs ({m['cpu']}), {m['platform']}, Python {m['python']}; shared with
other work (load average {load[0][0]:.1f} when the run started, {load[1][0]:.1f} when it ended;
the benchmarks' own processes count in it), so figures move between runs: what is compared
ran side by side, in turns.
**Packages**: {packages}.

## Summary

{summary_table(ack, vod, scale, picker, versus)}

## Acknowledgement latency

`setcover-bot serve` (production settings: AK/SK, SQLite audit store, INFO logs) against a
bare Bolt `AsyncApp` served by uvicorn, side by side in one run, the fake VOD answering
every call after 1 s. {p['rounds']} rounds each of {p['requests']} signed requests,
{p['concurrency']} in flight, alternating servers; raw aiohttp as the load generator; one
untimed warm-up round of {p['warmup']} each. A round ends when every `response_url` post
of its flows arrived. Latency is from sending a request to reading its acknowledgement.

![Acknowledgement latency distributions](benchmarks-ack-latency.png)

### `/setcover <asset_id>` (the picker)

{ack_rounds_table(ack, "commands")}

### Frame button clicks (a full cover change each: 2 VOD calls, 2 audit writes, 3 posts)

{ack_rounds_table(ack, "clicks")}

## Footprint

- Start to first `/healthz` 200 (spawning `setcover-bot serve` to the answer, same SQLite
  file): {", ".join(f"{s:.2f} s" for s in ack["startup_s"])}.
- Peak RSS (VmHWM) after all the rounds above: setcover **{ack['peak_rss_mib']['setcover']:.1f}
  MiB** ({ack['setcover_rss_after_start_mib']:.1f} MiB after start-up); bare Bolt
  {ack['peak_rss_mib']['bare']:.1f} MiB.
- Peak RSS of the scale-out processes (PostgreSQL): {", ".join(
        f"{x:.1f}" for x in scale['peak_rss_mib'])} MiB.

## The picker's time

`/setcover <asset_id>` for {picker['parameters']['assets']} assets of 12 frames, one at a
time, each shown twice, the fake VOD serving each picture after
{picker['parameters']['picture_latency'] * 1000:.0f} ms:
from sending the command to the fake Slack answering the picker's post (with its contact
sheet, uploaded; the second time the upload of the same frames is reused).

{picker_table(picker)}

Bot CPU per picker (both kinds together): {picker['bot_cpu_ms_per_picker']:.0f} ms; peak RSS of
that process, sheets included: {picker['peak_rss_mib']:.1f} MiB.

## VOD client throughput

{vod['parameters']['calls']:,} `set_cover` calls, {vod['parameters']['concurrency']} concurrent,
{vod['parameters']['repeats']} repeats of each client (each in a fresh process), against
the signature-checking fake VOD in its own process. The bare httpx client sends requests
signed before the timing: what httpx over the aiohttp transport costs alone.

{vod_table(vod)}

Ours / SDK: **{vod['ratio_sdk']:.2f}x**; ours / bare httpx: **{vod['share_of_ceiling']:.0%}**.

## Scale-out on one PostgreSQL

{scale['parameters']['changes']} cover changes per level (`/setcover <snapshot URL>`, a
different video each), {scale['parameters']['concurrency']} requests in flight, round-robin
over the processes; the fake VOD answers at once, so CPU is the limit: the processes', and
what the fakes, PostgreSQL and the machine's other work leave them.
Changes per second = changes / (last outcome post - first request).
{scale['parameters']['repeats']} repeats.

{scale_table(scale)}

{scale_bound(scale)}
{versus_section(versus)}
## Profile of the served bot

One more round of each kind, with py-spy sampling `setcover-bot serve` (its event-loop
thread; `bench/ack_latency.py --profile`), after the measured runs:

```
{profile}
```

## Reading it

{analysis}
"""
    DOC.write_text(doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path,
                        help="another checkout (with its .venv) to compare CPU per change with")
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and calls; writes nothing under docs/")
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    started = time.monotonic()
    load_before = os.getloadavg()
    ack_args = ack_latency.parser().parse_args([])
    vod_args = vod_set_cover.parser().parse_args([])
    scale_args = scale_out.parser().parse_args([])
    picker_args = picker_time.parser().parse_args([])
    del ack_args.plot
    if args.quick:
        ack_args.rounds, ack_args.requests, ack_args.starts = 2, 150, 2
        vod_args.calls, vod_args.repeats = 1000, 1
        scale_args.changes, scale_args.repeats = 200, 1
        picker_args.assets = 5
    ack = ack_latency.run(ack_args, stamp)
    write_result("ack_latency", ack, stamp)
    vod = vod_set_cover.run(vod_args, stamp)
    write_result("vod_set_cover", vod, stamp)
    scale = scale_out.run(scale_args, stamp)
    write_result("scale_out", scale, stamp)
    picker = picker_time.run(picker_args, stamp)
    write_result("picker_time", picker, stamp)
    versus = None
    if args.baseline is not None:
        versus_args = cpu_versus.parser().parse_args(["--baseline", str(args.baseline)])
        if args.quick:
            versus_args.changes, versus_args.repeats = 200, 2
        versus = cpu_versus.run(versus_args, stamp)
        write_result("cpu_versus", versus, stamp)
    # A separate pass under py-spy (sampling costs CPU, so its latencies are not used).
    profiled_args = ack_latency.parser().parse_args(
        ["--rounds", "1", "--starts", "1", "--profile", str(RESULTS / f"{stamp}-bot.stacks")])
    del profiled_args.plot
    profile = ack_latency.run(profiled_args, stamp)["profile"]
    took = time.monotonic() - started
    print()
    print(summary_table(ack, vod, scale, picker, versus))
    if args.quick:
        print(f"\n--quick: docs not written ({took:.0f} s)")
        return 0
    ack_latency.plot(ack, PLOT)
    load = (load_before, os.getloadavg())
    write_doc(ack, vod, scale, picker, versus, profile, stamp, took, load)
    print(f"\nwrote {DOC.relative_to(ROOT)} and {PLOT.relative_to(ROOT)} in {took:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
