"""Incoming updates: polling through the channel, and the simulator's getUpdates rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from kassa.model import Incoming
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.client import BotClient
from kassa_telegram.failures import Conflict
from kassa_telegram.sim import TelegramSim

pytestmark = pytest.mark.anyio


async def take(agen: AsyncIterator[Incoming], n: int = 1) -> list[Incoming]:
    return [await asyncio.wait_for(agen.__anext__(), 5) for _ in range(n)]


async def test_texts_commands_buttons_and_contacts(sim: TelegramSim,
                                                   channel: TelegramChannel) -> None:
    anna = sim.create_user("Анна", last_name="К", phone="+7 999 123-45-67")
    g = sim.create_chat("R1 — алерты", members=[anna.id])
    m = sim.add_message(g, from_bot=True, text="alert",
                        reply_markup={"inline_keyboard": [[{"text": "Z",
                                                            "callback_data": "rep:z"}]]})
    sim.user_says(g.id, anna.id, "/report@kassa_test_bot z  today")
    sim.user_says(g.id, anna.id, "/report@other_bot z")  # someone else's command
    sim.user_says(g.id, anna.id, "just talking")  # privacy mode: never reaches the bot
    sim.press_button(g.id, m.message_id, anna.id, data="rep:z")
    sim.share_contact(anna.id)
    sim.share_contact(anna.id, "+70000000000", own=False)  # a forwarded card
    sim.user_says(anna.id, anna.id, "привет")
    agen = channel.updates()
    cmd, press, contact, hello = await take(agen, 4)
    await agen.aclose()
    assert (cmd.text, cmd.chat_id, cmd.chat_type, cmd.chat_title, cmd.user_name) == (
        "/report z  today", str(g.id), "group", "R1 — алерты", "Анна К")
    assert (press.callback_data, press.message_id, press.text) == ("rep:z", str(m.message_id),
                                                                   None)
    assert press.callback_id in sim.callbacks
    assert (contact.contact_phone, contact.chat_type) == ("+79991234567", "private")
    assert (hello.text, hello.chat_id) == ("привет", str(anna.id))
    assert channel.username == "kassa_test_bot"


async def test_offset_confirms_only_what_the_hub_took(sim: TelegramSim,
                                                      channel: TelegramChannel) -> None:
    u = sim.create_user("Анна")
    for i in range(3):
        sim.user_says(u.id, u.id, f"m{i}")
    agen = channel.updates()
    first = (await take(agen))[0]
    assert first.text == "m0"
    assert sim.updates.pending() == 3  # nothing confirmed until the next poll
    second = (await take(agen))[0]
    await agen.aclose()
    assert second.text == "m1"
    # m1 was handed over but the hub never asked for more: it comes again
    again = channel.updates()
    repeat = (await take(again))[0]
    await again.aclose()
    assert repeat.update_id == second.update_id
    # a new process starts without an offset: the poll with offset m1 confirmed m0 only
    fresh = TelegramChannel(channel.settings, backoff_base=0.01)
    agen = fresh.updates()
    assert (await take(agen))[0].update_id == second.update_id  # the inbox dedups it
    await agen.aclose()
    await fresh.aclose()


async def test_answer_callback_once_and_late_answers_are_ignored(
        sim: TelegramSim, channel: TelegramChannel) -> None:
    u = sim.create_user("Анна")
    m = sim.add_message(sim.chats[u.id], from_bot=True, text="x",
                        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    cq = sim.press_button(u.id, m.message_id, u.id, data="a")
    agen = channel.updates()
    [inc] = await take(agen)
    await agen.aclose()
    await channel.answer_callback(inc, "Формирую отчёт…")
    assert sim.callbacks[cq].answered and sim.callbacks[cq].answer_text == "Формирую отчёт…"
    await channel.answer_callback(inc)  # "query is too old": not an error for the hub


async def test_sim_offsets_negative_limit_and_sticky_filter(sim: TelegramSim,
                                                            client: BotClient) -> None:
    u = sim.create_user("Анна")
    for i in range(5):
        sim.user_says(u.id, u.id, f"m{i}")
    batch = await client.call("getUpdates", {"limit": 2})
    assert [b["message"]["text"] for b in batch] == ["m0", "m1"]
    batch = await client.call("getUpdates", {"offset": batch[-1]["update_id"] + 1})
    assert [b["message"]["text"] for b in batch] == ["m2", "m3", "m4"]
    assert sim.updates.pending() == 3
    batch = await client.call("getUpdates", {"offset": -1})
    assert [b["message"]["text"] for b in batch] == ["m4"]
    assert sim.updates.pending() == 1
    await client.call("getUpdates", {"offset": batch[0]["update_id"] + 1,
                                     "allowed_updates": ["callback_query"]})
    sim.user_says(u.id, u.id, "filtered out")
    assert await client.call("getUpdates", {}) == []  # the filter stuck without resending it


async def test_long_poll_returns_early_and_a_second_poller_terminates_the_first(
        sim: TelegramSim, client: BotClient) -> None:
    u = sim.create_user("Анна")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    waiting = asyncio.create_task(client.get_updates(None, 10, []))
    await asyncio.sleep(0.1)
    sim.user_says(u.id, u.id, "hi")
    assert [x["message"]["text"] for x in await waiting] == ["hi"]
    assert loop.time() - t0 < 2
    first = asyncio.create_task(client.get_updates(10**12, 10, []))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(client.get_updates(10**12, 0, []))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first
    assert await second == []


async def test_updates_expire_after_24_hours(sim: TelegramSim, client: BotClient) -> None:
    u = sim.create_user("Анна")
    sim.user_says(u.id, u.id, "old")
    sim.advance(24 * 3600 + 1)
    assert await client.get_updates(None, 0, []) == []


async def test_blocking_the_bot_emits_my_chat_member(sim: TelegramSim,
                                                     client: BotClient) -> None:
    u = sim.create_user("Анна")
    sim.block_bot(u.id)
    [upd] = await client.get_updates(None, 0, [])
    assert upd["my_chat_member"]["new_chat_member"]["status"] == "kicked"
