"""The simulator's state and the control operations a test or the demo drives."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

from kassa_telegram.sim.envelope import bad_request, forbidden
from kassa_telegram.sim.faults import Faults
from kassa_telegram.sim.limits import RateLimiter
from kassa_telegram.sim.state import CallbackQuery, SimBot, SimChat, SimFile, SimMessage, SimUser
from kassa_telegram.sim.updates import UpdateQueue


class World:
    """One bot and the users and chats it meets. Time is the sim clock (``advance()``)."""

    def __init__(self, *, token: str | None = None, bot_username: str = "kassa_test_bot",
                 bot_name: str = "Kassa", rate_limits: bool = True, local_mode: bool = True,
                 callback_ttl: float = 60.0, max_poll: float = 50.0,
                 clock: Callable[[], float] | None = None) -> None:
        self._offset = 0.0
        self._base_clock = clock or time.time
        bot_id = 6_000_000_001
        self.bot = SimBot(bot_id, token or f"{bot_id}:{secrets.token_urlsafe(26)}",
                          bot_username, bot_name)
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.files: dict[str, SimFile] = {}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.commands: list[dict[str, str]] = []
        self.updates = UpdateQueue(self.clock)
        self.limiter = RateLimiter(self.clock, enabled=rate_limits)
        self.faults = Faults()
        self.local_mode = local_mode  # like `telegram-bot-api --local`: plain-HTTP webhooks
        self.callback_ttl = callback_ttl
        self.max_poll = max_poll
        self.calls: list[dict[str, Any]] = []
        self.last_poll: tuple[int, float] = (0, float("-inf"))  # (offset, when) of getUpdates
        self._next_user = 7_000_000_001
        self._next_group = 4_000_000_001
        self._next_super = 1_001_000_000_001

    # --- clock -----------------------------------------------------------------------------
    def clock(self) -> float:
        return self._base_clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sim clock forward (rate windows, callback timeouts, retention)."""
        self._offset += seconds

    def revoke_token(self) -> str:
        """As /revoke in @BotFather: the old token answers 401 from now on."""
        self.bot.token = f"{self.bot.id}:{secrets.token_urlsafe(26)}"
        return self.bot.token

    # --- people and chats ------------------------------------------------------------------
    def create_user(self, first_name: str, *, last_name: str = "", username: str = "",
                    started: bool = True, phone: str = "") -> SimUser:
        user = SimUser(self._next_user, first_name, last_name, username, started, False, phone)
        self._next_user += 1
        self.users[user.id] = user
        self.chats[user.id] = SimChat(user.id, "private", members={user.id})
        return user

    def create_chat(self, title: str, *, type: str = "supergroup", members: Sequence[int] = (),
                    forum: bool = False) -> SimChat:
        if type not in ("group", "supergroup"):
            raise ValueError("type must be 'group' or 'supergroup'")
        for uid in members:
            self.user(uid)
        if type == "group":
            cid = -self._next_group
            self._next_group += 1
        else:
            cid = -self._next_super
            self._next_super += 1
        chat = SimChat(cid, type, title, is_forum=forum and type == "supergroup",
                       members=set(members))
        self.chats[cid] = chat
        return chat

    def add_topic(self, chat_id: int, name: str) -> int:
        chat = self.chat(chat_id)
        if not chat.is_forum:
            raise ValueError(f"chat {chat_id} is not a forum supergroup")
        tid = chat.new_message_id()  # a topic id is the id of its creation message
        chat.topics[tid] = name
        return tid

    def user(self, user_id: int) -> SimUser:
        try:
            return self.users[int(user_id)]
        except (KeyError, ValueError):
            raise ValueError(f"no user {user_id!r} in the simulator") from None

    def chat(self, chat_id: int | str) -> SimChat:
        chat = self.find_chat(chat_id)
        if chat is None:
            raise ValueError(f"no chat {chat_id!r} in the simulator")
        return chat

    def find_chat(self, raw: Any) -> SimChat | None:
        if isinstance(raw, str) and raw.startswith("@"):
            return next((c for c in self.chats.values() if c.username and
                         c.username.lower() == raw[1:].lower()), None)
        try:
            return self.chats.get(int(raw))
        except (TypeError, ValueError):
            return None

    # --- checks the Bot API applies before sending -----------------------------------------
    def target(self, raw: Any) -> SimChat:
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat = self.find_chat(raw)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request("group chat was upgraded to a supergroup chat",
                              migrate_to_chat_id=chat.migrated_to)
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif not chat.bot_present:
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        return chat

    # --- what happens in chats -------------------------------------------------------------
    def message_wire(self, chat: SimChat, msg: SimMessage) -> dict[str, Any]:
        out: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date}
        out["from"] = self.bot.wire() if msg.user_id is None else self.users[msg.user_id].wire()
        out["chat"] = chat.wire(self.users)
        if msg.thread_id is not None:
            out["message_thread_id"] = msg.thread_id
            out["is_topic_message"] = True
        if msg.file is not None:
            out[msg.file.kind] = [msg.file.wire()] if msg.file.kind == "photo" \
                else msg.file.wire()
            if msg.text:
                out["caption"] = msg.text
                if msg.entities:
                    out["caption_entities"] = msg.entities
        elif msg.text:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        out.update(msg.extra)
        return out

    def add_message(self, chat: SimChat, **fields: Any) -> SimMessage:
        now = self.clock()
        msg = SimMessage(chat.new_message_id(), chat.id, int(now), now, **fields)
        chat.messages[msg.message_id] = msg
        return msg

    def user_says(self, chat_id: int, user_id: int, text: str, *,
                  thread_id: int | None = None, reply_to: int | None = None) -> int:
        """A person writes in a chat; the bot gets it if Telegram would deliver it."""
        chat, user = self.chat(chat_id), self.user(user_id)
        if chat.type != "private" and user.id not in chat.members:
            raise ValueError(f"user {user_id} is not a member of chat {chat_id}")
        if chat.type == "private" and text.split()[:1] == ["/start"]:
            user.started = True
        entities = []
        if text.startswith("/"):
            entities = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        msg = self.add_message(chat, from_bot=False, user_id=user.id, text=text,
                               entities=entities, thread_id=thread_id)
        if self._delivered(chat, user, text, reply_to):
            wire = self.message_wire(chat, msg)
            if reply_to is not None and reply_to in chat.messages:
                wire["reply_to_message"] = self.message_wire(chat, chat.messages[reply_to])
            self.updates.push("message", wire)
        return msg.message_id

    def _delivered(self, chat: SimChat, user: SimUser, text: str, reply_to: int | None) -> bool:
        if chat.type == "private":
            return not user.blocked
        if not chat.bot_present or chat.migrated_to is not None:
            return False
        if not self.bot.privacy:
            return True
        if reply_to is not None and getattr(chat.messages.get(reply_to), "from_bot", False):
            return True
        if not text.startswith("/"):
            return False  # privacy mode: plain group talk never reaches the bot
        head = text.split()[0]
        return "@" not in head or head.split("@", 1)[1].lower() == self.bot.username.lower()

    def press_button(self, chat_id: int, message_id: int, user_id: int, *,
                     data: str | None = None, text: str | None = None) -> str:
        """A person presses an inline button; returns the callback query id."""
        chat, user = self.chat(chat_id), self.user(user_id)
        msg = chat.messages.get(int(message_id))
        if msg is None or not msg.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        pressed = next((b for row in (msg.reply_markup or {}).get("inline_keyboard", [])
                        for b in row if "callback_data" in b and
                        (b["callback_data"] == data or b.get("text") == text)), None)
        if pressed is None:
            raise ValueError(f"message {message_id} has no button {data or text!r}")
        cq = CallbackQuery(str(secrets.randbits(63)), chat.id, msg.message_id, user.id,
                           pressed["callback_data"], self.clock())
        self.callbacks[cq.id] = cq
        self.updates.push("callback_query", {
            "id": cq.id, "from": user.wire(), "message": self.message_wire(chat, msg),
            "chat_instance": str(-abs(hash((chat.id, self.bot.id))) % 10**18),
            "data": cq.data})
        return cq.id

    def share_contact(self, user_id: int, phone: str | None = None, *, own: bool = True) -> int:
        """A person shares a phone number in the private chat (own=False: someone else's)."""
        user = self.user(user_id)
        chat = self.chats[user.id]
        number = phone or user.phone or "79990000000"
        contact: dict[str, Any] = {"phone_number": number, "first_name": user.first_name}
        if own:
            contact["user_id"] = user.id
        msg = self.add_message(chat, from_bot=False, user_id=user.id,
                               extra={"contact": contact})
        if not user.blocked:
            self.updates.push("message", self.message_wire(chat, msg))
        return msg.message_id

    def _member_update(self, chat: SimChat, by: SimUser, old: str, new: str,
                       member: SimUser | None = None) -> None:
        """my_chat_member (the bot's own status), or chat_member for another ``member``."""
        who = self.bot.wire() if member is None else member.wire()
        self.updates.push("my_chat_member" if member is None else "chat_member", {
            "chat": chat.wire(self.users), "from": by.wire(), "date": int(self.clock()),
            "old_chat_member": _member(who, old), "new_chat_member": _member(who, new)})

    def _service(self, chat: SimChat, actor: SimUser, **fields: Any) -> None:
        # service messages reach the bot whatever its privacy mode
        msg = self.add_message(chat, from_bot=False, user_id=actor.id, extra=fields)
        if chat.bot_present:
            self.updates.push("message", self.message_wire(chat, msg))

    def add_member(self, chat_id: int, user_id: int, *, by: int | None = None) -> None:
        """A person joins a group (or ``by`` adds them): the service message, and a
        chat_member update if the bot is an admin and asked for them in allowed_updates."""
        chat, user = self.chat(chat_id), self.user(user_id)
        if not chat.is_group or user.id in chat.members:
            raise ValueError(f"user {user_id} cannot join chat {chat_id}")
        chat.members.add(user.id)
        actor = self.user(by) if by else user
        # tdlib's JsonMessage writes the legacy single fields beside new_chat_members
        self._service(chat, actor, new_chat_participant=user.wire(),
                      new_chat_member=user.wire(), new_chat_members=[user.wire()])
        if chat.bot_present and chat.bot_admin:
            self._member_update(chat, actor, "left", "member", user)

    def remove_member(self, chat_id: int, user_id: int, *, by: int | None = None,
                      ban: bool = False) -> None:
        """A person leaves (or ``by`` removes them; ``ban``: kicked for ever)."""
        chat, user = self.chat(chat_id), self.user(user_id)
        if user.id not in chat.members:
            raise ValueError(f"user {user_id} is not a member of chat {chat_id}")
        chat.members.discard(user.id)
        actor = self.user(by) if by else user
        self._service(chat, actor, left_chat_participant=user.wire(),
                      left_chat_member=user.wire())
        if chat.bot_present and chat.bot_admin:
            self._member_update(chat, actor, "member", "kicked" if ban else "left", user)

    def add_bot(self, chat_id: int, by: int) -> None:
        """Someone adds the bot (back) to a group: my_chat_member and the service message."""
        chat, actor = self.chat(chat_id), self.user(by)
        if chat.bot_present or not chat.is_group:
            raise ValueError(f"the bot cannot be added to chat {chat_id}")
        chat.bot_present = True
        self._member_update(chat, actor, "kicked", "member")  # kick_bot is the way out
        self._service(chat, actor, new_chat_participant=self.bot.wire(),
                      new_chat_member=self.bot.wire(), new_chat_members=[self.bot.wire()])

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        user = self.user(user_id)
        if user.blocked != blocked:
            user.blocked = blocked
            self._member_update(self.chats[user.id], user, "member" if blocked else "kicked",
                                "kicked" if blocked else "member")

    def kick_bot(self, chat_id: int, by: int | None = None) -> None:
        chat = self.chat(chat_id)
        chat.bot_present = False
        admin = self.user(by) if by else next(
            (self.users[u] for u in sorted(chat.members)), None)
        if admin is not None:
            self._member_update(chat, admin, "member", "kicked")

    def migrate_group(self, chat_id: int) -> int:
        """Upgrade a basic group to a supergroup with a new id, as Telegram does."""
        old = self.chat(chat_id)
        if old.type != "group":
            raise ValueError(f"chat {chat_id} is not a basic group")
        new = self.create_chat(old.title, type="supergroup", members=sorted(old.members))
        old.migrated_to = new.id
        anyone = self.users[min(old.members)] if old.members else None
        for chat, key, value in ((old, "migrate_to_chat_id", new.id),
                                 (new, "migrate_from_chat_id", old.id)):
            if anyone is not None:
                msg = self.add_message(chat, from_bot=False, user_id=anyone.id,
                                       extra={key: value})
                self.updates.push("message", self.message_wire(chat, msg))
        return new.id

    def received(self, chat_id: int) -> list[SimMessage]:
        """The bot's messages in a chat, oldest first, as they are now (edits applied)."""
        chat = self.chat(chat_id)
        return [m for _, m in sorted(chat.messages.items()) if m.from_bot]


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember as tdlib's JsonChatMember writes it: "kicked" always has ``until_date``
    (0 = for ever); aiogram and python-telegram-bot refuse a ChatMemberBanned without it."""
    out: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        out["until_date"] = 0
    return out
