"""Kitchen and service tickets by the same filters as chats: the printers are a notification
channel (``escpos``), so a ``[[chats]]`` row with ``channel = "escpos"`` and the printer's
name as ``chat_id`` gets what its rules select (``alerts = ["service_print"]``,
``service_print`` patterns on the ticket's text, printer and category, ``site``...), exactly
as a Telegram chat would. The outbox delivers each message once and retries it; the print
itself goes through ``hub.devices.print`` under a key of the message, so a retry after a lost
answer is the journal's no-op, never a second ticket."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
from kassa.errors import Permanent, UserError
from kassa.model import ChannelLimits, ChatRef, Delivery, Incoming, Message, PrintJob

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|blockquote|pre|li)>", re.I)


def ticket_lines(text: str) -> tuple[str, ...]:
    """A message's HTML as the lines a printer prints (tags dropped, entities decoded)."""
    plain = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
    lines = [ln.rstrip() for ln in plain.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return tuple(lines)


def ticket_key(message: Message) -> str:
    """The journal key of a message's ticket: the event's id (one ticket per event and
    printer), else the text's digest (a report or a digest)."""
    what = message.event_id or hashlib.sha256(message.text.encode()).hexdigest()[:32]
    return f"escpos-chat:{message.chat.chat_id}:{what}"


class PrinterChannel:
    """Every configured ESC/POS printer as a chat of the ``escpos`` channel."""

    name = "escpos"
    # one ticket per event: never folded into a digest by a budget (a printer has none)
    limits = ChannelLimits(per_chat_per_s=50.0, per_group_per_min=100_000,
                           per_bot_per_s=200.0, max_text=100_000)

    def __init__(self, hub: Any, sites: dict[str, str]) -> None:
        self.hub = hub
        self.sites = sites  # printer name -> its site
        self.printed = 0

    async def send(self, message: Message) -> Delivery:
        printer = message.chat.chat_id
        site = self.sites.get(printer)
        if site is None:
            raise Permanent(f"no [[escpos.printers]] is named {printer!r} (a [[chats]] row of"
                            " channel escpos names a printer)")
        if not site:
            raise Permanent(f"printer {printer!r} has no site: set site in [[escpos.printers]]")
        key = ticket_key(message)
        try:
            await self.hub.devices.print(PrintJob(lines=ticket_lines(message.text)), key=key,
                                         site=site, printer=printer)
        except UserError as exc:  # the job can never print as it is: not worth retrying
            raise Permanent(str(exc)) from exc
        self.printed += 1
        return Delivery(remote_id=key, sent_at=self.hub.clock.now())

    async def updates(self) -> AsyncIterator[Incoming]:
        await anyio.sleep_forever()  # printers never write to the hub
        return
        yield  # pragma: no cover  (makes this an async generator)

    async def answer_callback(self, incoming: Incoming, text: str | None = None) -> None:
        return None

    def is_group(self, chat: ChatRef) -> bool:
        return False

    def health(self) -> dict[str, Any]:
        return {"online": True, "printers": len(self.sites), "tickets": self.printed}
