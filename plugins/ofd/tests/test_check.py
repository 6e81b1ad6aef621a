"""The FNS check of a buyer's QR string (fiscal.md §1.3, §9) against the emulator: 204 when FN,
FD, FP, 1054, date and sum all match, 406 otherwise; the merchant account's copy then tells a
wrong sum and a wrong date apart from a receipt that does not exist."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
import pytest
from kassa.errors import RetryLater
from kassa.model import ReceiptError
from kassa_ofd.check import Outcome, check_qr
from kassa_ofd.client import OfdClient
from kassa_ofd.sim import OfdSimulator

from .conftest import Clock, settings_for, ticket

pytestmark = pytest.mark.anyio
MSK = ZoneInfo("Europe/Moscow")
FN = "9999078900000961"
# ticket(5): 150.00 RUB, 2026-03-02 11:30 register time, FP 2918241905, a sale (1054 = 1)
GOOD = f"t=20260302T1130&s=150.00&fn={FN}&i=5&fp=2918241905&n=1"


async def test_a_matching_qr_is_found(sim: OfdSimulator, client: OfdClient):
    sim.take(ticket(5))
    r = await check_qr(client, GOOD, MSK)
    assert r.outcome is Outcome.FOUND and r.message == "Чек найден: ФНС подтверждает его."
    r = await check_qr(client, GOOD.replace("T1130", "T113000"), MSK)  # seconds in t: the same
    assert r.outcome is Outcome.FOUND


async def test_a_wrong_sum_is_told_with_both_sums(sim: OfdSimulator, client: OfdClient):
    sim.take(ticket(5))
    r = await check_qr(client, GOOD.replace("s=150.00", "s=151.00"), MSK)
    assert r.outcome is Outcome.WRONG_SUM
    assert r.message == "Чек есть, но сумма другая: в ОФД 150.00, в QR-коде 151.00."
    assert r.at_ofd is not None and r.at_ofd.number == 5


async def test_a_wrong_date_is_told_with_both_dates(sim: OfdSimulator, client: OfdClient):
    sim.take(ticket(5))
    r = await check_qr(client, GOOD.replace("t=20260302T1130", "t=20260301T1130"), MSK)
    assert r.outcome is Outcome.WRONG_DATE
    assert "02.03.2026 11:30" in r.message and "01.03.2026 11:30" in r.message


async def test_an_unknown_receipt_is_not_found(sim: OfdSimulator, client: OfdClient):
    sim.take(ticket(5))
    for qr in (GOOD.replace("i=5", "i=6"),  # no such FD
               GOOD.replace("fp=2918241905", "fp=1"),  # a forged FP
               GOOD.replace("n=1", "n=2"),  # a refund where a sale was made
               GOOD.replace(f"fn={FN}", "fn=9999078900000000")):  # an FN the account lacks
        r = await check_qr(client, qr, MSK, locale="en")
        assert r.outcome is Outcome.NOT_FOUND, qr
        assert r.message == "Receipt not found: the FNS does not know it."


async def test_the_fns_answers_204_or_406_on_the_wire(sim: OfdSimulator):
    sim.take(ticket(5))
    path = f"{sim.base_url}/v1/ofds/*/inns/*/fss/{FN}/operations/1/tickets/5"
    good = {"fiscalSign": "2918241905", "date": "2026-03-02T11:30:00", "sum": "15000"}
    async with httpx.AsyncClient() as http:
        r = await http.get(path, params=good)
        assert r.status_code == 204 and r.content == b""
        for change in ({"sum": "15001"}, {"date": "2026-03-02T11:31:00"},
                       {"fiscalSign": "2918241906"}):
            assert (await http.get(path, params={**good, **change})).status_code == 406
        assert (await http.get(path.replace("tickets/5", "tickets/6"),
                               params=good)).status_code == 406
        assert (await http.get(path, params={**good, "date": "вчера"})).status_code == 400
        assert (await http.get(f"{sim.base_url}/v1/ofds/x", params=good)).status_code == 404


async def test_a_malformed_qr_names_the_field_and_the_fns_down_is_retry_later(
        sim: OfdSimulator, client: OfdClient, clock: Clock):
    with pytest.raises(ReceiptError) as bad:
        await check_qr(client, GOOD.replace("s=150.00", "s=150,00"), MSK)
    assert "1020" in str(bad.value)
    with pytest.raises(ReceiptError):
        await check_qr(client, "https://example.ru/?t=1", MSK)
    sim.outage = True
    with pytest.raises(RetryLater, match="Проверка чека ФНС недоступна"):
        await check_qr(client, GOOD, MSK)
    down = OfdClient(settings_for(OfdSimulator(port=1)), now=clock.now)
    try:
        with pytest.raises(RetryLater):
            await check_qr(down, GOOD, MSK)
    finally:
        await down.aclose()
