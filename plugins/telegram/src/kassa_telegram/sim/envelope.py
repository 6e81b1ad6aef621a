"""The Bot API envelope: ``{"ok": true, "result": ...}`` or an error with the same HTTP status."""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """A Bot API error reply; ``description`` is Telegram's own text."""

    def __init__(self, code: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        self.code = code
        self.description = description
        self.parameters = parameters
        super().__init__(f"{code} {description}")

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.code,
                               "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad_request(text: str, **parameters: Any) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters or None)


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


def flood(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after})


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
