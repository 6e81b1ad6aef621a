"""Chats: what each chat received, drawn as the messenger shows it; dead letters and retry."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from rich.text import Text
from textual import on
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Label, ListView

from kassa_console.screens.base import ConsoleScreen, run_async
from kassa_console.widgets.message_card import MessageCard
from kassa_console.widgets.table import sync_rows

COLUMNS = ("chat", "channel", "dead", "pending", "sent")
STATES = ("dead", "pending", "sent")  # narrow headers: the list shares the screen


class ChatsScreen(ConsoleScreen):
    TITLE_KEY = "screen.chats"
    AUTO_FOCUS = "#chats"
    BINDINGS = [("x", "toggle_dead", "key.dead"), ("t", "retry", "key.retry")]
    OWN_KEYS_FIRST = True

    def __init__(self) -> None:
        super().__init__()
        self.chat: tuple[str, str] | None = None  # (channel, chat_id) shown on the right
        self.dead_only = False
        self.names: dict[tuple[str, str], str] = {}  # (channel, chat_id) -> the chat's name

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="chats-body"):
            table: DataTable[object] = DataTable(id="chats", cursor_type="row")
            for key in COLUMNS:
                table.add_column(self.t(f"col.{key}_short" if key in STATES else f"col.{key}"),
                                 key=key)
            yield table
            with Vertical(id="chat-pane"):
                yield Label(self.t("chat.pick"), id="chat-title")
                yield ListView(id="messages")

    async def load(self) -> None:
        chats = await self.ask(self.client.chats())
        if chats is not None:
            self.names = {(c.channel, c.chat_id): c.name for c in chats if c.name}
            rows = {f"{c.channel}\x1f{c.chat_id}": (
                c.name or c.chat_id, c.channel,
                Text(str(c.dead), style="bold red" if c.dead else ""), c.pending, c.sent)
                for c in chats}
            sync_rows(self.query_one("#chats", DataTable), rows)
            if self.chat is None and chats and not self.dead_only:
                self.chat = (chats[0].channel, chats[0].chat_id)
        await self._load_messages()

    async def _load_messages(self) -> None:
        if self.dead_only:
            msgs = await self.ask(self.client.outbox_messages(status="dead"))
            title = self.t("chat.dead_title")
        elif self.chat is not None:
            channel, chat_id = self.chat
            msgs = await self.ask(self.client.outbox_messages(channel=channel, chat_id=chat_id))
            name = self.names.get((channel, chat_id))
            title = f"{name} · {channel}" if name else f"{channel}:{chat_id}"
        else:
            return
        if msgs is None:
            return
        self.query_one("#chat-title", Label).update(title if msgs else
                                                    f"{title} — {self.t('chat.none')}")
        view = self.query_one("#messages", ListView)
        keep = view.index
        # oldest at the top, newest at the bottom: as a messenger scrolls
        await view.clear()
        await view.extend(MessageCard(m, self.console.locale, show_chat=self.dead_only)
                          for m in reversed(msgs))
        if msgs:
            view.index = min(keep, len(msgs) - 1) if keep is not None else len(msgs) - 1

    @on(DataTable.RowHighlighted, "#chats")
    def _chat_picked(self, message: DataTable.RowHighlighted) -> None:
        key = message.row_key.value
        if not key:
            return
        channel, chat_id = key.split("\x1f", 1)
        if (channel, chat_id) != self.chat or self.dead_only:
            self.chat, self.dead_only = (channel, chat_id), False
            run_async(self, self._load_messages, group="load", exclusive=True,
                      exit_on_error=False)

    def action_toggle_dead(self) -> None:
        self.dead_only = not self.dead_only
        self.query_one("#messages", ListView).index = None
        self.reload()

    def action_retry(self) -> None:
        item = self.query_one("#messages", ListView).highlighted_child
        if isinstance(item, MessageCard):
            run_async(self, partial(self._retry, item.message.id), group="retry",
                      exit_on_error=False)

    async def _retry(self, message_id: int) -> None:
        if await self.console.attempt(self.client.retry(message_id)):
            self.notify(self.t("chat.retried", id=message_id))
            await self.load()
