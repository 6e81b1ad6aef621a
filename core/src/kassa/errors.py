"""The few errors a component may raise; the hub knows what to do with each.

- ``UserError``: a person did something wrong; the message is shown to them as is.
- ``RetryLater``: a transient failure; try again, after ``after`` seconds if given.
- ``Repair``: the request can succeed once something is updated (e.g. a migrated chat id).
- ``Permanent``: it will never succeed; the reason is recorded (dead letter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class KassaError(Exception):
    """Base of every error Kassa components raise on purpose.

    ``str(err)`` is English, for logs and the journal. ``err.text(locale)`` is what a person
    reads: the ``kassa.i18n`` text ``text_key`` with ``text_params`` when the error has one
    (an exception among the params is put in as its own ``text``), else ``str(err)``."""

    text_key: str | None = None
    text_params: Mapping[str, Any] = {}

    def localized(self, key: str, **params: Any) -> Self:
        """Give the error its text for people (returns it, to chain after the constructor)."""
        self.text_key, self.text_params = key, params
        return self

    def text(self, locale: str = "ru") -> str:
        if self.text_key is None:
            return str(self)
        from kassa.i18n import t  # i18n raises UserError: imported when first needed

        return t(self.text_key, locale, **{
            k: v.text(locale).rstrip(".") if isinstance(v, KassaError) else v
            for k, v in self.text_params.items()})


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
        if not message:
            self.localized("error.retry_later")


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
