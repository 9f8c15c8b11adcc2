"""One of the tests' fakes (VOD or Slack) in a process of its own, for the benchmarks.

    python bench/fake_process.py vod [--latency S] [--assets N] [--reels] [--picture-latency S]
    python bench/fake_process.py slack

Started by the benchmarks with the repository root on PYTHONPATH, so the fake's CPU is not
the measured process's. On start it prints one JSON line describing itself (URLs, the
bot's settings for it, for VOD the seeded snapshot URLs). Then it answers commands on
stdin, one JSON line each:

    stats [H]  what it received since the last reset (Slack: only posts to hook ids that
               start with H; see `VodFake.stats`, `SlackFake.stats`) and the CPU
               seconds this process used since then
    reset      forget what was received (and, for VOD, re-seed the assets)
    quit       stop the server and exit (end of stdin does the same)
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from typing import Any, Protocol


class Fake(Protocol):
    def describe(self) -> dict[str, Any]: ...
    def stats(self, hooks: str = "") -> dict[str, Any]: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...


class VodFake:
    """`FakeVod` seeded with `assets` assets of 6 snapshots each, answering after `latency`;
    with `reels`, each asset is the demo reel instead: 12 pictures that look like a film
    (after `picture_latency`, a CDN's answer). The fake serves the pictures either way, so
    a picker shows its contact sheet."""

    def __init__(self, assets: int, latency: float, *, reels: bool = False,
                 picture_latency: float = 0.0) -> None:
        from bot.standin.vod import FakeVod

        self.fake = FakeVod()
        self.fake.server.start()
        self.latency = latency
        self.reels = reels
        self.picture_latency = picture_latency
        self.asset_ids = [f"{n:032x}" for n in range(1, assets + 1)]
        self.snapshot_urls = [
            self.fake.frame_url(asset_id, "sample", n) for asset_id in self.asset_ids
            for n in range(12)
        ] if reels else [
            self.fake.frame_url(asset_id, kind, n)
            for asset_id in self.asset_ids
            for kind, count in (("sample", 3), ("dots", 2), ("quantity", 1))
            for n in range(count)
        ]
        self._seed()

    def _seed(self) -> None:
        for asset_id in self.asset_ids:
            title = f"Bench asset {asset_id[-4:]}"
            if self.reels:
                self.fake.add_reel(asset_id, title)
            else:
                self.fake.add_asset(asset_id, title)
        # Pictures first: the first key that matches the path gives its latency.
        self.fake.latency = ({".jpg": self.picture_latency} if self.reels else {}) | (
            {"*": self.latency} if self.latency else {})

    def describe(self) -> dict[str, Any]:
        fake = self.fake
        env = fake.settings_env("aksk")
        return {
            "url": fake.url, "env": env, "ak": fake.ak, "sk": fake.sk,
            "project_id": fake.project_id, "asset_ids": self.asset_ids,
            "snapshot_urls": self.snapshot_urls,
        }

    def stats(self, hooks: str = "") -> dict[str, Any]:
        fake = self.fake
        api, pictures = fake.api_requests, fake.frame_requests  # API calls, reel pictures
        with fake.lock:
            statuses = collections.Counter(r.status for r in api)
            changes = len(fake.cover_changes)
            signed = sum(
                1 for r in api
                if (r.header("Authorization") or "").startswith("SDK-HMAC-SHA256 ")
            )
        return {
            "requests": sum(statuses.values()),
            "pictures": len(pictures),
            "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
            "signed": signed,
            "cover_changes": changes,
        }

    def reset(self) -> None:
        self.fake.reset()
        self._seed()

    def stop(self) -> None:
        self.fake.server.stop()


class SlackFake:
    """`FakeSlack`: the Web API and `response_url` hooks, counting what arrived."""

    def __init__(self) -> None:
        from aiohttp import web

        from tests.fakes.slack_server import FakeSlack

        class TimedSlack(FakeSlack):
            """Notes when the last hook post was answered."""

            last_post_at: float | None = None

            async def _hook(self, request: web.Request) -> web.Response:
                response = await super()._hook(request)
                self.last_post_at = time.monotonic()
                return response

        self.fake = TimedSlack()
        self.fake.server.start()

    def describe(self) -> dict[str, Any]:
        return {"url": self.fake.server.url, "api_url": self.fake.api_url}

    def stats(self, hooks: str = "") -> dict[str, Any]:
        """Hook posts (to hook ids starting with `hooks`: one round's) by kind and answer,
        and when the last one was answered (`time.monotonic()`, one clock for every process
        of the machine)."""
        fake = self.fake
        with fake.lock:
            posts = [p for p in fake.hook_posts if p.path.startswith(hooks)]
            calls = collections.Counter(c.path for c in fake.calls)
        kinds = collections.Counter(
            "replace" if p.body.get("replace_original") else str(p.body.get("response_type"))
            for p in posts
        )
        sheets = sum(1 for p in posts if any(
            b.get("type") == "image" and "slack_file" in b for b in p.body.get("blocks") or []))
        return {
            "hook_posts": len(posts),
            "with_sheet": sheets,
            "hook_urls": len({p.path for p in posts}),
            "by_kind": dict(kinds),
            "refused": sum(1 for p in posts if not p.answer.get("ok")),
            "api_calls": dict(calls),
            "last_post_at": fake.last_post_at,
        }

    def reset(self) -> None:
        """Forget the posts, not the uploaded files: Slack keeps a file until it is deleted,
        so a sheet the bot uploaded in one round may be shown again in the next."""
        uploads = self.fake.uploads
        self.fake.reset()
        self.fake.uploads = uploads
        self.fake.last_post_at = None

    def stop(self) -> None:
        self.fake.server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("vod", "slack"))
    parser.add_argument("--latency", type=float, default=0.0, help="VOD: seconds per answer")
    parser.add_argument("--assets", type=int, default=20, help="VOD: assets to seed")
    parser.add_argument("--reels", action="store_true",
                        help="VOD: each asset the demo reel, its 12 pictures served here")
    parser.add_argument("--picture-latency", type=float, default=0.0,
                        help="VOD: seconds per picture of a reel")
    args = parser.parse_args()

    fake: Fake
    if args.kind == "vod":
        fake = VodFake(args.assets, args.latency, reels=args.reels,
                       picture_latency=args.picture_latency)
    else:
        fake = SlackFake()
    cpu_at_reset = time.process_time()
    say(fake.describe())
    try:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "stats":
                say(fake.stats(argument) | {"cpu_s": time.process_time() - cpu_at_reset})
            elif command == "reset":
                fake.reset()
                cpu_at_reset = time.process_time()
                say({"reset": True})
            elif command == "quit":
                break
            else:
                say({"error": f"unknown command {command!r}"})
    finally:
        fake.stop()


def say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
