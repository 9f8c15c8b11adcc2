"""Which modules an import loads: the leaves stay leaves (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys


def loaded_after(module: str) -> set[str]:
    """The `bot` modules a fresh interpreter holds after `import module`."""
    script = (f"import json, sys, {module}\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'bot')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60)
    return set(json.loads(result.stdout))


def test_observe_is_a_leaf() -> None:
    """The VOD client imports `bot.observe`; `observe` imports nothing of VOD or Slack (no
    cycle). It may load the store: /metrics counts audit rows on a connection of its own."""
    loaded = loaded_after("bot.observe")
    assert {"bot.metrics", "bot.observe"} <= loaded
    assert not {m for m in loaded if m.startswith(("bot.vod", "bot.slack", "bot.covers"))}


def test_vod_errors_load_without_the_client() -> None:
    loaded = loaded_after("bot.vod.errors")
    assert "bot.vod.client" not in loaded
    assert "bot.vod.measured" not in loaded


def test_no_response_url_in_a_repr() -> None:
    """A `response_url` lets anyone post to the channel: reprs (which reach logs) omit it."""
    from datetime import UTC, datetime

    from bot.store import FollowUp, FollowUpState

    secret = "https://hooks.slack.com/actions/T1/123/secret"
    now = datetime.now(UTC)
    follow_up = FollowUp(id=1, change_id=2, asset_id="a", asset_title="t", task_id="x",
                         response_url=secret, state=FollowUpState.PENDING, attempts=0,
                         created_at=now, due_at=now)
    assert "secret" not in repr(follow_up)


def test_the_cli_module_loads_no_stand_in() -> None:
    assert not {m for m in loaded_after("bot.cli") if m.startswith("bot.standin")}
