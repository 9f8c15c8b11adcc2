"""One benchmark client in a process of its own: `ours` (VodClient), `sdk` (VodAsyncClient)
or `httpx` (a bare httpx client over the same aiohttp transport: the ceiling).

Started by `bench/vod_set_cover.py`, which writes the job to stdin as one JSON object:

    {"impl": "ours" | "sdk" | "httpx", "url": ..., "env": {...}, "ak": ..., "sk": ...,
     "project_id": ..., "snapshot_urls": [...], "calls": 2000, "concurrency": 50, "warmup": 100,
     "profile": null | "path/to/file.pstats"}

It makes `warmup` untimed calls, collects garbage once (the first full collection of the
heap the imports left is a one-off pause of tens of milliseconds, not the steady state),
then `calls` timed calls with `concurrency` in flight, and
prints one JSON line: wall time, calls per second, every call's latency, CPU seconds, and
the process's peak RSS (VmHWM, which starts afresh at exec, unlike ru_maxrss, which a
child inherits from its spawner) after imports and at the end. Any failed call fails the run.
Only the client under test is imported, so each process's peak RSS is its own.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Job = dict[str, Any]


def main() -> None:
    job: Job = json.loads(sys.stdin.read())
    runner = {"ours": run_ours, "sdk": run_sdk, "httpx": run_httpx}[job["impl"]]
    result = runner(job)
    result["peak_rss_kib"] = rss_kib()
    sys.stdout.write(json.dumps(result) + "\n")


def urls_for(job: Job) -> tuple[list[str], list[str]]:
    """The warm-up URLs and the timed URLs, cycling through the seeded snapshots."""
    snapshots: Sequence[str] = job["snapshot_urls"]
    total = job["warmup"] + job["calls"]
    cycled = [snapshots[i % len(snapshots)] for i in range(total)]
    return cycled[: job["warmup"]], cycled[job["warmup"]:]


def rss_kib() -> int:
    """Peak RSS so far, KiB."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM:"))


class Timer:
    """Wall and CPU time of the timed part, optionally under cProfile."""

    def __init__(self, profile_path: str | None, threads: bool = False) -> None:
        self._profile_path = profile_path
        self._threads = threads
        self._profiles: list[Any] = []

    def start_thread_profiling(self) -> None:
        """Profile threads started from now on too (cProfile sees one thread only)."""
        if not self._profile_path or not self._threads:
            return
        import cProfile
        import threading

        def begin(*_args: object) -> None:
            sys.setprofile(None)
            profile = cProfile.Profile(time.thread_time)
            self._profiles.append(profile)
            profile.enable()

        threading.setprofile(begin)

    def __enter__(self) -> Timer:
        if self._profile_path:
            import cProfile

            # CPU time of the thread, not wall time: a thread waiting for the GIL or the
            # socket is not spending anything.
            self._main = cProfile.Profile(time.thread_time)
            self._profiles.append(self._main)
            self._main.enable()
        self.cpu0 = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self.t0
        self.cpu_s = time.process_time() - self.cpu0
        if self._profile_path:
            import pstats

            self._main.disable()
            stats = pstats.Stats(self._profiles[0])
            for profile in self._profiles[1:]:
                stats.add(profile)
            stats.dump_stats(self._profile_path)


def summary(job: Job, timer: Timer, latencies: list[float], rss_imported: int) -> dict[str, Any]:
    return {
        "impl": job["impl"],
        "calls": len(latencies),
        "concurrency": job["concurrency"],
        "warmup": job["warmup"],
        "wall_s": timer.wall_s,
        "calls_per_s": len(latencies) / timer.wall_s,
        "cpu_s": timer.cpu_s,
        "latencies_s": latencies,
        "rss_after_imports_kib": rss_imported,
    }


# ---- ours: VodClient, asyncio, `concurrency` workers sharing one list of URLs ------------
def run_ours(job: Job) -> dict[str, Any]:
    from bot.config import load_settings
    from bot.vod.client import VodClient

    rss_imported = rss_kib()
    settings = load_settings(_env_file=None, **{k.lower(): v for k, v in job["env"].items()})
    warmup, timed = urls_for(job)

    async def drive(client: VodClient, urls: list[str]) -> list[float]:
        latencies: list[float] = []
        todo = iter(urls)

        async def worker() -> None:
            for url in todo:
                started = time.perf_counter()
                await client.set_cover(url)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(job["concurrency"])))
        return latencies

    async def run() -> dict[str, Any]:
        async with VodClient.from_settings(settings) as client:
            await drive(client, warmup)
            gc.collect()  # the one full collection after imports, not inside the timing
            with Timer(job.get("profile")) as timer:
                latencies = await drive(client, timed)
        return summary(job, timer, latencies, rss_imported)

    return asyncio.run(run())


