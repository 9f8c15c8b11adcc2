"""Benchmark: how fast `setcover-bot serve` acknowledges Slack, against a bare Bolt app.

    .venv/bin/python bench/ack_latency.py [--rounds 5] [--requests 300] [--concurrency 50]

Issues 10 and 18. Both servers run side by side, each in its own process, against the same
fakes in processes of their own: the fake VOD answering every call after 1 s and serving
each asset as the demo reel (12 pictures, each after 50 ms, as a CDN answers), so every
picker of ours downloads, scores and draws its contact sheet and uploads it; and the fake
Slack taking the uploads and the `response_url` posts.

- setcover: the installed `setcover-bot serve` with production settings (AK/SK signing,
  SQLite audit store, INFO logs) as a user starts it.
- bare Bolt: `bench/bare_bolt.py` (listeners that ack, sleep 1 s, `respond()`), served by
  `python -m uvicorn` the usual way (no access log, as ours has none).

For slash commands (`/setcover <asset_id>`: the snapshot picker) and for button clicks
(a frame's button on a picker: a full cover change), rounds of `--requests` signed
requests with `--concurrency` in flight alternate between the two servers; the load
generator is raw aiohttp in this process, every request signed before the round starts.
A round ends when every acknowledgement arrived (all must be 200) and every `response_url`
post the flows make reached the fake Slack (all accepted), so no round's leftover work
runs into the next. Each server first gets one untimed warm-up round of 50.

Per round: p50, p90, p99 and max acknowledgement latency. The figure is the median over
rounds of each round's p99, and its ratio to bare Bolt's. Also measured: start-up (spawn
to the first `/healthz` 200, three starts) and the peak RSS (VmHWM) of the served bot
after all rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from harness import (
    BENCH,
    ROOT,
    FakeProcess,
    Served,
    child_env,
    free_port,
    latency_figures,
    machine,
    median,
    start_setcover,
    write_result,
)

from tests.slack_requests import click_body, command_body, signature_headers

SERVERS = ("setcover", "bare")
KINDS = ("commands", "clicks")
WARMUP = 50
#: A round is settled once its posts are in and none has come for this long (longer than
#: the fake VOD's 1 s, so the CDN refresh each change asks for last is answered).
QUIET_S = 1.5
#: How long the fake VOD takes to serve one of a reel's pictures (a CDN's answer).
PICTURE_LATENCY_S = 0.05
SETTLE_TIMEOUT_S = 90.0
Request = tuple[bytes, dict[str, str]]
_hooks = itertools.count(1)
_rounds = itertools.count(1)


def start_bare(slack: FakeProcess, workdir: Path) -> Served:
    port = free_port()
    env = child_env({
        "SLACK_BOT_TOKEN": "xoxb-1234-5678-faketoken",
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
        "SLACK_API_URL": slack.info["api_url"],
    })
    argv = [sys.executable, "-m", "uvicorn", "bare_bolt:api", "--app-dir", str(BENCH),
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    return Served("bare-bolt", argv, env=env, workdir=workdir, port=port)


class Profiler:
    """py-spy sampling the served bot (its Python stacks, not idle waits) during the rounds;
    writes collapsed stacks to `path` and prints where the time went."""

    def __init__(self, pid: int, path: Path) -> None:
        self.path = path
        py_spy = Path(sys.executable).parent / "py-spy"
        self.proc = subprocess.Popen(
            [str(py_spy), "record", "--pid", str(pid), "--rate", "200", "--format", "raw",
             "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> str:
        """Stop sampling; the report (also printed)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        report = profile_report(self.path)
        print(report)
        return report


#: Where a sample of the event loop's thread belongs, by a frame on its stack.
PARTS = (("acknowledgement path (uvicorn -> Starlette -> Bolt -> listener)", "run_asgi"),
         ("work after the acknowledgement (Runtime.spawn's tasks)", "_guard"))


