"""TelegramChannel.send against the simulator: what each chat actually receives."""

from __future__ import annotations

from typing import Any

import pytest
from kassa.errors import Permanent, Repair, RetryLater
from kassa.model import Attachment, Button, ChatRef, Message
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.markup import utf16_len
from kassa_telegram.sim import TelegramSim

pytestmark = pytest.mark.anyio
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def msg(chat_id: int, text: str, **kw: Any) -> Message:
    thread = kw.pop("thread_id", None)
    return Message(chat=ChatRef("telegram", str(chat_id), thread), text=text, **kw)


async def test_limits_declared() -> None:
    lim = TelegramChannel.limits
    assert (lim.per_chat_per_s, lim.per_group_per_min, lim.per_bot_per_s, lim.max_text,
            lim.max_callback_data) == (1, 20, 30, 4096, 64)


async def test_escaped_values_arrive_as_text(sim: TelegramSim, channel: TelegramChannel) -> None:
    g = sim.create_chat("R1")
    d = await channel.send(msg(g.id, "<b>Удаление</b> блюда: &lt;Стейк &amp; соус&gt;"))
    [m] = sim.received(g.id)
    assert m.text == "Удаление блюда: <Стейк & соус>"
    assert m.entities == [{"offset": 0, "length": 8, "type": "bold"}]
    assert d.remote_id == str(m.message_id) and d.sent_at is not None


async def test_long_text_is_split_in_order_with_buttons_on_the_last(
        sim: TelegramSim, channel: TelegramChannel) -> None:
    g = sim.create_chat("R1")
    rows = "\n".join(f"<b>{i:04}</b> Стейк рибай 😀 ×1 — 2 450 ₽" for i in range(400))
    d = await channel.send(msg(g.id, rows, buttons=[[Button("Ещё", data="rep:more")]]))
    got = sim.received(g.id)
    assert len(got) >= 4
    assert all(utf16_len(m.text) <= 4096 for m in got)
    assert "".join(m.text for m in got).replace("\n", "") == \
        rows.replace("<b>", "").replace("</b>", "").replace("\n", "")
    assert [m.buttons for m in got[:-1]] == [[]] * (len(got) - 1)
    assert got[-1].buttons == [[("Ещё", "rep:more")]]
    assert d.remote_id == str(got[-1].message_id)


async def test_too_long_callback_data_is_refused_before_the_wire(
        sim: TelegramSim, channel: TelegramChannel) -> None:
    g = sim.create_chat("R1")
    with pytest.raises(Permanent, match="65 bytes"):
        await channel.send(msg(g.id, "x", buttons=[[Button("b", data="é" * 32 + "x")]]))
    assert sim.received(g.id) == [] and sim.calls == []


async def test_files_with_caption_thread_and_silence(sim: TelegramSim,
                                                     channel: TelegramChannel) -> None:
    g = sim.create_chat("Владельцы", forum=True)
    topic = sim.add_topic(g.id, "r1")
    report = Attachment("z.csv", b"a;b\n1;2\n", "text/csv")
    photo = Attachment("chart.png", PNG, "image/png", kind="photo", caption="<i>график</i>")
    await channel.send(msg(g.id, "<b>Z-отчёт</b>", attachments=(report,), thread_id=str(topic),
                           silent=True))
    await channel.send(msg(g.id, "Итоги", attachments=(report, photo)))
    first, text, doc, pic = sim.received(g.id)
    assert first.file is not None and first.file.content == report.content
    assert (first.text, first.thread_id, first.silent) == ("Z-отчёт", topic, True)
    assert text.text == "Итоги" and doc.file is not None and doc.text == ""
    assert pic.file is not None and pic.file.kind == "photo" and pic.text == "график"


async def test_unknown_topic_is_permanent(sim: TelegramSim, channel: TelegramChannel) -> None:
    g = sim.create_chat("Владельцы", forum=True)
    with pytest.raises(Permanent, match="message thread not found"):
        await channel.send(msg(g.id, "x", thread_id="1"))  # General topic: omit the id instead


async def test_edit_and_not_modified_is_success(sim: TelegramSim,
                                                channel: TelegramChannel) -> None:
    g = sim.create_chat("R1")
    first = await channel.send(msg(g.id, "Выберите отчёт", buttons=[[Button("Z", data="z")]]))
    again = msg(g.id, "Формирую…", edit_of=first.remote_id)
    assert (await channel.send(again)).remote_id == first.remote_id
    assert (await channel.send(again)).remote_id == first.remote_id  # identical: not modified
    [m] = sim.received(g.id)
    assert (m.text, m.buttons, m.edits) == ("Формирую…", [], 1)


async def test_edit_of_a_deleted_message_sends_anew(sim: TelegramSim,
                                                    channel: TelegramChannel) -> None:
    g = sim.create_chat("R1")
    await channel.send(msg(g.id, "x", edit_of="999"))
    assert [m.text for m in sim.received(g.id)] == ["x"]


async def test_migration_repair_then_send_to_new_id(sim: TelegramSim,
                                                    channel: TelegramChannel) -> None:
    g = sim.create_chat("R1", type="group")
    new_id = sim.migrate_group(g.id)
    with pytest.raises(Repair) as err:
        await channel.send(msg(g.id, "x"))
    await channel.send(msg(int(err.value.changes["chat_id"]), "x"))
    assert [m.text for m in sim.received(new_id)] == ["x"]


async def test_refused_markup_falls_back_to_plain_text(sim: TelegramSim,
                                                       channel: TelegramChannel) -> None:
    u = sim.create_user("Анна")
    await channel.send(msg(u.id, '<span class="x">a</span> <b>b</b> &lt;c&gt;'))
    [m] = sim.received(u.id)
    assert (m.text, m.entities) == ("a b <c>", [])


async def test_retry_after_a_partial_send_does_not_repeat_parts(
        sim: TelegramSim, channel: TelegramChannel) -> None:
    g = sim.create_chat("R1")
    message = msg(g.id, "\n".join(f"{i:03} " + "строка " * 10 for i in range(150)))
    sim.faults.add("server_error", method="sendMessage", skip=1)  # part 2 fails
    with pytest.raises(RetryLater):
        await channel.send(message)
    assert len(sim.received(g.id)) == 1
    await channel.send(message)  # the outbox retries the same message
    texts = [m.text for m in sim.received(g.id)]
    assert len(texts) == len(set(texts)) >= 3
