"""The client against the simulator over a real socket: the simulator enforces r_keeper's rules."""

from xml.etree import ElementTree as ET

import httpx
import pytest
from kassa.secret import Secret
from kassa_rkeeper import wire
from kassa_rkeeper.client import AuthError, LinkError, RK7Client
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.sim_model import SimError

from .conftest import START, child

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim():
    s = RKeeperSim("x", start=START, notify_url="")
    await s.start()
    yield s
    await s.stop()


def client(sim: RKeeperSim, user: str = "kassa", password: str = "kassa") -> RK7Client:
    return RK7Client(f"http://127.0.0.1:{sim.port}", user, Secret(password), timeout=1.0)


async def post(sim: RKeeperSim, body: bytes, ctype: str = "application/xml") -> ET.Element:
    async with httpx.AsyncClient(auth=("kassa", "kassa")) as http:
        r = await http.post(f"http://127.0.0.1:{sim.port}{wire.XML_PATH}", content=body,
                            headers={"Content-Type": ctype})
    assert r.status_code == 200  # business errors still answer 200
    return ET.fromstring(r.content)


async def test_system_info_envelope_and_shift(sim):
    c = client(sim)
    res = await c.call("GetSystemInfo2")
    for attr in ("ServerVersion", "XmlVersion", "NetName", "Status", "CMD", "ErrorText",
                 "DateTime", "WorkTime", "Processed"):
        assert attr in res.attrib
    shift = child(res, "SystemInfo/CommonShift")
    assert shift.get("ShiftNum") == "1" and shift.get("ShiftDate", "").startswith("2026-03-14")
    await c.aclose()


async def test_wrong_password_and_no_https_right_are_refused(sim):
    for user, pw in (("kassa", "nope"), ("Иванова Анна", "11")):  # the waiter lacks the right
        c = client(sim, user, pw)
        with pytest.raises(AuthError) as err:
            await c.call("GetSystemInfo2")
        assert "nope" not in str(err.value)
        await c.aclose()


async def test_login_by_code_works(sim):
    c = client(sim, user="1")
    await c.call("GetSystemInfo2")
    await c.aclose()


async def test_urlencoded_body_is_parse_error(sim):
    res = await post(sim, b"a=1", "application/x-www-form-urlencoded")
    assert (res.get("Status"), res.get("ErrorText")) == (wire.PARSE_ERROR, "Empty input XML")


async def test_malformed_xml_is_parse_error(sim):
    res = await post(sim, b"<RK7Query><RK7CMD CMD='GetOrderList'></RK7Query>")
    assert res.get("Status") == wire.PARSE_ERROR


async def test_command_names_are_case_sensitive(sim):
    with pytest.raises(wire.RK7Error) as err:
        await client(sim).call("getsysteminfo")
    assert err.value.status == wire.BAD_PARAMS and "Unknown command getsysteminfo" in err.value.text


async def test_unknown_attributes_are_ignored_and_batches_work(sim):
    res = await post(sim, b'<RK7Query><!-- c --><RK7Command2 CMD="GetSystemInfo2" Bogus="1"/>'
                     b'<RK7Command2 CMD="GetOrderList" whatever="x"/></RK7Query>')
    results = res.findall("CommandResult")
    assert [r.get("Status") for r in results] == ["Ok", "Ok"] and res.get("Processed") == "2"


async def test_lastversion_no_changes(sim):
    c = client(sim)
    lst, ver = await c.order_list()
    assert lst is not None and ver
    again, ver2 = await c.order_list(ver)
    assert again is None and ver2 == ver
    sim.rest.open_order(1, 11, 15001)
    changed, ver3 = await c.order_list(ver)
    assert changed is not None and ver3 != ver
    _, rv = await c.receipt_list()
    assert (await c.receipt_list(rv))[0] is None
    await c.aclose()


