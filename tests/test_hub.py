"""The hub end to end: emit -> event log -> router -> outbox -> channel."""

from __future__ import annotations

import re

import anyio
import pytest
from kassa.errors import Permanent, Repair, RetryLater
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, incoming, make_hub

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio


async def test_alert_reaches_site_and_owner_chats(tmp_path):
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        assert await hub.emit(ev()) is True
        assert await hub.drain()
    chats = sorted(m.chat.chat_id for m in ch.sent)
    assert chats == ["-1", "-2"]
    text = ch.sent[0].text
    assert "Удаление чека" in text and "Суши на Невском" in text and "290,00\xa0₽" in text


async def test_duplicate_emit_is_a_counted_noop(tmp_path):
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        assert await hub.emit(ev(key="same")) is True
        assert await hub.emit(ev(key="same")) is False
        await hub.drain()
        assert hub.log.duplicates == 1
        assert len(await hub.events()) == 1
    assert len(ch.sent) == 2  # one per chat, not two


async def test_unrouted_kind_is_kept_but_sends_nothing(tmp_path):
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        assert await hub.emit(ev(kind="retail_scale_tared", key="x"))
        await hub.drain()
        assert [e.kind for e in await hub.events()] == ["retail_scale_tared"]
    assert ch.sent == []


async def test_html_in_names_is_escaped(tmp_path):
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev(employee="<b>Вася</b>&"))
        await hub.drain()
    assert "&lt;b&gt;Вася&lt;/b&gt;&amp;" in ch.sent[0].text


async def test_channel_failures_retry_then_deliver_in_order(tmp_path):
    ch = CaptureChannel()
    ch.fail_next(RetryLater("429", after=0.05), times=2)
    cfg = {**CONFIG, "outbox": {"base_delay": 0.01, "max_delay": 0.05}}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        for i in range(5):
            await hub.emit(ev(key=f"k{i}", order=str(i)))
        assert await hub.drain(timeout=20)
    got = [m.text.split("Заказ: ")[1].split("\n")[0] for m in ch.sent if m.chat.chat_id == "-1"]
    assert got == ["0", "1", "2", "3", "4"]


async def test_permanent_failure_is_a_dead_letter_and_can_be_replayed(tmp_path):
    ch = CaptureChannel()
    ch.fail_next(Permanent("bot was kicked"), times=1)
    cfg = {**CONFIG, "chats": [CONFIG["chats"][0]]}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev())
        await hub.drain(timeout=20)
        counts = await hub.outbox.counts()
        assert counts["dead"] == 1 and ch.sent == []
        from kassa.store.tables import OutboxRow
        from sqlalchemy import select
        from sqlmodel import col
        async with hub.store.read() as conn:
            row = (await conn.execute(select(col(OutboxRow.id),
                                             col(OutboxRow.last_error)))).first()
        assert row is not None
        assert row.last_error == "bot was kicked"
        assert await hub.outbox.retry(row.id) == "ok"
        assert await hub.drain(timeout=20)
    assert len(ch.sent) == 1


async def test_repair_moves_chat_and_pending_messages(tmp_path):
    ch = CaptureChannel()
    ch.fail_next(Repair("migrated", changes={"chat_id": "-1009"}))
    cfg = {**CONFIG, "chats": [CONFIG["chats"][0]]}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev(key="a"))
        assert await hub.drain(timeout=20)
        await hub.emit(ev(key="b"))
        assert await hub.drain(timeout=20)
    assert [m.chat.chat_id for m in ch.sent] == ["-1009", "-1009"]


async def test_stranger_gets_polite_refusal_only(tmp_path):
    """One refusal per stranger per period, then silence: ten commands from a stranger must
    not spend ten messages of the group's budget."""
    from kassa.commands import REFUSAL_PERIOD
    from kassa.testing import FakeClock

    ch, clock = CaptureChannel(), FakeClock()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])],
                        clock=clock) as hub:
        for i, cmd in enumerate(["/report", "/status", "/help", "/nonsense"] * 3):
            await ch.push(incoming(cmd, chat_id="777", user_id="5", update_id=f"s{i}"))
        await ch.push(incoming("/status", chat_id="778", user_id="6", update_id="other"))
        await eventually(lambda: hub.commands.refused >= 13, hub=hub)
        await eventually(lambda: len(ch.sent) >= 2, hub=hub)
        assert await hub.drain(timeout=20)
        assert len(ch.sent) == 2  # one for each stranger
        clock.advance(REFUSAL_PERIOD.total_seconds() + 1)
        await ch.push(incoming("/status", chat_id="777", user_id="5", update_id="later"))
        await eventually(lambda: len(ch.sent) >= 3, hub=hub)
    assert len(ch.sent) == 3
    assert all("не подключён" in m.text for m in ch.sent)
    assert all("Невском" not in m.text for m in ch.sent)


