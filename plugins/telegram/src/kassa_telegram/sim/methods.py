"""Bot API methods: each takes the world and the request parameters, returns ``result``."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from attrs import frozen

from kassa_telegram.sim.envelope import ApiError, Described, bad_request
from kassa_telegram.sim.state import SimChat, SimFile, SimMessage
from kassa_telegram.sim.updates import Webhook
from kassa_telegram.sim.validation import commands, formatted, reply_markup
from kassa_telegram.sim.world import World

FILE_MAX = 50 * 1024 * 1024  # cloud Bot API upload cap
PHOTO_MAX = 10 * 1024 * 1024
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"RIFF")
_NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                 "exactly the same as a current content and reply markup of the message")


@frozen
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    mime: str


Handler = Callable[[World, dict[str, Any]], Awaitable[Any]]


def _int(p: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = p.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key} specified") from None


def _bool(p: dict[str, Any], key: str) -> bool:
    value = p.get(key)
    return value is True or str(value).lower() in ("true", "1")


def _json(p: dict[str, Any], key: str) -> Any:
    value = p.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    return value


def _thread(chat: SimChat, p: dict[str, Any]) -> int | None:
    tid = _int(p, "message_thread_id")
    if tid is not None and not (chat.is_forum and tid in chat.topics):
        raise bad_request("message thread not found")
    return tid


def _rate(w: World, chat: SimChat) -> None:
    wait = w.limiter.check(chat.id, chat.is_group)
    if wait is not None:
        raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})


def _text(p: dict[str, Any]) -> str:
    text = p.get("text")
    if text is None or text == "":
        raise bad_request("message text is empty")
    return str(text)


async def get_me(w: World, p: dict[str, Any]) -> Any:
    return {**w.bot.wire(), "can_join_groups": True,
            "can_read_all_group_messages": not w.bot.privacy,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False}


def _integer_arg(p: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    """tdlib's get_integer_arg: empty -> default, else td::to_integer (leading digits, 0 when
    none: "abc" is 0), clamped to [lo, hi]. So limit=0 is 1, limit=500 is 100."""
    raw = p.get(key)
    if raw is None or raw == "":
        value = default
    elif isinstance(raw, bool):
        value = 0  # a JSON true/false is not a number to td::to_integer
    elif isinstance(raw, int):
        value = raw
    else:
        m = re.match(r"-?\d+", str(raw))
        value = int(m.group(0)) if m else 0
    return min(max(value, lo), hi)


async def get_updates(w: World, p: dict[str, Any]) -> Any:
    offset = _integer_arg(p, "offset", 0, -(2**31), 2**31 - 1)
    limit = _integer_arg(p, "limit", 100, 1, 100)
    timeout = _integer_arg(p, "timeout", 0, 0, int(w.max_poll))
    w.updates.set_allowed(_json(p, "allowed_updates"))
    # tdlib's process_get_updates_query slows a poller that spins on one offset
    now, (last_offset, last_at) = w.clock(), w.last_poll
    if offset == last_offset and timeout < 3 and now < last_at + 3.0:
        timeout = 3
    if offset == last_offset and now < last_at + 0.5:
        limit = 1
    w.last_poll = (offset, now)
    return await w.updates.get(offset, limit, timeout)


async def send_message(w: World, p: dict[str, Any]) -> Any:
    chat = w.target(p.get("chat_id"))
    thread = _thread(chat, p)
    html = _text(p)
    plain, entities = formatted(html, p.get("parse_mode"))
    markup = reply_markup(p.get("reply_markup"))
    _rate(w, chat)
    msg = w.add_message(chat, from_bot=True, text=plain, html=html, entities=entities,
                        reply_markup=markup, thread_id=thread,
                        silent=_bool(p, "disable_notification"),
                        parse_mode=p.get("parse_mode"))
    return w.message_wire(chat, msg)


def _own_message(w: World, chat: SimChat, p: dict[str, Any]) -> SimMessage:
    if p.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    mid = _int(p, "message_id")
    msg = chat.messages.get(mid) if mid is not None else None
    if msg is None:
        raise bad_request("message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


async def edit_message_text(w: World, p: dict[str, Any]) -> Any:
    chat = w.target(p.get("chat_id"))
    msg = _own_message(w, chat, p)
    html = _text(p)
    plain, entities = formatted(html, p.get("parse_mode"))
    markup = reply_markup(p.get("reply_markup"))  # omitted = the keyboard is removed
    if (msg.text, msg.entities, msg.reply_markup) == (plain, entities, markup):
        raise bad_request(_NOT_MODIFIED)
    _rate(w, chat)
    msg.text, msg.html, msg.entities, msg.reply_markup = plain, html, entities, markup
    msg.edit_date, msg.edits = int(w.clock()), msg.edits + 1
    return w.message_wire(chat, msg)


async def edit_message_reply_markup(w: World, p: dict[str, Any]) -> Any:
    chat = w.target(p.get("chat_id"))
    msg = _own_message(w, chat, p)
    markup = reply_markup(p.get("reply_markup"))
    if msg.reply_markup == markup:
        raise bad_request(_NOT_MODIFIED)
    _rate(w, chat)
    msg.reply_markup, msg.edit_date, msg.edits = markup, int(w.clock()), msg.edits + 1
    return w.message_wire(chat, msg)


async def delete_message(w: World, p: dict[str, Any]) -> Any:
    chat = w.target(p.get("chat_id"))
    mid = _int(p, "message_id")
    msg = chat.messages.get(mid) if mid is not None else None
    if msg is None:
        raise bad_request("message to delete not found")
    # Bot API deleteMessage: younger than 48 h; a bot deletes its own messages anywhere,
    # incoming ones in private chats, and others' in a group only as an administrator
    theirs = not msg.from_bot and chat.type != "private" and not chat.bot_admin
    if w.clock() - msg.at > 48 * 3600 or theirs:
        raise bad_request("message can't be deleted")
    del chat.messages[msg.message_id]
    return True


async def answer_callback_query(w: World, p: dict[str, Any]) -> Any:
    cq = w.callbacks.get(str(p.get("callback_query_id") or ""))
    if cq is None or cq.answered or w.clock() - cq.at > w.callback_ttl:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    cq.answered, cq.answer_text = True, text
    return True


def _file(w: World, p: dict[str, Any], kind: str) -> SimFile:
    value = p.get(kind)
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.get(value[len("attach://"):])  # the file is another part of the form
        if not isinstance(value, Upload):
            raise bad_request("can't find the attached file in the request")
    if isinstance(value, Upload):
        limit = PHOTO_MAX if kind == "photo" else FILE_MAX
        if len(value.content) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and not value.content.startswith(_IMAGE_MAGIC):
            raise bad_request("IMAGE_PROCESS_FAILED")
        if not value.content:
            raise bad_request("file must be non-empty")
        n = len(w.files) + 1
        ext = value.filename.rsplit(".", 1)[-1] if "." in value.filename else "bin"
        f = SimFile(f"BQAC{secrets.token_urlsafe(24)}", f"AgAD{secrets.token_urlsafe(8)}",
                    value.filename, value.mime, value.content, kind,
                    f"{kind}s/file_{n}.{ext}")
        w.files[f.file_id] = f
        return f
    if isinstance(value, str) and value:
        known = w.files.get(value)
        if known is None or known.kind != kind:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known
    raise bad_request(f"there is no {kind} in the request")


def _send_file(kind: str) -> Handler:
    async def handler(w: World, p: dict[str, Any]) -> Any:
        chat = w.target(p.get("chat_id"))
        thread = _thread(chat, p)
        caption = str(p.get("caption") or "")
        plain, entities = formatted(caption, p.get("parse_mode"), caption=True, required=False)
        markup = reply_markup(p.get("reply_markup"))
        f = _file(w, p, kind)
        _rate(w, chat)
        msg = w.add_message(chat, from_bot=True, text=plain, html=caption, entities=entities,
                            reply_markup=markup, thread_id=thread, file=f,
                            silent=_bool(p, "disable_notification"))
        return w.message_wire(chat, msg)
    return handler


async def get_file(w: World, p: dict[str, Any]) -> Any:
    f = w.files.get(str(p.get("file_id") or ""))
    if f is None:
        raise bad_request("invalid file_id")
    return {"file_id": f.file_id, "file_unique_id": f.file_unique_id,
            "file_size": len(f.content), "file_path": f.path}


async def get_chat(w: World, p: dict[str, Any]) -> Any:
    chat = w.find_chat(p.get("chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    return {**chat.wire(w.users), "accent_color_id": 0, "max_reaction_count": 11}


async def set_my_commands(w: World, p: dict[str, Any]) -> Any:
    w.commands = commands(p.get("commands"))
    return True


async def get_my_commands(w: World, p: dict[str, Any]) -> Any:
    return w.commands


async def set_webhook(w: World, p: dict[str, Any]) -> Any:
    url = str(p.get("url") or "")
    secret = str(p.get("secret_token") or "")
    if len(secret) > 256:
        raise bad_request("secret token is too long")
    if secret and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if not url:  # an empty URL removes the webhook
        return await delete_webhook(w, p)
    if w.updates.webhook is not None and w.updates.webhook.url == url and \
            w.updates.webhook.secret_token == secret and not _bool(p, "drop_pending_updates"):
        w.updates.set_allowed(_json(p, "allowed_updates"))
        return Described(True, "Webhook is already set")
    w.updates.set_allowed(_json(p, "allowed_updates"))
    parts = urlsplit(url)
    if not w.local_mode:
        if parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in (80, 88, 443, 8443):
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 "
                              "or 8443")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    w.updates.set_webhook(Webhook(url, secret), _bool(p, "drop_pending_updates"))
    return Described(True, "Webhook was set")


async def delete_webhook(w: World, p: dict[str, Any]) -> Any:
    had = w.updates.webhook is not None
    await w.updates.delete_webhook(_bool(p, "drop_pending_updates"))
    return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")


async def get_webhook_info(w: World, p: dict[str, Any]) -> Any:
    hook = w.updates.webhook
    info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                            "pending_update_count": w.updates.pending()}
    if hook is not None:
        info["max_connections"] = 40
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


METHODS: dict[str, Handler] = {name.lower(): fn for name, fn in {
    "getMe": get_me, "getUpdates": get_updates, "sendMessage": send_message,
    "editMessageText": edit_message_text, "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message, "answerCallbackQuery": answer_callback_query,
    "sendDocument": _send_file("document"), "sendPhoto": _send_file("photo"),
    "getFile": get_file, "getChat": get_chat, "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands, "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook, "getWebhookInfo": get_webhook_info,
}.items()}
