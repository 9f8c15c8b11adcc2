"""Logging set up once per process, as `LOG_LEVEL` and `LOG_FORMAT` say.

Every record, from our code or a library's (Bolt and slack_sdk log request bodies, URLs and
headers at DEBUG, and a retried `response_url` at INFO), passes `Redactor` on the way out:
the configured secrets (also URL-encoded or JSON-escaped), anything shaped like a Slack
token, the secret part of a `response_url` (a capability: whoever holds it may post to the
channel for 30 minutes) and a Socket Mode ticket become `[redacted]`. So DEBUG stays usable
and no level can print them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

from pydantic import SecretStr

from bot.config import Settings

REDACTED = "[redacted]"
#: A path separator as it appears in logs: plain, JSON-escaped as Slack writes it (`\/`,
#: doubled by repr), URL-encoded, or both (a form field holding Slack's JSON: `%5C%2F`,
#: `%5C/`).
_SEP = r"(?:(?:\\|%5[Cc])*(?:/|%2[Ff]))"
_PATTERNS = (  # group 1 is kept, the rest redacted
    # Slack tokens: bot, user, app-level, configuration…
    re.compile(r"\b(x(?:ox[a-z]|app)-)[A-Za-z0-9-]{6,}"),
    # response_url: https://hooks.slack.com/{commands,actions}/<team>/<id>/<secret>
    re.compile(rf"((?:commands|actions){_SEP})[A-Za-z0-9]+{_SEP}[0-9]+{_SEP}[A-Za-z0-9]+"),
    # the ticket of a Socket Mode WebSocket URL
    re.compile(r"(ticket=)[^&\s'\"\\]+"),
)

#: What every LogRecord has; anything else came from `extra=` and becomes a JSON field.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class Redactor(logging.Filter):
    """Rewrites each record's message, exception text and `extra=` values without secrets."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {form for secret in secrets if secret
                 for form in (secret, quote(secret, safe=""), json.dumps(secret)[1:-1])}
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted(forms, key=len, reverse=True)
        #: Whether a text holds anything to redact, in one pass: most hold nothing.
        self._anything = re.compile("|".join(
            [*(re.escape(secret) for secret in self.secrets),
             *(pattern.pattern for pattern in _PATTERNS)]))
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        if not self._anything.search(text):
            return text
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(rf"\g<1>{REDACTED}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES:
                setattr(record, name, self._redact_value(value))
        return True

    def _redact_value(self, value: object) -> object:
        """An `extra=` value without secrets: strings redacted, containers walked, anything
        else (an exception, a URL object) as its redacted text, as the JSON line shows it."""
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self.redact(str(k)): self._redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._redact_value(item) for item in value]
        return self.redact(str(value))


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret, as the text a log line could hold (with the password in
    `DATABASE_URL`, which a driver's error could quote)."""
    secrets = [value.get_secret_value() for value in vars(settings).values()
               if isinstance(value, SecretStr)]
    try:
        database_password = urlsplit(settings.database_url).password
    except ValueError:
        database_password = None
    return [*secrets, unquote(database_password)] if database_password else secrets


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        if record.exc_text:  # formatted (and redacted) by `Redactor`
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Redactor(secret_values(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # Alembic narrates every migration step at INFO, and httpx logs every request at INFO
    # (noise, CPU on the loop that acknowledges Slack, and the full VOD URL with the project
    # id; `bot.observe` logs each VOD call once, with what an operator needs): only their
    # warnings matter here.
    quiet_level = max(logging.WARNING, logging.getLevelName(settings.log_level))
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(quiet_level)
    # Bolt and slack_sdk build their DEBUG lines (every middleware's name, each post's whole
    # JSON body) whenever their logger's own level is unset, only for logging to drop them:
    # those loggers get the configured level.
    for chatty in _SLACK_DEBUG_LOGGERS:
        logging.getLogger(chatty).setLevel(settings.log_level)


#: The loggers Bolt and slack_sdk test with `logger.level <= logging.DEBUG`.
_SLACK_DEBUG_LOGGERS = ("slack_bolt.AsyncApp", "slack_sdk.webhook.async_client",
                        "slack_sdk.web.async_base_client")
