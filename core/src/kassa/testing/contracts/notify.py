"""``ChannelContract`` and ``EventSourceContract``: what the outbox and the event log rely
on from a messenger bot and from a source of facts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from kassa.model import ChannelLimits, ChatRef, Delivery, Event, Message
from kassa.testing.contracts.base import ComponentContract


class ChannelContract(ComponentContract):
    """Subclass with ``make_channel = staticmethod(factory)`` and ``chat`` a chat the channel
    can send to (a simulator's, in tests). ``push_update(channel, text)`` makes the far end
    send the bot a message (skipped unless given, or the channel has ``push``)."""

    factory: ClassVar[str] = "make_channel"
    concern: ClassVar[str] = "channel"
    chat = ChatRef(channel="capture", chat_id="-100")

    async def push_update(self, channel: Any, text: str) -> None:
        if not hasattr(channel, "push"):
            pytest.skip("give the suite a push_update(channel, text) probe")
        from kassa.testing import incoming

        await channel.push(incoming(text, chat_id=self.chat.chat_id, channel=channel.name))

    @asynccontextmanager
    async def harness(self, tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
        async with super().harness(tmp_path) as (ch, journal):
            try:
                yield ch, journal
            finally:
                close = getattr(ch, "aclose", None)
                if close is not None:
                    await close()

    async def test_limits_are_typed_and_positive(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (ch, _):
            lim = ch.limits
            assert isinstance(lim, ChannelLimits)
            assert lim.per_chat_per_s > 0 and lim.per_group_per_min > 0
            assert lim.per_bot_per_s > 0 and lim.max_text > 0

    async def test_send_answers_a_delivery(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (ch, _):
            d = await ch.send(Message(chat=self.chat, text="Контракт: проверка"))
            assert isinstance(d, Delivery) and d.remote_id, "a delivery names the message"
            assert d.sent_at is None or d.sent_at.tzinfo is not None, "sent_at is tz-aware"

    async def test_a_long_text_is_split_by_the_channel(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (ch, _):
            text = "строка\n" * (ch.limits.max_text // 3)
            assert isinstance(await ch.send(Message(chat=self.chat, text=text)), Delivery)

    async def test_health_and_is_group(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (ch, _):
            h = ch.health()
            assert isinstance(h, dict) and isinstance(h.get("online"), bool)
            assert isinstance(ch.is_group(self.chat), bool)

    async def test_updates_yield_what_the_far_end_sent(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (ch, _):
            await self.push_update(ch, "/status")
            with anyio.fail_after(10):
                async for inc in ch.updates():
                    assert inc.text == "/status" and inc.update_id
                    assert inc.received_at.tzinfo is not None
                    break


class EventSourceContract(ComponentContract):
    """Subclass with ``make_source = staticmethod(factory)`` returning a source that will
    produce at least ``expected`` facts once run (against its simulator, in tests). Two
    sources made by the factory see the same far end, as a restart would."""

    factory: ClassVar[str] = "make_source"
    concern: ClassVar[str] = "source"
    expected = 1
    within = 20.0  # seconds to wait for them

    async def collect(self, src: Any, *, answer: bool = True) -> list[Event]:
        got: list[Event] = []

        async def emit(event: Event) -> bool:
            got.append(event)
            return answer

        with anyio.move_on_after(self.within):
            async with anyio.create_task_group() as tg:
                tg.start_soon(src.run, emit)
                while len(got) < self.expected:  # noqa: ASYNC110 (emit has no event)
                    await anyio.sleep(0.02)
                tg.cancel_scope.cancel()
        return got

    async def test_events_are_well_formed(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (src, _):
            assert isinstance(src.name, str) and isinstance(src.site, str)
            got = await self.collect(src)
            assert len(got) >= self.expected, f"{len(got)} events in {self.within} s"
            for e in got:
                assert isinstance(e, Event) and e.source_key and e.kind
                assert e.occurred_at.tzinfo is not None, "occurred_at is tz-aware"
            h = src.health()
            assert isinstance(h, dict) and isinstance(h.get("online"), bool)

    async def test_a_fact_delivered_again_keeps_its_source_key(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (src, _):
            first = await self.collect(src, answer=False)  # every emit "a duplicate"
        async with self.harness(tmp_path) as (again, _):
            second = await self.collect(again)
        keys = {(e.site, e.kind, e.occurred_at): e.source_key for e in first}
        common = [e for e in second if (e.site, e.kind, e.occurred_at) in keys]
        assert all(keys[(e.site, e.kind, e.occurred_at)] == e.source_key for e in common), \
            "the same fact must carry the same source_key, or the event log keeps both"

    async def test_cancellation_stops_it_promptly(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (src, _):

            async def emit(event: Event) -> bool:
                return True

            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(src.run, emit)
                    await anyio.sleep(0.2)
                    tg.cancel_scope.cancel()
