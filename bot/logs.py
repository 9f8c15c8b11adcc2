"""Logging set up once per process, as `LOG_LEVEL` and `LOG_FORMAT` say."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from bot.config import Settings


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # Alembic narrates every migration step at INFO; only its warnings matter here.
    alembic_level = max(logging.WARNING, logging.getLevelName(settings.log_level))
    logging.getLogger("alembic").setLevel(alembic_level)
    # httpx logs every request at INFO: noise, and CPU on the loop that acknowledges Slack.
    logging.getLogger("httpx").setLevel(alembic_level)
