"""Guest bot commands and mailings (a fake command context over the test hub)."""

from __future__ import annotations

from datetime import UTC, datetime

import kassa_bonus
import pytest
from kassa.hookspecs.notify import ChatCommand
from kassa.model import Incoming
from kassa_bonus import code128
from kassa_bonus.bot import send_mailing
from kassa_bonus.service import service_for
from kassa_bonus.settings import BonusSettings

pytestmark = pytest.mark.anyio


class Ctx:
    def __init__(self, hub, text="", contact=None, chat="42", update="1"):
        self.hub = hub
        self.locale = "ru"
        self.incoming = Incoming(channel="telegram", update_id=update, chat_id=chat,
                                 user_id=chat, received_at=datetime.now(UTC), text=text,
                                 user_name="Анна", contact_phone=contact)


@pytest.fixture
def cmds():
    found = {c.name: c for c in kassa_bonus.register_commands()}
    assert all(isinstance(c, ChatCommand) for c in found.values())
    return found


async def test_register_card_balance_history_feedback(hub, cmds):
    hub._bonus = BonusSettings(welcome_bonus=10000, managers_chat="telegram:-100500")
    r = await cmds["balance"].handle(Ctx(hub), "")
    assert "не зарегистрированы" in r.text
    r = await cmds["contact"].handle(Ctx(hub, contact="+79161234567"), "+79161234567")
    assert "Вы зарегистрированы" in r.text
    qr, bar = r.attachments
    assert qr.content.startswith(b"\x89PNG") and bar.content.startswith(b"\x89PNG")
    again = await cmds["contact"].handle(Ctx(hub, contact="+79161234567", update="2"),
                                         "+79161234567")
    assert again.text == r.text  # the same guest, bound again
    r = await cmds["balance"].handle(Ctx(hub), "")
    assert "Ваш баланс: 100 баллов." in r.text and "base" in r.text
    r = await cmds["history"].handle(Ctx(hub), "")
    assert "earn" in r.text
    r = await cmds["feedback"].handle(Ctx(hub, update="7"), "суп <холодный>")
    assert "Спасибо" in r.text
    msg, key = hub.sent[-1]
    assert msg.chat.chat_id == "-100500" and "&lt;холодный&gt;" in msg.text
    assert key == "bonus-feedback:telegram:7"


async def test_mailing_respects_consent_groups_and_unsubscribe(hub, cmds):
    svc = await service_for(hub)
    await cmds["contact"].handle(Ctx(hub, chat="1"), "+79161234567")
    await cmds["contact"].handle(Ctx(hub, chat="2"), "+79031112233")
    await svc.register("t", "no-chat", phone="+79035556677", consent=True)
    assert await send_mailing(svc, "m1", "Скидка!") == 2
    assert await send_mailing(svc, "m1", "Скидка!") == 0  # idempotent per key
    await cmds["unsubscribe"].handle(Ctx(hub, chat="2"), "")
    assert await send_mailing(svc, "m2", "Ещё") == 1
    assert await send_mailing(svc, "m3", "VIP", groups=["vip"]) == 0
    assert hub.sent[-1][0].text.endswith("/unsubscribe")


def test_code128_checksum_and_shape():
    # "1234" in set C: start C (105) + 12 + 2*34 = 185 -> 185 % 103 = 82
    assert code128.symbols("1234") == [105, 12, 34, 82, 106]
    # set B "Hi": 104 + 1*40 + 2*73 = 290 -> 84
    assert code128.symbols("Hi") == [104, 40, 73, 84, 106]
    m = code128.modules("1234", quiet=0)
    assert len(m) == 11 * 4 + 13 and m[0] and m[-1]  # starts and ends with a bar
    with pytest.raises(ValueError):
        code128.symbols("ё")


def test_points_read_as_numbers_with_their_plural_form():
    from kassa_bonus.texts import points, say

    def balance(hundredths: int, locale: str = "ru") -> str:
        shown, count = points(hundredths, locale)
        return say(locale, "balance", balance=shown, count=count, level="base")

    assert balance(100) == "Ваш баланс: 1 балл. Уровень: base."
    assert balance(200) == "Ваш баланс: 2 балла. Уровень: base."
    assert balance(2100) == "Ваш баланс: 21 балл. Уровень: base."
    assert balance(130000) == "Ваш баланс: 1\u00a0300 баллов. Уровень: base."
    assert balance(1250) == "Ваш баланс: 12,50 балла. Уровень: base."  # a fraction: "other"
    assert balance(100, "en") == "Your balance: 1 point. Level: base."
    assert balance(130050, "en") == "Your balance: 1,300.50 points. Level: base."
