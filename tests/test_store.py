"""The audit store on SQLite and PostgreSQL: schema, exactly-once, the asset hold, failures."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.config import Settings
from bot.services import capture_rules, stale_after
from bot.store import (
    AssetBusy,
    Attempt,
    AuditStore,
    CaptureAttempt,
    CaptureLimitReached,
    CaptureRules,
    CaptureStatus,
    ChangedSince,
    DuplicateChange,
    FollowUpState,
    SameCapture,
    Source,
    Status,
    StoreUnavailable,
)
from bot.store.audit import MIGRATIONS, schema_head
from bot.store.engine import async_url, create_engine
from bot.store.tables import cover_changes, metadata

PROJECT = Path(__file__).resolve().parent.parent
SNAPSHOT = "https://1.cdn-vod.huaweicloud.com/p/asset/{asset}/snapshot/sample/{n}.jpg"


def attempt(key: str = "k1", asset: str = "a1", n: int = 1, **changes: object) -> Attempt:
    base = Attempt(
        idempotency_key=key,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        asset_id=asset,
        snapshot_url=SNAPSHOT.format(asset=asset, n=n),
        source=Source.BUTTON,
    )
    return dataclasses.replace(base, **changes)


# ---- schema ------------------------------------------------------------------------
async def test_migrate_from_empty_then_again(database_url: str) -> None:
    async with AuditStore.from_url(database_url) as store:
        with pytest.raises(StoreUnavailable, match="cover_changes"):
            await store.ping()
        await store.migrate()
        await store.migrate()
        await store.ping()
        assert await store.history("a1") == []


def test_migration_files_are_named_by_their_revisions_in_order() -> None:
    """`migrate()` reads the newest revision from the file names, without Alembic."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert schema_head() == scripts.get_current_head()
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")


