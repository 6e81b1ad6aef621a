from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kassa_ofd.client import OfdClient
from kassa_ofd.settings import OfdSettings
from kassa_ofd.sim import OfdSimulator

FIXTURES = Path(__file__).parent / "fixtures"
MSK = timedelta(hours=3)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ticket(fd: int, *, fn: str = "9999078900000961", total: int = 15000, when: str =
           "2026-03-02T11:30:00", fp: int = 2918241905, rn: str = "0000000001002292",
           buyer: str | None = None, op: int = 1) -> dict[str, Any]:
    t: dict[str, Any] = dict(fixture("ticket.json"))
    t.update(fiscalDriveNumber=fn, fiscalDocumentNumber=fd, totalSum=total, ecashTotalSum=total,
             cashTotalSum=0, dateTime=when, fiscalSign=fp, kktRegId=rn, operationType=op)
    if buyer:
        t["buyerAddress"] = buyer
    else:
        t.pop("buyerAddress", None)
    return t


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sim(clock: Clock) -> AsyncIterator[OfdSimulator]:
    s = OfdSimulator(now=clock.now, rate=1000.0, burst=1000)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def settings_for(sim: OfdSimulator, **kw: Any) -> OfdSettings:
    frag = dict(sim_fragment(sim))
    frag.update(kw)
    return OfdSettings(**frag)


def sim_fragment(sim: OfdSimulator) -> dict[str, Any]:
    return {"base_url": sim.base_url, "login": sim.login, "password": sim.password,
            "inn": sim.inn, "fns_url": sim.base_url, "delivers_email": sim.delivers_email,
            "delivers_sms": sim.delivers_sms}


@pytest.fixture
async def client(sim: OfdSimulator, clock: Clock) -> AsyncIterator[OfdClient]:
    c = OfdClient(settings_for(sim), now=clock.now)
    try:
        yield c
    finally:
        await c.aclose()


def ticket_of(doc: Any, *, buyer: str | None = None, total: int | None = None) -> dict[str, Any]:
    """What a register's FN transmits for ``doc`` (a FiscalDocument), as the §9 ticket."""
    from zoneinfo import ZoneInfo

    local = doc.issued_at.astimezone(ZoneInfo("Europe/Moscow"))
    return ticket(doc.number, fn=doc.fn, total=doc.total if total is None else total,
                  when=f"{local:%Y-%m-%dT%H:%M:%S}", fp=int(doc.fiscal_sign),
                  rn=doc.register_number, op=int(doc.operation), buyer=buyer)
