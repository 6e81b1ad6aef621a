"""Duplicates a customer notices: a digest retried after a failure is the same message (never a
new fold repeating lines already delivered), and a restart does not forget the budgets."""

from __future__ import annotations

import re

import anyio
import pytest
from kassa.errors import RetryLater
from kassa.model import ChannelLimits, Delivery, Message
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, make_hub

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio

ORDER = re.compile(r"\b(1\d{3})\b")


class Flaky(CaptureChannel):
    """Records every attempt; fails the first digest it is asked to send."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.attempts: list[Message] = []
        self.failed_digest = False

    async def send(self, message: Message) -> Delivery:
        self.attempts.append(message)
        if message.kind == "digest" and not self.failed_digest:
            self.failed_digest = True
            raise RetryLater("flood", after=0.2)
        return await super().send(message)


async def test_a_failed_digest_goes_again_unchanged_and_no_line_repeats(tmp_path):
    ch = Flaky(limits=ChannelLimits(per_chat_per_s=1, per_group_per_min=1000,
                                    per_bot_per_s=1000))
    cfg = {**CONFIG, "chats": [CONFIG["chats"][0]]}
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        for i in range(12):
            await hub.emit(ev(key=f"a{i}", order=f"{1000 + i}"))
        await eventually(lambda: ch.failed_digest, hub=hub)
        for i in range(12, 24):  # more alerts while the digest waits for its retry
            await hub.emit(ev(key=f"a{i}", order=f"{1000 + i}"))
        assert await hub.drain(timeout=30)
    failed = next(m for m in ch.attempts if m.kind == "digest")
    retried = next(m for m in ch.sent if m.kind == "digest")
    assert retried.text == failed.text  # the stored fold, not a new one with more lines
    delivered = [o for m in ch.sent for o in ORDER.findall(m.text)]
    assert sorted(delivered) == [str(1000 + i) for i in range(24)]  # each exactly once


async def test_a_restart_remembers_what_the_group_budget_spent(tmp_path):
    """A group allows 3 messages a minute here; 3 went out just before the restart, so the
    restarted hub must hold the next one back (it sent it at once and met 429s before)."""
    limits = ChannelLimits(per_chat_per_s=1000, per_group_per_min=3, per_bot_per_s=1000)
    cfg = {**CONFIG, "chats": [CONFIG["chats"][0]]}
    first = CaptureChannel(limits=limits)
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[first])]) as hub:
        for i in range(3):
            await hub.emit(ev(key=f"b{i}", order=f"{2000 + i}"))
        await eventually(lambda: len(first.sent) == 3, hub=hub)
        assert await hub.drain(timeout=10)
    again = CaptureChannel(limits=limits)
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[again])]) as hub:
        await hub.emit(ev(key="b3", order="2003"))
        await anyio.sleep(1.5)
        assert again.sent == []  # still within the group's minute
        assert (await hub.outbox.counts())["pending"] == 1