async def test_reference_books_and_void_flags(sim):
    c = client(sim)
    reasons = await c.ref_data("ORDERVOIDS")
    flags = {r.get("Name"): {k for k, v in r.attrib.items() if k.startswith("ImplOn")}
             for r in reasons}
    assert flags["Гость ушел"] == {"ImplOnBillCancel"}
    assert all(r.get("GUIDString", "").startswith("{") for r in reasons)
    menu = await c.call("GetRefData", ET.fromstring(
        '<PROPFILTERS><PROPFILTER Name="Name" Substring="угрем"/></PROPFILTERS>'),
        RefName="MENUITEMS", PropMask="items.(Ident,Name,Price)")
    items = menu.findall(".//Item")
    assert {i.get("Name") for i in items} == {"Запеченный ролл с угрем", "Суши с угрем"}
    assert set(items[0].attrib) == {"Ident", "Name", "Price"}
    emps = await c.ref_data("EMPLOYEES")
    assert not any("Password" in e.attrib for e in emps)
    await c.aclose()


async def test_order_lifecycle_and_business_errors(sim):
    c = client(sim)
    created = await c.call("CreateOrder", ET.fromstring(
        '<Order><Table code="5"/><Waiter id="11"/>'
        '<Guests><Guest GuestLabel="1"/></Guests></Order>'))
    guid = created.attrib["guid"]
    assert guid.startswith("{") and guid.endswith("}") and guid == guid.upper()
    await c.call("SaveOrder", ET.Element("Order", guid=guid), ET.fromstring(
        '<Session><Station id="15001"/><Dish id="1001" quantity="2000"/>'
        '<Dish id="1005" quantity="1000"/></Session>'))
    order = await c.order(guid)
    assert order.get("orderSum") == str(2 * 29000 + 65000)
    assert [d.get("quantity") for d in order.iter("Dish")] == ["2000", "1000"]
    # the same order by visit + ident (both attribute spellings)
    alt = await c.call("GetOrder", ET.Element("Order", visit=order.attrib["visit"], ident="1"))
    assert child(alt, "Order").get("guid") == guid
    await c.call("PrintBill", ET.Element("Order", guid=guid))
    with pytest.raises(wire.RK7Error) as err:  # a reason without ImplOnBillCancel
        await c.call("UndoBill", ET.Element("Order", guid=guid), ET.Element("Reason", id="1"))
    assert err.value.status == wire.EXEC_ERROR
    with pytest.raises(wire.RK7Error) as err:
        await c.call("PayOrder", ET.Element("Order", guid=guid),
                     ET.Element("Payment", id="1", amount="100"))
    assert err.value.code == 3373 and "Недостаточно денег" in err.value.text
    await c.call("PayOrder", ET.Element("Order", guid=guid),
                 ET.Element("Payment", id="2", amount=str(2 * 29000 + 65000)))
    order = await c.order(guid)
    check = next(p for p in order.iter("PrintCheck") if p.get("bill") == "0")
    assert check.get("state") == "6" and order.get("paid") == "1"
    with pytest.raises(wire.RK7Error):  # DeleteReceipt wants an ImplOnCheckVoid reason
        await c.call("DeleteReceipt", ET.Element("Receipt", line_guid=check.attrib["line_guid"]),
                     ET.Element("Reason", id="5"))
    await c.call("DeleteReceipt", ET.Element("Receipt", line_guid=check.attrib["line_guid"]),
                 ET.Element("Reason", id="4"), ET.Element("Manager", id="2"))
    lst, _ = await c.receipt_list()
    assert lst is not None
    assert [r.get("state") for r in lst.iter("Receipt")] == ["7"]
    await c.aclose()


async def test_zero_guests_and_shift_closing(sim):
    with pytest.raises(SimError) as refused:
        sim.rest.open_order(1, 11, 15001, guests=0)
    assert "3444" in repr(refused.value.code) or refused.value.code == 3444
    c = client(sim)
    await c.call("CloseCommonShift")
    with pytest.raises(wire.RK7Error) as err:
        await c.call("CreateOrder", ET.fromstring('<Order><Table code="1"/></Order>'))
    assert err.value.code == 2172 and "закрывается общая смена" in err.value.text
    await c.aclose()


async def test_truncated_answer_is_a_link_error(sim):
    sim.malformed(1)
    c = client(sim)
    with pytest.raises(LinkError):
        await c.call("GetSystemInfo2")
    await c.call("GetSystemInfo2")
    await c.aclose()
