"""The emulated FN transmitting to an OFD (fiscal.md §9 tickets POSTed to ``/_sim/documents``),
against a bare intake served here over a real socket (this plugin knows no OFD plugin): each
fiscal document arrives once, in FD order, after the delay; an OFD that is down or refuses makes
``ofdExchangeStatus.notSentCount`` grow, with the oldest document named, until it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from kassa.serving import AsgiServer
from kassa.testing.simulator_cli import wait_for
from kassa_atol.sim import AtolSimulator

from .conftest import Intake
from .test_sim import SELL, one, run, sell

pytestmark = pytest.mark.anyio
# the ticket fields of fiscal.md §9 a receipt carries (kopecks; 1008 = buyerAddress)
TICKET = {"code", "user", "userInn", "kktRegId", "fiscalDriveNumber", "fiscalDocumentNumber",
          "fiscalSign", "dateTime", "operationType", "taxationType", "totalSum", "cashTotalSum",
          "ecashTotalSum", "prepaymentSum", "postpaymentSum", "counterSubmissionSum",
          "buyerAddress", "items"}
ITEM = {"name", "price", "quantity", "sum", "nds", "paymentType", "productType",
        "itemsQuantityMeasure"}


@pytest.fixture
async def linked(intake: Intake) -> AsyncIterator[AtolSimulator]:
    s = AtolSimulator("r1", fn="9999078900000962", reg_number="0000000002002292",
                      ofd_url=intake.url, ofd_retry=0.05, ofd_max_retry=0.2)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


async def unsent(sim: AtolSimulator) -> dict[str, Any]:
    status: dict[str, Any] = (await one(sim, {"type": "ofdExchangeStatus"}))["result"]
    return status


async def until(pred: Any, seconds: float = 20.0) -> None:
    await wait_for(pred, seconds)


async def test_each_document_reaches_the_ofd_once_as_a_ticket(linked, intake):
    _, sold = await run(linked, {"type": "openShift", "operator": {"name": "Иванов"}}, SELL)
    fp = sold["result"]["fiscalParams"]

    async def both() -> bool:
        return len(intake.tickets) == 2
    await until(both)
    shift, receipt = intake.tickets
    assert (shift["code"], shift["fiscalDocumentNumber"]) == (2, 1)  # shift-open report
    assert receipt["code"] == 3 and TICKET <= set(receipt), TICKET - set(receipt)
    assert receipt["fiscalDriveNumber"] == fp["fnNumber"] == "9999078900000962"
    assert receipt["kktRegId"] == fp["registrationNumber"] == "0000000002002292"
    assert receipt["fiscalDocumentNumber"] == fp["fiscalDocumentNumber"] == 2
    assert receipt["fiscalSign"] == int(fp["fiscalDocumentSign"])
    assert receipt["dateTime"] == fp["fiscalDocumentDateTime"][:19]  # wall clock, no zone
    assert (receipt["totalSum"], receipt["ecashTotalSum"], receipt["cashTotalSum"]) == (
        30000, 30000, 0)
    assert (receipt["operationType"], receipt["taxationType"]) == (1, 1)
    assert receipt["buyerAddress"] == "+79990000000" and receipt["operator"] == "Иванов"
    assert len(receipt["items"]) == 1 and set(receipt["items"][0]) == ITEM  # text is no item
    assert receipt["items"][0] | {"quantity": 2} == {
        "name": "Кофе", "price": 15000, "quantity": 2, "sum": 30000, "nds": 11,
        "paymentType": 4, "productType": 1, "itemsQuantityMeasure": 0}
    status = await unsent(linked)
    assert status["status"]["notSentCount"] == 0 and status["errors"]["network"]["code"] == 0
    assert status["errors"]["lastSuccessConnectionDateTime"]
    await anyio.sleep(0.3)
    assert len(intake.tickets) == 2  # confirmed: never sent again


async def test_cash_change_and_a_refund_are_what_the_fn_registers(linked, intake):
    await one(linked, {"type": "openShift"})
    await one(linked, sell(payments=[{"type": "cash", "sum": 500.0}],
                           clientInfo={"emailOrPhone": "guest@example.ru"}))
    await one(linked, sell(type="sellReturn", clientInfo={}))

    async def three() -> bool:
        return len(intake.tickets) == 3
    await until(three)
    cash, refund = intake.tickets[1:]
    assert (cash["totalSum"], cash["cashTotalSum"], cash["ecashTotalSum"]) == (30000, 30000, 0)
    assert cash["buyerAddress"] == "guest@example.ru"
    assert refund["operationType"] == 2 and "buyerAddress" not in refund


async def test_an_ofd_outage_grows_the_backlog_until_it_is_back(linked, intake):
    await one(linked, {"type": "openShift"})

    async def sent_one() -> bool:
        return len(intake.tickets) == 1
    await until(sent_one)
    intake.status = 503
    counts = []
    for _ in range(3):
        assert (await one(linked, SELL))["status"] == "ready"
        counts.append((await unsent(linked))["status"]["notSentCount"])
    assert counts == [1, 2, 3]

    async def failed() -> bool:
        return bool((await unsent(linked))["errors"]["network"]["code"])
    await until(failed)  # once the FN has tried
    status = await unsent(linked)
    assert status["status"]["notSentFirstDocNumber"] == 2
    assert status["errors"]["network"] == {"code": 1, "description": "Нет соединения с ОФД"}
    assert status["warnings"]["dataForSendIsEmpty"] is False
    fn_warn = (await one(linked, {"type": "getFnInfo"}))["result"]["fnInfo"]["warnings"]
    assert fn_warn["ofdTimeout"] is True
    state = linked.web.state()
    assert state["unsent"] == 3 and "HTTP 503" in state["ofd"]["error"]

    intake.status = 200

    async def drained() -> bool:
        return bool((await unsent(linked))["status"]["notSentCount"] == 0)
    await until(drained)
    assert [t["fiscalDocumentNumber"] for t in intake.tickets] == [1, 2, 3, 4]  # in FD order
    assert (await unsent(linked))["errors"]["network"]["code"] == 0


async def test_no_ofd_at_all_and_the_registers_own_link_down(intake):
    port = intake.server.port
    await intake.server.stop()  # nothing listens there
    s = AtolSimulator("r1", ofd_url=f"http://127.0.0.1:{port}", ofd_retry=0.05,
                      ofd_max_retry=0.1)
    await s.start()
    try:
        await run(s, {"type": "openShift"}, SELL)
        link = s.link
        assert link is not None

        async def retried() -> bool:
            return link.attempts >= 2
        await until(retried)
        assert (await unsent(s))["status"]["notSentCount"] == 2
        assert "no link to the OFD" in s.kkt.ofd_error and link.sent == 0
    finally:
        await s.stop()
    intake.server = AsgiServer(intake.app, "127.0.0.1", port)
    await intake.server.start()
    s = AtolSimulator("r1", ofd_url=intake.url, ofd_retry=0.05)
    s.faults.ofd_failing = True  # the register's own network: it does not even try
    await s.start()
    try:
        await run(s, {"type": "openShift"}, SELL)
        await anyio.sleep(0.3)
        assert intake.tickets == [] and s.link is not None and s.link.attempts == 0
        s.faults.ofd_failing = False

        async def two() -> bool:
            return len(intake.tickets) == 2
        await until(two)
    finally:
        await s.stop()


async def test_a_document_waits_the_exchange_delay(intake):
    s = AtolSimulator("r1", ofd_url=intake.url, ofd_delay=5.0)  # long: a loaded box too
    await s.start()
    try:
        await one(s, {"type": "openShift"})
        assert (await unsent(s))["status"]["notSentCount"] == 1
        assert intake.tickets == []

        async def sent() -> bool:
            return len(intake.tickets) == 1
        await until(sent)
    finally:
        await s.stop()


async def test_without_an_ofd_url_documents_count_as_sent_at_the_next_task(sim):
    await one(sim, {"type": "openShift"})
    assert (await unsent(sim))["status"]["notSentCount"] == 0
    assert sim.link is None and sim.web.state()["ofd"]["url"] is None
