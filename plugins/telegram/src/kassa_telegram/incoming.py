"""Telegram Update objects -> ``kassa.model.Incoming``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from kassa.model import Incoming

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
_CHAT_TYPES = {"private": "private", "group": "group", "supergroup": "group",
               "channel": "channel"}


def to_incoming(update: dict[str, Any], *, channel: str, bot_username: str) -> Incoming | None:
    """The update as the hub sees it, or None for updates no command can use."""
    uid = str(update.get("update_id"))
    if "callback_query" in update:
        return _callback(update["callback_query"], uid, channel)
    msg = update.get("message")
    if not isinstance(msg, dict):
        if "my_chat_member" in update:
            _member_change(update["my_chat_member"])
        return None
    chat, user = msg.get("chat") or {}, msg.get("from") or {}
    text = msg.get("text")
    if text is not None and text.startswith("/"):
        text = _command(text, bot_username)
        if text is None:
            return None  # a command addressed to another bot in the same group
    phone = _own_phone(msg.get("contact"), user)
    if text is None and phone is None:
        return None  # service messages, stickers, photos: nothing to act on
    return Incoming(
        channel=channel, update_id=uid, chat_id=str(chat.get("id")), user_id=str(user.get("id")),
        received_at=_when(msg.get("date")), text=text, user_name=_name(user),
        chat_type=_CHAT_TYPES.get(chat.get("type", ""), "private"), chat_title=chat.get("title"),
        message_id=str(msg.get("message_id")), contact_phone=phone,
        thread_id=str(msg["message_thread_id"]) if msg.get("is_topic_message") else None)


def _callback(cq: dict[str, Any], uid: str, channel: str) -> Incoming | None:
    msg = cq.get("message") or {}
    chat, user = msg.get("chat") or {}, cq.get("from") or {}
    if not chat:
        return None  # a button under an inline-mode message: not ours
    return Incoming(
        channel=channel, update_id=uid, chat_id=str(chat.get("id")), user_id=str(user.get("id")),
        received_at=_when(msg.get("date")), user_name=_name(user),
        chat_type=_CHAT_TYPES.get(chat.get("type", ""), "private"), chat_title=chat.get("title"),
        callback_id=str(cq.get("id")), callback_data=cq.get("data"),
        message_id=str(msg.get("message_id")),
        thread_id=str(msg["message_thread_id"]) if msg.get("is_topic_message") else None)


def _command(text: str, bot_username: str) -> str | None:
    """``/cmd@this_bot args`` -> ``/cmd args``; None when addressed to another bot."""
    head, sep, rest = text.partition(" ")
    name, at, target = head.partition("@")
    if at and bot_username and target.lower() != bot_username.lower():
        return None
    return name + sep + rest


def _own_phone(contact: Any, user: dict[str, Any]) -> str | None:
    # Only a person's own number binds them; a forwarded card of someone else does not.
    if not isinstance(contact, dict) or contact.get("user_id") != user.get("id"):
        return None
    digits = "".join(ch for ch in str(contact.get("phone_number", "")) if ch.isdigit())
    return f"+{digits}" if digits else None


def _name(user: dict[str, Any]) -> str | None:
    parts = [user.get("first_name"), user.get("last_name")]
    return " ".join(p for p in parts if p) or user.get("username")


def _when(date: Any) -> datetime:
    return datetime.fromtimestamp(int(date), UTC) if date else datetime.now(UTC)


def _member_change(change: dict[str, Any]) -> None:
    status = (change.get("new_chat_member") or {}).get("status")
    chat = (change.get("chat") or {}).get("id")
    if status in ("kicked", "left"):
        log.warning("the bot was removed from or blocked in Telegram chat %s", chat)
    else:
        log.info("the bot's status in Telegram chat %s is now %s", chat, status)
