"""Settings from the environment or a `.env` file, checked once at start-up.

Every variable of docs/configuration.md's settings table lives here. A bad configuration
stops the program with one message that names every bad variable and what it expects
(`ConfigError`), so an operator fixes everything in one go instead of one restart per
mistake. A value still holding its example from `.env.example` counts as bad, with where
to find the real one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]
#: The DATABASE_URL schemes the audit store takes (bot.store.engine maps them to drivers).
DATABASE_SCHEMES = frozenset({
    "sqlite", "sqlite+aiosqlite",
    "postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg",
})


#: Hosts on which `http://` is accepted: a stand-in on this machine (the tests' fakes,
#: `setcover-bot demo-vod`). Anything else must be https, as Huawei Cloud and Slack are.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

#: The example values `.env.example` ships with, by variable, and where the real value is.
#: tests/test_config.py checks this table against the file.
EXAMPLE_VALUES: dict[str, tuple[str, str]] = {
    "SLACK_BOT_TOKEN": ("xoxb-your-bot-token", "the Bot User OAuth Token on your Slack "
                        "app's OAuth & Permissions page (install the app first)"),
    "SLACK_SIGNING_SECRET": ("your-signing-secret",
                             "the Signing Secret on your Slack app's Basic Information page"),
    "SLACK_APP_TOKEN": ("xapp-your-app-token", "an app-level token with connections:write, "
                        "made on your Slack app's Basic Information page"),
    "VOD_PROJECT_ID": ("your-project-id", "the project id of your VOD region, in the Huawei "
                       "Cloud console under My Credentials → API Credentials"),
    "VOD_AK": ("your-access-key", "an access key id, made in the Huawei Cloud console under "
               "My Credentials → Access Keys"),
    "VOD_SK": ("your-secret-key", "the secret access key of VOD_AK (in the credentials.csv "
               "downloaded with it)"),
    "IAM_DOMAIN": ("your-account-name", "the account name shown under My Credentials"),
    "IAM_USERNAME": ("your-iam-user", "the IAM user the bot signs in as"),
    "IAM_PASSWORD": ("your-iam-password", "that IAM user's password"),
    "SETCOVER_ALLOWED_USERS": ("U012ABCDEF,U034GHIJKL", "your own Slack member id (in Slack: "
                               "your profile → ⋮ → Copy member ID), or remove the line and "
                               "use another SETCOVER_ALLOWED_* rule"),
    "SETCOVER_ALLOWED_USERGROUPS": ("S0123VIDEO", "the id (S…) of a user group of yours"),
    "SETCOVER_ALLOWED_CHANNELS": ("C0123COVERS", "a channel id (C…, at the bottom of the "
                                  "channel's details)"),
    "SETCOVER_ALLOWED_TEAMS": ("T0123ABCD", "your workspace id (T…)"),
}
#: What a Slack id looks like, by the setting that lists them (in Slack, a member id is
#: `U…`, or `W…` in Enterprise Grid; a user group `S…`; a channel `C…` or, private, `G…`).
_SLACK_ID_PREFIXES = {
    "SETCOVER_ALLOWED_USERS": ("UW", "a member id (U…): in Slack, the person's profile → ⋮ → "
                                     "Copy member ID"),
    "SETCOVER_ALLOWED_USERGROUPS": ("S", "a user group id (S…)"),
    "SETCOVER_ALLOWED_CHANNELS": ("CG", "a channel id (C… or G…, at the bottom of the "
                                        "channel's details)"),
    "SETCOVER_ALLOWED_TEAMS": ("TE", "a workspace id (T…)"),
}
_SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                    "SETCOVER_ALLOWED_USERS", "SETCOVER_ALLOWED_USERGROUPS",
                    "SETCOVER_ALLOWED_CHANNELS", "SETCOVER_ALLOWED_TEAMS")


class ConfigError(Exception):
    """The configuration cannot work; `problems` maps each variable to what it expects."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        lines = [f"  {name}: {why}" for name, why in problems.items()]
        super().__init__(
            "Configuration is not usable:\n" + "\n".join(lines)
            + "\nSet these in .env (see .env.example) or the environment, then run again."
        )


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class LogFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


class UrlAuth(enum.StrEnum):
    """The Key anti-leech algorithm of the VOD domain (`VOD_URL_AUTH`, see
    `bot.vod.url_auth`); OFF: the CDN serves snapshots unsigned."""

    OFF = ""
    A = "A"
    B = "B"
    C = "C"
    D = "D"


