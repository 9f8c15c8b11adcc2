"""Who may change a video's cover, and where.

Four settings, each a comma-separated list of Slack ids:

- "who" rules: `SETCOVER_ALLOWED_USERS` (user ids, `U…`/`W…`) and
  `SETCOVER_ALLOWED_USERGROUPS` (user group ids, `S…`, members read with Slack's
  `usergroups.users.list` and kept for `cache_seconds`, 60 s by default);
- "where" rules: `SETCOVER_ALLOWED_CHANNELS` (`C…`/`G…`) and `SETCOVER_ALLOWED_TEAMS`
  (workspaces, `T…`).

A change is allowed if and only if

1. every configured where-rule matches (the channel is listed, if channels are set; the
   workspace is listed, if workspaces are set), and
2. the user matches a who-rule (is listed, or is a member of a listed group), or no
   who-rule is configured but at least one where-rule is ("anyone in #video-covers").

With nothing configured nobody may: the denial, and `describe()` in the start-up log, say
which setting to fill in. A group whose members cannot be read (Slack error, network,
no client) never allows anyone: the denial says so. Every denial is a sentence for the
Slack user: who may do this, and their own user id, so an admin can add them.

Concurrent checks that need the same group share one `usergroups.users.list` call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

USERS = "SETCOVER_ALLOWED_USERS"
USERGROUPS = "SETCOVER_ALLOWED_USERGROUPS"
CHANNELS = "SETCOVER_ALLOWED_CHANNELS"
TEAMS = "SETCOVER_ALLOWED_TEAMS"
DEFAULT_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Decision:
    """The answer of the policy; `reason` is shown to the Slack user when not allowed."""

    allowed: bool
    reason: str


class GroupLookupError(Exception):
    """The members of a user group could not be read; `detail` says why, for people."""

    def __init__(self, group: str, detail: str) -> None:
        self.group = group
        self.detail = detail
        super().__init__(f"cannot read the members of user group {group}: {detail}")


class Policy:
    """Decides whether a cover may be changed, for (workspace, channel, user)."""

    def __init__(
        self,
        *,
        users: Iterable[str] = (),
        usergroups: Iterable[str] = (),
        channels: Iterable[str] = (),
        teams: Iterable[str] = (),
        slack_client: AsyncWebClient | None = None,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = frozenset(users)
        self.usergroups = tuple(dict.fromkeys(usergroups))
        self.channels = frozenset(channels)
        self.teams = frozenset(teams)
        self._client = slack_client
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lookups: dict[str, asyncio.Task[frozenset[str]]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, slack_client: AsyncWebClient | None) -> Policy:
        """The policy of `Settings`; `slack_client` reads user groups (None: groups fail)."""
        return cls(
            users=settings.setcover_allowed_users,
            usergroups=settings.setcover_allowed_usergroups,
            channels=settings.setcover_allowed_channels,
            teams=settings.setcover_allowed_teams,
            slack_client=slack_client,
        )

    @property
    def has_who_rules(self) -> bool:
        return bool(self.users or self.usergroups)

    @property
    def has_where_rules(self) -> bool:
        return bool(self.channels or self.teams)

    # ---- deciding --------------------------------------------------------------------
    async def check(self, team_id: str, channel_id: str, user_id: str) -> Decision:
        """May `user_id` change a cover from `channel_id` of workspace `team_id`?"""
        if not self.has_who_rules and not self.has_where_rules:
            return _deny(
                "Nobody may change video covers yet: the bot has no one on its list. "
                f"Ask an admin to add your id {user_id} to {USERS} "
                f"(or to set {USERGROUPS}, {CHANNELS} or {TEAMS})."
            )
        if self.teams and team_id not in self.teams:
            return _deny(
                f"Video covers cannot be changed from this workspace ({team_id}). "
                f"Ask an admin to add it to {TEAMS}; your own id is {user_id}."
            )
        if self.channels and channel_id not in self.channels:
            return _deny(
                f"Video covers can only be changed in {_mentions(self.channels, '<#{}>')}. "
                f"To allow this channel ({channel_id}), ask an admin to add it to "
                f"{CHANNELS}; your own id is {user_id}."
            )
        if not self.has_who_rules:
            return Decision(True, "anyone may change covers here")
        if user_id in self.users:
            return Decision(True, f"{user_id} is in {USERS}")

        failures: list[GroupLookupError] = []
        for group, members in zip(
            self.usergroups,
            await asyncio.gather(
                *(self.members(group) for group in self.usergroups), return_exceptions=True
            ),
            strict=True,
        ):
            if isinstance(members, GroupLookupError):
                failures.append(members)
            elif isinstance(members, BaseException):
                raise members
            elif user_id in members:
                return Decision(True, f"{user_id} is a member of user group {group}")
        return _deny(self._who_denial(user_id, failures))

    def _who_denial(self, user_id: str, failures: list[GroupLookupError]) -> str:
        who = []
        if self.usergroups:
            who.append("members of " + _mentions(self.usergroups, "<!subteam^{}>"))
        if self.users:
            who.append("listed users")
        where = " here" if self.has_where_rules else ""
        text = f"Only {' or '.join(who)} may change video covers{where}."
        if failures:
            text += " " + " ".join(
                f"Membership of <!subteam^{f.group}> could not be checked ({f.detail}), "
                "so it cannot allow anyone right now." for f in failures
            )
        return text + f" Ask an admin to add your id {user_id} to {USERS}."

    # ---- user groups ---------------------------------------------------------------------
    async def members(self, group: str) -> frozenset[str]:
        """The members of `group`, from the cache or Slack; raises `GroupLookupError`."""
        cached = self._members.get(group)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        lookup = self._lookups.get(group)
        if lookup is None:
            lookup = asyncio.ensure_future(self._fetch(group))
            self._lookups[group] = lookup
            lookup.add_done_callback(lambda _: self._lookups.pop(group, None))
        # Shielded: one caller giving up must not cancel the lookup the others wait for.
        return await asyncio.shield(lookup)

    async def _fetch(self, group: str) -> frozenset[str]:
        if self._client is None:
            raise GroupLookupError(group, "the bot has no Slack connection here")
        try:
            response = await self._client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log.warning("usergroups.users.list %s failed: %s", group, error or exc)
            raise GroupLookupError(group, f"Slack answered {error or 'an error'}") from exc
        except Exception as exc:  # network, timeout, bad answer: never an allow
            log.warning("usergroups.users.list %s failed: %r", group, exc)
            raise GroupLookupError(group, "Slack could not be reached") from exc
        members = frozenset(response.get("users") or ())
        self._members[group] = (self._clock() + self._cache_seconds, members)
        return members

    # ---- telling operators -------------------------------------------------------------
    def describe(self) -> str:
        """One line for the start-up log: who may change covers, and where."""
        if not self.has_who_rules and not self.has_where_rules:
            return (
                f"nobody may change covers: set {USERS} or {USERGROUPS} "
                f"(and optionally {CHANNELS}, {TEAMS})"
            )
        who = []
        if self.users:
            who.append(f"users {', '.join(sorted(self.users))}")
        if self.usergroups:
            who.append(f"members of user groups {', '.join(self.usergroups)}")
        text = "covers may be changed by " + (
            " or ".join(who) if who else f"anyone (no {USERS} or {USERGROUPS} set)"
        )
        if self.channels:
            text += f", only in channels {', '.join(sorted(self.channels))}"
        if self.teams:
            text += f", only in workspaces {', '.join(sorted(self.teams))}"
        return text


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _mentions(ids: Iterable[str], pattern: str) -> str:
    return ", ".join(pattern.format(item) for item in sorted(ids))
