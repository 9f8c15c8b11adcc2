"""The contact sheet: time to make a 12-frame sheet, event-loop lag meanwhile, memory.

The fake VOD serves the painted demo reel (`bot.standin.frames`) with `--latency` (50 ms,
a CDN's answer) on every picture. For each frame size: `--runs` sheets with a fresh
`SheetMaker` (downloads included: a first show), then `--runs` with its cache warm (decode,
score and draw only). A ticker on the event loop records how late it ran meanwhile (work
kept off the loop keeps that near 0). RSS from /proc/self/status before Pillow is imported
and after the last sheet (VmHWM: the peak). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from bot.sheet import Frame, SheetMaker
from bot.vod.client import VodClient

ASSET = "0c4f5e6d7a8b49c0a1b2c3d4e5f6a7b8"


def memory_mb() -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text()
                  .splitlines() if line.startswith(("VmRSS", "VmHWM")))
    return {k: round(int(v.split()[0]) / 1024, 1) for k, v in fields.items()}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def lagging(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 5 ms sleep wakes up, until `stop`."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - started - 0.005)


async def measure(vod: VodClient, frames: list[Frame], runs: int) -> dict[str, object]:
    result: dict[str, object] = {}
    for label, fresh in (("first", True), ("cached", False)):
        maker = SheetMaker(vod.http, sign=lambda url: url, budget_s=30)
        if not fresh:
            await maker.make(frames)
        times, lags, sizes = [], [], []
        for _ in range(runs):
            if fresh:
                maker.close()
                maker = SheetMaker(vod.http, sign=lambda url: url, budget_s=30)
            stop = asyncio.Event()
            ticker = asyncio.create_task(lagging(stop, lags))
            started = time.perf_counter()
            sheet = await maker.make(frames)
            times.append(time.perf_counter() - started)
            stop.set()
            await ticker
            sizes.append(len(sheet.image))
        maker.close()
        result[label] = {
            "p50_ms": round(statistics.median(times) * 1000),
            "p95_ms": round(percentile(times, 95) * 1000),
            "max_loop_lag_ms": round(max(lags) * 1000, 1),
            "sheet_kb": round(statistics.mean(sizes) / 1024),
        }
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    before = memory_mb()
    from bot.standin.vod import FakeVod

    fake = FakeVod()
    fake.server.start()
    report: dict[str, object] = {"rss_before_pillow_mb": before, "frames": 12,
                                 "cdn_latency_ms": args.latency * 1000}
    try:
        async with VodClient.from_settings(fake.settings()) as vod:
            for width, height in ((640, 360), (1280, 720)):
                fake.frame_size = (width, height)
                asset = fake.add_reel(ASSET, "Bench reel")
                urls = sorted(asset.snapshots["sample"])
                for _, url in urls:
                    fake.latency[url.removeprefix(fake.url)] = args.latency
                frames = [Frame(n, offset, url, url == asset.cover_url)
                          for n, (offset, url) in enumerate(urls, start=1)]
                report[f"{width}x{height}"] = await measure(vod, frames, args.runs)
        report["rss_after_mb"] = memory_mb()
    finally:
        fake.server.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
