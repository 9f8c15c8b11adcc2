"""Run the fault, fuzz and load suites in their full profile and write docs/reliability.md.

    .venv/bin/python bench/reliability.py                 # full profile (~11 min), writes the doc
    .venv/bin/python bench/reliability.py --profile ci    # the CI profile, writes nothing

It runs pytest on tests/test_faults.py, tests/test_fuzz.py, tests/test_load.py,
tests/test_observability.py, tests/test_floods.py, tests/test_follow_up_backlog.py and
tests/test_capture_limits.py with `PROVE_PROFILE=full` and `PROVE_REPORT=<file>` (each
suite adds its figures there, see tests/prove.py), keeps every served bot's log under one
directory, then scans those logs for every secret the suites configured (VOD AK/SK,
security token, static and issued IAM tokens, IAM password, Slack bot token, signing
secret) and for `response_url`s, which are capabilities too.
Loopback only; every suite is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.vod_server import FakeVod  # noqa: E402
from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET  # noqa: E402

SUITES = ["tests/test_faults.py", "tests/test_fuzz.py", "tests/test_load.py",
          "tests/test_observability.py", "tests/test_floods.py",
          "tests/test_follow_up_backlog.py", "tests/test_capture_limits.py"]
#: What must never be in a log: the suites' secrets, by name, and response_urls.
_fake = FakeVod()  # its credentials; its server is never started
SECRETS: dict[str, re.Pattern[str]] = {
    "VOD_SK": re.compile(re.escape(_fake.sk)),
    "VOD_SK (temporary)": re.compile(re.escape(_fake.temp_sk)),
    "VOD_SECURITY_TOKEN": re.compile(re.escape(_fake.security_token)),
    "VOD_AUTH_TOKEN": re.compile(re.escape(_fake.static_token)),
    "IAM_PASSWORD": re.compile(re.escape(_fake.iam_password)),
    "IAM token issued": re.compile(r"MIIFAKE[A-Za-z0-9_-]{8,}"),
    "SLACK_BOT_TOKEN": re.compile(re.escape(BOT_TOKEN)),
    "SLACK_SIGNING_SECRET": re.compile(re.escape(SIGNING_SECRET)),
    # The fake Slack's response_urls end as Slack's do, `commands/<team>/<id>/<secret>`;
    # found plain, JSON-escaped, URL-encoded or both (`%5C%2F`).
    "response_url": re.compile(r"(?:commands|actions){0}T0TEAM{0}\d+{0}[0-9a-f]{{24}}".format(
        r"(?:(?:\\|%5[Cc])*(?:/|%2[Ff]))")),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["full", "ci"], default="full")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="setcover-reliability-"))
    figures_file = work / "figures.json"
    env = os.environ | {"PROVE_PROFILE": args.profile, "PROVE_REPORT": str(figures_file)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rxX",
               f"--basetemp={work / 'pytest'}", *SUITES]
    print("running:", " ".join(command[2:]), f"(PROVE_PROFILE={args.profile})", flush=True)
    started = time.monotonic()
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=3000, check=False)
    seconds = time.monotonic() - started
    summary = next((line for line in reversed(run.stdout.splitlines())
                    if " passed" in line or " failed" in line), "no summary")
    print(run.stdout[-3000:], run.stderr[-2000:], sep="\n")

    figures = json.loads(figures_file.read_text()) if figures_file.exists() else {}
    logs = sorted((work / "pytest").rglob("bot-*.log"))
    found = scan(logs)
    print(json.dumps({"figures": figures, "secrets": found, "logs": len(logs)}, indent=2))
    if args.profile != "full":
        return run.returncode
    known = [line.removeprefix("XFAIL ") for line in run.stdout.splitlines()
             if line.startswith("XFAIL ")]
    args.out.write_text(render(figures, found, logs, summary, seconds, run.returncode, known))
    print(f"wrote {args.out}")
    return run.returncode or (1 if _total(found) else 0)


def _total(found: dict[str, dict[str, int]]) -> int:
    return sum(sum(where.values()) for where in found.values())


def scan(logs: list[Path]) -> dict[str, dict[str, int]]:
    """For each secret, how many log lines hold it, by the level and logger that wrote them."""
    found: dict[str, dict[str, int]] = {name: {} for name in SECRETS}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            for name, pattern in SECRETS.items():
                if pattern.search(line):
                    where = _writer(line)
                    found[name][where] = found[name].get(where, 0) + 1
    return found


def _writer(line: str) -> str:
    """`LEVEL logger` of a text log line (`time time LEVEL logger: message`)."""
    parts = line.split(" ", 4)
    return f"{parts[2]} {parts[3].rstrip(':')}" if len(parts) > 3 else "?"


def _per_store(backlog: dict) -> str:
    stores = len(backlog.get("stores", []))
    return f"{backlog['rows'] // stores:,}" if stores and "rows" in backlog else "?"


def render(figures: dict, found: dict[str, dict[str, int]], logs: list[Path], summary: str,
           seconds: float, returncode: int, known: list[str]) -> str:
    faults = figures.get("faults", {})
    fuzz = figures.get("fuzz", {})
    load = figures.get("load", {})
    slow = figures.get("slow_senders", {})
    scraped = figures.get("metrics_flood", {})
    backlog = figures.get("follow_up_backlog", {})
    captures = figures.get("capture_limits", {})
    injected = sum(faults.get(k, 0) for k in ("vod_injected", "slack_injected",
                                              "store_injected"))
    survived = sum(faults.get(k, 0) for k in ("vod_survived", "slack_survived",
                                              "store_survived"))
    log_lines = sum(len(p.read_text(errors="replace").splitlines()) for p in logs)
    lost, duplicated = load.get("lost", "?"), load.get("duplicated", "?")
    verdict = "all held" if returncode == 0 and not _total(found) else "FAILURES, see below"
    rows = "\n".join(
        f"| {name} | {sum(where.values())} | "
        f"{', '.join(f'{w} ({n})' for w, n in sorted(where.items())) or '-'} |"
        for name, where in found.items())
    table = "\n".join(f"| {what} | {value} |" for what, value in [
        ("faults injected", f"{injected} (VOD {faults.get('vod_injected', 0)}, Slack "
         f"{faults.get('slack_injected', 0)}, store {faults.get('store_injected', 0)})"),
        ("faults survived (clear answer, final audit row, channel told only of a change)",
         survived),
        ("fuzz inputs tried (command texts, snapshot URLs, interaction payloads)",
         fuzz.get("inputs", 0)),
        ("requests under load (clicks, 2 processes, one PostgreSQL)",
         f"{load.get('clicks', 0)} clicks: {load.get('intents', 0)} distinct intents, "
         f"{load.get('repeats', 0)} repeats, {load.get('vod_faults', 0)} VOD faults"),
        ("acknowledgements under load (the bots' own `setcover_slack_ack_seconds`)",
         f"{load.get('ack_within_100ms', '?')} of {load.get('acks', '?')} within 100 ms, "
         f"{load.get('ack_within_1s', '?')} within 1 s, all within "
         f"{load.get('ack_all_within_s', '?')} s"),
        (f"slow senders: {slow.get('connections', '?')} connections trickling their body, "
         f"open-file limit {slow.get('open_files', '?')}",
         f"all taken in within {slow.get('taken_in_s', '?')} s; then "
         f"{slow.get('slack_acknowledged', '?')} of {slow.get('slack_requests', '?')} Slack "
         f"requests acknowledged within 3 s (slowest {slow.get('slack_slowest_s', '?')} s); "
         f"every slow connection closed within {slow.get('closed_within_s', '?')} s of "
         "being opened"),
        (f"metrics flood: {scraped.get('scrape_loops', '?')} loops of `/metrics` scrapes over "
         f"{scraped.get('audit_rows', '?')} audit rows",
         f"{scraped.get('scrapes', '?')} scrapes (slowest {scraped.get('scrape_slowest_s', '?')}"
         f" s); slowest outcome of {scraped.get('clicks', '?')} clicks meanwhile "
         f"{scraped.get('outcome_slowest_s', '?')} s"),
        (f"follow-up backlog: {_per_store(backlog)} due \"now live\" posts at once, on "
         f"{' and '.join(backlog.get('stores', [])) or '?'} in turn",
         f"{backlog.get('told', '?')} told, {backlog.get('twice', '?')} twice; each backlog "
         f"told within {max(backlog.get('took_s', []), default='?')} s"),
        (f"capture limits: {captures.get('identical', '?')} identical `at` commands at once, "
         f"then {captures.get('distinct', '?')} distinct ones, from one user (10 an hour)",
         f"paid snapshot tasks started: {captures.get('identical_tasks', '?')} for the "
         f"identical ones, {captures.get('distinct_tasks', '?')} for the distinct ones; "
         f"{captures.get('limited', '?')} answered with when the next is possible"),
        ("changes lost", f"**{lost}**"),
        ("changes duplicated", f"**{duplicated}**"),
        (f"secrets found in {len(logs)} bot logs ({log_lines} lines)", f"**{_total(found)}**"),
    ])
    rounds = faults.get("vod_injected", 0) // max(faults.get("vod_cases", 1), 1)
    defects = "\n".join(f"- `{line}`" for line in known) or "- none"
    return f"""# Reliability

