"""The state of the simulated MAX: bot, users, chats, messages, updates, uploads.

Rules follow /shared/protocols/messengers.md (MAX parts). Where the real error ``code`` is
unverified the simulator uses ``proto.payload`` (400) or ``not.found`` (404) and says so here.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

from attrs import define, field

from kassa_max.sim_markup import parse_html, parse_markdown

Json = dict[str, Any]
MAX_TEXT = 4000
BUTTON_TEXT = 128
CALLBACK_PAYLOAD = 1024
LINK_URL = 2048
BUTTON_TYPES = {"callback", "link", "message", "request_contact", "request_geo_location",
                "open_app", "clipboard"}
MEDIA = {"file", "image", "video", "audio"}
UPDATE_TTL_MS = 24 * 3600 * 1000
MARKER_BASE = 25_493_970


class SimError(Exception):
    """An API error exactly as MAX answers it: status + ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code}: {message}")

    def body(self) -> Json:
        return {"code": self.code, "message": self.message}


def payload_error(message: str) -> SimError:
    return SimError(400, "proto.payload", message)  # code unverified


@define
class SimUser:
    user_id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    is_bot: bool = False

    def wire(self, now_ms: int) -> Json:
        out: Json = {"user_id": self.user_id, "first_name": self.first_name,
                     "last_name": self.last_name, "is_bot": self.is_bot,
                     "last_activity_time": now_ms, "name": self.first_name}
        if self.username:
            out["username"] = self.username
        return out


@define
class SimChat:
    chat_id: int
    type: str  # chat | dialog | channel
    title: str | None = None
    dialog_user: int | None = None
    bot_member: bool = True
    bot_admin: bool = False
    read_all: bool = False
    stopped: bool = False  # dialog: the user stopped the bot
    messages: list[Json] = field(factory=list)  # every message, in order (user and bot)

    def wire(self, now_ms: int) -> Json:
        return {"chat_id": self.chat_id, "type": self.type, "status": "active",
                "title": self.title, "icon": None, "last_event_time": now_ms,
                "participants_count": 2 if self.type == "dialog" else 5,
                "is_public": False, "description": None}


@define
class SimUpload:
    token: str
    kind: str
    filename: str = ""
    content: bytes = field(default=b"", repr=False)
    uploaded: bool = False
    not_ready_sends: int = 0  # sends left that fail with attachment.not.ready


