from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kassa_escpos.printer import EscposPrinter
from kassa_escpos.settings import PrinterSettings
from kassa_escpos.sim import EscposSimulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[EscposSimulator]:
    s = EscposSimulator([("kitchen", "s1"), ("bar", "s1")])
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def settings_for(sim: EscposSimulator, name: str = "kitchen", **kw: Any) -> PrinterSettings:
    kw.setdefault("status_timeout", 0.5)
    kw.setdefault("connect_timeout", 1.0)
    kw.setdefault("write_timeout", 1.0)
    kw.setdefault("status_interval", 0)
    return PrinterSettings(name=name, host="127.0.0.1", port=sim[name].port, site="s1", **kw)


@pytest.fixture
async def printer(sim: EscposSimulator) -> AsyncIterator[EscposPrinter]:
    p = EscposPrinter(settings_for(sim))
    await p.start()
    try:
        yield p
    finally:
        await p.stop()
