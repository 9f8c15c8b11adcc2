"""What the benchmarks share: the fakes in processes of their own, served processes,
percentiles, and a description of the machine and the package versions."""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
# The benchmarks use the tests' fakes and signed requests (`tests` is not installed).
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

#: The settings our fakes and signed requests use (tests/slack_requests.py).
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234-5678-faketoken"
USER_ID = "U0EDITOR"
#: Prefixes of our settings: none of the caller's leak into a served process.
OUR_PREFIXES = ("SLACK_", "VOD_", "IAM_", "SETCOVER_", "DATABASE_URL", "PORT", "LOG_")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with the repository importable and none of our settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONSTARTUP", None)
    return env | (extra or {})


class FakeProcess:
    """A fake (bench/fake_process.py) in a child process, driven over its stdin and stdout."""

    def __init__(self, kind: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "fake_process.py"), kind, *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=child_env(),
        )
        self.info: dict[str, Any] = self._read()

    def command(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def _read(self, timeout: float = 30.0) -> dict[str, Any]:
        stdout: IO[str] | None = self.proc.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the fake did not answer (exit code {self.proc.poll()})")
        return dict(json.loads(line))

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.command("quit")
            except (OSError, RuntimeError, ValueError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """A server process (`setcover-bot serve`, or uvicorn serving the bare Bolt app).

    `started_s` is the time from spawning it to the first 200 from `probe_path`.
    """

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str], workdir: Path,
                 port: int, probe_path: str = "/healthz", timeout: float = 60.0) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = workdir / f"{name}-{port}.log"
        self._log = self.log_path.open("wb")
        started = time.perf_counter()
        self.proc = subprocess.Popen(list(argv), cwd=workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = started + timeout
        while not self._answers(probe_path):
            if self.proc.poll() is not None or time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start:\n{self.log()[-3000:]}")
            time.sleep(0.005)
        self.started_s = time.perf_counter() - started

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url + path, timeout=1) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError as exc:
            return path != "/healthz" and exc.code < 500  # any answer means it is serving
        except OSError:
            return False

    def peak_rss_mib(self) -> float:
        """VmHWM: the process's resident-set high-water mark (reset by exec, so its own)."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmHWM:"))
        return kib / 1024

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def console_script(name: str = "setcover-bot") -> str:
    """The console script installed beside this interpreter, as a user runs it."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: install the project first (pip install -e .)")
    return str(path)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def latency_figures(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and max, in milliseconds."""
    ordered = sorted(latencies_s)
    return {
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p90_ms": percentile(ordered, 0.90) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


PACKAGES = (
    "slack-bolt", "slack-sdk", "starlette", "uvicorn", "uvloop", "httptools", "aiohttp",
    "httpx", "httpx-aiohttp", "pydantic", "sqlalchemy", "aiosqlite", "asyncpg", "tenacity",
    "huaweicloudsdkcore", "huaweicloudsdkvod", "requests", "urllib3",
)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip()
                   for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: version(name) for name in PACKAGES},
    }


def write_result(name: str, data: dict[str, Any], stamp: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp}-{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def run_alone(name: str, parser: argparse.ArgumentParser,
              run: Callable[[argparse.Namespace, str], dict[str, Any]]) -> int:
    """A benchmark run on its own (`run_all.py` calls `run` itself): its arguments, the
    start as a UTC stamp, and its result written to `bench/results/`."""
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    print(f"wrote {write_result(name, run(args, stamp), stamp)}")
    return 0


def setcover_env(vod: FakeProcess, slack: FakeProcess, workdir: Path, port: int,
                 **overrides: str) -> dict[str, str]:
    """Production settings against the fakes: AK/SK signing, SQLite in `workdir`, INFO logs,
    VOD's timeouts and retries at their defaults (the fake's environment shortens them), the
    "now live" follow-up after the benchmark."""
    fake_vod = {k: v for k, v in vod.info["env"].items()
                if k not in {"VOD_TIMEOUT_S", "VOD_MAX_RETRIES"}}
    return child_env(fake_vod | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.info["api_url"],
        "SETCOVER_ALLOWED_USERS": USER_ID,
        "DATABASE_URL": f"sqlite:///{workdir}/audit.db",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        # The CDN refresh is still asked for after each change, but its "now live" post
        # (a status look and a post, 15 s later by default) comes after the run, not in the
        # middle of a later round, whose posts it would inflate.
        "VOD_REFRESH_POLL_S": "600",
    } | overrides)


def start_setcover(vod: FakeProcess, slack: FakeProcess, workdir: Path, **overrides: str
                   ) -> Served:
    """`setcover-bot serve`, the installed console script, as production runs it."""
    port = free_port()
    return Served("setcover", [console_script(), "serve"], workdir=workdir, port=port,
                  env=setcover_env(vod, slack, workdir, port, **overrides))