Figures from the full profile of the fault, fuzz and load suites (issue 9), written by
`bench/reliability.py` on {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} (Python
{platform.python_version()}, {os.cpu_count()} cores). Everything runs on 127.0.0.1 against the
repository's fakes: the fake VOD checks every signature, the fake Slack records every
post, PostgreSQL is the real server (a fresh database; outages come from a TCP proxy the
test cuts, never from stopping the server). Result: **{verdict}** ({summary.strip()},
{seconds:.0f} s).

| figure | value |
| --- | --- |
{table}

## What each suite does

- **Faults** (`tests/test_faults.py`): {faults.get("vod_cases", 0)} VOD faults (slow answers,
  timeouts, dropped connections, 500/502/503 once and always, 429 with and without
  `Retry-After`, 400 with each known VOD and gateway code, 401/403 gateway codes, HTML and
  non-JSON bodies, an expired IAM token), each on a click of a frame's button, {rounds} round(s);
  Slack answering `response_url` posts with 429, 500, 503 and `expired_url`, and the Web
  API with `invalid_auth`; the audit store gone mid-run (PostgreSQL behind a cut TCP
  proxy, a SQLite file made immutable) and back. Each case must end with a clear answer
  to the user, a final audit row (`succeeded`, `failed` or `unknown`, never `pending`),
  nothing in the channel unless the cover changed, the change never repeated, and while
  the store is gone, changes refused without calling VOD.