def profile_report(path: Path, limit: int = 20) -> str:
    """The event loop thread's busy samples by part, and by function (own and with
    callees), from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    parts: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "Server.run" not in stack:  # the event loop's thread only (aiosqlite's worker
            continue                     # waits on its queue in a way py-spy counts as busy)
        frames = [re.sub(r" \(/.*/(site-packages|lib/python3\.\d+)/", " (", f)
                  for f in stack.split(";")]
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
        part = next((name for name, frame in PARTS if frame in stack),
                    "the loop itself (uvloop, I/O callbacks), other")
        parts[part] += n
    lines = [f"py-spy, the served bot's event-loop thread: {samples} busy samples at 200 Hz"]
    lines += [f"  {n / samples:6.1%}  {part}" for part, n in parts.most_common()]
    for title, counter in (("own time", own), ("with callees", total)):
        lines.append(f"top {limit} functions by {title}:")
        shown = [(f, n) for f, n in counter.most_common() if n < samples * 0.99][:limit]
        lines += [f"  {n / samples:6.1%}  {frame[:120]}" for frame, n in shown]
    return "\n".join(lines)


# ---- what Slack sends ---------------------------------------------------------------
def hook_url(slack: FakeProcess, tag: str) -> str:
    """A fresh `response_url`; its hook id starts with the round's `tag`, so a round counts
    only its own posts (a late one of the round before is not taken for one of its own)."""
    return f"{slack.info['url']}/hooks/{tag}{next(_hooks)}"


def signed(body: str) -> Request:
    return body.encode(), signature_headers(body)


def commands(vod: FakeProcess, slack: FakeProcess, count: int, tag: str) -> list[Request]:
    """`/setcover <asset_id>` for `count` assets in turn."""
    assets = vod.info["asset_ids"]
    return [signed(command_body(assets[i % len(assets)], response_url=hook_url(slack, tag)))
            for i in range(count)]


def clicks(vod: FakeProcess, slack: FakeProcess, count: int, tag: str) -> list[Request]:
    """A frame's button on a fresh picker of a different asset each (a new change each)."""
    from bot.slack import blocks
    from bot.slack.blocks.picker import picker_page
    from bot.vod.models import Asset, Snapshot

    hosts = vod.info["env"]["VOD_SNAPSHOT_HOSTS"].split(",")
    urls = vod.info["snapshot_urls"]
    per_asset = len(urls) // len(vod.info["asset_ids"])
    if count > len(vod.info["asset_ids"]):
        raise SystemExit(f"{count} clicks need as many assets; the fake VOD has "
                         f"{len(vod.info['asset_ids'])}")
    requests = []
    for n, asset_id in enumerate(vod.info["asset_ids"][:count]):
        asset = Asset(asset_id=asset_id, title=f"Bench asset {asset_id[-4:]}", snapshots=[
            Snapshot(kind="sample", offset=10 * i, url=url)
            for i, url in enumerate(urls[n * per_asset:(n + 1) * per_asset])])
        page = picker_page(asset, snapshot_hosts=hosts)
        shown = blocks.picker(page, nonce=blocks.new_nonce(), sign=str, snapshot_hosts=hosts)
        requests.append(signed(click_body(shown["blocks"], response_url=hook_url(slack, tag),
                                          action_prefix="use_cover", nth=n % per_asset)))
    return requests


BUILDERS: dict[str, Callable[[FakeProcess, FakeProcess, int, str], list[Request]]] = {
    "commands": commands, "clicks": clicks,
}


def expected_posts(server: str, kind: str) -> int:
    """`response_url` posts per request: the picker; for a click on ours "Setting cover…",
    the outcome in the channel and the confirmation; bare Bolt's one `respond()`."""
    return 3 if (server, kind) == ("setcover", "clicks") else 1


# ---- the load ---------------------------------------------------------------------
async def fire(session: aiohttp.ClientSession, url: str, requests: Sequence[Request],
               concurrency: int) -> tuple[list[float], dict[int, int]]:
    """Every request, `concurrency` in flight; each one's latency to its full answer."""
    latencies = [0.0] * len(requests)
    statuses: collections.Counter[int] = collections.Counter()
    todo = iter(enumerate(requests))

    async def worker() -> None:
        for i, (body, headers) in todo:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            latencies[i] = time.perf_counter() - started
            statuses[response.status] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, dict(statuses)