async def test_burst_is_coalesced_into_digests_nothing_dropped(tmp_path):
    from kassa.model import ChannelLimits

    ch = CaptureChannel(limits=ChannelLimits(per_chat_per_s=2, per_group_per_min=1000,
                                             per_bot_per_s=1000))
    cfg = {**CONFIG, "chats": [CONFIG["chats"][0]]}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        for i in range(60):
            await hub.emit(ev(key=f"b{i}", order=f"{1000 + i}"))
        assert await hub.drain(timeout=20)
        counts = await hub.outbox.counts()
    assert counts["dead"] == 0 and counts["merged"] > 0
    assert len(ch.sent) < 20  # far fewer messages than events
    everything = "\n".join(ch.texts())
    assert all(f"№{1000 + i}" in everything or f"Заказ: {1000 + i}" in everything
               for i in range(60))
    # a digest's headline: "N событие/события/событий за M мин" (the form follows N)
    assert any(re.search(r"\d+ событи[еяй] за \d+ мин", t) for t in ch.texts())


async def test_restart_neither_loses_nor_repeats_a_command(tmp_path):
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await ch.push(incoming("/status", chat_id="-1", update_id="u1"))
        await eventually(lambda: ch.sent, hub=hub)
    assert len(ch.sent) == 1
    again = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[again])]) as hub:
        await again.push(incoming("/status", chat_id="-1", update_id="u1"))  # re-delivered
        await hub.drain(timeout=0.5)
    assert again.sent == []


async def test_link_token_binds_a_chat_once(tmp_path):
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        token = await hub.commands.create_link("s2")
        await ch.push(incoming(f"/start {token}", chat_id="-55", user_id="3"))
        await ch.push(incoming(f"/start {token}", chat_id="-56", user_id="3"))
        await eventually(lambda: len(ch.sent) >= 2, hub=hub)
        await hub.emit(ev(site="s2", key="z"))
        await hub.drain()
    assert "Суши на Мойке" in ch.texts("-55")[0]
    assert "недействительна" in ch.texts("-56")[0]
    assert any("Удаление чека" in t for t in ch.texts("-55"))
    assert not any("Удаление чека" in t for t in ch.texts("-56"))


async def test_plugin_transaction_and_spawned_job(tmp_path):
    """A plugin writes its own row and a message in one transaction; a job runs until stop."""
    from kassa.model import ChatRef, Message
    from sqlalchemy import text

    ch = CaptureChannel()
    ticks: list[int] = []
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        async with hub.transaction() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS acme (n INTEGER)"))
        try:
            async with hub.transaction() as conn:
                await conn.execute(text("INSERT INTO acme VALUES (1)"))
                await hub.send(Message(chat=ChatRef("capture", "-1"), text="lost?"), key="x1",
                               conn=conn)
                raise RuntimeError("the plugin fails before commit")
        except RuntimeError:
            pass
        async with hub.transaction() as conn:
            await conn.execute(text("INSERT INTO acme VALUES (2)"))
            await hub.send(Message(chat=ChatRef("capture", "-1"), text="kept"), key="x2",
                           conn=conn)

        async def job() -> None:
            while True:
                ticks.append(1)
                await anyio.sleep(0.01)

        hub.spawn(job, name="acme-ticker")
        await hub.drain(timeout=20)
        async with hub.store.read() as conn:
            rows = (await conn.execute(text("SELECT n FROM acme"))).scalars().all()
    assert rows == [2]  # the failed transaction left neither its row nor its message
    assert ch.texts() == ["kept"] and len(ticks) > 3


