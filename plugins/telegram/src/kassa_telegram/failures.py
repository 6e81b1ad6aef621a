"""Telegram's error replies -> the few errors the hub understands (protocol notes §1.5).

Classify by status and ``parameters`` first, by description second: the API says error
codes and texts may change.
"""

from __future__ import annotations

from typing import Any

from kassa.errors import KassaError, Permanent, Repair, RetryLater


class NotModified(Permanent):
    """An edit with identical content: the message already says this (a success)."""


class MarkupRejected(Permanent):
    """Telegram could not parse our HTML; the channel resends as plain text once."""


class Conflict(Permanent):
    """409: a webhook is set, or another process polls with the same token."""


class Unauthorized(Permanent):
    """401: the token is wrong or revoked."""


TOKEN_HINT = ("Telegram rejected the bot token (401 Unauthorized): check [telegram] token in "
              "kassa.toml against @BotFather (/mybots -> API Token); it may have been revoked")


def classify(method: str, status: int, body: Any) -> KassaError:
    """The error to raise for a failed call. ``body`` is the decoded JSON (or None)."""
    body = body if isinstance(body, dict) else {}
    desc = str(body.get("description") or f"HTTP {status}")
    params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    where = f"Telegram {method}: {desc}"
    if "retry_after" in params:
        return RetryLater(where, after=float(params["retry_after"]))
    if "migrate_to_chat_id" in params:
        return Repair(where, changes={"chat_id": str(params["migrate_to_chat_id"])})
    if status == 429:
        return RetryLater(where)
    if status >= 500 or status in (408, 0):
        return RetryLater(where)
    if status == 401:
        return Unauthorized(TOKEN_HINT)
    if status == 409:
        return Conflict(where)
    low = desc.lower()
    if "message is not modified" in low:
        return NotModified(where)
    if "can't parse entities" in low:
        return MarkupRejected(where)
    if status == 404:
        return Permanent(f"{where} (wrong base_url or an unknown method)")
    return Permanent(where)
