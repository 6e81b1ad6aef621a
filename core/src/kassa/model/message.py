"""What travels to and from chats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attrs import field, frozen

from kassa.model.event import Severity


@frozen
class ChatRef:
    """A chat on a channel. ``chat_id`` is the messenger's id as text."""

    channel: str
    chat_id: str
    thread_id: str | None = None  # forum topic (Telegram message_thread_id)

    def __str__(self) -> str:
        return f"{self.channel}:{self.chat_id}" + (f"#{self.thread_id}" if self.thread_id else "")


@frozen
class Button:
    """An inline button: ``data`` is a callback payload (<= 64 bytes), or ``url`` a link."""

    text: str
    data: str | None = None
    url: str | None = None


@frozen
class Attachment:
    filename: str
    content: bytes = field(repr=False)
    mime: str = "application/octet-stream"
    kind: str = "document"  # document | photo
    caption: str | None = None


def _rows(value: object) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(r) for r in value)  # type: ignore[attr-defined]


def _attachments(value: Iterable[Attachment]) -> tuple[Attachment, ...]:
    return tuple(value)


@frozen
class Message:
    """One message to send. ``text`` is HTML with every interpolated value already escaped."""

    chat: ChatRef
    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=(), converter=_rows)
    attachments: tuple[Attachment, ...] = field(default=(), converter=_attachments)
    severity: Severity = Severity.INFO
    silent: bool = False
    kind: str = "alert"  # alert | report | reply | digest | mailing
    event_id: str | None = None
    edit_of: str | None = None  # remote message id to edit instead of sending anew


@frozen
class Delivery:
    """What the channel answered for a sent message."""

    remote_id: str
    sent_at: datetime | None = None


@frozen
class Incoming:
    """An update from a chat: a text, a button press, a shared contact."""

    channel: str
    update_id: str  # unique per channel; the inbox dedups on it
    chat_id: str
    user_id: str
    received_at: datetime
    text: str | None = None
    user_name: str | None = None
    chat_type: str = "private"  # private | group | channel
    chat_title: str | None = None
    callback_id: str | None = None
    callback_data: str | None = None
    message_id: str | None = None
    contact_phone: str | None = None
    thread_id: str | None = None

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.channel, self.chat_id, self.thread_id)


@frozen
class Reply:
    """A command's answer. The hub sends it through the outbox to the asking chat."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=(), converter=_rows)
    attachments: tuple[Attachment, ...] = field(default=(), converter=_attachments)
    edit: bool = False  # edit the message the button was on, when the channel can


@frozen
class ChannelLimits:
    """Budgets a channel declares; the outbox stays under them and coalesces the rest."""

    per_chat_per_s: float = 1.0
    per_group_per_min: int = 20
    per_bot_per_s: float = 30.0
    max_text: int = 4096
    max_callback_data: int = 64
