"""The contact sheet: time to make a 12-frame sheet, event-loop lag meanwhile, memory.

The fake VOD runs in a process of its own (its CPU and its painting are not measured) and
serves the painted demo reel (`bot.standin.frames`) with `--latency` (50 ms, a CDN's answer)
on every picture. For each frame size: `--runs` sheets with a fresh `SheetMaker` (downloads
included: a first show), then `--runs` with its cache warm (decode, score and draw only).
A ticker on the event loop records how late a 5 ms sleep wakes meanwhile, and for
comparison while the loop is idle (the machine's own noise). RSS from /proc/self/status
before the first sheet (Pillow not yet imported) and after the last (VmHWM: the peak).
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection
from pathlib import Path

from bot.sheet import Frame, SheetMaker
from bot.vod.client import VodClient

ASSET = "0c4f5e6d7a8b49c0a1b2c3d4e5f6a7b8"
SIZES = ((640, 360), (1280, 720))


def serve_reels(latency: float, pipe: Connection) -> None:
    """In the child process: one reel per frame size; send its settings and frames."""
    from bot.standin.vod import FakeVod

    fake = FakeVod()
    fake.server.start()
    reels = {}
    for n, (width, height) in enumerate(SIZES):
        fake.frame_size = (width, height)
        asset_id = f"{ASSET[:-1]}{n}"
        asset = fake.add_reel(asset_id, f"Bench reel {width}x{height}")
        urls = sorted(asset.snapshots["sample"])
        for _, url in urls:
            fake.latency[url.removeprefix(fake.url)] = latency
        reels[f"{width}x{height}"] = [(offset, url, url == asset.cover_url)
                                      for offset, url in urls]
    pipe.send((fake.settings_env(), reels))
    pipe.recv()  # until the parent is done
    fake.server.stop()
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
            "loop_lag_ms": {"p99": round(percentile(lags, 99) * 1000, 1),
                            "max": round(max(lags) * 1000, 1)},
            "sheet_kb": round(statistics.mean(sizes) / 1024),
        }
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=serve_reels, args=(args.latency, theirs))
    child.start()
    try:
        env, reels = ours.recv()
        from bot.config import load_settings

        settings = load_settings(_env_file=None, **{k.lower(): v for k, v in env.items()})
        report: dict[str, object] = {"frames": 12, "cdn_latency_ms": args.latency * 1000}
        async with VodClient.from_settings(settings) as vod:
            idle: list[float] = []
            stop = asyncio.Event()
            ticker = asyncio.create_task(lagging(stop, idle))
            await asyncio.sleep(5)
            stop.set()
            await ticker
            report["idle_loop_lag_ms"] = {"p99": round(percentile(idle, 99) * 1000, 1),
                                          "max": round(max(idle) * 1000, 1)}
            report["rss_before_first_sheet_mb"] = memory_mb()
            for size, listed in reels.items():
                frames = [Frame(n, offset, url, current)
                          for n, (offset, url, current) in enumerate(listed, start=1)]
                report[size] = await measure(vod, frames, args.runs)
        report["rss_after_mb"] = memory_mb()
    finally:
        ours.send("done")
        child.join(timeout=10)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