- **Fuzz** (`tests/test_fuzz.py`, hypothesis): random unicode, Slack link syntax, URLs of
  every shape (issue 8's look-alike, dot-segment, port, userinfo, backslash, percent and
  invisible-character tricks among them), interaction payloads with fields missing, extra
  or of the wrong type, each signed and sent to a served `setcover-bot`: never a 5xx,
  never a stack trace in Slack, never a VOD cover call for anything but a real snapshot
  of a real asset.
- **Load** (`tests/test_load.py`): two `setcover-bot serve` processes on one fresh
  PostgreSQL database, a burst of concurrent clicks over many videos, each intent sent 1
  to 3 times to either process, VOD slow and answering 503, 429 and dropped reads: each
  intent changes its cover exactly once, each repeat is told so, the channel hears of each
  change once, every row ends final, every click is answered.
- **Observability** (`tests/test_observability.py`): `/metrics` and the JSON log lines
  after a scenario say what happened.
- **Floods** (`tests/test_floods.py`): connections that send signed-looking headers and
  then trickle their body, more of them than the bot may open files (`ulimit -n`), while
  Slack sends `/setcover help` on fresh connections: each must be acknowledged within
  3 s, and every slow connection closed by the bot within seconds. And `/metrics` scraped
  in loops over an audit store of a million rows while clicks change covers: each
  outcome still comes within seconds.
- **Follow-up backlog** (`tests/test_follow_up_backlog.py`): thousands of due "now live"
  follow-ups in the store at once (their CDN refreshes done, each status look taking 50 ms),
  on SQLite and on PostgreSQL: every one posted to its `response_url` once, within minutes;
  one whose `response_url` is older than 30 minutes is marked expired, not posted; a worker
  that lost its lease never posts.
- **Capture limits** (`tests/test_capture_limits.py`): paid snapshot tasks asked of VOD
  once per capture (the same command 20 times, one form submitted 10 times) and at most
  `SETCOVER_CAPTURES_PER_HOUR` per user across processes, counted at
  the fake VOD; a capture left pending by a crash is resolved at start-up.
- **Secrets**: every served bot's log is scanned for each secret the suites configured and
  for `response_url`s:

| secret | log lines | written by (level, logger) |
| --- | --- | --- |
{rows}

## Defects the suites know of (tests marked `xfail`, strict: they fail once fixed)

{defects}

Run it again with `.venv/bin/python bench/reliability.py` (about eleven minutes on two
cores, as busy as the machine is); CI runs the same suites in their short profile
(`PROVE_PROFILE` unset).
"""


if __name__ == "__main__":
    sys.exit(main())
