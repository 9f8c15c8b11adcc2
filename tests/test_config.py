"""Settings: one ConfigError naming every bad variable, one auth mode, secrets kept secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import (
    EXAMPLE_VALUES,
    AuthMode,
    ConfigError,
    LogFormat,
    LogLevel,
    Settings,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[1]

BASE = {
    "VOD_ENDPOINT": "https://vod.cn-north-4.myhuaweicloud.com",
    "VOD_PROJECT_ID": "0a1b2c3d4e5f",
}
AKSK = {"VOD_AK": "AKEXAMPLE", "VOD_SK": "sk-very-secret-value"}
IAM = {"IAM_ENDPOINT": "https://iam.myhuaweicloud.com", "IAM_DOMAIN": "team",
       "IAM_USERNAME": "bot", "IAM_PASSWORD": "iam-very-secret-value"}
TOKEN = {"VOD_AUTH_TOKEN": "token-very-secret-value"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_env


def problems() -> dict[str, str]:
    with pytest.raises(ConfigError) as raised:
        load_settings()
    return raised.value.problems


@pytest.mark.parametrize(("values", "mode"), [(AKSK, AuthMode.AKSK), (IAM, AuthMode.IAM),
                                              (TOKEN, AuthMode.TOKEN)])
def test_each_auth_mode_alone_is_valid(env, values, mode) -> None:
    env(**BASE, **values)
    settings = load_settings()
    assert settings.auth_mode is mode
    assert settings.vod_snapshot_hosts == ["*.cdn-vod.huaweicloud.com"]
    assert (settings.vod_timeout_s, settings.vod_max_retries) == (10.0, 3)


def test_every_bad_variable_is_named_at_once(env) -> None:
    env(VOD_ENDPOINT="ftp://vod", VOD_PROJECT_ID="a/b", VOD_TIMEOUT_S="soon",
        VOD_MAX_RETRIES="99", VOD_SNAPSHOT_HOSTS="https://cdn.example.com/", LOG_LEVEL="LOUD")
    found = problems()
    assert set(found) == {"VOD_ENDPOINT", "VOD_PROJECT_ID", "VOD_TIMEOUT_S", "VOD_MAX_RETRIES",
                          "VOD_SNAPSHOT_HOSTS", "LOG_LEVEL", "VOD_AK"}
    assert "no VOD authentication configured" in found["VOD_AK"]
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert all(name in message for name in found)


def test_missing_endpoint_and_project_are_named(env) -> None:
    env(**AKSK)
    assert set(problems()) == {"VOD_ENDPOINT", "VOD_PROJECT_ID"}


def test_two_auth_modes_are_refused(env) -> None:
    env(**BASE, **AKSK, **TOKEN)
    found = problems()
    assert set(found) == {"VOD_AK", "VOD_AUTH_TOKEN"}
    assert "exactly one" in found["VOD_AK"]


def test_an_incomplete_mode_names_what_is_missing(env) -> None:
    env(**BASE, IAM_ENDPOINT="https://iam.example.com", IAM_USERNAME="bot")
    assert set(problems()) == {"IAM_DOMAIN", "IAM_PASSWORD"}


def test_security_token_only_with_ak_sk(env) -> None:
    env(**BASE, **TOKEN, VOD_SECURITY_TOKEN="temp")
    assert set(problems()) == {"VOD_SECURITY_TOKEN"}


def test_empty_values_count_as_unset(env) -> None:
    env(**BASE, **AKSK, VOD_AUTH_TOKEN="  ", IAM_PASSWORD="")
    assert load_settings().auth_mode is AuthMode.AKSK


def test_comma_lists(env) -> None:
    env(**BASE, **AKSK, SETCOVER_ALLOWED_USERS=" U1, U2,,U3 ,",
        VOD_SNAPSHOT_HOSTS="*.cdn-vod.huaweicloud.com, media.example.com")
    settings = load_settings()
    assert settings.setcover_allowed_users == ["U1", "U2", "U3"]
    assert settings.setcover_allowed_channels == []
    assert settings.vod_snapshot_hosts == ["*.cdn-vod.huaweicloud.com", "media.example.com"]


def test_an_empty_host_list_is_refused(env) -> None:
    env(**BASE, **AKSK, VOD_SNAPSHOT_HOSTS=" , ")
    assert set(problems()) == {"VOD_SNAPSHOT_HOSTS"}


def test_secrets_stay_out_of_repr_and_errors(env) -> None:
    secrets = [AKSK["VOD_SK"], "xoxb-bot-secret", "signing-secret-value"]
    env(**BASE, **AKSK, SLACK_BOT_TOKEN=secrets[1], SLACK_SIGNING_SECRET=secrets[2])
    settings = load_settings()
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert not any(secret in shown for secret in secrets)
    assert settings.vod_sk is not None and settings.vod_sk.get_secret_value() == secrets[0]

    env(VOD_TIMEOUT_S="-1", **TOKEN)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    text = str(raised.value) + repr(raised.value.problems)
    assert not any(s in text for s in [*secrets, TOKEN["VOD_AUTH_TOKEN"]])


def test_dotenv_file_in_the_working_directory_is_read(env, tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path
    (tmp_path / ".env").write_text(
        "VOD_ENDPOINT=https://vod.example.com\nVOD_PROJECT_ID=p1\nVOD_AUTH_TOKEN=t\n"
        "VOD_MAX_RETRIES=5\n"
    )
    env(VOD_MAX_RETRIES="1")  # the environment wins over the file
    settings = load_settings()
    assert (settings.vod_endpoint, settings.vod_project_id) == ("https://vod.example.com", "p1")
    assert settings.auth_mode is AuthMode.TOKEN and settings.vod_max_retries == 1


def test_slack_settings_are_checked_only_when_serving(env) -> None:
    env(**BASE, **TOKEN, SLACK_BOT_TOKEN="not-a-bot-token", SLACK_API_URL="http://slack")
    load_settings()
    with pytest.raises(ConfigError) as raised:
        load_settings(serving=True)
    assert set(raised.value.problems) == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                                          "SLACK_API_URL"}


def test_socket_mode_needs_no_signing_secret(env) -> None:
    env(**BASE, **TOKEN, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    assert load_settings(serving=True).socket_mode


def test_an_empty_environment_names_vod_and_slack_variables_in_one_message() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(serving=True)
    assert list(raised.value.problems) == [
        "VOD_ENDPOINT", "VOD_PROJECT_ID", "VOD_AK", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
    ]
    assert str(raised.value).count("\n  ") == 5


def test_a_copied_env_example_is_refused_naming_each_example_value(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    with pytest.raises(ConfigError) as raised:
        load_settings(serving=True)
    problems = raised.value.problems
    assert list(problems) == ["VOD_PROJECT_ID", "VOD_AK", "VOD_SK", "SLACK_BOT_TOKEN",
                              "SLACK_APP_TOKEN", "SETCOVER_ALLOWED_USERS"]
    assert all("still the example from .env.example" in why for why in problems.values())
    assert "Access Keys" in problems["VOD_AK"] and "Copy member ID" in str(raised.value)
    assert "then run again" in str(raised.value)


def test_example_values_are_refused_even_when_only_one_is_left(env) -> None:
    env(**BASE, VOD_AK="AKREAL", VOD_SK="your-secret-key", SLACK_BOT_TOKEN="xoxb-real",
        SLACK_APP_TOKEN="xapp-real", SETCOVER_ALLOWED_USERS="U999, U034GHIJKL")
    with pytest.raises(ConfigError) as raised:
        load_settings(serving=True)
    assert set(raised.value.problems) == {"VOD_SK", "SETCOVER_ALLOWED_USERS"}
    assert "your-secret-key" not in str(raised.value)


def test_slack_example_values_do_not_stop_the_vod_commands(env) -> None:
    env(**BASE, **AKSK, SLACK_BOT_TOKEN="xoxb-your-bot-token")
    assert load_settings().auth_mode is AuthMode.AKSK


def test_the_example_table_is_what_env_example_holds() -> None:
    """Every `your-…` value of .env.example (commented or not) is known, and each known
    example is in the file as written, so editing one without the other fails here."""
    lines = [line.lstrip("# ") for line in (ROOT / ".env.example").read_text().splitlines()]
    written = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    for name, (example, _) in EXAMPLE_VALUES.items():
        assert written[name] == example, name
    placeholders = {name for name, value in written.items() if "your-" in value}
    assert placeholders <= EXAMPLE_VALUES.keys()


def test_every_setting_is_in_env_example_and_on_the_configuration_page() -> None:
    """A setting is listed where people look for settings (SHUTDOWN_DRAIN_S was not)."""
    example = (ROOT / ".env.example").read_text()
    page = (ROOT / "docs" / "configuration.md").read_text()
    for name in map(str.upper, Settings.model_fields):
        assert re.search(rf"^(# )?{name}=", example, re.MULTILINE), f"{name}: .env.example"
        assert f"`{name}`" in page, f"{name}: docs/configuration.md"


@pytest.mark.parametrize(("url", "accepted"), [
    ("https://vod.cn-north-4.myhuaweicloud.com", True),
    ("http://127.0.0.1:8088", True),
    ("http://localhost:8088", True),
    ("http://[::1]:8088", True),
    ("http://vod.cn-north-4.myhuaweicloud.com", False),
    ("http://10.0.0.5", False),
    ("vod.cn-north-4.myhuaweicloud.com", False),
    ("https://[bad", False),
])
def test_endpoints_are_https_except_on_this_machine(env, url: str, accepted: bool) -> None:
    env(**AKSK, VOD_PROJECT_ID="p", VOD_ENDPOINT=url)
    if accepted:
        assert load_settings().vod_endpoint == url
        return
    why = problems()["VOD_ENDPOINT"]
    assert "expected an https:// URL (http:// only for a stand-in on 127.0.0.1" in why


def test_log_level_and_format_are_enums_whatever_their_case(env) -> None:
    env(**BASE, **TOKEN, LOG_LEVEL=" debug", LOG_FORMAT="JSON")
    settings = load_settings()
    assert settings.log_level is LogLevel.DEBUG and settings.log_format is LogFormat.JSON
    env(LOG_FORMAT="xml")
    assert set(problems()) == {"LOG_FORMAT"}


def test_overrides_as_arguments(env) -> None:
    settings = load_settings(**{k.lower(): v for k, v in {**BASE, **TOKEN}.items()},
                             vod_timeout_s=2.5)
    assert isinstance(settings, Settings) and settings.vod_timeout_s == 2.5


def test_an_unsupported_database_url_is_named_with_the_accepted_forms() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, vod_endpoint="https://vod.example.com",
                      vod_project_id="p", vod_auth_token="t",
                      database_url="mysql://admin:hunter2@db/covers")
    assert "postgresql://" in caught.value.problems["DATABASE_URL"]
    assert "hunter2" not in str(caught.value)


def test_a_password_may_hold_a_space(env) -> None:
    env(**BASE, **(IAM | {"IAM_PASSWORD": "correct horse battery"}))
    assert load_settings().iam_password is not None


def test_a_key_with_a_space_is_a_copy_gone_wrong(env) -> None:
    env(**BASE, VOD_AK="AK EXAMPLE", VOD_SK="sk")
    assert problems() == {"VOD_AK": "contains a space or line break: copy it again, in one piece"}


@pytest.mark.parametrize(("name", "value", "kind"), [
    ("SETCOVER_ALLOWED_USERS", "U0ME,me", "'me' is not a member id (U…)"),
    ("SETCOVER_ALLOWED_USERGROUPS", "editors", "'editors' is not a user group id (S…)"),
    ("SETCOVER_ALLOWED_CHANNELS", "#covers", "'#covers' is not a channel id (C… or G…"),
    ("SETCOVER_ALLOWED_TEAMS", "u0me", "'u0me' is not a workspace id (T…)"),
])
def test_an_allowed_entry_that_is_not_a_slack_id_of_its_kind_is_refused(
    env, name: str, value: str, kind: str
) -> None:
    env(**BASE, **AKSK, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", **{name: value})
    with pytest.raises(ConfigError) as raised:
        load_settings(serving=True)
    assert raised.value.problems[name].startswith(kind)


def test_the_longest_shutdown_the_settings_allow_fits_the_budget() -> None:
    """uvicorn's grace + the longest drain + the longest final word stay within the 25 s
    before a platform's SIGKILL (30 s on Heroku and Kubernetes)."""
    from annotated_types import Le

    from bot.slack.runtime import SHUTDOWN_BUDGET_S
    from bot.web import GRACEFUL_SHUTDOWN_S

    def most(name: str) -> float:
        [bound] = [m.le for m in Settings.model_fields[name].metadata if isinstance(m, Le)]
        return float(bound)

    longest = GRACEFUL_SHUTDOWN_S + most("shutdown_drain_s") + most("shutdown_final_word_s")
    assert longest <= SHUTDOWN_BUDGET_S
