"""Kassa's message model <-> MAX wire objects. Pure functions, no I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from kassa.errors import Permanent
from kassa.model import Button, Incoming, Message

Json = dict[str, Any]
CHANNEL = "max"
MAX_TEXT = 4000  # NewMessageBody.text maxLength (schema)
TEXT_LIMIT = MAX_TEXT - 1  # we stay strictly under it (maxapi refuses >= 4000)
BUTTON_TEXT = 128
CALLBACK_PAYLOAD = 1024
_CHAT_TYPES = {"dialog": "private", "chat": "group", "channel": "channel"}
_TEL = re.compile(r"^TEL[^:]*:(.+)$", re.MULTILINE)


def body(text: str, attachments: list[Json] | None = None, *, silent: bool = False) -> Json:
    """A NewMessageBody with HTML text."""
    out: Json = {"text": text, "format": "html", "notify": not silent}
    if attachments is not None:
        out["attachments"] = attachments
    return out


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> Json | None:
    """The ``inline_keyboard`` attachment for ``Message.buttons`` (None when there are none)."""
    out = []
    for row in rows:
        wire_row = []
        for b in row:
            text = b.text if len(b.text) <= BUTTON_TEXT else b.text[:BUTTON_TEXT - 1] + "…"
            if b.url:
                wire_row.append({"type": "link", "text": text, "url": b.url})
            else:
                wire_row.append({"type": "callback", "text": text, "payload": b.data or text})
        if wire_row:
            out.append(wire_row)
    return {"type": "inline_keyboard", "payload": {"buttons": out}} if out else None


def upload_kind(kind: str) -> str:
    """Attachment.kind -> the ``type`` of /uploads and of the message attachment."""
    return "image" if kind == "photo" else "file"


def chat_id_of(message: Message) -> int:
    try:
        return int(message.chat.chat_id)
    except ValueError:
        raise Permanent(f"MAX chat ids are integers; {message.chat} is not one (fix chat_id "
                        "in [[chats]])") from None


def _when(ms: Any) -> datetime:
    return datetime.fromtimestamp((ms or 0) / 1000, UTC)


def _name(user: Json) -> str | None:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or user.get("name") or user.get("username")


def _phone(attachments: list[Json]) -> str | None:
    for att in attachments:
        if att.get("type") == "contact":
            vcf = (att.get("payload") or {}).get("vcf_info") or ""
            found = _TEL.search(vcf.replace("\r\n", "\n"))
            if found:
                return found.group(1).strip()
    return None


def incoming(update: Json) -> Incoming | None:
    """The Kassa view of one MAX update; None for kinds Kassa does not handle as input."""
    kind = update.get("update_type")
    if kind == "message_created":
        msg = update.get("message") or {}
        sender = msg.get("sender") or {}
        if sender.get("is_bot"):
            return None
        rcpt, b = msg.get("recipient") or {}, msg.get("body") or {}
        return Incoming(
            channel=CHANNEL, update_id=f"msg:{b.get('mid')}", chat_id=str(rcpt.get("chat_id")),
            user_id=str(sender.get("user_id")), received_at=_when(update.get("timestamp")),
            text=b.get("text") or None, user_name=_name(sender),
            chat_type=_CHAT_TYPES.get(rcpt.get("chat_type", ""), "group"),
            message_id=b.get("mid"), contact_phone=_phone(b.get("attachments") or []))
    if kind == "message_callback":
        cb, msg = update.get("callback") or {}, update.get("message") or {}
        user, rcpt = cb.get("user") or {}, msg.get("recipient") or {}
        return Incoming(
            channel=CHANNEL, update_id=f"cb:{cb.get('callback_id')}",
            chat_id=str(rcpt.get("chat_id")), user_id=str(user.get("user_id")),
            received_at=_when(cb.get("timestamp") or update.get("timestamp")),
            user_name=_name(user), chat_type=_CHAT_TYPES.get(rcpt.get("chat_type", ""), "group"),
            callback_id=cb.get("callback_id"), callback_data=cb.get("payload"),
            message_id=(msg.get("body") or {}).get("mid"))
    if kind == "bot_started":
        user = update.get("user") or {}
        payload = update.get("payload")
        return Incoming(
            channel=CHANNEL,
            update_id=f"start:{update.get('chat_id')}:{user.get('user_id')}:"
                      f"{update.get('timestamp')}",
            chat_id=str(update.get("chat_id")), user_id=str(user.get("user_id")),
            received_at=_when(update.get("timestamp")),
            text=f"/start {payload}" if payload else "/start", user_name=_name(user))
    return None
