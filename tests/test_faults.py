"""Issue 9, fault matrix: VOD, Slack and the store misbehave; every click still ends well.

For each VOD fault a picker is opened, the fault is injected, and a frame's button clicked.
Whatever happens, the clicker is answered (never a stack trace), the audit row is final
(`succeeded`, `failed` or `unknown`, never `pending`), and the channel is told only of a
cover that changed. Bounded: short timeouts and budgets, loopback only.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.store import AuditStore, ChangeRecord
from bot.web import create_app
from tests.fakes.server import async_wait_until
from tests.fakes.slack_server import FakeSlack, Recorded
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.vod_server import FakeVod
from tests.prove import pick, report, slack_requests_done
from tests.test_slack_app import Bot, bot_settings

FINAL = {"succeeded", "failed", "unknown"}
#: Fast failure: 0.5 s an attempt, 2 retries, 3 s for all of them.
FAST_VOD = {"vod_timeout_s": 0.5, "vod_max_retries": 2, "vod_retry_budget_s": 3.0}


@dataclass(frozen=True)
class VodFault:
    name: str
    inject: Callable[[FakeVod], None]
    status: str  # the audit status the click must end with
    changed: bool  # whether VOD applied the cover
    #: A PUT that timed out is tried again: VOD may apply the same cover more than once,
    #: which changes nothing more (the same cover set twice).
    repeated: bool = False

    def __str__(self) -> str:
        return self.name


def _latency(path: str, seconds: float) -> Callable[[FakeVod], None]:
    return lambda vod: vod.latency.__setitem__(path, seconds)


def _fail(path: str, **kwargs: Any) -> Callable[[FakeVod], None]:
    return lambda vod: vod.fail(path, **kwargs)


def _drop(path: str, times: int) -> Callable[[FakeVod], None]:
    return lambda vod: vod.drop(path, times=times)


ALWAYS = 10  # more times than the retries
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
KNOWN_400_CODES = ["VOD.10062", "VOD.10053", "APIGW.0201", "APIGW.0101"]
KNOWN_AUTH_CODES = [(401, "APIGW.0301"), (401, "APIGW.0307"), (403, "APIGW.0302"),
                    (403, "APIGW.0306")]

VOD_FAULTS = [
    VodFault("slow answer (under the timeout)", _latency("/asset/cover", 0.2), "succeeded", True),
    VodFault("details times out every attempt", _latency("/asset/details", 5), "failed", False),
    VodFault("cover PUT times out every attempt (VOD applies it)",
             _latency("/asset/cover", 0.8), "unknown", True, repeated=True),
    VodFault("connection dropped once on details", _drop("/asset/details", 1), "succeeded", True),
    VodFault("connection dropped on every cover PUT", _drop("/asset/cover", ALWAYS),
             "unknown", False),
    *[VodFault(f"{status} once on cover", _fail("/asset/cover", status=status, times=1),
               "succeeded", True) for status in (500, 502, 503)],
    *[VodFault(f"{status} on every cover PUT", _fail("/asset/cover", status=status, times=ALWAYS),
               "failed", False) for status in (500, 503)],
    # A gateway that gave up waiting (502, 504) may have passed the change on: unknown.
    *[VodFault(f"{status} on every cover PUT", _fail("/asset/cover", status=status, times=ALWAYS),
               "unknown", False) for status in (502, 504)],
    VodFault("429 with Retry-After once", _fail("/asset/cover", status=429, retry_after=0.1),
             "succeeded", True),
    VodFault("429 without Retry-After always", _fail("/asset/cover", status=429, times=ALWAYS),
             "failed", False),
    *[VodFault(f"400 {code} on cover", _fail("/asset/cover", status=400, code=code,
                                              message="refused", times=ALWAYS),
               "failed", False) for code in KNOWN_400_CODES],
    *[VodFault(f"{status} {code} on cover", _fail("/asset/cover", status=status, code=code,
                                                  message="refused", times=ALWAYS),
               "failed", False) for status, code in KNOWN_AUTH_CODES],
    VodFault("HTML 502 on every cover PUT", _fail("/asset/cover", status=502, body=HTML,
                                                  times=ALWAYS), "unknown", False),
    VodFault("HTML 500 on every cover PUT", _fail("/asset/cover", status=500, body=HTML,
                                                  times=ALWAYS), "failed", False),
    VodFault("details 200 with a body that is not JSON",
             _fail("/asset/details", status=200, body=HTML, times=ALWAYS), "failed", False),
]


class Clicker:
    """An in-process bot (real sockets to the fakes) and what a matrix case does to it."""

    def __init__(self, bot: Bot, vod: FakeVod, slack: FakeSlack, store: AuditStore) -> None:
        self.bot, self.vod, self.slack, self.store = bot, vod, slack, store
        self._assets = 0

    def new_asset(self) -> str:
        self._assets += 1
        asset_id = f"{self._assets:02d}f0000000000000000000000000faul7"
        self.vod.add_asset(asset_id, f"Fault case {self._assets}")
        return asset_id

    async def picker(self, asset_id: str) -> Recorded:
        _, url = await self.bot.command(asset_id)
        (picker,) = await self.bot.posts(url)
        return picker

    async def click(self, picker: Recorded, **select: Any) -> list[Recorded]:
        """Click a frame's button; the posts to its response_url once its work has ended."""
        done = slack_requests_done("use_cover")
        _, url = await self.bot.click(picker, action_prefix="use_cover", **select)
        await async_wait_until(lambda: slack_requests_done("use_cover") > done, timeout=30)
        return self.slack.posts_to(url)

    async def row(self, asset_id: str) -> ChangeRecord:
        records = await self.store.history(asset_id)
        assert len(records) == 1, records
        return records[0]


