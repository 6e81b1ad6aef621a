"""Notification hooks: channels (messengers), message formatting, chat commands."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import ChannelLimits, ChatRef, Delivery, Event, Incoming, Message, Reply


@runtime_checkable
class Channel(Protocol):
    """A messenger bot. ``send`` raises ``RetryLater``/``Repair``/``Permanent`` on failure."""

    name: str
    limits: ChannelLimits

    async def send(self, message: Message) -> Delivery:
        """Deliver one message (splitting long text itself). Idempotency is the outbox's job."""
        ...

    def updates(self) -> AsyncIterator[Incoming]:
        """Incoming updates, forever (long polling or a webhook queue). The hub persists
        each in the inbox before handling it, so yield each update once."""
        ...

    async def answer_callback(self, incoming: Incoming, text: str | None = None) -> None:
        """Acknowledge a button press (stops the spinner)."""
        ...

    def is_group(self, chat: ChatRef) -> bool:
        """Whether ``chat`` is a group (for per-group rate limits)."""
        ...

    def health(self) -> dict[str, Any]:
        """``{"online": bool, ...}``; a ``"warning"`` text is shown in ``/status``."""
        ...

    # Optional: ``async def aclose(self) -> None`` — called once at shutdown if present.
    # Optional: ``async def deep_link(self, token: str) -> str`` — a link that opens the bot
    # with ``/start <token>`` (in a group where the messenger allows); ``kassa chats link``
    # prints it, so nobody types a bot name or a chat id.


class Access(StrEnum):
    """Who may use a chat command."""

    ANYONE = "anyone"  # any chat, even unbound (e.g. /start with a link token)
    BOUND = "bound"  # chats bound to a site or the owners, by allowed users
    ADMIN = "admin"  # chat admins listed in config


class CommandContext(Protocol):
    """What a command handler gets besides its arguments."""

    hub: HubAPI
    incoming: Incoming
    locale: str
    site: str | None  # the chat's site; None in the owners' chat
    owners: bool  # True in an owners' chat (may ask any site)
    sites: Sequence[str]  # sites this chat may see

    def chat_settings(self) -> dict[str, Any]:
        """This chat's settings (reports offered, filters) as stored; a copy."""
        ...

    async def save_chat_settings(self, settings: dict[str, Any]) -> None:
        ...

    def t(self, key: str, **kw: Any) -> str:
        """A catalogue key (the core's or a plugin's ``register_texts``) in the chat's locale;
        ``count=n`` picks the plural form."""
        ...


@runtime_checkable
class ChatCommand(Protocol):
    """A ``/name`` command. ``description`` is a text key (``"bonus.help.balance"``, from
    ``register_texts``), so ``/help`` reads in the chat's locale; a plain string (no such
    key) is shown as it is."""

    name: str  # without the slash
    description: str  # a text key, or a plain string
    access: Access

    async def handle(self, ctx: CommandContext, args: str) -> Reply | None:
        """Answer ``/name args`` or a button press whose data starts with ``name:``."""
        ...


@hookspec(firstresult=True)
def format_message(event: Event, chat: ChatRef, locale: str, hub: HubAPI) -> Message | None:
    """Called for each (event, chat) the router chose, inside the event log's transaction, so
    keep it fast and free of I/O. Return the Message to send, or None to let the next
    implementation (and finally the core's default) format it. ``hub.site(event.site)`` gives
    the site's name and time zone. Sync only: ``async def`` fails load."""


@hookspec
def register_channels(hub: HubAPI) -> Sequence[Channel]:
    """Called at start. Return channels (one per configured bot). May be async. A channel's
    update loop and its outbox worker restart with backoff when they raise; a failing
    ``is_group`` / ``limits`` / ``health`` falls back to a safe default."""


@hookspec
def register_commands() -> Sequence[ChatCommand]:
    """Called at start. Return chat commands; a later plugin's command of the same name wins.
    Sync only."""
