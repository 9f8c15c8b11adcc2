"""Benchmark: how long `/setcover <asset_id>` takes to post the picker with its contact sheet.

    .venv/bin/python bench/picker_time.py [--assets 20] [--picture-latency 0.05]

`setcover-bot serve` (the installed console script, production settings) against the fake
VOD serving each asset as the demo reel (12 pictures, each answered after
`--picture-latency`, a CDN's answer) and the fake Slack (file uploads included). One
command at a time, so each figure is one picker's own time: from sending the signed
command to the fake Slack having answered the picker's post. First show: every asset once
(frames downloaded, scored and drawn, the sheet uploaded); cached: every asset again (the
process reuses the upload for the same frames and cover). Checked: every picker carried
its sheet (a `slack_file` image), and one upload per asset.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from harness import (
    FakeProcess,
    latency_figures,
    machine,
    percentile,
    run_alone,
    start_setcover,
)

from tests.slack_requests import command_body, signature_headers

FIRST_TARGET_S = 1.5
CACHED_TARGET_S = 0.3
#: How long one picker may take before the run is declared broken.
PICKER_TIMEOUT_S = 30.0


async def show_picker(http: aiohttp.ClientSession, url: str, slack: FakeProcess,
                      asset_id: str, n: int) -> float:
    """Send `/setcover <asset_id>`; seconds until its picker was posted (with its sheet)."""
    before = slack.command("stats")
    body = command_body(asset_id, response_url=f"{slack.info['url']}/hooks/picker-{n}")
    sent = time.monotonic()
    async with http.post(url, data=body.encode(), headers=signature_headers(body)) as response:
        await response.read()
    if response.status != 200:
        raise RuntimeError(f"/setcover {asset_id} answered HTTP {response.status}")
    deadline = sent + PICKER_TIMEOUT_S
    while (stats := slack.command("stats"))["hook_posts"] == before["hook_posts"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no picker for {asset_id} after {PICKER_TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.005)
    if stats["with_sheet"] != before["with_sheet"] + 1:
        raise RuntimeError(f"the picker of {asset_id} came without its contact sheet "
                           f"(compact rows): {stats}")
    return float(stats["last_post_at"]) - sent


async def show_all(url: str, slack: FakeProcess, assets: list[str]) -> dict[str, list[float]]:
    async with aiohttp.ClientSession() as http:
        first = [await show_picker(http, url, slack, a, n) for n, a in enumerate(assets)]
        cached = [await show_picker(http, url, slack, a, len(assets) + n)
                  for n, a in enumerate(assets)]
    return {"first": first, "cached": cached}


def run(args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    print(f"picker: {args.assets} assets of 12 frames, pictures answered after "
          f"{args.picture_latency * 1000:.0f} ms, each shown twice, one at a time", flush=True)
    with tempfile.TemporaryDirectory(prefix="setcover-picker-") as tmp, \
            FakeProcess("vod", "--assets", str(args.assets), "--reels",
                        "--picture-latency", str(args.picture_latency)) as vod, \
            FakeProcess("slack") as slack:
        bot = start_setcover(vod, slack, Path(tmp))
        try:
            cpu0 = bot.cpu_s()
            times = asyncio.run(show_all(f"{bot.url}/slack/events", slack,
                                         vod.info["asset_ids"]))
            cpu_s = bot.cpu_s() - cpu0
            uploads = slack.command("stats")["api_calls"].get(
                "files.completeUploadExternal", 0)
            peak_rss = bot.peak_rss_mib()
        finally:
            bot.stop()
    if uploads != args.assets:
        raise RuntimeError(f"{uploads} sheets uploaded for {args.assets} assets")
    figures = {kind: latency_figures(values) | {"p95_ms": percentile(sorted(values), 0.95) * 1000}
               for kind, values in times.items()}
    for kind, f in figures.items():
        print(f"  {kind:6}: p50 {f['p50_ms']:6.0f} ms  p95 {f['p95_ms']:6.0f} ms  "
              f"max {f['max_ms']:6.0f} ms", flush=True)
    return {
        "benchmark": "picker_time",
        "started": stamp,
        "machine": machine(),
        "parameters": vars(args),
        "seconds": times,
        "figures": figures,
        "bot_cpu_ms_per_picker": cpu_s / (2 * args.assets) * 1000,
        "peak_rss_mib": peak_rss,
        "targets_s": {"first": FIRST_TARGET_S, "cached": CACHED_TARGET_S},
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--picture-latency", type=float, default=0.05)
    return parser


if __name__ == "__main__":
    sys.exit(run_alone("picker_time", parser(), run))