@pytest.fixture
async def clicker(fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
                  ) -> AsyncIterator[Clicker]:
    settings = bot_settings(fake_vod, fake_slack, tmp_path, **FAST_VOD)
    app = create_app(settings)
    async with app.router.lifespan_context(app), AuditStore.from_url(
        settings.database_url
    ) as store:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            yield Clicker(Bot(http, fake_slack), fake_vod, fake_slack, store)


def assert_answered(posts: list[Recorded], *, changed: bool) -> None:
    """The clicker was told how it ended; the channel only of a change."""
    assert posts, "nobody was answered"
    text = "\n".join(p.all_text() for p in posts)
    assert "Traceback" not in text and "Setting the cover" not in posts[-1].text, text
    in_channel = [p for p in posts if p.body.get("response_type") == "in_channel"]
    assert len(in_channel) == (1 if changed else 0), text
    if not changed:
        assert posts[-1].text.strip(), "an empty answer"


async def test_every_vod_fault_ends_with_an_answer_and_a_final_row(
    clicker: Clicker, fake_vod: FakeVod
) -> None:
    rounds = pick(1, 3)
    problems = []
    for _ in range(rounds):
        for fault in VOD_FAULTS:
            asset_id = clicker.new_asset()
            picker = await clicker.picker(asset_id)
            fault.inject(fake_vod)
            try:
                posts = await clicker.click(picker)
                row = await clicker.row(asset_id)
                changes = [c for c in fake_vod.cover_changes if c.asset_id == asset_id]
                assert row.status.value in FINAL, f"row left {row.status}"
                assert row.status.value == fault.status, f"row says {row.status}"
                assert {c.thumbnail_url for c in changes} <= {row.snapshot_url}
                if fault.changed:
                    assert changes and (fault.repeated or len(changes) == 1), changes
                else:
                    assert not changes, changes
                assert_answered(posts, changed=fault.changed and row.status.value == "succeeded")
            except AssertionError as exc:
                problems.append(f"{fault}: {exc}")
            finally:
                fake_vod.faults.clear()
                fake_vod.latency.clear()
    report("faults", vod_cases=len(VOD_FAULTS), vod_injected=rounds * len(VOD_FAULTS),
           vod_survived=rounds * len(VOD_FAULTS) - len(problems))
    assert not problems, "\n".join(problems)