async def settle(slack: FakeProcess, vod: FakeProcess, server: str, kind: str, count: int,
                 tag: str, *, strict: bool = True) -> dict[str, Any]:
    """Wait until every post of the round reached the fake Slack; check what arrived.

    Not `strict` (the py-spy pass, whose sampling slows the bot until a VOD call may time
    out): what is missing or extra is printed, not raised, and a round that has gone quiet
    for 10 s is over."""
    want = expected_posts(server, kind) * count
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        stats = slack.command(f"stats {tag}")
        quiet_s = time.monotonic() - (stats["last_post_at"] or time.monotonic())
        # All of them, and then nothing more for a moment: a flow's last post (the
        # picker's confirmation) must not land in the next round's count.
        if stats["hook_posts"] >= want and quiet_s > QUIET_S:
            break
        if not strict and stats["hook_posts"] and quiet_s > 10:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server} {kind}: {stats['hook_posts']} of {want} "
                               f"response_url posts after {SETTLE_TIMEOUT_S:.0f} s: {stats}")
        await asyncio.sleep(0.05)
    problems = []
    if stats["hook_posts"] != want or stats["hook_urls"] != count:
        problems.append(f"{stats['hook_posts']} posts to {stats['hook_urls']} URLs, "
                        f"expected {want} to {count}")
    if stats["refused"]:
        problems.append(f"{stats['refused']} posts refused")
    vod_stats = vod.command("stats")
    if server == "setcover" and kind == "clicks" and vod_stats["cover_changes"] != count:
        problems.append(f"{vod_stats['cover_changes']} cover changes, expected {count}")
    if server == "setcover" and kind == "commands" and vod_stats["statuses"] != {"200": count}:
        problems.append(f"VOD answered {vod_stats['statuses']}, expected {count} x 200")
    if problems and strict:
        raise RuntimeError(f"{server} {kind}: " + "; ".join(problems))
    if problems:
        print(f"  ({server} {kind}, not counted: " + "; ".join(problems) + ")", flush=True)
    slack.command("reset")
    vod.command("reset")
    return {"slack": stats, "vod": vod_stats}


async def one_round(served: Served, server: str, kind: str, vod: FakeProcess,
                    slack: FakeProcess, count: int, concurrency: int, *, strict: bool = True
                    ) -> dict[str, Any]:
    """One round on fresh connections (uvicorn closes idle ones after 5 s, and the round
    before was settling for longer), opened by `GET /healthz`s before the timing."""
    tag = f"r{next(_rounds)}-"
    requests = BUILDERS[kind](vod, slack, count, tag)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(session.get(served.url + "/healthz") for _ in range(concurrency)))
        cpu0 = served.cpu_s()
        started = time.perf_counter()
        try:
            latencies, statuses = await fire(session, served.url + "/slack/events", requests,
                                             concurrency)
        except aiohttp.ClientError as exc:
            raise RuntimeError(f"{server} {kind}: {exc}; its log ends:\n"
                               f"{served.log()[-2000:]}") from exc
    acked_s = time.perf_counter() - started
    if statuses != {200: count}:
        raise RuntimeError(f"{server} {kind}: acknowledgements {statuses}, expected 200s")
    checked = await settle(slack, vod, server, kind, count, tag, strict=strict)
    return latency_figures(latencies) | {
        "acked_in_s": acked_s,
        "done_in_s": time.perf_counter() - started,
        "server_cpu_s": served.cpu_s() - cpu0,
        "latencies_s": latencies,
        "checked": checked,
    }


async def load(servers: dict[str, Served], vod: FakeProcess, slack: FakeProcess,
               args: argparse.Namespace) -> dict[str, dict[str, list[dict[str, Any]]]]:
    rounds: dict[str, dict[str, list[dict[str, Any]]]] = {
        kind: {server: [] for server in SERVERS} for kind in KINDS
    }
    for kind in KINDS:
        for server in SERVERS:
            await one_round(servers[server], server, kind, vod, slack, WARMUP, args.concurrency,
                            strict=not args.profile)
        for n in range(args.rounds):
            order = SERVERS if n % 2 == 0 else tuple(reversed(SERVERS))
            for server in order:
                result = await one_round(servers[server], server, kind, vod, slack,
                                         args.requests, args.concurrency,
                                         strict=not args.profile)
                rounds[kind][server].append(result)
                print(f"  {kind:8} round {n + 1} {server:8}: p50 {result['p50_ms']:6.1f}  "
                      f"p90 {result['p90_ms']:6.1f}  p99 {result['p99_ms']:6.1f}  "
                      f"max {result['max_ms']:6.1f} ms", flush=True)
    return rounds


