"""Service and kitchen tickets by the same [[chats]] filters as a messenger: the printers are
the ``escpos`` channel; each selected event prints once (the journal under the message's key),
others never reach paper."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kassa_escpos
import pytest
from kassa import hookimpl
from kassa.model import ChatRef, Event, EventKindSpec, Message
from kassa.testing import make_hub
from kassa_escpos.channel import PrinterChannel, ticket_key, ticket_lines
from kassa_escpos.sim import EscposSimulator

from .test_hub import FAST, config

pytestmark = pytest.mark.anyio


class PrintoutKind:
    """What the r_keeper plugin declares for its service prints (a printout kind)."""

    @hookimpl
    def register_event_kinds(self) -> list[EventKindSpec]:
        return [EventKindSpec("service_print", title={"ru": "Сервисная печать",
                                                      "en": "Service print"},
                              printout=True, template={"ru": "{text}", "en": "{text}"})]


def printed(sim: EscposSimulator) -> list[str]:
    return [" / ".join(ln.text for ln in t.lines) for t in sim["kitchen"].paper.tickets]


def kitchen_config(sim: EscposSimulator, **chat: Any) -> dict[str, Any]:
    cfg = config(sim)
    cfg["chats"] = [{"channel": "escpos", "chat_id": "kitchen", "site": "s1",
                     "alerts": ["service_print"], **chat}]
    return cfg


def ticket(n: int, text: str, printer: str) -> Event:
    return Event.of(site="s1", kind="service_print", source_key=f"sp-{n}",
                    occurred_at=datetime.now(UTC), text=text, table="5",
                    data={"printer": printer})


async def test_a_kitchen_chat_prints_what_its_filters_select_once(sim: EscposSimulator,
                                                                  tmp_path: Path) -> None:
    cfg = kitchen_config(sim, service_print=["Кухня"])
    async with make_hub(cfg, tmp_path, plugins=[kassa_escpos, PrintoutKind()],
                        backoff=FAST) as hub:
        await hub.emit(ticket(1, "Стол 5\n2 x Борщ", "Кухня"))
        await hub.emit(ticket(2, "Стол 5\n1 x Мохито", "Бар"))  # not this printer's
        await hub.emit(ticket(1, "Стол 5\n2 x Борщ", "Кухня"))  # the same push again
        assert await hub.drain(timeout=20)
    lines = printed(sim)
    assert len(lines) == 1, lines
    assert "2 x Борщ" in lines[0] and "Мохито" not in lines[0]


async def test_a_resent_message_is_the_journals_no_op(sim: EscposSimulator,
                                                      tmp_path: Path) -> None:
    """The outbox resends a message whose answer it lost: the same key, no second ticket."""
    async with make_hub(config(sim), tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        (channel,) = [c for c in hub.channels.values() if c.name == "escpos"]
        assert isinstance(channel, PrinterChannel)
        msg = Message(chat=ChatRef("escpos", "kitchen"), text="<b>Стол 7</b>\n1 x Чай",
                      event_id="e-7")
        first = await channel.send(msg)
        again = await channel.send(msg)
        assert first.remote_id == again.remote_id == ticket_key(msg)
    assert sim["kitchen"].paper.keys() == {ticket_key(msg): 1}


def test_html_becomes_the_lines_a_printer_prints() -> None:
    assert ticket_lines("<b>Сервисная печать</b>\nСтол 5<br>2 x Борщ &amp; хлеб\n\n") == (
        "Сервисная печать", "Стол 5", "2 x Борщ & хлеб")


async def test_a_chat_naming_an_unknown_printer_is_refused_for_good(sim: EscposSimulator,
                                                                     tmp_path: Path) -> None:
    from kassa.errors import Permanent

    async with make_hub(config(sim), tmp_path, plugins=[kassa_escpos], backoff=FAST) as hub:
        (channel,) = [c for c in hub.channels.values() if c.name == "escpos"]
        with pytest.raises(Permanent, match=re.escape("no [[escpos.printers]] is named 'bar'")):
            await channel.send(Message(chat=ChatRef("escpos", "bar"), text="x"))
    assert sim["kitchen"].paper.tickets == []