async def test_a_digest_that_dies_is_replayed_whole(tmp_path):
    """A digest is folded at send time; if the chat rejects it for good, the dead letter is
    the digest itself (its rows merged into it), so one replay delivers every event."""
    await check_dead_digest_replays(tmp_path)


async def check_dead_digest_replays(tmp_path, **extra):
    """(Also run on PostgreSQL by the integration session.)"""
    from kassa.model import ChannelLimits
    from kassa.store.tables import OutboxRow
    from sqlalchemy import select
    from sqlmodel import col

    ch = CaptureChannel(limits=ChannelLimits(per_chat_per_s=1, per_group_per_min=1000,
                                             per_bot_per_s=1000))
    cfg = {**CONFIG, "chats": [CONFIG["chats"][0]], **extra}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev(key="first", order="100"))
        await eventually(lambda: len(ch.sent) == 1, hub=hub)
        ch.fail_next(Permanent("bot was kicked"))  # the next send: the digest
        for i in range(5):
            await hub.emit(ev(key=f"d{i}", order=f"{200 + i}"))
        assert await hub.drain(timeout=20)
        counts = await hub.outbox.counts()
        assert counts["dead"] == 1 and counts["merged"] == 4 and len(ch.sent) == 1
        async with hub.store.read() as conn:
            dead = (await conn.execute(select(col(OutboxRow.id), col(OutboxRow.kind)).where(
                col(OutboxRow.status) == "dead"))).one()
        assert dead.kind == "digest"
        assert await hub.outbox.retry(dead.id) == "ok"
        assert await hub.drain(timeout=20)
    assert len(ch.sent) == 2
    assert all(f"№{200 + i}" in ch.sent[1].text for i in range(5))


async def test_batches_merged_into_one_commit_keep_duplicates_apart(tmp_path):
    """The event log commits every batch prepared meanwhile in one transaction: a key both
    batches carry is new once, and each caller learns which of its events were new."""
    async with make_hub(CONFIG, tmp_path) as hub:
        first = hub.log.prepare([ev(key="a"), ev(key="b")])
        second = hub.log.prepare([ev(key="b"), ev(key="c"), ev(key="c")])
        result = await hub.log.commit(first.merged(second))
        assert [seq is not None for seq in result] == [True, True, False, True, False]
        assert sorted(e.source_key for e in await hub.events()) == ["a", "b", "c"]
        assert await hub.log.commit(hub.log.prepare([ev(key="a")])) == [None]


async def test_shutdown_waits_for_events_already_handed_over(tmp_path, monkeypatch):
    """Events a source handed over are written before the hub stops, even if the source is
    cancelled while waiting and the batch is still between prepare and commit."""
    async with make_hub(CONFIG, tmp_path) as hub:
        commit = hub.log.commit

        async def slow_commit(prepared):  # a slow disk: the batch waits before its write
            await anyio.sleep(0.3)
            return await commit(prepared)

        monkeypatch.setattr(hub.log, "commit", slow_commit)
        async def publish(e: object) -> None:  # emit returns an Awaitable; start_soon: a coroutine
            await hub.emit(e)  # type: ignore[arg-type]

        async with anyio.create_task_group() as tg:
            for i in range(300):
                tg.start_soon(publish, ev(kind="retail_scale_tared", key=f"s{i}"))
            await anyio.sleep(0.05)  # handed over, not yet committed
            tg.cancel_scope.cancel()
    async with make_hub(CONFIG, tmp_path) as hub:
        keys = {e.source_key for e in await hub.events()}
    assert keys == {f"s{i}" for i in range(300)}


async def test_the_same_event_delivered_twice_is_new_once(tmp_path):
    """A bus may deliver the very same event (same id) again, e.g. NATS after a crash before
    the ack: the second delivery is a duplicate, not a second new event for on_event."""
    await check_same_event_twice(tmp_path)


async def check_same_event_twice(tmp_path, **extra):
    """(Also run on PostgreSQL by the integration session.)"""
    async with make_hub({**CONFIG, **extra}, tmp_path) as hub:
        e = ev(key="again")
        assert await hub.emit(e) is True
        assert await hub.emit(e) is False
        assert hub.log.duplicates == 1 and hub.log.written == 1
