"""The simulator held against ../shared/protocols/rkeeper.md: fixtures are the document's own
requests (section quoted above each), answers are checked for what the document names."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import kassa_rkeeper
import pytest
from kassa_rkeeper import sim_data as ref
from kassa_rkeeper import wire
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.sim_life import every_fact, read_back

from .conftest import START, child, running

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim():
    s = RKeeperSim("x", start=START, notify_url="")
    await s.start()
    yield s
    await s.stop()


async def rk7(sim: RKeeperSim, cmd: str) -> ET.Element:
    body = f'<?xml version="1.0" encoding="utf-8"?><RK7Query>{cmd}</RK7Query>'.encode()
    async with httpx.AsyncClient(auth=("kassa", "kassa")) as http:
        r = await http.post(f"http://127.0.0.1:{sim.port}{wire.XML_PATH}", content=body,
                            headers={"Content-Type": "application/xml"})
    assert r.status_code == 200
    return ET.fromstring(r.content)


def ok(res: ET.Element) -> ET.Element:
    assert res.get("Status") == "Ok", (res.get("Status"), res.get("ErrorText"))
    return res


async def new_order(sim: RKeeperSim, table: str = 'code="1"', waiter: str = 'code="11"') -> str:
    # §1.6 CreateOrder: <Order persistentComment="100500"><Table code="1"/><Waiter code="5"/>
    #   <Station id="15015"/><GuestType id="1"/><Guests><Guest GuestLabel="1"/></Guests></Order>
    res = ok(await rk7(sim, f'<RK7CMD CMD="CreateOrder"><Order persistentComment="100500">'
                            f'<Table {table}/><Waiter {waiter}/><Station id="15001"/>'
                            f'<GuestType id="1"/><Guests><Guest GuestLabel="1"/></Guests>'
                            f'</Order></RK7CMD>'))
    return res.get("guid", "")


async def get_order(sim: RKeeperSim, guid: str) -> ET.Element:
    order = ok(await rk7(sim, f'<RK7CMD CMD="GetOrder"><Order guid="{guid}"/></RK7CMD>'))
    return order.find("Order")  # type: ignore[return-value]


# --- §1.5 "Reference item (refItem): any one of id (Ident), code or guid" ----------------------
async def test_ref_items_by_id_code_or_guid_each_match_their_own_field(sim):
    table3, waiter12 = ref.TABLES[2], ref.by_ident("EMPLOYEES", 12)
    assert waiter12 is not None
    for table, waiter in ((f'id="{table3.ident}"', f'guid="{waiter12.guid}"'),
                          (f'code="{table3.code}"', 'id="12"'),
                          (f'guid="{table3.guid.lower()}"', 'code="12"')):
        order = await get_order(sim, await new_order(sim, table, waiter))
        assert child(order, "Table").get("name") == "Стол 3", table
        assert child(order, "Waiter").get("name") == "Петров Сергей", waiter
    guid = await new_order(sim)
    dish = ref.MENUITEMS[2]  # Ident 1003, Code 103: a code is not an Ident
    # §1.6 SaveOrder: <Order guid/><Session><Station id/><Dish id="1001" quantity="1000"/>...
    ok(await rk7(sim, f'<RK7CMD CMD="SaveOrder"><Order guid="{guid}"/><Session>'
                      f'<Station id="15001"/><Dish code="{dish.code}" quantity="1000"/>'
                      f'<Dish guid="{dish.guid}" quantity="2000"/><Dish id="1001" quantity="1000"/>'
                      f'</Session></RK7CMD>'))
    names = [d.get("name") for d in (await get_order(sim, guid)).iter("Dish")]
    assert names == [dish.name, dish.name, ref.MENUITEMS[0].name]
    # §1.5 example <Currency guid="{16D72549-...}"/>: PayOrder's Payment by guid
    cash = ref.by_ident("CURRENCIES", 1)
    assert cash is not None
    res = ok(await rk7(sim, f'<RK7CMD CMD="PayOrder"><Order guid="{guid}"/><Station code="1"/>'
                            f'<Cashier code="21"/><Payment guid="{cash.guid}" amount="1000000"/>'
                            f'</RK7CMD>'))
    assert child(res, "PrintCheck/Pay").get("name") == "Наличные"


async def test_ref_item_never_by_name_and_missing_item_named_in_its_collection(sim):
    guid = await new_order(sim)
    before = await get_order(sim, guid)
    # §1.4: "Не найден элемент N в коллекции Employees"-style answer; nothing changes
    res = await rk7(sim, f'<RK7CMD CMD="SaveOrder"><Order guid="{guid}"/><Session>'
                         f'<Dish id="1001" quantity="1000"/><Dish code="9999" quantity="1000"/>'
                         f'</Session></RK7CMD>')
    assert res.get("Status") == wire.EXEC_ERROR
    assert res.get("ErrorText") == "Не найден элемент 9999 в коллекции MenuItems"
    assert (await get_order(sim, guid)).get("version") == before.get("version")
    res = await rk7(sim, '<RK7CMD CMD="CreateOrder"><Order><Table name="Стол 1"/></Order></RK7CMD>')
    assert res.get("Status") == wire.BAD_PARAMS  # "Items are never looked up by name"


# --- §1.6 GetOrderList: needIdents/needCodes (default 1), needNames (default 0) -----------------
async def test_order_list_need_flags_and_filters(sim):
    await new_order(sim, 'code="1"', 'code="11"')
    await new_order(sim, 'code="2"', 'code="12"')
    plain = ok(await rk7(sim, '<RK7CMD CMD="GetOrderList"/>')).findall(".//Order")
    assert len(plain) == 2
    assert {"TableID", "TableCode", "WaiterID", "WaiterCode", "OrderTypeID"} <= set(plain[0].attrib)
    assert not any(k.endswith("Name") and k != "OrderName" for k in plain[0].attrib)
    named = ok(await rk7(sim, '<RK7CMD CMD="GetOrderList" needNames="1" needIdents="0"/>'))
    o = child(named, ".//Order")
    assert (o.get("TableName"), o.get("WaiterName")) == ("Стол 1", "Иванова Анна")
    assert o.get("OrderTypeName") == "В зале" and "TableID" not in o.attrib
    # "plus optional <Waiter> and <Table> filters"
    only = ok(await rk7(sim, '<RK7CMD CMD="GetOrderList"><Waiter code="12"/></RK7CMD>'))
    assert [x.get("TableCode") for x in only.iter("Order")] == ["2"]
    visits = ok(await rk7(sim, '<RK7CMD CMD="GetOrderList"/>')).findall("Visit")
    for v in visits:  # the visit has a GUID of its own, not the order's
        assert v.get("guid") != child(v, "Orders/Order").get("guid")
        assert child(v, "Guests").get("count") == v.get("GuestsCount")


# --- §1.6 GetOrder: the documented attributes and children, nothing invented ------------------
ORDER_ATTRS = set("visit orderIdent guid orderName seqNumber version crc32 url openTime "
                  "persistentComment nonPersistentComment orderSum prepaySum promisedSum "
                  "discountSum unpaidSum totalPieces cookMins paid purchase finished locked "
                  "deleted reserve duration holder promoCode".split())
ORDER_CHILDREN = set("Creator Waiter Station OrderCategory OrderType Table GuestType Guests "
                     "ExternalProps DeliveryBlock Session Discount PrintCheck".split())
DISH_ATTRS = set("id code name uni line_guid state price quantity srcQuantity amount paidAmount "
                 "seat kdsstate new".split())
VOID_ATTRS = set("id code name guid uni line_guid state quantity amount dateTime "
                 "openName".split())
CHECK_ATTRS = set("CheckNum line_guid amount unpaidSum GlobalFiscalID state deleted bill "
                  "printTime startTime".split())


async def test_get_order_has_documented_fields_only(sim):
    r = sim.rest
    o = r.open_order(101, 11, 15001, guests=2, comment="100500")
    for ident in (1001, 1002):
        r.add_draft(o, ident)
    r.save(o, 15001)
    r.delete_dish(o, o.dishes()[0], author=11, reason=2, manager=ref.MANAGER_ID, quantity=1000)
    r.print_bill(o, 15001, ref.CASHIER_ID)
    r.undo_bill(o, reason=3, manager=ref.MANAGER_ID)
    r.pay(o, 15001, ref.CASHIER_ID, [(1, o.to_pay)])
    r.clock = lambda: START + timedelta(minutes=30)
    r.delete_receipt(o, o.checks[-1], reason=4, manager=ref.MANAGER_ID)
    el = await get_order(sim, o.guid)
    assert set(el.attrib) <= ORDER_ATTRS, set(el.attrib) - ORDER_ATTRS
    for must in ("seqNumber", "prepaySum", "promisedSum", "persistentComment", "url",
                 "cookMins", "nonPersistentComment"):
        assert must in el.attrib
    assert el.get("persistentComment") == "100500" and "bill" not in el.attrib
    assert {c.tag for c in el} <= ORDER_CHILDREN
    assert child(el, "OrderType").get("name") == "В зале"
    assert child(el, "Waiter/Role").get("name") == "Официант"
    assert len(el.findall("Guests/Guest")) == 2
    assert all("cookMins" in s.attrib for s in el.findall("Session"))
    for d in el.iter("Dish"):
        assert set(d.attrib) <= DISH_ATTRS
    (void,) = el.iter("Void")
    # XSD voidItem: refItem (the reason) + quantity amount dateTime openName, <Author> only
    assert set(void.attrib) <= VOID_ATTRS and [c.tag for c in void] == ["Author"]
    assert (void.get("id"), void.get("name")) == ("2", "Отказ гостя")
    dish = next(el.iter("Dish"))
    assert int(dish.attrib["srcQuantity"]) == int(dish.attrib["quantity"]) + 1000
    for c in el.findall("PrintCheck"):
        assert set(c.attrib) <= CHECK_ATTRS, set(c.attrib) - CHECK_ATTRS
        assert {x.tag for x in c} <= {"Author", "Reason", "DeleteManager", "Pay", "Prepay"}


# --- §1.6 GetReceiptList -------------------------------------------------------------------------
async def test_receipt_list_stations_and_filters(sim):
    r = sim.rest
    orders = []
    for table in (101, 102):
        o = r.open_order(table, 11, 15001)
        r.add_draft(o, 1001)
        r.save(o, 15001)
        r.pay(o, 15002, ref.CASHIER_ID, [(1, o.to_pay)])
        orders.append(o)
    res = ok(await rk7(sim, '<RK7CMD CMD="GetReceiptList"/>'))
    rows = res.findall("ReceiptsList/Receipt")
    assert len(rows) == 2
    assert child(rows[0], "CloseStation").get("name") == "Касса 2 Бар"
    assert rows[0].find("PrintStation") is not None and "starttime" in rows[0].attrib
    lg = orders[1].checks[0].line_guid
    one = ok(await rk7(sim, f'<RK7CMD CMD="GetReceiptList" line_guid="{lg}"/>'))
    assert [x.get("line_guid") for x in one.iter("Receipt")] == [lg]
    by_order = ok(await rk7(sim, f'<RK7CMD CMD="GetReceiptList"><Order visit="{orders[0].visit}"'
                                 f' orderIdent="1"/></RK7CMD>'))
    assert [x.get("line_guid") for x in by_order.iter("Receipt")] == [orders[0].checks[0].line_guid]


# --- the same seed replays the day, a new run gets new GUIDs ---------------------------------
def day(run: str) -> RKeeperSim:
    s = RKeeperSim("x", start=START, seed=7, rate=1.0, run=run, notify_url="")
    for _ in range(60):
        s.staff.step()  # type: ignore[union-attr]
    return s


def test_same_seed_same_day_new_guids_per_run():
    a, b, a2 = day("run-a"), day("run-b"), day("run-a")

    def business(s: RKeeperSim) -> list[tuple[Any, ...]]:
        return [(o.table.code, o.waiter, [(d.item.ident, d.quantity) for d in o.dishes()],
                 [c.amount for c in o.checks]) for o in s.rest.orders]

    def guids(s: RKeeperSim) -> set[str]:
        out = {o.guid for o in s.rest.orders}
        for o in s.rest.orders:  # sessions, dishes and checks are different classes
            out |= {x.line_guid for x in o.sessions} | {x.line_guid for x in o.dishes()}
            out |= {x.line_guid for x in o.checks}
        return out

    assert business(a) == business(b) and business(a)
    assert not guids(a) & guids(b)
    assert guids(a) == guids(a2)  # reproducible when the run id is given
    assert RKeeperSim("x").run != RKeeperSim("x").run  # a fresh id per run by default


# --- the station script and the simulated tills send the same XML ----------------------------
def _pas_attrs(pas: str, tag: str) -> set[str]:
    """Attribute names the .pas writes into ``<tag ...``: from its string literals."""
    if tag in ("Employee",):  # RefXml(Tag, Ident, Code, Name)
        body = pas[pas.index("function RefXml"):]
        body = body[:body.index("end;")]
    else:
        start = pas.index(f"'<{tag} ")
        end = re.compile(r"\"/?>'").search(pas, start)
        assert end is not None
        body = pas[start:end.end()]
    return set(re.findall(r"(\w+)=\"", body.replace("' + '", "")))


def test_station_script_payload_matches_the_simulators():
    pas = (Path(kassa_rkeeper.__file__).parent / "station" / "kassa_station.pas").read_text()
    sim = RKeeperSim("x", start=START, notify_url="")
    r = sim.rest
    o = r.open_order(101, 11, 15001)
    r.add_draft(o, 1001)
    station = sim.stations.by_ident[15001]
    xml = ET.fromstring(station.payload("unsaved_dish_deleted",
                                        {"order": o, "dish": o.draft[0]}, 1))
    printed = ET.fromstring(station.payload("service_print",
                                            {"order": o, "printer": "Кухня", "text": "x"}, 2))
    sent = {"StationEvent": xml, "Station": xml.find("Station"), "Employee": xml.find("Employee"),
            "Order": xml.find("Order"), "Dish": xml.find("Dish"), "Print": printed.find("Print")}
    for tag, el in sent.items():
        assert el is not None, tag
        assert _pas_attrs(pas, tag) == set(el.attrib), tag
    assert child(xml, "Station").get("NetName") == "CASH01"
    assert child(xml, "Dish").get("line_guid", "").startswith("{")


# --- the scripted day waits for the read a quantity change needs -------------------------------
async def test_read_back_waits_for_a_get_order(sim):
    o = sim.rest.open_order(101, 11, 15001)
    with pytest.raises(TimeoutError):
        await read_back(o, timeout=0.2)  # nobody read it
    await get_order(sim, o.guid)
    await read_back(o, timeout=0.2)
    await read_back(None)


async def test_scripted_day_without_pauses_still_shows_the_quantity_change():
    async with running() as (sim, _, got):
        steps = every_fact(sim.rest)
        for _ in range(5):  # up to the quantity change, no pause: only read_back holds it
            await read_back(next(steps))
        await got.wait_for("quantity_changed")
    (changed,) = got.of("quantity_changed")
    assert (changed.data["before"], changed.data["after"]) == ("1.000", "3.000")


# --- §2.1 Order Notify: the server-start event, verbatim sample -------------------------------
STARTED = """<a RestCode="199990093" DateTime="2020-01-14T15:38:23" Situation="1" seqnumber="1"
   guid="{9ECCB1B5-97EE-4B88-9840-8568F05586D0}" name="Started" ShiftNum="1"
   ShiftDate="2019-11-18T00:00:00"><Server id="15002"/><Item/></a>"""


def test_started_notice_has_the_samples_shape():
    sim = RKeeperSim("x", start=START, notify_url="")
    sim.notifier.subscribe("http://127.0.0.1:1/none")
    sim.notifier.notice("Started", {})
    (body,) = sim.notifier.queues["http://127.0.0.1:1/none"]
    ours, theirs = ET.fromstring(body), ET.fromstring(STARTED)
    assert set(ours.attrib) == set(theirs.attrib)
    assert [c.tag for c in ours] == [c.tag for c in theirs]
    assert (ours.get("Situation"), ours.get("seqnumber"), ours.get("name")) == ("1", "1", "Started")
    assert re.fullmatch(r"\{[0-9A-F-]{36}\}", ours.get("guid", ""))


# --- §1.6 GetRefData -------------------------------------------------------------------------
async def test_ref_data_masks_filters_and_single_items(sim):
    # §1.6: PropMask="items.(Ident,Code,Name,GUIDString,CategPath,Status)" + PROPFILTER
    res = ok(await rk7(sim, '<RK7CMD CMD="GetRefData" RefName="MENUITEMS" OnlyActive="1" '
                            'PropMask="items.(Ident,Code,Name,GUIDString,CategPath,Status)">'
                            '<PROPFILTERS><PROPFILTER Name="CategPath" Substring="Супы"/>'
                            '</PROPFILTERS></RK7CMD>'))
    items = res.findall(".//Item")
    assert {i.get("Name") for i in items} == {"Мисо суп", "Том ям с креветками"}
    assert set(items[0].attrib) == {"Ident", "Code", "Name", "GUIDString", "CategPath", "Status"}
    # §6: a public client's PropMask="{Ident,Code,Name,Status,Hall}"
    res = ok(await rk7(sim, '<RK7CMD CMD="GetRefData" RefName="TABLES" '
                            'PropMask="{Ident,Code,Name,Status,Hall}"/>'))
    assert set(child(res, ".//Item").attrib) == {"Ident", "Code", "Name", "Status", "Hall"}
    res = await rk7(sim, '<RK7CMD CMD="GetRefData" RefName="EMPLOYEES"><PROPFILTERS>'
                         '<PROPFILTER Name="Password" Substring="k"/></PROPFILTERS></RK7CMD>')
    assert not res.findall(".//Item")  # no password oracle
    res = await rk7(sim, '<RK7CMD CMD="GetRefData" RefName="MENUITEMS" RefItemIdent="1001"/>')
    assert res.get("Status") == wire.BAD_PARAMS and "not simulated" in res.get("ErrorText", "")


async def test_a_checks_station_is_where_it_closed():
    # GetOrder's PrintCheck names no station; GetReceiptList's CloseStation does (§1.6)
    async with running() as (sim, _, got):
        r = sim.rest
        o = r.open_order(101, 11, 15001)
        r.add_draft(o, 1001)
        r.save(o, 15001)
        r.pay(o, 15002, ref.CASHIER_ID, [(1, o.to_pay)])
        (closed,) = await got.wait_for("check_closed")
    assert closed.station == "Касса 2 Бар"