async def test_a_migrated_store_is_opened_without_loading_alembic(database_url: str) -> None:
    """A serving process whose store is up to date never imports Alembic (issue 10)."""
    async with AuditStore.from_url(database_url) as store:
        await store.migrate()
    script = (
        "import asyncio, sys\n"
        "from bot.store import AuditStore\n"
        "async def main():\n"
        "    async with AuditStore.from_url(sys.argv[1]) as store:\n"
        "        await store.migrate()\n"
        "        await store.ping()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, database_url, cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "[]"


async def test_migrations_match_the_tables(audit_store: AuditStore, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_migrations_at_once_from_many_engines(database_url: str) -> None:
    stores = [AuditStore.from_url(database_url) for _ in range(4)]
    try:
        await asyncio.gather(*(store.migrate() for store in stores))
        await stores[0].ping()
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_two_processes_start_at_once(database_url: str) -> None:
    """Two bots starting together on one database: both migrate, then both serve."""
    script = (
        "import asyncio, sys\n"
        "from bot.store import AuditStore, Attempt, Source\n"
        "async def main():\n"
        "    async with AuditStore.from_url(sys.argv[1]) as store:\n"
        "        await store.migrate()\n"
        "        await store.begin(Attempt(sys.argv[2], 'T1', 'C1', 'U1', sys.argv[2],\n"
        "                                  'https://x/1.jpg', Source.CLI))\n"
        "asyncio.run(main())\n"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, database_url, f"asset{n}",
            cwd=PROJECT, stderr=asyncio.subprocess.PIPE,
        )
        for n in range(2)
    ]
    errors = [(await p.communicate())[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    async with AuditStore.from_url(database_url) as store:
        assert len(await store.history("asset0")) == len(await store.history("asset1")) == 1


# ---- recording and reading -----------------------------------------------------------
async def test_begin_finish_and_history(audit_store: AuditStore) -> None:
    first = await audit_store.begin(attempt("k1"))
    await audit_store.finish(
        first, status=Status.SUCCEEDED, asset_title="Launch", request_id="req-1",
        previous_cover_url="https://old/1.jpg",
    )
    second = await audit_store.begin(attempt("k2", n=2, source=Source.COMMAND))
    await audit_store.finish(
        second, status=Status.FAILED, error_code="VOD.10062", error_msg="bad url"
    )
    await audit_store.begin(attempt("k3", asset="other"))

    newest, oldest = await audit_store.history("a1")
    assert (newest.id, oldest.id) == (second, first)
    assert oldest.status is Status.SUCCEEDED
    assert oldest.asset_title == "Launch"
    assert oldest.previous_cover_url == "https://old/1.jpg"
    assert oldest.request_id == "req-1"
    assert oldest.source is Source.BUTTON
    assert oldest.finished_at is not None and oldest.finished_at >= oldest.requested_at
    assert oldest.requested_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - oldest.requested_at) < timedelta(minutes=1)
    assert (newest.status, newest.error_code, newest.error_msg) == (
        Status.FAILED, "VOD.10062", "bad url"
    )
    assert newest.snapshot_url.endswith("/2.jpg")
    assert [r.asset_id for r in await audit_store.history("other")] == ["other"]
    assert await audit_store.get(first) == oldest
    assert await audit_store.get(first + 1000) is None


async def test_long_titles_and_messages_are_kept_whole(audit_store: AuditStore) -> None:
    title, message = "T" * 3000, "E" * 5000
    change = await audit_store.begin(attempt(asset="a" * 200))
    await audit_store.finish(change, status=Status.FAILED, asset_title=title, error_msg=message)
    (record,) = await audit_store.history("a" * 200)
    assert (record.asset_title, record.error_msg) == (title, message)


async def test_a_title_written_before_titles_were_one_line_is_read_as_one(
    audit_store: AuditStore,
) -> None:
    change_id = await audit_store.begin(attempt())
    await audit_store.finish(change_id, status=Status.SUCCEEDED,
                             asset_title="Keynote\n:heavy_check_mark: approved\u202e")
    (record,) = await audit_store.history("a1")
    assert record.asset_title == "Keynote :heavy_check_mark: approved"


async def test_history_limit(audit_store: AuditStore) -> None:
    ids = []
    for n in range(5):
        ids.append(await audit_store.begin(attempt(f"k{n}", n=n)))
        await audit_store.finish(ids[-1], status=Status.SUCCEEDED)
    assert [r.id for r in await audit_store.history("a1", limit=3)] == ids[::-1][:3]


async def test_finish_rejects_unknown_ids_and_statuses(audit_store: AuditStore) -> None:
    change = await audit_store.begin(attempt())
    for status in (Status.PENDING, Status.DENIED, Status.BUSY, Status.DUPLICATE):
        with pytest.raises(ValueError, match="succeeded, failed or unknown"):
            await audit_store.finish(change, status=status)
    with pytest.raises(LookupError):
        await audit_store.finish(change + 100, status=Status.SUCCEEDED)


async def test_record_denied(audit_store: AuditStore) -> None:
    reason = "Only listed users may change covers. Ask an admin to add your id U9."
    denied = attempt("k1", user_id="U9")
    first = await audit_store.record_refused(denied, Status.DENIED, reason)
    # A Slack retry: recorded too.
    second = await audit_store.record_refused(denied, Status.DENIED, reason)
    newest, oldest = await audit_store.history("a1")
    assert (newest.id, oldest.id) == (second, first)
    assert oldest.status is Status.DENIED
    assert (oldest.user_id, oldest.error_code, oldest.error_msg) == ("U9", "DENIED", reason)
    assert oldest.idempotency_key is None
    assert oldest.finished_at == oldest.requested_at
    # A denial holds neither the key nor the asset.
    assert await audit_store.begin(denied)


@pytest.mark.parametrize("status", [Status.BUSY, Status.DUPLICATE])
async def test_busy_and_duplicate_attempts_are_recorded(
    audit_store: AuditStore, status: Status
) -> None:
    change = await audit_store.begin(attempt("k1"))
    refused = await audit_store.record_refused(
        attempt("k2", user_id="U2"), status, f"change {change} was first"
    )
    record = await audit_store.get(refused)
    assert record is not None
    assert (record.status, record.error_code, record.user_id) == (
        status, status.value.upper(), "U2"
    )
    assert record.idempotency_key is None and record.finished_at == record.requested_at
    # Neither holds the key, and history leaves out duplicates (they repeat a listed row).
    listed = [r.status for r in await audit_store.history("a1")]
    assert listed == ([Status.BUSY, Status.PENDING] if status is Status.BUSY
                      else [Status.PENDING])
    with pytest.raises(ValueError, match="denied, busy or duplicate"):
        await audit_store.record_refused(attempt(), Status.SUCCEEDED, "no")


async def test_every_status_fits_the_migrated_schema(audit_store: AuditStore) -> None:
    """The CHECK constraint the migrations write takes exactly the `Status` members."""
    for n, status in enumerate(Status):
        change = await audit_store.begin(attempt(f"k{n}", asset=f"a{n}"))
        if status is not Status.PENDING:
            await audit_store._transaction(
                lambda c, change=change, status=status: c.execute(
                    cover_changes.update().where(cover_changes.c.id == change)
                    .values(status=status.value)
                ),
                doing="test",
            )
        record = await audit_store.get(change)
        assert record is not None and record.status is status
    with pytest.raises(StoreUnavailable, match="constraint"):
        await audit_store._transaction(
            lambda c: c.execute(cover_changes.update().values(status="lost")), doing="test"
        )


async def test_upgrade_from_0001_makes_interrupted_failures_unknown(database_url: str) -> None:
    """A database of the first release keeps its rows; its interrupted ones become unknown."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("0001"))
            for n, (status, code) in enumerate(
                [("failed", "INTERRUPTED"), ("failed", "VOD.10062"), ("succeeded", None)]
            ):
                await connection.execute(cover_changes.insert().values(
                    requested_at=datetime.now(UTC), team_id="T1", channel_id="C1",
                    user_id="U1", asset_id=f"a{n}", snapshot_url="https://x/1.jpg",
                    source="button", status=status, error_code=code,
                ))
    finally:
        await engine.dispose()
    async with AuditStore.from_url(database_url) as store:
        await store.migrate()
        statuses = [(await store.history(f"a{n}"))[0].status for n in range(3)]
        assert statuses == [Status.UNKNOWN, Status.FAILED, Status.SUCCEEDED]
        assert await store.begin(attempt("k1", asset="a0"))  # the partial index is back
        with pytest.raises(AssetBusy):
            await store.begin(attempt("k2", asset="a0"))


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def upgrade(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return upgrade


# ---- exactly once, and the asset hold ----------------------------------------------------
async def test_repeated_key_is_a_duplicate(audit_store: AuditStore) -> None:
    change = await audit_store.begin(attempt("k1"))
    with pytest.raises(DuplicateChange) as pending:
        await audit_store.begin(attempt("k1"))
    assert pending.value.existing.id == change
    assert pending.value.existing.status is Status.PENDING

    await audit_store.finish(change, status=Status.SUCCEEDED)
    with pytest.raises(DuplicateChange) as done:
        await audit_store.begin(attempt("k1", asset="elsewhere"))
    assert done.value.existing.status is Status.SUCCEEDED


async def test_asset_is_busy_while_a_change_is_pending(audit_store: AuditStore) -> None:
    change = await audit_store.begin(attempt("k1"))
    with pytest.raises(AssetBusy) as busy:
        await audit_store.begin(attempt("k2", n=2, user_id="U2"))
    assert (busy.value.pending.id, busy.value.pending.user_id) == (change, "U1")
    assert await audit_store.begin(attempt("k3", asset="a2"))  # other assets are free

    await audit_store.finish(change, status=Status.FAILED, error_code="VOD.10062")
    assert await audit_store.begin(attempt("k2", n=2, user_id="U2"))


async def test_one_key_from_many_processes_wins_once(database_url: str) -> None:
    async with AuditStore.from_url(database_url) as first:
        await first.migrate()
    stores = [AuditStore.from_url(database_url) for _ in range(8)]
    try:
        outcomes = await asyncio.gather(
            *(store.begin(attempt("same")) for store in stores), return_exceptions=True
        )
        winners = [o for o in outcomes if isinstance(o, int)]
        assert len(winners) == 1, outcomes
        assert all(
            isinstance(o, DuplicateChange) and o.existing.id == winners[0]
            for o in outcomes
            if o not in winners
        ), outcomes

        busy = await asyncio.gather(
            *(store.begin(attempt(f"k{n}", asset="a2")) for n, store in enumerate(stores)),
            return_exceptions=True,
        )
        assert sum(isinstance(o, int) for o in busy) == 1, busy
        assert sum(isinstance(o, AssetBusy) for o in busy) == len(stores) - 1, busy
    finally:
        await asyncio.gather(*(store.close() for store in stores))


# ---- interrupted changes ---------------------------------------------------------------
def test_a_pending_change_is_stale_after_two_vod_calls_and_the_margin() -> None:
    """The age past which no live process can still be making a change: two VOD calls,
    each within its retry budget plus one timeout, plus 10 s (the docs: 90 s by default)."""
    assert stale_after(Settings(_env_file=None)) == timedelta(seconds=90)
    tight = Settings(_env_file=None, vod_retry_budget_s=5, vod_timeout_s=2)
    assert stale_after(tight) == timedelta(seconds=2 * (5 + 2) + 10)


async def test_expire_stale_marks_old_pending_changes_unknown(database_url: str) -> None:
    now = datetime.now(UTC)
    async with AuditStore.from_url(database_url, stale_after=timedelta(minutes=30)) as store:
        await store.migrate()
        store._clock = lambda: now - timedelta(hours=1)
        old = await store.begin(attempt("k1"))
        done = await store.begin(attempt("k2", asset="a2"))
        await store.finish(done, status=Status.SUCCEEDED)
        store._clock = lambda: now
        fresh = await store.begin(attempt("k3", asset="a3"))

        assert await store.expire_stale() == 1
        assert await store.expire_stale() == 0
        (expired,) = await store.history("a1")
        assert (expired.id, expired.status, expired.error_code) == (
            old, Status.UNKNOWN, "INTERRUPTED"
        )
        assert expired.error_msg and "try again" in expired.error_msg
        assert expired.finished_at == now
        assert (await store.history("a2"))[0].status is Status.SUCCEEDED
        assert (await store.history("a3"))[0].id == fresh

        # The real outcome, arriving late, still wins over the guess.
        await store.finish(old, status=Status.SUCCEEDED, request_id="late")
        assert (await store.history("a1"))[0].status is Status.SUCCEEDED


async def test_begin_ignores_a_stale_hold(database_url: str) -> None:
    async with AuditStore.from_url(database_url, stale_after=timedelta(minutes=5)) as store:
        await store.migrate()
        now = datetime.now(UTC)
        store._clock = lambda: now - timedelta(minutes=6)
        crashed = await store.begin(attempt("k1"))
        store._clock = lambda: now - timedelta(minutes=4)
        recent = await store.begin(attempt("k2", asset="a2"))
        store._clock = lambda: now

        change = await store.begin(attempt("k3", n=3))
        with pytest.raises(AssetBusy) as busy:
            await store.begin(attempt("k4", asset="a2"))
        assert busy.value.pending.id == recent
        newest, oldest = await store.history("a1")
        assert (newest.id, newest.status) == (change, Status.PENDING)
        assert (oldest.id, oldest.status, oldest.error_code) == (
            crashed, Status.UNKNOWN, "INTERRUPTED"
        )


# ---- when the store cannot be written ---------------------------------------------------
async def test_unwritable_sqlite_file_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    async with AuditStore.from_url(f"sqlite:///{blocker / 'audit.db'}") as store:
        for call in (store.migrate(), store.ping(), store.begin(attempt()),
                     store.record_refused(attempt(), Status.DENIED, "no")):
            with pytest.raises(StoreUnavailable) as failure:
                await call
            message = str(failure.value)
            assert "audit store" in message
            assert str(blocker / "audit.db") in message
            assert "unable to open database file" in message


def test_a_failed_sqlite_open_leaves_no_thread_behind(tmp_path: Path) -> None:
    """aiosqlite's worker thread must end with the loop, not report into a closed one."""
    script = (
        "import asyncio, sys\n"
        "from bot.store import AuditStore, StoreUnavailable\n"
        "async def main():\n"
        "    async with AuditStore.from_url(f'sqlite:///{sys.argv[1]}/missing/a.db') as s:\n"
        "        try:\n"
        "            await s.ping()\n"
        "        except StoreUnavailable:\n"
        "            print('unavailable')\n"
        "for _ in range(5):\n"
        "    asyncio.run(main())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT, capture_output=True,
        text=True, timeout=60, check=False,
    )
    assert result.returncode == 0 and result.stdout.split() == ["unavailable"] * 5
    assert "Exception in thread" not in result.stderr, result.stderr
    assert "Event loop is closed" not in result.stderr, result.stderr


@pytest.mark.postgres
async def test_unreachable_postgres_is_unavailable_without_the_password(
    postgres_url: str,
) -> None:
    url = "postgresql://setcover:hunter2-secret@127.0.0.1:1/audit"
    async with AuditStore.from_url(url) as store:
        for call in (store.ping(), store.begin(attempt()), store.history("a1")):
            with pytest.raises(StoreUnavailable) as failure:
                await call
            message = str(failure.value)
            assert "PostgreSQL database audit on 127.0.0.1:1" in message
            assert "hunter2" not in message
            assert "hunter2" not in repr(failure.value.__cause__ or "")


@pytest.mark.postgres
async def test_connections_the_server_dropped_are_replaced_without_a_refusal(
    postgres_url: str,
) -> None:
    """A PostgreSQL restart (here: every backend terminated) costs no change: the first
    transaction on a dropped pooled connection runs again on a new one, once."""
    import psycopg

    async with AuditStore.from_url(postgres_url) as store:
        await store.migrate()
        firsts = await asyncio.gather(*(store.begin(attempt(f"k{n}", f"a{n}"))
                                        for n in range(4)))  # several pooled connections
        name = postgres_url.rpartition("/")[2]
        admin_url = postgres_url.rpartition("/")[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s", (name,))
        for change in firsts:
            await store.finish(change, status=Status.SUCCEEDED)
        second = await store.begin(attempt("k9", "a9"))
        assert second > max(firsts)
        assert [r.status for r in await store.history("a0")] == [Status.SUCCEEDED]
        assert [r.status for r in await store.history("a9")] == [Status.PENDING]


# ---- DATABASE_URL ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///setcover.db", "sqlite+aiosqlite:///setcover.db"),
        ("sqlite:////var/lib/setcover.db", "sqlite+aiosqlite:////var/lib/setcover.db"),
        ("postgres://u:p@db:5432/x", "postgresql+asyncpg://u:***@db:5432/x"),
        ("postgresql://u@db/x?sslmode=require", "postgresql+asyncpg://u@db/x?ssl=require"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
    ],
)
def test_database_urls_get_an_async_driver(given: str, used: str) -> None:
    assert async_url(given).render_as_string(hide_password=True) == used


@pytest.mark.parametrize("given", ["mysql://u@db/x", "not a url", "postgresql+psycopg2://db/x"])
def test_unsupported_database_urls_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        AuditStore.from_url(given)


# ---- the PostgreSQL fixtures themselves --------------------------------------------------
@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_missing_postgres_skips_locally_and_fails_in_ci(ci: str, outcome: str) -> None:
    test_id = "tests/test_store.py::test_migrate_from_empty_then_again[postgresql]"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_id],
        cwd=PROJECT,
        env=os.environ | {"TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:1/x", "CI": ci},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert outcome in result.stdout, result.stdout + result.stderr
    assert (result.returncode != 0) == (ci == "true")


def test_the_settings_accept_exactly_the_schemes_the_store_has_drivers_for() -> None:
    from bot.config import DATABASE_SCHEMES
    from bot.store.engine import ASYNC_DRIVERS

    assert set(ASYNC_DRIVERS) == DATABASE_SCHEMES


async def test_a_follow_up_is_leased_to_one_owner_and_told_once(database_url: str) -> None:
    """Two processes: one lease at a time; only the holder of a live lease may mark it
    told; an expired lease passes to the other, and the first can no longer tell it."""
    now = [datetime(2026, 11, 26, 12, tzinfo=UTC)]
    lease = timedelta(seconds=60)
    async with AuditStore(create_engine(database_url), location="t",
                          clock=lambda: now[0]) as store:
        await store.migrate()
        change = await store.begin(attempt("k1"))
        await store.finish(change, status=Status.SUCCEEDED)
        row_id = await store.add_follow_up(
            change_id=change, asset_id="a1", asset_title="Launch", task_id="t1",
            response_url="https://hooks.slack.test/secret", due_at=now[0])

        (row,) = await store.claim_follow_ups("one", lease=lease)
        assert (row.id, row.attempts, row.state) == (row_id, 1, FollowUpState.PENDING)
        assert "secret" not in repr(row)
        assert await store.claim_follow_ups("two", lease=lease) == []
        assert not await store.finish_follow_up(row_id, "two", FollowUpState.LIVE)

        now[0] += lease + timedelta(seconds=1)  # "one" hangs past its lease
        (again,) = await store.claim_follow_ups("two", lease=lease)
        assert again.attempts == 2
        assert not await store.finish_follow_up(row_id, "one", FollowUpState.LIVE)
        assert await store.finish_follow_up(row_id, "two", FollowUpState.LIVE)
        assert not await store.finish_follow_up(row_id, "two", FollowUpState.LIVE)
        now[0] += lease * 2
        assert await store.claim_follow_ups("one", lease=lease) == []


async def test_a_follow_up_given_back_waits_for_its_due_time(audit_store: AuditStore) -> None:
    change = await audit_store.begin(attempt("k1"))
    soon = datetime.now(UTC)
    await audit_store.add_follow_up(change_id=change, asset_id="a1", asset_title="",
                                    task_id="t1", response_url="u", due_at=soon)
    (row,) = await audit_store.claim_follow_ups("one", lease=timedelta(minutes=1))
    await audit_store.reschedule_follow_up(row.id, "one", soon + timedelta(hours=1))
    assert await audit_store.claim_follow_ups("two", lease=timedelta(minutes=1)) == []
    assert await audit_store.release_follow_ups("one") == 0


# ---- captures: once each, counted per user ------------------------------------------------
def capture(seconds: tuple[int, ...] = (5, 83), **changes: object) -> CaptureAttempt:
    base = CaptureAttempt(team_id="T1", channel_id="C1", user_id="U1", asset_id="a1",
                          seconds=seconds, source=Source.COMMAND)
    return dataclasses.replace(base, **changes)


async def test_the_same_capture_is_begun_once_while_under_way_and_just_after(
    audit_store: AuditStore,
) -> None:
    rules = CaptureRules(per_hour=None, same_within=timedelta(minutes=5))
    now = datetime.now(UTC)
    audit_store._clock = lambda: now
    first = await audit_store.begin_capture(capture(idempotency_key="view:V1"), rules)
    for repeat in (capture(), capture(user_id="U2"), capture((9,), idempotency_key="view:V1")):
        with pytest.raises(SameCapture) as same:
            await audit_store.begin_capture(repeat, rules)
        assert (same.value.existing.id, same.value.existing.user_id) == (first, "U1")
        assert same.value.existing.status is CaptureStatus.PENDING
    # Other times, or another video, are captures of their own.
    assert await audit_store.begin_capture(capture((5,)), rules)
    assert await audit_store.begin_capture(capture(asset_id="a2"), rules)

    await audit_store.finish_capture(first, status=CaptureStatus.SUCCEEDED, new_snapshots=2)
    audit_store._clock = lambda: now + timedelta(minutes=4)
    with pytest.raises(SameCapture) as made:
        await audit_store.begin_capture(capture(), rules)
    assert made.value.existing.status is CaptureStatus.SUCCEEDED
    audit_store._clock = lambda: now + timedelta(minutes=6)
    again = await audit_store.begin_capture(capture(), rules)
    # A failed task is no reason to wait; its request key still is.
    await audit_store.finish_capture(again, status=CaptureStatus.FAILED, error_code="X")
    assert await audit_store.begin_capture(capture(), rules)
    with pytest.raises(SameCapture):
        await audit_store.begin_capture(capture(idempotency_key="view:V1"), rules)


async def test_a_users_captures_of_the_last_hour_are_counted(audit_store: AuditStore) -> None:
    rules = CaptureRules(per_hour=3)
    start = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    for minute in (0, 10, 20):
        audit_store._clock = lambda minute=minute: start + timedelta(minutes=minute)
        await audit_store.begin_capture(capture((minute + 1,)), rules)
    audit_store._clock = lambda: start + timedelta(minutes=30)
    with pytest.raises(CaptureLimitReached) as limited:
        await audit_store.begin_capture(capture((99,)), rules)
    assert (limited.value.per_hour, limited.value.next_at) == (3, start + timedelta(hours=1))
    assert await audit_store.begin_capture(capture((99,), user_id="U2"), rules)  # their own
    assert await audit_store.begin_capture(capture((98,)), CaptureRules(per_hour=None))

    # An hour after the first, two are counted; withdrawn ones (never asked of VOD) not.
    audit_store._clock = lambda: start + timedelta(minutes=71)
    withdrawn = await audit_store.begin_capture(capture((97,)), rules)
    await audit_store.cancel_capture(withdrawn)
    assert withdrawn not in [r.id for r in await audit_store.captures("a1")]
    assert await audit_store.begin_capture(capture((96,)), rules)
    with pytest.raises(CaptureLimitReached) as limited:
        await audit_store.begin_capture(capture((95,)), rules)
    assert limited.value.next_at == start + timedelta(minutes=80)


async def test_one_capture_from_many_processes_is_begun_once(database_url: str) -> None:
    async with AuditStore.from_url(database_url) as first:
        await first.migrate()
    async with contextlib.AsyncExitStack() as opened:
        stores = [await opened.enter_async_context(AuditStore.from_url(database_url))
                  for _ in range(8)]
        begun = await asyncio.gather(
            *(store.begin_capture(capture(user_id=f"U{n}"), CaptureRules())
              for n, store in enumerate(stores)), return_exceptions=True)
    (winner,) = [o for o in begun if isinstance(o, int)]
    others = [o for o in begun if o != winner]
    assert all(isinstance(o, SameCapture) and o.existing.id == winner for o in others), begun


def test_a_pending_capture_is_stale_after_its_wait_three_vod_calls_and_the_margin() -> None:
    """The docs: 430 s by default (300 s of waiting, three calls of 30 + 10 s, 10 s)."""
    assert capture_rules(Settings(_env_file=None)).stale_after == timedelta(seconds=430)
    tight = Settings(_env_file=None, vod_capture_timeout_s=20, vod_retry_budget_s=5,
                     vod_timeout_s=2, setcover_captures_per_hour=3)
    assert capture_rules(tight) == CaptureRules(
        per_hour=3, stale_after=timedelta(seconds=20 + 3 * (5 + 2) + 10))


async def test_stale_pending_captures_are_timed_out_and_hold_nothing(
    audit_store: AuditStore,
) -> None:
    rules = CaptureRules(stale_after=timedelta(minutes=7))
    now = datetime.now(UTC)
    audit_store._clock = lambda: now - timedelta(minutes=8)
    crashed = await audit_store.begin_capture(capture(), rules)
    crashed_elsewhere = await audit_store.begin_capture(capture(asset_id="a2"), rules)
    audit_store._clock = lambda: now - timedelta(minutes=6)
    recent = await audit_store.begin_capture(capture(asset_id="a3"), rules)
    audit_store._clock = lambda: now

    # A new capture of the same video and times no longer waits for the dead one.
    assert await audit_store.begin_capture(capture(), rules)
    assert await audit_store.expire_stale_captures(rules.stale_after) == 1
    assert await audit_store.expire_stale_captures(rules.stale_after) == 0
    rows = {r.id: r for a in ("a1", "a2", "a3") for r in await audit_store.captures(a)}
    for expired in (crashed, crashed_elsewhere):
        assert (rows[expired].status, rows[expired].error_code) == (
            CaptureStatus.TIMED_OUT, "INTERRUPTED")
        assert rows[expired].finished_at == now
    assert rows[recent].status is CaptureStatus.PENDING


async def test_a_cover_a_capture_set_is_recorded_once_as_the_latest_change(
    audit_store: AuditStore,
) -> None:
    earlier = await audit_store.begin(attempt("k1", n=1))
    await audit_store.finish(earlier, status=Status.SUCCEEDED)
    made = attempt("capture:7", n=9, source=Source.CAPTURE)
    change = await audit_store.record_capture_change(
        made, asset_title="Keynote", previous_cover_url=made.snapshot_url.replace("9", "1"),
        request_id="req-7")
    assert await audit_store.record_capture_change(
        made, asset_title="Keynote", previous_cover_url=None, request_id=None) == change
    latest = await audit_store.last_success("a1")
    assert latest is not None and (latest.id, latest.source, latest.status) == (
        change, Source.CAPTURE, Status.SUCCEEDED)
    assert (latest.snapshot_url, latest.asset_title, latest.request_id) == (
        SNAPSHOT.format(asset="a1", n=9), "Keynote", "req-7")
    assert latest.finished_at == latest.requested_at
    assert [r.id for r in await audit_store.history("a1")] == [change, earlier]


async def test_an_undo_begins_only_while_its_change_is_still_the_latest(
    audit_store: AuditStore,
) -> None:
    """The undo's check and its start are one transaction: a change that succeeded after
    the undo looked (B, then C; Undo on B) makes the undo refuse, not throw C away."""
    changes = []
    for n in (1, 2):
        change = await audit_store.begin(attempt(f"k{n}", n=n, user_id=f"U{n}"))
        await audit_store.finish(change, status=Status.SUCCEEDED)
        changes.append(change)
    first, second = changes
    with pytest.raises(ChangedSince) as since:
        await audit_store.begin(attempt(f"undo:{first}", n=0, source=Source.UNDO,
                                        undoes=first))
    assert (since.value.latest.id, since.value.latest.user_id) == (second, "U2")
    assert [r.id for r in await audit_store.history("a1")] == [second, first]  # nothing begun
    assert await audit_store.begin(attempt(f"undo:{second}", n=1, source=Source.UNDO,
                                           undoes=second))
