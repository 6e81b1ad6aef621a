"""FarCards-HTTP wire format (ExtDllHTTP.dll, FarCards >= 6.04), both directions.

Facts (shared/protocols/rkeeper.md §3.2-3.5): UTF-8 XML only; getcardinfoex gets
``<ROOT><QRY Card Restaurant UnitNo><INPBUF><CHECK .../></INPBUF></QRY></ROOT>`` and answers
``<Root><GetCardInfoEx Result .../></Root>`` (Result 1 = no such card); transactionsex gets
``<ROOT><Transactions><TransactionsEx Card Kind Summa .../>...</Transactions><InpBuf>CHECK
</InpBuf></ROOT>`` (that request shape is unverified: a .NET bridge's) and answers
``<Root><TransactionsEx Result="0|1"/></Root>``, all or nothing, with a ``TRRESPONSE``
(error_code 157 + err_text on failure). Money: kopecks in attributes of QRY / transactions /
card info; decimal roubles inside INPBUF (UPPERCASE tags, lowercase attributes).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from attrs import field, frozen
from kassa.model import Order, OrderLine
from kassa.model.money import kopecks

RK_EPOCH = date(1899, 12, 30)  # RKDate: cash date in days since this day
KIND_PAYMENT, KIND_DISCOUNT, KIND_BONUS, KIND_OWN_MONEY = 0, 1, 2, 3


class WireError(ValueError):
    """The request is not FarCards XML we understand; the message says what is wrong."""


# typed converters (attrs' bare ``tuple`` leaves mypy an unsolved type variable at call sites)
def _ints(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _lines(lines: Iterable[TillLine]) -> tuple[TillLine, ...]:
    return tuple(lines)


@frozen
class CardInfo:
    result: int = 1  # 0 = card exists, 1 = no such card
    deleted: bool = False
    seize: bool = False
    expired: bool = False  # StopDate
    not_active: bool = False  # Holy
    manager: bool = False
    locked: bool = False
    why_lock: str = ""
    holder: str = ""
    person_id: str = ""
    account: int = 0
    unpay: int = 0
    bonus: int = 0
    discount: int = 0
    disc_limit: int = 0
    summa: int = 0  # AvailableToPay, kopecks
    sums: tuple[int, ...] = field(default=(0,) * 7, converter=_ints)  # Sum2..Sum8
    dop_info: str = ""
    scr_message: str = ""
    prn_message: str = ""


@frozen
class Transaction:
    card: int
    kind: int
    summa: int  # kopecks, signed per the Kind sign table
    account: int = 0
    person_id: str = ""
    restaurant: int = 0
    rk_date: int = 0
    rk_unit: int = 0
    rk_check: int = 0


@frozen
class TillLine:
    code: str
    name: str
    amount: int  # kopecks
    quantity: Decimal = Decimal(1)
    uni: int = 0
    category: str = ""


@frozen
class TillCheck:
    restaurant: str = "199999999"
    station: int = 1
    ordernum: str = "1001/1"
    checknum: str = ""
    cards: tuple[str, ...] = field(default=(), converter=_strs)
    lines: tuple[TillLine, ...] = field(default=(), converter=_lines)
    generated: datetime | None = None


def rk_date(d: date) -> int:
    return (d - RK_EPOCH).days


def rk_day(n: int) -> date:
    return RK_EPOCH + timedelta(days=n)


def _rub(k: int) -> str:
    return f"{Decimal(k) / 100:.2f}"


def check_xml(check: TillCheck) -> ET.Element:
    """The INPBUF cash document as r_keeper's GetXMLText writes it (trimmed to what we use)."""
    gen = (check.generated or datetime(2026, 1, 1)).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("CHECK", stationcode=str(check.station), restaurantcode=check.restaurant,
                      cashservername="MIDSERV", generateddatetime=gen, chmode="5",
                      locale="1049")
    ifaces = ET.SubElement(ET.SubElement(root, "EXTINFO"), "INTERFACES", current="1")
    iface = ET.SubElement(ifaces, "INTERFACE", type="PDS", id="1", mode="0", interface="1")
    holders = ET.SubElement(iface, "HOLDERS")
    for c in check.cards:
        ET.SubElement(holders, "ITEM", cardcode=c)
    data = ET.SubElement(root, "CHECKDATA", checknum=check.checknum, ordernum=check.ordernum)
    lines = ET.SubElement(data, "CHECKLINES", count=str(len(check.lines)))
    for ln in check.lines:
        price = kopecks(Decimal(ln.amount) / 100 / ln.quantity) if ln.quantity else ln.amount
        ET.SubElement(lines, "LINE", code=ln.code, name=ln.name, uni=str(ln.uni), type="dish",
                      price=_rub(price), quantity=f"{ln.quantity:f}", sum=_rub(ln.amount),
                      categ_id=ln.category)
    return root


