"""While a terminal app (the operator console, the cashier's till) draws the terminal, log
lines written to that same terminal would tear the screen (uvicorn's and Litestar's default
handlers do). Detach those handlers for the app's lifetime; the hub's log stays readable on
the console's Log screen (GET /api/log)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import QueueHandler
from typing import Any


@contextmanager
def terminal_to_console() -> Iterator[None]:
    removed: list[tuple[logging.Logger, logging.Handler]] = []
    loggers = [logging.getLogger(), *(lg for lg in logging.root.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in list(logger.handlers):
            if _writes_to_terminal(handler):
                logger.removeHandler(handler)
                removed.append((logger, handler))
    try:
        yield
    finally:
        for logger, handler in removed:
            logger.addHandler(handler)


def _writes_to_terminal(handler: logging.Handler) -> bool:
    if isinstance(handler, logging.StreamHandler) and not isinstance(handler,
                                                                     logging.FileHandler):
        stream: Any = handler.stream
        if stream in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__):
            return True
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    if isinstance(handler, QueueHandler):  # Litestar: a queue in front of a StreamHandler
        listener = getattr(handler, "listener", None)
        return any(_writes_to_terminal(h) for h in getattr(listener, "handlers", ()))
    return False
