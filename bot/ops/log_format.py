"""How the bot's log lines look: readable text (the default) or one JSON object per line
(`LOG_FORMAT=json`) for a log collector.

A JSON line has `time` (UTC, ISO 8601), `level`, `logger` and `message`, then `guild`,
`feed`, `command` and `shard` when the call that logged passed them in `extra=`, and
`error` with the traceback when there is one. Nothing else of the record is copied: what
a line may carry is decided here, not by whoever logs.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

# The context a line may carry, from `log.info(..., extra={"guild": ..., ...})`.
CONTEXT_FIELDS = ("guild", "feed", "command", "shard", "seconds")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["error"] = self.formatStack(record.stack_info)
        # ensure_ascii: the line is plain ASCII whatever a feed's titles hold.
        return json.dumps(entry, ensure_ascii=True)


def configure_logging(level: str, log_format: str = "text", stream: TextIO | None = None) -> None:
    """Send the root logger's records to `stream` (stderr) at `level`, as text or JSON.
    Like `logging.basicConfig`, it does nothing when the root logger already has a handler
    (an embedding program's, or pytest's)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
