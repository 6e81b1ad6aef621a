"""The few errors a component may raise; the hub knows what to do with each.

- ``UserError``: a person did something wrong; the message is shown to them as is.
- ``RetryLater``: a transient failure; try again, after ``after`` seconds if given.
- ``Repair``: the request can succeed once something is updated (e.g. a migrated chat id).
- ``Permanent``: it will never succeed; the reason is recorded (dead letter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class KassaError(Exception):
    """Base of every error Kassa components raise on purpose."""


class UserError(KassaError):
    """A mistake a person made; ``str(err)`` is one clear sentence for them."""


class ConfigError(UserError):
    """kassa.toml (or an environment variable it names) is wrong."""

    def __init__(self, message: str, *, path: str = "", file: str = "kassa.toml") -> None:
        self.path = path
        self.file = file
        self.detail = message
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(where + message)


class RetryLater(KassaError):
    """Transient failure. ``after`` is the minimum delay the remote side asked for."""

    def __init__(self, message: str = "", *, after: float | None = None) -> None:
        self.after = after
        super().__init__(message or "temporary failure")


class Repair(KassaError):
    """Retry after applying ``changes`` (for instance ``{"chat_id": "-100..."}``)."""

    def __init__(self, message: str, *, changes: Mapping[str, Any]) -> None:
        self.changes = dict(changes)
        super().__init__(message)


class Permanent(KassaError):
    """It will never succeed as asked; ``reason`` is kept with the dead letter."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
