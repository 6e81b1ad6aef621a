"""``/x`` and ``/z`` from a chat: allowed users and admins only, a site's chat or the owners'
naming the site, one Russian sentence for every refusal, one print per update."""

from __future__ import annotations

from typing import Any

import pytest
from kassa.model import Cashier
from kassa.testing import eventually, incoming

pytestmark = pytest.mark.anyio


def replies(channel: Any, chat: str) -> list[str]:
    return [m.text for m in channel.sent if m.kind == "reply" and m.chat.chat_id == chat]


async def say(hub: Any, channel: Any, text: str, *, user: str, chat: str = "-1",
              update: str | None = None) -> str:
    before = len(replies(channel, chat))
    await channel.push(incoming(text, chat_id=chat, user_id=user, update_id=update))
    await eventually(lambda: len(replies(channel, chat)) > before, hub=hub)
    return replies(channel, chat)[-1]


async def test_x_for_allowed_users_z_for_admins(hub, channel, register):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
    assert await say(hub, channel, "/x", user="7") == \
        "X-отчёт напечатан на кассе «fr1» (смена №1)."
    stranger = await say(hub, channel, "/x", user="5")
    assert stranger.startswith("Этот чат не подключён к Kassa или у вас нет доступа")
    refused = await say(hub, channel, "/z", user="7")  # a user, not an admin
    assert refused.startswith("Этот чат не подключён к Kassa или у вас нет доступа")
    assert register.effects("x_report") == 1 and register.effects("shift_close") == 0
    assert await say(hub, channel, "/z", user="9") == \
        "Смена №1 закрыта на кассе «fr1», Z-отчёт напечатан (ФД №2)."
    assert await say(hub, channel, "/x", user="7") == \
        "Смена на кассе «fr1» закрыта: сначала откройте смену."


async def test_the_owners_chat_names_the_site(hub, channel, register):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
    assert await say(hub, channel, "/x", user="1", chat="-2") == \
        "Укажите точку: /x КОД (точки: s1, s2)."
    assert await say(hub, channel, "/x zz", user="1", chat="-2") == \
        "Точки с кодом «zz» нет в kassa.toml."
    assert await say(hub, channel, "/x s2", user="1", chat="-2") == \
        "Для точки «s2» не настроена касса."
    assert await say(hub, channel, "/x s1", user="1", chat="-2") == \
        "X-отчёт напечатан на кассе «fr1» (смена №1)."


async def test_a_redelivered_update_prints_once(hub, channel, register):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
    await say(hub, channel, "/x", user="7", update="u-1")
    await channel.push(incoming("/x", chat_id="-1", user_id="7", update_id="u-1"))
    await hub.drain()
    assert register.effects("x_report") == 1
    assert len(replies(channel, "-1")) == 1


async def test_help_lists_them_in_russian(hub, channel):
    text = await say(hub, channel, "/help", user="7")
    assert "/x — X-отчёт на кассе точки" in text and "/z — закрыть смену кассы" in text
