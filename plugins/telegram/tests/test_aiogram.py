"""aiogram (test-only) talks to the simulator as to Telegram: proof the sim speaks the real API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from kassa_telegram.sim import TelegramSim

pytestmark = pytest.mark.anyio


@pytest.fixture
async def bot(sim: TelegramSim) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sim.base_url))
    b = Bot(sim.token, session=session)
    yield b
    await session.close()


async def test_aiogram_round_trip(sim: TelegramSim, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (sim.bot.id, "kassa_test_bot", True)
    anna = sim.create_user("Анна")
    g = sim.create_chat("R1", members=[anna.id])
    kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Z",
                                                                     callback_data="rep:z")]])
    sent = await bot.send_message(g.id, "<b>Смена</b> закрыта &amp; выручка", parse_mode="HTML",
                                  reply_markup=kb)
    assert sent.chat.id == g.id and sent.text == "Смена закрыта & выручка"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    doc = await bot.send_document(g.id, BufferedInputFile(b"1;2\n", "z.csv"), caption="Z")
    assert doc.document is not None and doc.document.file_name == "z.csv"
    sim.user_says(g.id, anna.id, "/report")
    sim.press_button(g.id, sent.message_id, anna.id, data="rep:z")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None and updates[0].message.text == "/report"
    cq = updates[1].callback_query
    assert cq is not None and cq.data == "rep:z" and cq.message is not None
    assert await bot.answer_callback_query(cq.id, text="Формирую…") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(cq.id)
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []
    edited = await bot.edit_message_text("Готово", chat_id=g.id, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Готово"


async def test_aiogram_sees_telegram_errors(sim: TelegramSim, bot: Bot) -> None:
    sim.limiter.enabled = True
    anna = sim.create_user("Анна")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-100123, "x")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(anna.id, "<ul>", parse_mode="HTML")
    old = sim.create_chat("R2", type="group", members=[anna.id])
    new_id = sim.migrate_group(old.id)
    with pytest.raises(TelegramMigrateToChat) as mig:
        await bot.send_message(old.id, "x")
    assert mig.value.migrate_to_chat_id == new_id
    sim.block_bot(anna.id)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(anna.id, "x")
    g = sim.create_chat("R3")
    with pytest.raises(TelegramRetryAfter) as flood:
        for _ in range(5):
            await bot.send_message(g.id, "x")
    assert flood.value.retry_after == 1
    sim.revoke_token()
    with pytest.raises(TelegramUnauthorizedError):
        await bot.get_me()
