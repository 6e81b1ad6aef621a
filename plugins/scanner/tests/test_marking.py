"""scan -> parse -> hub.fiscal.check_marking: the register gets the code with its GS."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from kassa.errors import UserError
from kassa.model import Scan
from kassa.model.fiscal import MarkingCheck
from kassa_scanner.marking import check_scan
from kassa_scanner.sim import wedge_text

pytestmark = pytest.mark.anyio
KM = "0104607001234562" + "21" + "AbCdEfGhIjKlM" + "\x1d91EE10\x1d92" + "Qw" * 22


class Fiscal:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, Decimal | None, str]] = []

    async def check_marking(self, code: str, planned_status: int, quantity: Decimal | None,
                            *, site: str, station: str | None = None) -> MarkingCheck:
        self.calls.append((code, planned_status, quantity, site))
        return MarkingCheck(code=code, valid=True, result=15)


class Hub:
    def __init__(self) -> None:
        self.fiscal = Fiscal()


async def test_a_wedge_scan_reaches_the_register_repaired() -> None:
    from datetime import UTC, datetime

    hub: Any = Hub()
    scan = Scan(code=wedge_text(KM, gs="~", layout="ru").strip(), at=datetime.now(UTC))
    got = await check_scan(hub, scan, site="s1", gs_substitute="~")
    assert got.check.valid and hub.fiscal.calls == [(KM, 1, None, "s1")]


async def test_a_broken_code_never_reaches_the_register() -> None:
    hub: Any = Hub()
    with pytest.raises(UserError, match="криптохвост"):
        await check_scan(hub, KM.split("\x1d")[0], site="s1")
    with pytest.raises(UserError, match="crypto tail"):
        await check_scan(hub, KM.split("\x1d")[0], site="s1", locale="en")
    assert hub.fiscal.calls == []
