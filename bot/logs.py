"""Logging set up once per process, as `LOG_LEVEL` and `LOG_FORMAT` say."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from bot.config import Settings

#: What every LogRecord has; anything else came from `extra=` and becomes a JSON field.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


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
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
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
