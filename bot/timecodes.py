"""Times in a video, as people type them: `83`, `83s`, `1:23`, `1:02:03`.

Pure, so the slash command, the modal and the command line check times the same way and
before anything is sent to VOD (a snapshot task costs money).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: VOD takes at most 10 time points per snapshot task.
MAX_TIMES = 10
_TIME = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+)(s)?$")


class TimecodeError(ValueError):
    """A time that cannot be captured; the message says why, for the person who typed it."""


def parse_times(words: Sequence[str]) -> list[int]:
    """Whole seconds for each word, duplicates dropped, in the order given."""
    words = [w for word in words for w in word.replace(",", " ").split()]
    if not words:
        raise TimecodeError("Give at least one time, e.g. `1:23`, `83s` or `1:02:03`.")
    seconds: list[int] = []
    for word in words:
        value = parse_time(word)
        if value not in seconds:
            seconds.append(value)
    if len(seconds) > MAX_TIMES:
        raise TimecodeError(f"That is {len(seconds)} times; VOD takes at most {MAX_TIMES} "
                            "at once.")
    return seconds


def parse_time(word: str) -> int:
    """`83`, `83s`, `1:23`, `1:02:03` → seconds; `TimecodeError` for anything else."""
    shown = word if len(word) <= 20 else word[:19] + "…"
    if word.startswith("-"):
        raise TimecodeError(f"`{shown}` is negative: times count from the start of the video.")
    match = _TIME.match(word.lower())
    if match is None:
        raise TimecodeError(f"`{shown}` is not a time: write `83s`, `1:23` or `1:02:03`.")
    hours, minutes, secs, unit = match.groups()
    if unit and (hours or minutes):
        raise TimecodeError(f"`{shown}` mixes forms: write `83s` or `1:23`.")
    if (minutes is not None and int(secs) >= 60) or (hours is not None and int(minutes) >= 60):
        raise TimecodeError(f"`{shown}` is not a time: minutes and seconds go up to 59.")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs)


def check_within(seconds: Sequence[int], duration: float | None) -> None:
    """`TimecodeError` naming the times past the end of a video `duration` seconds long."""
    if duration is None:
        return
    past = [s for s in seconds if s >= duration]
    if past:
        listed = ", ".join(format_time(s) for s in past)
        raise TimecodeError(f"{listed} is past the end of the video, which is "
                            f"{format_time(int(duration))} long.")


def format_time(seconds: int) -> str:
    """83 → `1:23`; with hours when there are any (3723 → `1:02:03`)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