async def test_an_expired_iam_token_is_renewed_and_the_change_made(
    fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings = bot_settings(fake_vod, fake_slack, tmp_path, **FAST_VOD).model_copy(update={
        "vod_ak": None, "vod_sk": None, "iam_endpoint": fake_vod.url,
        "iam_domain": fake_vod.iam_domain, "iam_username": fake_vod.iam_username,
        "iam_password": fake_vod.settings("iam").iam_password,
    })
    app = create_app(settings)
    async with app.router.lifespan_context(app), AuditStore.from_url(
        settings.database_url
    ) as store:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bot") as http:
            clicker = Clicker(Bot(http, fake_slack), fake_vod, fake_slack, store)
            asset_id = clicker.new_asset()
            picker = await clicker.picker(asset_id)
            fake_vod.revoke_tokens()  # the token the bot holds is refused from now on

            posts = await clicker.click(picker)

            assert (await clicker.row(asset_id)).status.value == "succeeded"
            assert_answered(posts, changed=True)
            assert fake_vod.token_requests == 2
    report("faults", vod_injected=1, vod_survived=1)


# ---- Slack ---------------------------------------------------------------------------

async def test_slack_faults_on_response_url_never_repeat_the_change(
    clicker: Clicker, fake_vod: FakeVod, fake_slack: FakeSlack
) -> None:
    cases: list[tuple[str, dict[str, Any], bool]] = [
        # (what, fault, whether the answer still gets through after Slack's SDK retries)
        ("429 with Retry-After", {"status": 429, "retry_after": 1}, True),
        ("500 once", {"status": 500}, True),
        ("503 twice", {"status": 503, "times": 2}, True),
        ("expired response_url", {"status": 404, "body": "expired_url", "times": 50}, False),
    ]
    for _what, fault, delivered in cases:
        asset_id = clicker.new_asset()
        picker = await clicker.picker(asset_id)
        fake_slack.fail_hooks(**fault)

        posts = await clicker.click(picker)

        assert (await clicker.row(asset_id)).status.value == "succeeded"
        assert [c.asset_id for c in fake_vod.cover_changes].count(asset_id) == 1
        assert len(fake_vod.requests_to("/asset/cover")) == len(fake_vod.cover_changes)
        answered = [p for p in posts if p.answer.get("ok", True) is not False]
        if delivered:
            assert any(p.body.get("response_type") == "in_channel" for p in answered), posts
        fake_slack.hook_faults.clear()
    report("faults", slack_injected=len(cases), slack_survived=len(cases))


async def test_invalid_auth_on_the_web_api_denies_and_changes_nothing(
    fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.usergroups = {"S0LEADS": ["U0EDITOR"]}
    settings = bot_settings(fake_vod, fake_slack, tmp_path, **FAST_VOD).model_copy(
        update={"setcover_allowed_users": [], "setcover_allowed_usergroups": ["S0LEADS"]})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bot") as http:
            bot = Bot(http, fake_slack)
            fake_slack.usergroups_error = "invalid_auth"
            _, url = await bot.command("6e76f92034ceae2fcdcef9413221511f")
            (denial,) = await bot.posts(url)
    assert "may change video covers" in denial.text
    assert fake_vod.api_requests == [] and json.dumps(denial.body).count("Traceback") == 0
    report("faults", slack_injected=1, slack_survived=1)


# ---- the store -----------------------------------------------------------------------


@asynccontextmanager
async def clicker_on(database_url: str, fake_vod: FakeVod, fake_slack: FakeSlack,
                     tmp_path: Path) -> AsyncIterator[Clicker]:
    settings = bot_settings(fake_vod, fake_slack, tmp_path, **FAST_VOD).model_copy(
        update={"database_url": database_url})
    app = create_app(settings)
    async with app.router.lifespan_context(app), AuditStore.from_url(database_url) as store:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bot") as http:
            yield Clicker(Bot(http, fake_slack), fake_vod, fake_slack, store)


async def assert_store_outage_survived(clicker: Clicker, fake_vod: FakeVod,
                                       break_store: Callable[[], None],
                                       mend_store: Callable[[], None], *, unready: bool) -> None:
    """Changes work, are refused (VOD untouched) while the store is gone, work again after;
    every row is final. `unready`: /readyz says 503 meanwhile (a store that still reads
    is ready)."""
    before, during, after = (clicker.new_asset() for _ in range(3))
    posts = await clicker.click(await clicker.picker(before))
    assert_answered(posts, changed=True)
    pickers = [await clicker.picker(during), await clicker.picker(after)]

    break_store()
    try:
        ready = (await clicker.bot.http.get("/readyz")).status_code
        assert ready == (503 if unready else 200)
        puts = len(fake_vod.requests_to("/asset/cover"))
        refused = await clicker.click(pickers[0])
        assert "audit log cannot be written" in refused[-1].text, refused[-1].text
        assert_answered(refused, changed=False)
        assert len(fake_vod.requests_to("/asset/cover")) == puts  # no record, no change
    finally:
        mend_store()

    assert (await clicker.bot.http.get("/readyz")).status_code == 200
    assert_answered(await clicker.click(pickers[1]), changed=True)
    for asset_id in (before, during, after):
        for record in await clicker.store.history(asset_id):
            assert record.status.value != "pending", record
    assert {c.asset_id for c in fake_vod.cover_changes} == {before, after}


@pytest.mark.postgres
async def test_postgresql_gone_and_back_refuses_then_serves(
    postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    proxy = TcpProxy().start()
    try:
        async with clicker_on(proxy.url_for(postgres_url), fake_vod, fake_slack,
                              tmp_path) as clicker:
            await assert_store_outage_survived(clicker, fake_vod, proxy.cut, proxy.restore,
                                               unready=True)
    finally:
        proxy.stop()
    report("faults", store_injected=1, store_survived=1)


async def test_an_unwritable_sqlite_file_refuses_then_serves(
    fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    database = tmp_path / "audit.db"
    if shutil.which("chattr") is None:
        pytest.skip("chattr is needed to make a file unwritable even for root")

    def files() -> list[str]:
        # Not the -shm file: SQLite maps it into memory, and a write to a mapping the
        # kernel refuses is SIGBUS, the end of the process rather than an error.
        return [str(p) for p in (database, tmp_path / "audit.db-wal") if p.exists()]

    def chattr(flag: str) -> None:
        subprocess.run(["chattr", flag, *files()], check=True)

    def freeze() -> None:
        chattr("+i")

    def thaw() -> None:
        chattr("-i")

    try:
        async with clicker_on(f"sqlite:///{database}", fake_vod, fake_slack,
                              tmp_path) as clicker:
            await assert_store_outage_survived(clicker, fake_vod, freeze, thaw, unready=False)
    finally:
        thaw()
    report("faults", store_injected=1, store_survived=1)


@pytest.mark.postgres
async def test_postgresql_gone_while_vod_changes_the_cover_leaves_no_pending_row(
    postgres_url: str, fake_vod: FakeVod, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    proxy = TcpProxy().start()
    try:
        async with clicker_on(proxy.url_for(postgres_url), fake_vod, fake_slack,
                              tmp_path) as clicker:
            asset_id = clicker.new_asset()
            picker = await clicker.picker(asset_id)
            fake_vod.latency["/asset/cover"] = 0.4
            click = asyncio.ensure_future(clicker.click(picker))
            await async_wait_until(lambda: fake_vod.requests_to("/asset/cover"), timeout=10)
            proxy.cut()  # VOD is applying the change; its outcome cannot be written
            assert_answered(await click, changed=True)
            proxy.restore()
            for _ in range(15):  # 3 s for the outcome to be written once the store is back
                if (await clicker.row(asset_id)).status.value != "pending":
                    break
                await asyncio.sleep(0.2)
            assert (await clicker.row(asset_id)).status.value == "succeeded"
    finally:
        proxy.stop()