def parse_check(el: ET.Element | None, site: str = "") -> Order | None:
    """INPBUF CHECK -> Order (kopecks); ``None`` when there is no check (a balance query)."""
    if el is None:
        return None
    if el.tag != "CHECK":
        raise WireError(f"INPBUF must hold a CHECK element, got <{el.tag}>")
    data = el.find("CHECKDATA")
    lines = []
    for ln in (data.iter("LINE") if data is not None else ()):
        if ln.get("type", "dish") != "dish":
            continue
        try:
            amount = kopecks(ln.get("sum", "0"))
            qty = Decimal(ln.get("quantity", "1") or "1")
            price = kopecks(ln.get("price", "0"))
        except ArithmeticError:
            raise WireError(f"LINE uni={ln.get('uni')}: sum/price/quantity must be decimal "
                            "roubles") from None
        lines.append(OrderLine(code=ln.get("code", ""), name=ln.get("name", ""), quantity=qty,
                               price=price, amount=amount, category=ln.get("categ_id") or None))
    number = (data.get("ordernum") if data is not None else "") or ""
    return Order(site=site, number=number, lines=tuple(lines),
                 total=sum(x.amount for x in lines))


def parse_xml(body: bytes) -> ET.Element:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("the request is not UTF-8 (FarCards-HTTP speaks UTF-8 XML only)") from None
    try:
        return ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise WireError(f"malformed XML: {exc}") from None


def _int(el: ET.Element, name: str, default: int | None = None) -> int:
    raw = el.get(name)
    if raw is None or raw == "":
        if default is None:
            raise WireError(f"<{el.tag}> needs the {name} attribute")
        return default
    try:
        return int(raw)
    except ValueError:
        raise WireError(f"<{el.tag} {name}={raw!r}>: expected an integer") from None


def card_query_xml(card: int, restaurant: int, unit: int, check: TillCheck | None) -> bytes:
    root = ET.Element("ROOT")
    qry = ET.SubElement(root, "QRY", Card=str(card), Restaurant=str(restaurant),
                        UnitNo=str(unit))
    inp = ET.SubElement(qry, "INPBUF")
    if check is not None:
        inp.append(check_xml(check))
    body: bytes = ET.tostring(root, encoding="utf-8")  # the stub says Any for an encoding
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def parse_card_query(root: ET.Element) -> tuple[int, int, int, ET.Element | None]:
    qry = root.find("QRY") if root.tag.upper() == "ROOT" else None
    if qry is None:
        raise WireError("expected <ROOT><QRY Card Restaurant UnitNo>")
    inp = qry.find("INPBUF")
    check = inp.find("CHECK") if inp is not None else None
    return _int(qry, "Card"), _int(qry, "Restaurant", 0), _int(qry, "UnitNo", 0), check


def card_info_xml(info: CardInfo, error_text: str = "") -> bytes:
    if info.result != 0:
        attrs = {"Result": str(info.result)} | ({"ErrorText": error_text} if error_text else {})
    else:
        def b(v: bool) -> str:
            return "1" if v else "0"

        attrs = {"Result": "0", "Deleted": b(info.deleted), "Seize": b(info.seize),
                 "StopDate": b(info.expired), "Holy": b(info.not_active),
                 "Manager": b(info.manager), "Locked": b(info.locked), "WhyLock": info.why_lock,
                 "Holder": info.holder[:40], "PersonID": info.person_id,
                 "Account": str(info.account), "Unpay": str(info.unpay),
                 "Bonus": str(info.bonus), "Discount": str(info.discount),
                 "DiscLimit": str(info.disc_limit), "Summa": str(info.summa)}
        attrs |= {f"Sum{i + 2}": str(v) for i, v in enumerate(info.sums)}
        attrs |= {"DopInfo": info.dop_info[:255], "ScrMessage": info.scr_message[:255],
                  "PrnMessage": info.prn_message[:255]}
    root = ET.Element("Root")
    ET.SubElement(root, "GetCardInfoEx", attrs)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def parse_card_info(body: bytes) -> CardInfo:
    el = parse_xml(body).find("GetCardInfoEx")
    if el is None:
        raise WireError("expected <Root><GetCardInfoEx>")
    if _int(el, "Result") != 0:
        return CardInfo(result=_int(el, "Result"))

    def f(name: str) -> bool:
        return el.get(name) == "1"

    return CardInfo(result=0, deleted=f("Deleted"), seize=f("Seize"), expired=f("StopDate"),
                    not_active=f("Holy"), manager=f("Manager"), locked=f("Locked"),
                    why_lock=el.get("WhyLock", ""), holder=el.get("Holder", ""),
                    person_id=el.get("PersonID", ""), account=_int(el, "Account", 0),
                    unpay=_int(el, "Unpay", 0), bonus=_int(el, "Bonus", 0),
                    discount=_int(el, "Discount", 0), disc_limit=_int(el, "DiscLimit", 0),
                    summa=_int(el, "Summa", 0),
                    sums=[_int(el, f"Sum{i}", 0) for i in range(2, 9)],
                    dop_info=el.get("DopInfo", ""), scr_message=el.get("ScrMessage", ""),
                    prn_message=el.get("PrnMessage", ""))


