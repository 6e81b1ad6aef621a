"""A running test hub with the core's fake register at site s1, its admin API on a free
port, and a capturing chat channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kassa import hookimpl
from kassa.testing import CaptureChannel, FakeClock, make_hub
from kassa.testing.fakes import FakeRegister

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


class Registers:
    def __init__(self, *regs: Any, channel: Any = None) -> None:
        self.regs = list(regs)
        self.channel = channel

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return self.regs

    @hookimpl
    def register_channels(self, hub: Any) -> list[Any]:
        return [self.channel] if self.channel is not None else []


def config(**extra: Any) -> dict[str, Any]:
    site = {"code": "s1", "name": "Невский", "fiscal": "fr1", **extra.pop("site", {})}
    return {"sites": [site, {"code": "s2", "name": "Мойка"}],
            "chats": [{"channel": "capture", "chat_id": "-1", "site": "s1", "users": ["7"],
                       "admins": ["9"], "alerts": ["group:fiscal"]},
                      {"channel": "capture", "chat_id": "-2", "owners": True,
                       "alerts": []}],
            "fiscal": {"poll_interval": 0}, **extra}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def register(tmp_path: Any, clock: FakeClock) -> FakeRegister:
    return FakeRegister("fr1", path=tmp_path / "fr1.db", clock=clock)


@pytest.fixture
def channel() -> CaptureChannel:
    return CaptureChannel()


@pytest.fixture
async def hub(tmp_path: Any, clock: FakeClock, register: FakeRegister,
              channel: CaptureChannel) -> AsyncIterator[Any]:
    async with make_hub(config(), tmp_path, plugins=[Registers(register, channel=channel)],
                        clock=clock, api=True) as h:
        yield h