class World:
    def __init__(self, token: str) -> None:
        self.token = token
        self.clock_offset_ms = 0
        self.bot = SimUser(229_229_229, "Kassa Demo", username="kassa_demo_bot", is_bot=True)
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.updates: list[tuple[int, Json]] = []  # (marker, update), marker increasing
        self.committed = MARKER_BASE  # every update with a marker below this is committed
        self.callbacks: dict[str, Json] = {}  # callback_id -> {chat_id, mid, answered}
        self.notifications: list[Json] = []  # callback answers, for inspection
        self.uploads: dict[str, SimUpload] = {}
        self.not_ready_sends = 2
        self._ids = itertools.count(1)
        self._seq = itertools.count(116_327_994_376_978_687)
        self._markers = itertools.count(MARKER_BASE)

    # --- time and ids ---------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def _mid(self) -> str:
        return "mid." + secrets.token_hex(16)

    # --- people and chats (control side) --------------------------------------------------
    def add_user(self, first_name: str, last_name: str = "", username: str | None = None
                 ) -> SimUser:
        user = SimUser(100_000_000 + next(self._ids), first_name, last_name, username)
        self.users[user.user_id] = user
        return user

    def add_group(self, title: str, *, admin: bool = True, read_all: bool = True) -> SimChat:
        chat = SimChat(-70_000_000_000_000 - next(self._ids), "chat", title,
                       bot_admin=admin, read_all=read_all and admin)
        self.chats[chat.chat_id] = chat
        self.push({"update_type": "bot_added", "chat_id": chat.chat_id,
                   "user": self._someone().wire(self.now_ms()), "is_channel": False})
        return chat

    def _someone(self) -> SimUser:
        return next(iter(self.users.values()), None) or self.add_user("Владелец")

    def set_admin(self, chat_id: int, admin: bool, read_all: bool = True) -> None:
        chat = self.chat(chat_id)
        chat.bot_admin, chat.read_all = admin, read_all and admin
        perms = ["read_all_messages", "write"] if chat.read_all else (["write"] if admin else [])
        self.push({"update_type": "bot_admin_permissions_changed", "chat_id": chat_id,
                   "is_admin": admin, "permissions": perms,
                   "user": self._someone().wire(self.now_ms())})

    def remove_bot(self, chat_id: int) -> None:
        chat = self.chat(chat_id)
        chat.bot_member = False
        self.push({"update_type": "bot_removed", "chat_id": chat_id, "is_channel": False,
                   "user": self._someone().wire(self.now_ms())})

    def dialog_of(self, user_id: int) -> SimChat | None:
        return next((c for c in self.chats.values() if c.dialog_user == user_id), None)

    def start(self, user_id: int, payload: str | None = None) -> SimChat:
        """The user pressed Start (maybe through a deep link with ``payload``)."""
        user = self.user(user_id)
        chat = self.dialog_of(user_id)
        if chat is None:
            chat = SimChat(180_000_000 + next(self._ids), "dialog", dialog_user=user_id)
            self.chats[chat.chat_id] = chat
        chat.stopped = False
        update: Json = {"update_type": "bot_started", "chat_id": chat.chat_id,
                        "user": user.wire(self.now_ms()), "user_locale": "ru"}
        if payload is not None and len(payload) <= 128:
            # schema: up to 128 characters; "Longer strings will be omitted and not passed"
            update["payload"] = payload
        self.push(update)
        return chat

    def stop(self, user_id: int) -> None:
        chat = self.dialog_of(user_id)
        if chat is not None:
            chat.stopped = True
            self.push({"update_type": "bot_stopped", "chat_id": chat.chat_id,
                       "user": self.user(user_id).wire(self.now_ms())})

    def user(self, user_id: int) -> SimUser:
        if user_id not in self.users:
            raise KeyError(f"no simulated user {user_id}")
        return self.users[user_id]

    def chat(self, chat_id: int) -> SimChat:
        if chat_id not in self.chats:
            raise SimError(404, "chat.not.found", f"Chat {chat_id} not found")
        return self.chats[chat_id]

    # --- what users do --------------------------------------------------------------------
    def _user_message(self, chat: SimChat, user: SimUser, text: str,
                      attachments: list[Json] | None = None) -> Json:
        body: Json = {"mid": self._mid(), "seq": next(self._seq), "text": text}
        if attachments:
            body["attachments"] = attachments
        msg = {"recipient": self._recipient(chat), "timestamp": self.now_ms(), "body": body,
               "sender": user.wire(self.now_ms())}
        chat.messages.append(msg)
        # groups: only an admin bot with read_all_messages sees messages (schema)
        if chat.type == "dialog" or (chat.bot_member and chat.bot_admin and chat.read_all):
            self.push({"update_type": "message_created", "message": msg, "user_locale": "ru"})
        return msg

    def say(self, chat_id: int, user_id: int, text: str) -> Json:
        return self._user_message(self.chat(chat_id), self.user(user_id), text)

    def share_contact(self, chat_id: int, user_id: int, phone: str) -> Json:
        user = self.user(user_id)
        vcf = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{user.first_name}\r\n"
               f"TEL;TYPE=cell:{phone}\r\nEND:VCARD\r\n")
        att = {"type": "contact", "payload": {"vcf_info": vcf,
                                              "max_info": user.wire(self.now_ms())}}
        return self._user_message(self.chat(chat_id), user, "", [att])

    def press(self, chat_id: int, mid: str, payload: str, user_id: int) -> str:
        """A user pressed a callback button; only buttons that exist can be pressed."""
        chat = self.chat(chat_id)
        msg = next((m for m in chat.messages if m["body"]["mid"] == mid), None)
        if msg is None:
            raise KeyError(f"no message {mid} in chat {chat_id}")
        buttons = [b for a in msg["body"].get("attachments", [])
                   if a["type"] == "inline_keyboard" for row in a["payload"]["buttons"]
                   for b in row if b["type"] == "callback"]
        if not any(b.get("payload") == payload for b in buttons):
            raise KeyError(f"message {mid} has no callback button with payload {payload!r}")
        callback_id = secrets.token_urlsafe(48)
        self.callbacks[callback_id] = {"chat_id": chat_id, "mid": mid, "answered": False}
        self.push({"update_type": "message_callback", "user_locale": "ru",
                   "callback": {"timestamp": self.now_ms(), "callback_id": callback_id,
                                "payload": payload,
                                "user": self.user(user_id).wire(self.now_ms())},
                   "message": msg})
        return callback_id

    # --- updates --------------------------------------------------------------------------
    def push(self, update: Json) -> None:
        update.setdefault("timestamp", self.now_ms())
        self.updates.append((next(self._markers), update))
        self.on_update(update)

    def on_update(self, update: Json) -> None:
        """Hook for the HTTP layer (long-poll wake-up, webhook push)."""

    def expire(self) -> None:
        cutoff = self.now_ms() - UPDATE_TTL_MS
        self.updates = [(m, u) for m, u in self.updates if u["timestamp"] >= cutoff]

    def poll(self, marker: int | None, limit: int, types: set[str] | None
             ) -> tuple[list[Json], int]:
        """Updates after the last commit and the marker of the next one; passing a
        ``marker`` commits everything before it (without one, uncommitted ones come again)."""
        self.expire()
        if marker is not None:
            self.committed = max(self.committed, marker)
        out: list[Json] = []
        nxt = self.committed
        for m, update in self.updates:
            if m < self.committed:
                continue
            if len(out) == limit:
                break
            nxt = m + 1
            if types is None or update["update_type"] in types:
                out.append(update)
        return out, nxt

    def _recipient(self, chat: SimChat) -> Json:
        out: Json = {"chat_id": chat.chat_id, "chat_type": chat.type}
        if chat.dialog_user is not None:
            out["user_id"] = chat.dialog_user
        return out

    # --- what the bot does ----------------------------------------------------------------
    def target(self, chat_id: int | None, user_id: int | None) -> SimChat:
        if (chat_id is None) == (user_id is None):
            raise payload_error("Exactly one of chat_id or user_id is required")
        if user_id is not None:
            chat = self.dialog_of(user_id)
            if chat is None:
                raise SimError(404, "chat.not.found", "dialog.not.found")
        else:
            chat = self.chat(chat_id)  # type: ignore[arg-type]
        if chat.type == "dialog" and chat.stopped:
            raise SimError(403, "chat.denied", "The user has stopped the bot")
        if not chat.bot_member:
            raise SimError(403, "chat.denied", "Bot is not a member of the chat")
        if chat.type == "channel" and not chat.bot_admin:
            raise SimError(403, "chat.denied", "Bot is not an admin of the channel")
        return chat

    def render(self, body: Any, chat: SimChat, *, old: Json | None = None) -> Json:
        """Validate a NewMessageBody and build the stored message body."""
        if not isinstance(body, dict):
            raise payload_error("Request body must be a JSON object")
        raw = body.get("text")
        if raw is not None and not isinstance(raw, str):
            raise payload_error("text: must be a string")
        if raw is not None and len(raw) > MAX_TEXT:
            raise payload_error(f"text: size must be between 0 and {MAX_TEXT}")
        fmt = body.get("format")
        if fmt not in (None, "html", "markdown"):
            raise payload_error(f"format: unknown value {fmt!r}, expected markdown or html")
        if body.get("notify") is False and chat.type == "channel":
            raise payload_error("notify: channels cannot receive silent messages")
        atts = body.get("attachments")
        if atts is None and old is not None:
            atts = old.get("attachments")  # PUT: null keeps the attachments, [] removes them
        atts = self._attachments(atts or [])
        text: str = raw or ""
        markup: list[Json] = []
        if raw and fmt == "html":
            text, markup = parse_html(raw)
        elif raw and fmt == "markdown":
            text, markup = parse_markdown(raw)
        if not text and not atts:
            raise payload_error("Message must have text or attachments")
        out: Json = {"text": text, "raw_text": raw or ""}
        if markup:
            out["markup"] = markup
        if atts:
            out["attachments"] = atts
        return out

    def _attachments(self, atts: Any) -> list[Json]:
        if not isinstance(atts, list):
            raise payload_error("attachments: must be an array")
        kinds = [a.get("type") if isinstance(a, dict) else None for a in atts]
        if any(k == "file" for k in kinds) and len(atts) > 1:
            raise payload_error("attachments: a file must be the only attachment in message")
        if kinds.count("inline_keyboard") > 1:
            raise payload_error("attachments: only one inline_keyboard is allowed")
        out = []
        for a in atts:
            kind = a.get("type") if isinstance(a, dict) else None
            if kind == "inline_keyboard":
                out.append({"type": kind, "callback_id": secrets.token_urlsafe(24),
                            "payload": {"buttons": _buttons(a.get("payload"))}})
            elif kind in MEDIA:
                out.append({"type": kind, "payload": self._media(kind, a.get("payload"))})
            else:
                raise payload_error(f"attachments: unsupported type {kind!r}")
        return out

    def _media(self, kind: str, payload: Any) -> Json:
        token = payload.get("token") if isinstance(payload, dict) else None
        if token is None and isinstance(payload, dict) and isinstance(payload.get("photos"), dict):
            token = next((p.get("token") for p in payload["photos"].values()), None)
        upload = self.uploads.get(str(token))
        if upload is None or not upload.uploaded or upload.kind != kind:
            raise payload_error(f"attachments: unknown {kind} token")
        if upload.not_ready_sends > 0:
            upload.not_ready_sends -= 1
            raise SimError(400, "attachment.not.ready",
                           f"Key: errors.process.attachment.{kind}.not.processed")
        return {"token": upload.token, "filename": upload.filename, "size": len(upload.content)}

    def post(self, chat: SimChat, body: Json) -> Json:
        msg = {"recipient": self._recipient(chat), "timestamp": self.now_ms(),
               "body": {"mid": self._mid(), "seq": next(self._seq), **body},
               "sender": self.bot.wire(self.now_ms())}
        chat.messages.append(msg)
        return msg

    def find(self, mid: str) -> tuple[SimChat, Json]:
        for chat in self.chats.values():
            for msg in chat.messages:
                if msg["body"]["mid"] == mid:
                    return chat, msg
        raise SimError(404, "not.found", f"Message {mid} not found")  # code unverified

    def delete(self, mid: str) -> None:
        """The bot deletes a message: its own anywhere; another's only in a group where it
        is an admin (schema: "if bot has permission to delete messages")."""
        chat, msg = self.find(mid)
        if not msg["sender"]["is_bot"] and not (chat.type != "dialog" and chat.bot_admin):
            raise SimError(403, "access.denied", "Insufficient permissions to delete message")
        chat.messages.remove(msg)

    def history(self, chat_id: int | None, mids: list[str] | None, count: int,
                before: int | None, after: int | None) -> list[Json]:
        """GET /messages: newest first (schema: "traversed in reverse direction")."""
        if mids is not None:
            found = [self.find(m) for m in mids if self._exists(m)]
            msgs = [m for c, m in found if chat_id is None or c.chat_id == chat_id]
        elif chat_id is not None:
            chat = self.chat(chat_id)
            if not chat.bot_member:
                raise SimError(403, "chat.denied", "Bot is not a member of the chat")
            msgs = list(chat.messages)
        else:
            raise payload_error("chat_id or message_ids is required")
        msgs = [m for m in msgs if (before is None or m["timestamp"] < before)
                and (after is None or m["timestamp"] > after)]
        return sorted(msgs, key=lambda m: m["timestamp"], reverse=True)[:count]

    def _exists(self, mid: str) -> bool:
        return any(m["body"]["mid"] == mid for c in self.chats.values() for m in c.messages)

    def new_upload(self, kind: str) -> SimUpload:
        if kind not in MEDIA:
            raise payload_error(f"type: unknown upload type {kind!r}, expected "
                                "image, video, audio or file")
        up = SimUpload(secrets.token_urlsafe(32), kind, not_ready_sends=self.not_ready_sends)
        self.uploads[up.token] = up
        return up


def _buttons(payload: Any) -> list[list[Json]]:
    rows = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        raise payload_error("inline_keyboard: buttons must be a non-empty array of rows")
    for row in rows:
        for b in row:
            if not isinstance(b, dict) or b.get("type") not in BUTTON_TYPES:
                kind = b.get("type") if isinstance(b, dict) else b
                raise payload_error(f"button: unknown type {kind!r}")
            text = b.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= BUTTON_TEXT:
                raise payload_error(f"button.text: size must be between 1 and {BUTTON_TEXT}")
            if b["type"] == "callback":
                p = b.get("payload")
                if not isinstance(p, str) or not 1 <= len(p) <= CALLBACK_PAYLOAD:
                    raise payload_error("button.payload: size must be between 1 and "
                                        f"{CALLBACK_PAYLOAD}")
            if b["type"] == "link":
                url = b.get("url")
                if not isinstance(url, str) or not 1 <= len(url) <= LINK_URL:
                    raise payload_error(f"button.url: size must be between 1 and {LINK_URL}")
    return rows