#: Algorithm D encrypts with AES-128, whose key is 16 bytes.
D_KEY_LENGTH = 16


class AuthMode(enum.StrEnum):
    AKSK = "aksk"
    IAM = "iam"
    TOKEN = "token"


_AUTH_GROUPS: dict[AuthMode, tuple[str, ...]] = {
    AuthMode.AKSK: ("vod_ak", "vod_sk"),
    AuthMode.IAM: ("iam_endpoint", "iam_domain", "iam_username", "iam_password"),
    AuthMode.TOKEN: ("vod_auth_token",),
}


class Settings(BaseSettings):
    """The bot's whole configuration; secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", validate_default=True
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    vod_endpoint: str = ""
    vod_project_id: str = ""
    vod_ak: SecretStr | None = None
    vod_sk: SecretStr | None = None
    vod_security_token: SecretStr | None = None
    iam_endpoint: str | None = None
    iam_domain: str | None = None
    iam_username: str | None = None
    iam_password: SecretStr | None = None
    vod_auth_token: SecretStr | None = None
    vod_timeout_s: float = Field(default=10.0, gt=0, le=300)
    vod_max_retries: int = Field(default=3, ge=0, le=10)
    vod_retry_budget_s: float = Field(default=30.0, gt=0, le=600)
    vod_snapshot_hosts: CommaList = ["*.cdn-vod.huaweicloud.com"]
    #: The snapshot domain's Key anti-leech algorithm and key (VOD console → Domains →
    #: Configure → Hotlink protection): every picture the bot fetches or shows is signed.
    vod_url_auth: UrlAuth = UrlAuth.OFF
    vod_url_auth_key: SecretStr | None = None
    #: A snapshot task ("capture at 1:23") is followed this long, polled from every
    #: VOD_CAPTURE_POLL_S seconds, backing off to ten times that.
    vod_capture_timeout_s: float = Field(default=300.0, gt=0, le=3600)
    vod_capture_poll_s: float = Field(default=2.0, gt=0, le=60)
    #: Snapshot tasks one Slack user may start an hour (they cost money); 0 turns captures
    #: off in Slack. The command line, run with the operator's own credentials, is not
    #: counted.
    setcover_captures_per_hour: int = Field(default=10, ge=0, le=1000)
    #: After a change, ask VOD to refresh the CDN for the asset (the account's refresh
    #: quota is limited), and tell the channel when VOD confirms it: polled from every
    #: VOD_REFRESH_POLL_S seconds, backing off to ten times that, for VOD_REFRESH_DEADLINE_S.
    vod_refresh_cdn: bool = True
    vod_refresh_poll_s: float = Field(default=15.0, gt=0, le=600)
    vod_refresh_deadline_s: float = Field(default=600.0, gt=0, le=86400)

    setcover_allowed_users: CommaList = []
    setcover_allowed_usergroups: CommaList = []
    setcover_allowed_channels: CommaList = []
    setcover_allowed_teams: CommaList = []

    #: At shutdown the work under way gets SHUTDOWN_DRAIN_S to finish; what is still
    #: running is then cancelled and gets SHUTDOWN_FINAL_WORD_S to record its change and
    #: tell its user. With uvicorn's 5 s grace, the maxima fit 25 s (`SHUTDOWN_BUDGET_S`).
    shutdown_drain_s: float = Field(default=15.0, gt=0, le=15)
    shutdown_final_word_s: float = Field(default=3.0, gt=0, le=5)

    database_url: str = "sqlite:///setcover.db"
    port: int = Field(default=3000, ge=1, le=65535)
    #: Where `/metrics` is served: on `PORT` when unset, else only on this port.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: With a token, `/metrics` answers only `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None
    log_level: LogLevel = LogLevel.INFO
    log_format: LogFormat = LogFormat.TEXT

    @field_validator(
        "vod_snapshot_hosts",
        "setcover_allowed_users",
        "setcover_allowed_usergroups",
        "setcover_allowed_channels",
        "setcover_allowed_teams",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "vod_ak",
        "vod_sk",
        "vod_security_token",
        "iam_endpoint",
        "iam_domain",
        "iam_username",
        "iam_password",
        "vod_auth_token",
        "vod_url_auth_key",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: str) -> str:
        # Checked by scheme here, so that loading settings does not load the store's
        # libraries; bot.store.engine maps each of these schemes to its async driver.
        scheme = value.strip().partition("://")[0].lower()
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                "expected sqlite:///file.db or postgresql://user:password@host:5432/database"
            )
        return value

    @field_validator("vod_url_auth", mode="before")
    @classmethod
    def _algorithm_letter(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def auth_mode(self) -> AuthMode:
        """The one configured VOD authentication mode (validation guarantees exactly one)."""
        return next(mode for mode, names in _AUTH_GROUPS.items() if self._any_set(names))

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def slack_configured(self) -> bool:
        """Whether any Slack credential is set: until then `check` skips Slack."""
        return self._any_set(("slack_bot_token", "slack_app_token", "slack_signing_secret"))

    def vod_problems(self) -> dict[str, str]:
        """What keeps the VOD part from working, by environment variable."""
        problems: dict[str, str] = {}
        endpoint_problem = _url_problem(self.vod_endpoint)
        if endpoint_problem:
            problems["VOD_ENDPOINT"] = endpoint_problem
        if self.iam_endpoint is not None:
            iam_problem = _url_problem(self.iam_endpoint)
            if iam_problem:
                problems["IAM_ENDPOINT"] = iam_problem
        if not self.vod_project_id.strip():
            problems["VOD_PROJECT_ID"] = "required: the project id of your VOD region"
        elif not _is_token(self.vod_project_id):
            problems["VOD_PROJECT_ID"] = "expected letters, digits, '-' or '_' only"

        configured = [mode for mode, names in _AUTH_GROUPS.items() if self._any_set(names)]
        if not configured:
            problems["VOD_AK"] = (
                "no VOD authentication configured: set VOD_AK and VOD_SK, or IAM_ENDPOINT, "
                "IAM_DOMAIN, IAM_USERNAME and IAM_PASSWORD, or VOD_AUTH_TOKEN"
            )
        elif len(configured) > 1:
            names = " and ".join(
                "/".join(n.upper() for n in _AUTH_GROUPS[mode]) for mode in configured
            )
            for mode in configured:
                problems[_AUTH_GROUPS[mode][0].upper()] = (
                    f"set exactly one VOD authentication mode, found {names}"
                )
        else:
            for name in _AUTH_GROUPS[configured[0]]:
                if getattr(self, name) is None:
                    problems[name.upper()] = (
                        "required with "
                        + ", ".join(n.upper() for n in _AUTH_GROUPS[configured[0]] if n != name)
                    )
        if self.vod_security_token is not None and configured != [AuthMode.AKSK]:
            problems["VOD_SECURITY_TOKEN"] = "only used with VOD_AK and VOD_SK"
        for host in self.vod_snapshot_hosts:
            if "/" in host or ":" in host or " " in host:
                problems["VOD_SNAPSHOT_HOSTS"] = (
                    f"expected host patterns like *.cdn-vod.huaweicloud.com, got {host!r}"
                )
        if not self.vod_snapshot_hosts:
            problems["VOD_SNAPSHOT_HOSTS"] = "at least one host pattern is required"
        problems |= self._url_auth_problems()
        problems |= self._pasted_badly(
            ("vod_ak", "vod_sk", "vod_security_token", "vod_auth_token", "vod_url_auth_key"))
        return problems | self._example_values(
            name for name in EXAMPLE_VALUES if name not in _SLACK_VARIABLES
        )

    def _url_auth_problems(self) -> dict[str, str]:
        key = self.vod_url_auth_key
        if self.vod_url_auth is UrlAuth.OFF:
            return {} if key is None else {"VOD_URL_AUTH_KEY": (
                "only used with VOD_URL_AUTH (A, B, C or D, the domain's Key anti-leech "
                "algorithm)")}
        if key is None:
            return {"VOD_URL_AUTH_KEY": f"required with VOD_URL_AUTH={self.vod_url_auth}: "
                                        "the key of the domain's Key anti-leech setting"}
        length = len(key.get_secret_value().encode())
        if self.vod_url_auth is UrlAuth.D and length != D_KEY_LENGTH:
            return {"VOD_URL_AUTH_KEY": f"algorithm D (AES-128) takes a key of exactly "
                                        f"{D_KEY_LENGTH} characters, got {length}"}
        return {}

    def slack_problems(self) -> dict[str, str]:
        """What keeps the Slack app from serving, by environment variable."""
        problems: dict[str, str] = {}
        if self.slack_bot_token is None:
            problems["SLACK_BOT_TOKEN"] = "required to serve Slack: the bot token, xoxb-…"
        elif not self.slack_bot_token.get_secret_value().startswith("xoxb-"):
            problems["SLACK_BOT_TOKEN"] = "expected a bot token starting with xoxb-"
        if self.slack_app_token is not None:
            if not self.slack_app_token.get_secret_value().startswith("xapp-"):
                problems["SLACK_APP_TOKEN"] = "expected an app-level token starting with xapp-"
        elif self.slack_signing_secret is None:
            problems["SLACK_SIGNING_SECRET"] = (
                "required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        if not self.slack_api_url.endswith("/"):
            problems["SLACK_API_URL"] = "must end with a slash, e.g. https://slack.com/api/"
        else:
            problem = _url_problem(self.slack_api_url)
            if problem:
                problems["SLACK_API_URL"] = problem
        problems |= self._pasted_badly(
            ("slack_bot_token", "slack_app_token", "slack_signing_secret"))
        for name, (prefixes, what) in _SLACK_ID_PREFIXES.items():
            bad = [item for item in getattr(self, name.lower()) if not _is_slack_id(item, prefixes)]
            if bad:
                problems[name] = f"{', '.join(map(repr, bad))} is not {what}"
        return problems | self._example_values(_SLACK_VARIABLES)

    def _pasted_badly(self, names: Iterable[str]) -> dict[str, str]:
        """Secrets with a space or line break inside: a copy that went wrong, refused here
        rather than sent to Slack or VOD (the value itself is never shown)."""
        return {
            name.upper(): "contains a space or line break: copy it again, in one piece"
            for name in names
            if (value := getattr(self, name)) is not None
            and any(ch.isspace() for ch in value.get_secret_value().strip())
        }

    def _any_set(self, names: tuple[str, ...]) -> bool:
        return any(getattr(self, name) is not None for name in names)

    def _example_values(self, names: Iterable[str]) -> dict[str, str]:
        """The variables among `names` still holding their example from `.env.example`."""
        problems = {}
        for name in names:
            example, where = EXAMPLE_VALUES[name]
            value = getattr(self, name.lower())
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            values = set(value) if isinstance(value, list) else {value}
            if values & set(example.split(",")):
                problems[name] = f"still the example from .env.example; yours is {where}"
        return problems


def load_settings(*, serving: bool = False, **overrides: Any) -> Settings:
    """Read the settings; every bad variable, malformed or inconsistent, in one `ConfigError`.

    `serving`: the Slack settings must be usable too (`serve`), named in the same message.
    """
    settings, problems = read_settings(**overrides)
    if serving:
        problems |= settings.slack_problems()
    if problems:
        raise ConfigError(problems)
    return settings


def read_settings(**overrides: Any) -> tuple[Settings, dict[str, str]]:
    """The settings and, by variable, what keeps the VOD commands from working.

    Malformed values are put back to their defaults for a second read so that the checks
    across variables still run and the operator sees every problem at once.
    """
    problems: dict[str, str] = {}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            field = str(error["loc"][0]) if error.get("loc") else "configuration"
            problems[field.upper()] = str(error["msg"]).removeprefix("Value error, ")
        defaults = {
            name.lower(): Settings.model_fields[name.lower()].default
            for name in problems
            if name.lower() in Settings.model_fields
        }
        settings = Settings(**{**overrides, **defaults})
    return settings, {**settings.vod_problems(), **problems}


def _url_problem(value: str) -> str | None:
    """Why `value` is not a usable service URL: https, or http on this machine only."""
    if not value:
        return "required: an https:// URL"
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
    if host and parts.scheme == "https":
        return None
    if host and parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return (f"expected an https:// URL (http:// only for a stand-in on 127.0.0.1 or "
            f"localhost), got {value[:80]!r}")


def _is_slack_id(value: str, prefixes: str) -> bool:
    return len(value) > 1 and value[0] in prefixes and value.isalnum() and value.isupper()


def _is_token(value: str) -> bool:
    return all(ch.isalnum() or ch in "-_" for ch in value)