# ---- the ceiling: bare httpx over the same aiohttp transport, requests signed up front ---
def run_httpx(job: Job) -> dict[str, Any]:
    """What `VodClient` adds nothing to: the same PUT, through `httpx.AsyncClient` on
    `httpx_aiohttp.AiohttpTransport` with the same pool, each snapshot's request signed once
    before the timing (the fake accepts a signature for 15 minutes), so that per call
    only httpx and the transport work."""
    import httpx
    from httpx_aiohttp import AiohttpTransport
    from pydantic import SecretStr

    from bot.vod.auth import AkSkAuth
    from bot.vod.client import POOL_SIZE

    rss_imported = rss_kib()
    auth = AkSkAuth(SecretStr(job["ak"]), SecretStr(job["sk"]), job["project_id"])
    url = f"{job['url']}/v1.0/{job['project_id']}/asset/cover"
    presigned: dict[str, tuple[bytes, dict[str, str]]] = {}
    for snapshot in job["snapshot_urls"]:
        body = json.dumps({"thumbnailUrl": snapshot}, separators=(",", ":")).encode()
        request = httpx.Request("PUT", url, content=body,
                                headers={"Content-Type": "application/json"})
        auth.sign(request)
        presigned[snapshot] = body, dict(request.headers)
    warmup, timed = urls_for(job)
    limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE,
                          keepalive_expiry=30)

    async def drive(client: httpx.AsyncClient, urls: list[str]) -> list[float]:
        latencies: list[float] = []
        todo = iter(urls)

        async def worker() -> None:
            for snapshot in todo:
                body, headers = presigned[snapshot]
                started = time.perf_counter()
                response = await client.request("PUT", url, content=body, headers=headers)
                if response.status_code != 204:
                    raise RuntimeError(f"set cover answered HTTP {response.status_code}")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(job["concurrency"])))
        return latencies

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(
            transport=AiohttpTransport(limits=limits), limits=limits, timeout=10.0,
            follow_redirects=False,
        ) as client:
            await drive(client, warmup)
            gc.collect()
            with Timer(job.get("profile")) as timer:
                latencies = await drive(client, timed)
        return summary(job, timer, latencies, rss_imported)

    return asyncio.run(run())


# ---- the official SDK: VodAsyncClient, `concurrency` futures outstanding -----------------
def run_sdk(job: Job) -> dict[str, Any]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkvod.v1 import (
        UpdateCoverByThumbnailReq,
        UpdateCoverByThumbnailRequest,
        VodAsyncClient,
    )

    rss_imported = rss_kib()
    timer = Timer(job.get("profile"), threads=True)
    timer.start_thread_profiling()  # before the SDK starts its executor's threads

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True  # the fake is plain http; nothing to verify
    config.timeout = (2, 10)
    # Room for every call in flight (the SDK's executor has 8 threads whatever we say).
    config.pool_connections = config.pool_maxsize = job["concurrency"]
    client = (
        VodAsyncClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(job["ak"], job["sk"], job["project_id"]))
        .with_endpoints([job["url"]])
        .build()
    )

    def call(url: str) -> Any:
        body = UpdateCoverByThumbnailReq(thumbnail_url=url)
        return client.update_cover_by_thumbnail_async(UpdateCoverByThumbnailRequest(body=body))

    def drive(urls: list[str]) -> list[float]:
        """A window of `concurrency` futures: wait for the oldest, then send the next.

        The SDK's executor runs its queue in order, so the oldest call is (nearly always)
        the next to finish; a call's latency is taken when its `result()` returns.
        """
        latencies: list[float] = []
        pending: deque[tuple[float, Any]] = deque()

        def finish_oldest() -> None:
            started, future = pending.popleft()
            response = future.result()
            if response.status_code != 204:
                raise RuntimeError(f"set cover answered HTTP {response.status_code}")
            latencies.append(time.perf_counter() - started)

        for url in urls:
            if len(pending) >= job["concurrency"]:
                finish_oldest()
            pending.append((time.perf_counter(), call(url)))
        while pending:
            finish_oldest()
        return latencies

    warmup, timed = urls_for(job)
    try:
        drive(warmup)
        gc.collect()  # as for ours
        with timer:
            latencies = drive(timed)
    finally:
        client.get_http_client().close()
        client.get_http_client().executor.shutdown(wait=True)
    return summary(job, timer, latencies, rss_imported)


if __name__ == "__main__":
    main()