def summarize(rounds: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for kind in KINDS:
        per_server = {
            server: {key: median([r[key] for r in rounds[kind][server]])
                     for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}
            for server in SERVERS
        }
        per_server["ratio_p99"] = per_server["setcover"]["p99_ms"] / per_server["bare"]["p99_ms"]
        summary[kind] = per_server
    return summary


def run(args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    print(f"ack latency: {args.rounds} rounds of {args.requests} requests, {args.concurrency} "
          "in flight, VOD answering after 1 s", flush=True)
    assets = max(args.requests, WARMUP)
    with tempfile.TemporaryDirectory(prefix="setcover-bench-") as tmp, \
            FakeProcess("vod", "--latency", "1", "--assets", str(assets), "--reels",
                        "--picture-latency", str(PICTURE_LATENCY_S)) as vod, \
            FakeProcess("slack") as slack:
        workdir = Path(tmp)
        starts = []
        for _ in range(args.starts - 1):
            served = start_setcover(vod, slack, workdir)
            starts.append(served.started_s)
            served.stop()
        servers = {"setcover": start_setcover(vod, slack, workdir)}
        starts.append(servers["setcover"].started_s)
        print("  setcover start to first /healthz 200: "
              + ", ".join(f"{s:.2f} s" for s in starts), flush=True)
        profiler = None
        profile = None
        try:
            servers["bare"] = start_bare(slack, workdir)
            rss_before = servers["setcover"].peak_rss_mib()
            if args.profile:
                profiler = Profiler(servers["setcover"].proc.pid, args.profile)
            rounds = asyncio.run(load(servers, vod, slack, args))
            peak = {name: served.peak_rss_mib() for name, served in servers.items()}
            log = servers["setcover"].log()
        finally:
            if profiler is not None:
                profile = profiler.stop()
            for served in servers.values():
                served.stop()
    summary = summarize(rounds)
    result = {
        "benchmark": "ack_latency",
        "started": stamp,
        "machine": machine(),
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        | {"warmup": WARMUP, "vod_latency_s": 1.0},
        "startup_s": starts,
        "startup_median_s": median(starts),
        "peak_rss_mib": peak,
        "setcover_rss_after_start_mib": rss_before,
        "summary": summary,
        "rounds": rounds,
        "profile": profile,
        "setcover_log_lines": len(log.splitlines()),
        "setcover_log_warnings": sum(" WARNING " in line for line in log.splitlines()),
    }
    print_summary(result)
    return result


def print_summary(result: dict[str, Any]) -> None:
    for kind in KINDS:
        s = result["summary"][kind]
        print(f"{kind}: median p99 setcover {s['setcover']['p99_ms']:.1f} ms, bare Bolt "
              f"{s['bare']['p99_ms']:.1f} ms, ratio {s['ratio_p99']:.2f}x; median p50 "
              f"{s['setcover']['p50_ms']:.1f} vs {s['bare']['p50_ms']:.1f} ms")
    print(f"start-up (median of {len(result['startup_s'])}): {result['startup_median_s']:.2f} s;"
          f" peak RSS after the load: setcover {result['peak_rss_mib']['setcover']:.1f} MiB, "
          f"bare Bolt {result['peak_rss_mib']['bare']:.1f} MiB")


def plot(result: dict[str, Any], path: Path) -> None:
    """The acknowledgement latency distributions (all rounds pooled), ours against the floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    labels = {"setcover": "setcover-bot serve", "bare": "bare Bolt AsyncApp (floor)"}
    for ax, kind in zip(axes, KINDS, strict=True):
        for server, colour in (("setcover", "tab:blue"), ("bare", "tab:gray")):
            pooled = sorted(x * 1000 for r in result["rounds"][kind][server]
                            for x in r["latencies_s"])
            fractions = [(i + 1) / len(pooled) for i in range(len(pooled))]
            p99 = result["summary"][kind][server]["p99_ms"]
            ax.plot(pooled, fractions, color=colour,
                    label=f"{labels[server]} (p99 {p99:.0f} ms)")
            ax.axvline(p99, color=colour, linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(f"{'/setcover <asset_id>' if kind == 'commands' else 'frame button click'}"
                     f" ({result['summary'][kind]['ratio_p99']:.2f}x)")
        ax.set_xlabel("acknowledgement latency, ms (log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("fraction of requests acknowledged")
    p = result["parameters"]
    fig.suptitle(f"Acknowledgement latency, {p['rounds']} rounds x {p['requests']} requests, "
                 f"{p['concurrency']} in flight, VOD answering after 1 s (dotted: median p99)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--starts", type=int, default=3, help="start-ups timed")
    parser.add_argument("--plot", type=Path, default=None, help="also write this PNG")
    parser.add_argument("--profile", type=Path, default=None,
                        help="sample the served bot with py-spy during the rounds into this "
                             "file (collapsed stacks) and print the top functions")
    return parser


def main() -> int:
    args = parser().parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    plot_path = args.plot
    del args.plot
    result = run(args, stamp)
    print(f"wrote {write_result('ack_latency', result, stamp).relative_to(ROOT)}")
    if plot_path:
        plot(result, plot_path)
        print(f"wrote {plot_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
