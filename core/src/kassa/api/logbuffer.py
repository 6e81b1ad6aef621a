"""The last log records in memory, for the console's Log screen (redacted on the way out)."""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

from kassa.secret import redact


class LogBuffer(logging.Handler):
    def __init__(self, size: int = 2000) -> None:
        super().__init__(level=logging.INFO)
        self.records: deque[dict[str, Any]] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = record.getMessage()
        except Exception:
            msg = str(record.msg)
        self.records.append({"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                             "level": record.levelname, "logger": record.name, "message": msg})

    def tail(self, limit: int, secrets: list[str]) -> list[dict[str, Any]]:
        items = list(self.records)[-limit:]
        return [{**r, "message": redact(r["message"], secrets)} for r in items]


LOG_BUFFER = LogBuffer()


def install() -> None:
    """Put the buffer on the root logger (again): the plugins log as their modules
    ("kassa_rkeeper.source"), outside the "kassa" tree, and the terminal shows them, so the Log
    screen must see the same records; a logging config applied since (a Litestar app built
    with its default config replaces the root's handlers) must not take it away."""
    root = logging.getLogger()
    if LOG_BUFFER not in root.handlers:
        root.addHandler(LOG_BUFFER)


install()
