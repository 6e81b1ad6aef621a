"""A refused API call: an HTTP status, a stable code, and the text for a person."""

from __future__ import annotations

from typing import Any

from kassa_delivery.texts import t


class DeliveryError(Exception):
    def __init__(self, status: int, code: str, locale: str = "ru", **params: Any) -> None:
        self.status = status
        self.code = code
        self.params = params
        self.locale = locale
        super().__init__(t(f"delivery.err.{code}", "en", **params))

    def text(self, locale: str | None = None) -> str:
        return t(f"delivery.err.{self.code}", locale or self.locale, **self.params)
