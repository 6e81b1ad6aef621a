"""Through ``hub.fiscal`` (journal + service) with the plugin loaded from config: bad input
is one clear sentence and nothing is lost or printed twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kassa_atol
import pytest
from kassa.errors import RetryLater, UserError
from kassa.journal import DONE
from kassa.model import (
    Cashier,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa.model.fiscal import ReceiptError
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt
from kassa_atol.register import AtolRegister
from kassa_atol.sim import AtolSimulator

pytestmark = pytest.mark.anyio


@pytest.fixture
async def hub(sim: AtolSimulator, tmp_path: Path) -> AsyncIterator[Any]:
    config = sim.fragment()
    config["atol"]["registers"][0]["poll_interval"] = 0.01
    async with make_hub(config, tmp_path, plugins=[kassa_atol]) as h:
        yield h


def receipt(**kw: Any) -> Receipt:
    base: dict[str, Any] = {
        "operation": Operation.SELL, "taxation": TaxSystem.OSN,
        "lines": [ReceiptLine(name="Чай", price=15000, quantity=1, total=15000,
                              vat=VatRate.VAT22)],
        "payments": [ReceiptPayment(kind=PaymentKind.CASH, amount=15000)], "total": 15000,
        "issued_at": datetime(2026, 3, 2, 12, 0, tzinfo=UTC)}
    return Receipt(**{**base, **kw})


def one_sentence(text: str) -> None:
    assert "\n" not in text and text.endswith(".") and text[0].isupper(), text


async def test_the_register_comes_from_config(hub: Any) -> None:
    name, dev = hub.fiscal.register(site="r1")
    assert name == "atol-r1" and isinstance(dev, AtolRegister)


@pytest.mark.parametrize(("bad", "code"), [
    (receipt(total=14000), "total_not_lines"),  # does not add up
    (receipt(lines=[ReceiptLine(name="Чай", price=15000, quantity=1, total=15000,
                                vat=VatRate.VAT20)]), "vat_date"),  # 20 % on 2026-03-02
    (receipt(electronic_only=True), "contact_required"),  # 1008 needed, not printed
])
async def test_bad_receipts_are_one_sentence_and_never_sent(
        hub: Any, sim: AtolSimulator, bad: Receipt, code: str) -> None:
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="o", site="r1")
    with pytest.raises(ReceiptError) as err:
        await hub.fiscal.receipt(bad, key="bad", site="r1")
    assert err.value.code == code
    one_sentence(err.value.text("ru"))
    assert await hub.journal.entry("bad") is None, "refused before the journal"
    assert sim.effects() == 0 and sim.web.received == 1  # only the shift open was sent


async def test_closed_shift_is_one_sentence(hub: Any, sim: AtolSimulator) -> None:
    with pytest.raises(UserError) as err:
        await hub.fiscal.receipt(receipt(), key="closed", site="r1")
    one_sentence(err.value.text("ru"))
    assert sim.effects() == 0
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="o", site="r1")
    doc = await hub.fiscal.receipt(receipt(), key="closed", site="r1")  # the same sale again
    assert doc.total == 15000 and sim.effects() == 1


async def test_disconnect_mid_receipt_loses_nothing(hub: Any, sim: AtolSimulator) -> None:
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="o", site="r1")
    sim.faults.drop_answers = 1
    with pytest.raises(RetryLater) as err:  # OutcomeUnknown: made or not, lookup decides
        await hub.fiscal.receipt(sample_receipt(), key="sale:7", site="r1")
    assert "unknown" in str(err.value)
    assert sim.effects() == 1, "the register made it; only the answer was lost"
    doc = await hub.fiscal.receipt(sample_receipt(), key="sale:7", site="r1")
    assert doc.qr and sim.effects() == 1, "the retry found it: one receipt"
    entry = await hub.journal.entry("sale:7")
    assert entry is not None and entry.status == DONE


async def test_status_through_the_hub(hub: Any) -> None:
    st = await hub.fiscal.status(site="r1")
    assert not st.shift_open and st.fn == "9999078900000961"


async def test_online_accounts_are_wired_beside_the_web_server(sim: AtolSimulator,
                                                               tmp_path: Path) -> None:
    from kassa_atol.online import AtolOnlineRegister

    config = sim.fragment()
    config["atol"]["online"] = [{"name": "atol-cloud", "login": "demo", "group_code": "g1",
                                 "inn": "7700000000", "state_file": str(tmp_path / "s.jsonl")}]
    async with make_hub(config, tmp_path, plugins=[kassa_atol]) as hub:
        _, web = hub.fiscal.register(site="r1")
        assert isinstance(web, AtolRegister)
        assert isinstance(hub.fiscal_devices["atol-cloud"], AtolOnlineRegister)


async def test_basic_auth_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = AtolSimulator("r1", login="kassa", password="pw-from-env")
    await sim.start()
    try:
        monkeypatch.setenv("ATOL_PASSWORD", "pw-from-env")
        config = sim.fragment()
        config["atol"]["registers"][0]["password"] = "${ATOL_PASSWORD}"
        async with make_hub(config, tmp_path, plugins=[kassa_atol]) as hub:
            doc = await hub.fiscal.x_report(key="x", site="r1")
            assert doc.kind == "x_report"
            assert "pw-from-env" not in repr(hub.fiscal_devices["atol-r1"].settings)
    finally:
        await sim.stop()
