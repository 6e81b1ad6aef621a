"""The simulated world: the bot, users, chats and the messages in them."""

from __future__ import annotations

from typing import Any

from attrs import define, field


@define
class SimBot:
    id: int
    token: str
    username: str
    first_name: str
    privacy: bool = True  # group privacy mode: only commands and replies reach the bot

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name,
                "username": self.username}


@define
class SimUser:
    id: int
    first_name: str
    last_name: str = ""
    username: str = ""
    started: bool = True  # pressed Start in a private chat with the bot
    blocked: bool = False  # blocked the bot
    phone: str = ""

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name,
                               "language_code": "ru"}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        return out


@define
class SimFile:
    file_id: str
    file_unique_id: str
    name: str
    mime: str
    content: bytes = field(repr=False)
    kind: str = "document"  # document | photo
    path: str = ""

    def wire(self) -> dict[str, Any]:
        if self.kind == "photo":
            return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                    "width": 1, "height": 1, "file_size": len(self.content)}
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_name": self.name, "mime_type": self.mime, "file_size": len(self.content)}


@define
class SimMessage:
    """A message in a chat. For the bot's own messages this is what the chat received."""

    message_id: int
    chat_id: int
    date: int  # unix seconds (sim clock)
    at: float  # sim clock, for ordering and rate checks in tests
    from_bot: bool
    user_id: int | None = None
    text: str = ""  # plain text after entity parsing (caption for files)
    html: str = ""  # what the bot sent, as sent
    entities: list[dict[str, Any]] = field(factory=list)
    reply_markup: dict[str, Any] | None = None
    thread_id: int | None = None
    file: SimFile | None = None
    silent: bool = False
    edit_date: int | None = None
    edits: int = 0
    parse_mode: str | None = None
    extra: dict[str, Any] = field(factory=dict)  # contact, service fields

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline keyboard as rows of (text, callback_data or url)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b.get("text", ""), b.get("callback_data") or b.get("url") or "") for b in row]
                for row in rows]

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly view for the control API and the demo."""
        out: dict[str, Any] = {
            "message_id": self.message_id, "date": self.date, "text": self.text,
            "html": self.html, "entities": self.entities, "buttons": self.buttons,
            "thread_id": self.thread_id, "silent": self.silent, "edits": self.edits}
        if self.file is not None:
            out["file"] = {"name": self.file.name, "mime": self.file.mime,
                           "size": len(self.file.content), "kind": self.file.kind}
        return out


@define
class SimChat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str = ""
    username: str = ""
    is_forum: bool = False
    members: set[int] = field(factory=set)
    bot_present: bool = True
    bot_admin: bool = False  # may delete others' messages
    migrated_to: int | None = None
    topics: dict[int, str] = field(factory=dict)
    next_id: int = 1
    messages: dict[int, SimMessage] = field(factory=dict)

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def wire(self, users: dict[int, SimUser]) -> dict[str, Any]:
        if self.type == "private":
            user = users[self.id]
            out = {"id": self.id, "type": "private", "first_name": user.first_name}
            if user.username:
                out["username"] = user.username
            return out
        out = {"id": self.id, "type": self.type, "title": self.title}
        if self.type == "supergroup" and self.is_forum:
            out["is_forum"] = True
        return out

    def new_message_id(self) -> int:
        mid = self.next_id
        self.next_id += 1
        return mid


@define
class CallbackQuery:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    at: float
    answered: bool = False
    answer_text: str | None = None
