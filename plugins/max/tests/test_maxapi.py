"""Proof that the simulator speaks the real API: the third-party ``maxapi`` client (test-only
dependency) works against it. ``Bot.set_api_url`` points maxapi at the simulator; no patching."""

import pytest
from maxapi import Bot
from maxapi.enums.parse_mode import ParseMode
from maxapi.types.attachments.attachment import ButtonsPayload
from maxapi.types.attachments.buttons import CallbackButton

pytestmark = pytest.mark.anyio


@pytest.fixture
async def bot(sim):
    b = Bot(token=sim.token, auto_requests=False, auto_check_subscriptions=False)
    b.set_api_url(sim.base_url)
    yield b
    await b.close_session()


async def test_get_me(bot):
    me = await bot.get_me()
    assert me.is_bot and me.username == "kassa_demo_bot" and me.user_id == 229229229


async def test_send_message_with_keyboard_and_press(sim, bot):
    group = sim.world.add_group("Ромашка")
    user = sim.world.add_user("Игорь")
    kb = ButtonsPayload(buttons=[[CallbackButton(text="Смена", payload="rep:shift")]])
    sent = await bot.send_message(chat_id=group.chat_id, text="<b>Смена закрыта</b>",
                                  format=ParseMode.HTML, attachments=[kb.pack()])
    mid = sent.message.body.mid
    assert mid.startswith("mid.") and sent.message.recipient.chat_id == group.chat_id
    assert sim.received(group.chat_id)[0]["text"] == "Смена закрыта"

    callback_id = sim.world.press(group.chat_id, mid, "rep:shift", user.user_id)
    raw = await bot.get_updates(limit=100, timeout=0)
    kinds = [u["update_type"] for u in raw["updates"]]
    assert kinds == ["bot_added", "message_callback"]
    assert raw["updates"][1]["callback"]["callback_id"] == callback_id
    answer = await bot.send_callback(callback_id=callback_id, notification="Формирую…")
    assert answer.success
    assert sim.world.notifications == [{"callback_id": callback_id, "text": "Формирую…"}]
    again = await bot.get_updates(limit=100, timeout=0, marker=raw["marker"])
    assert again["updates"] == []
