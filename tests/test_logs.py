"""The log handler redacts secrets and response_urls, whatever logs them and however."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot.config import Settings
from bot.logs import REDACTED, configure_logging

PASSWORD = 'iam-pa$$word/with spaces, "quotes" and \\backslashes\\'
HOOK = "https://hooks.slack.com/actions/T0TEAM/123456/AbCdEf0123456789"
#: HOOK inside a Slack payload (`/` written `\/`), form-encoded whole or all but its slashes.
HOOK_IN_PAYLOADS = (quote(HOOK.replace("/", "\\/"), safe=""),
                    quote(HOOK.replace("/", "\\/"), safe="/:"))


@pytest.fixture(params=["text", "json"])
def logged(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[str]:
    settings = Settings(_env_file=None, iam_password=PASSWORD, log_level="DEBUG",
                        log_format=request.param)
    configure_logging(settings)
    log = logging.getLogger("some.library")
    log.debug("password %s, encoded %s, in JSON %s", PASSWORD, quote(PASSWORD, safe=""),
              json.dumps({"password": PASSWORD}))
    for hook in HOOK_IN_PAYLOADS:
        log.debug("body: payload=%s", quote('{"response_url":"', safe="") + hook)
    log.info("a record with odd extras", extra={"body": {"response_url": HOOK},
                                                "urls": [HOOK], "error": ValueError(HOOK)})
    log.warning("body %s", json.dumps({"response_url": HOOK, "token": "xoxb-1-2-abcdefg"}))
    log.info("ws wss://wss.slack.com/link/?ticket=8a7b6c5d&app_id=A1", extra={"url": HOOK})
    try:
        raise RuntimeError(f"login with {PASSWORD} failed posting to {HOOK}")
    except RuntimeError:
        log.exception("failed")
    yield capsys.readouterr().err
    logging.basicConfig(force=True, handlers=[logging.NullHandler()])


def test_no_secret_and_no_response_url_at_any_level(logged: str) -> None:
    for needle in (PASSWORD, quote(PASSWORD, safe=""), json.dumps(PASSWORD)[1:-1],
                   "AbCdEf0123456789", "xoxb-1-2-abcdefg", "8a7b6c5d"):
        assert needle not in logged, needle
    assert logged.count(REDACTED) >= 10
    assert "RuntimeError" in logged and "hooks.slack.com/actions/" in logged  # still useful


def test_the_database_password_is_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    """A driver's error may quote `DATABASE_URL`; its password is a secret like the others."""
    url = "postgresql://setcover:db%2Fpa55word@db.internal:5432/setcover"
    configure_logging(Settings(_env_file=None, database_url=url, log_level="DEBUG"))
    logging.getLogger("sqlalchemy.pool").error("cannot connect to %s (password db/pa55word)",
                                               url)
    logged = capsys.readouterr().err
    logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    assert "db/pa55word" not in logged and "db%2Fpa55word" not in logged
    assert "db.internal:5432" in logged
