"""Times in a video, as people type them: `83`, `83s`, `1:23`, `1:02:03`.

Pure, so the slash command, the modal and the command line check times the same way and
before anything is sent to VOD (a snapshot task costs money).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: VOD takes at most 10 time points per snapshot task.
MAX_TIMES = 10
#: Words looked at before refusing: duplicates are dropped, so a few more than MAX_TIMES
#: may be fine (`0:05 5s 5`), but never thousands.
MAX_WORDS = 10 * MAX_TIMES
#: ASCII digits only (`\d` would take Arabic-Indic or mathematical bold digits), at most
#: six a part (999,999 s is 277 hours): `int()` never sees a number it refuses.
_TIME = re.compile(r"(?:(?:([0-9]{1,6}):)?([0-9]{1,6}):)?([0-9]{1,6})(s)?")


class TimecodeError(ValueError):
    """A time that cannot be captured; the message says why, for the person who typed it."""


def parse_times(words: Sequence[str]) -> list[int]:
    """Whole seconds for each word, duplicates dropped, in the order given."""
    words = [w for word in words for w in word.replace(",", " ").split()]
    if not words:
        raise TimecodeError("Give at least one time, e.g. `1:23`, `83s` or `1:02:03`.")
    if len(words) > MAX_WORDS:
        raise _too_many(len(words))
    seconds = list(dict.fromkeys(parse_time(word) for word in words))
    if len(seconds) > MAX_TIMES:
        raise _too_many(len(seconds))
    return seconds


def _too_many(count: int) -> TimecodeError:
    return TimecodeError(f"That is {count} times; VOD takes at most {MAX_TIMES} at once.")


def parse_time(word: str) -> int:
    """`83`, `83s`, `1:23`, `1:02:03` → seconds; `TimecodeError` for anything else."""
    shown = word if len(word) <= 20 else word[:19] + "…"
    if word.startswith("-"):
        raise TimecodeError(f"`{shown}` is negative: times count from the start of the video.")
    match = _TIME.fullmatch(word.lower())
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