def transactions_xml(items: list[Transaction], check: TillCheck | None) -> bytes:
    root = ET.Element("ROOT")
    trs = ET.SubElement(root, "Transactions")
    for t in items:
        ET.SubElement(trs, "TransactionsEx", Card=str(t.card), PersonID=t.person_id,
                      Account=str(t.account), Kind=str(t.kind), Summa=str(t.summa),
                      Restaurant=str(t.restaurant), RKDate=str(t.rk_date), RKUnit=str(t.rk_unit),
                      RKCheck=str(t.rk_check))
    inp = ET.SubElement(root, "InpBuf", InpKind="1")
    if check is not None:
        inp.append(check_xml(check))
    body: bytes = ET.tostring(root, encoding="utf-8")  # the stub says Any for an encoding
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def parse_transactions(root: ET.Element) -> tuple[list[Transaction], ET.Element | None]:
    trs = root.find("Transactions")
    if root.tag.upper() != "ROOT" or trs is None:
        raise WireError("expected <ROOT><Transactions><TransactionsEx .../></Transactions>")
    items = []
    for el in trs.findall("TransactionsEx"):
        kind = _int(el, "Kind")
        if kind not in (0, 1, 2, 3):
            raise WireError(f"<TransactionsEx Kind={kind}>: Kind must be 0..3")
        items.append(Transaction(
            card=_int(el, "Card"), kind=kind, summa=_int(el, "Summa"),
            account=_int(el, "Account", 0), person_id=el.get("PersonID", ""),
            restaurant=_int(el, "Restaurant", 0), rk_date=_int(el, "RKDate", 0),
            rk_unit=_int(el, "RKUnit", _int(el, "RKUni", 0)), rk_check=_int(el, "RKCheck", 0)))
    if not items:
        raise WireError("<Transactions> is empty")
    inp = root.find("InpBuf")
    return items, (inp.find("CHECK") if inp is not None else None)


def transactions_result_xml(ok: bool, err_text: str = "", when: datetime | None = None,
                            place: str = "", ext_ids: list[str] | None = None) -> bytes:
    """``<Root><TransactionsEx Result/><TRRESPONSE .../></Root>``: on failure error_code 157
    with the text the till shows; on success one TRANSACTION per posted line (num is 1-based)."""
    root = ET.Element("Root")
    ET.SubElement(root, "TransactionsEx", Result="0" if ok else "1")
    dts = (when or datetime(2026, 1, 1)).strftime("%Y-%m-%dT%H:%M:%S")
    tr = ET.SubElement(root, "TRRESPONSE", error_code="0" if ok else "157", dts=dts,
                       err_text=err_text or ("no error" if ok else "error"), placeid=place)
    for i, ext in enumerate(ext_ids or [], start=1):
        ET.SubElement(tr, "TRANSACTION", ext_id=ext, num=str(i), dts=dts)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def parse_transactions_result(body: bytes) -> tuple[bool, str, list[str]]:
    root = parse_xml(body)
    el = root.find("TransactionsEx")
    if el is None:
        raise WireError("expected <Root><TransactionsEx Result>")
    tr = root.find("TRRESPONSE")
    text = tr.get("err_text", "") if tr is not None else ""
    ids = [t.get("ext_id", "") for t in tr.findall("TRANSACTION")] if tr is not None else []
    return _int(el, "Result") == 0, text, ids
