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
    """The VOD client imports `bot.observe`; `observe` imports nothing of VOD (no cycle)."""
    assert loaded_after("bot.observe") == {"bot", "bot.metrics", "bot.observe"}


def test_vod_errors_load_without_the_client() -> None:
    loaded = loaded_after("bot.vod.errors")
    assert "bot.vod.client" not in loaded
    assert "bot.vod.measured" not in loaded
