"""The till side of FarCards-HTTP: what r_keeper's ExtDllHTTP.dll sends, as a small client.

Tests and the benchmark play a cash station with it; it speaks only the wire format, never
the server's Python objects. (The simulated restaurant's own till is ``sim_till``.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import httpx
from attrs import field, frozen

from kassa_rkeeper.farcards import wire as fw


class TillError(Exception):
    """The server answered something that is not FarCards XML (or not HTTP 200)."""


def _lines(lines: Iterable[TillLine]) -> tuple[TillLine, ...]:
    return tuple(lines)


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen
class TillLine:
    code: str
    name: str
    amount: int  # kopecks
    quantity: Decimal = Decimal(1)
    uni: int = 0
    category: str = ""
    raw_sum: str | None = None  # sent verbatim instead of ``amount`` (hardening tests)


@frozen
class TillCheck:
    restaurant: str = "199999999"
    station: int = 1
    ordernum: str = "1001/1"
    checknum: str = ""
    cards: tuple[str, ...] = field(default=(), converter=_strs)
    lines: tuple[TillLine, ...] = field(default=(), converter=_lines)
    generated: datetime | None = None


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
        price = ln.amount * 100 // int(ln.quantity * 100) if ln.quantity else ln.amount
        ET.SubElement(lines, "LINE", code=ln.code, name=ln.name, uni=str(ln.uni), type="dish",
                      price=_rub(price), quantity=f"{ln.quantity:f}",
                      sum=ln.raw_sum if ln.raw_sum is not None else _rub(ln.amount),
                      categ_id=ln.category)
    return root


def _doc(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode"
                                                                     ).encode()


def card_query_xml(card: int | str, restaurant: int, unit: int, check: TillCheck | None) -> bytes:
    root = ET.Element("ROOT")
    qry = ET.SubElement(root, "QRY", Card=str(card), Restaurant=str(restaurant),
                        UnitNo=str(unit))
    inp = ET.SubElement(qry, "INPBUF")
    if check is not None:
        inp.append(check_xml(check))
    return _doc(root)


def transactions_xml(items: list[fw.Transaction], check: TillCheck | None,
                     raw: dict[str, str] | None = None) -> bytes:
    """``raw`` overrides attributes of every TransactionsEx verbatim (hardening tests)."""
    root = ET.Element("ROOT")
    trs = ET.SubElement(root, "Transactions")
    for t in items:
        attrs = {"Card": str(t.card), "PersonID": t.person_id, "Account": str(t.account),
                 "Kind": str(t.kind), "Summa": str(t.summa), "Restaurant": str(t.restaurant),
                 "RKDate": str(t.rk_date), "RKUnit": str(t.rk_unit), "RKCheck": str(t.rk_check)}
        ET.SubElement(trs, "TransactionsEx", attrs | (raw or {}))
    inp = ET.SubElement(root, "InpBuf", InpKind="1")
    if check is not None:
        inp.append(check_xml(check))
    return _doc(root)


def _int(el: ET.Element, name: str) -> int:
    try:
        return int(el.get(name) or 0)
    except ValueError:
        raise TillError(f"<{el.tag} {name}={el.get(name)!r}>: not an integer") from None


def parse_card_info(body: bytes) -> fw.CardInfo:
    el = ET.fromstring(body).find("GetCardInfoEx")
    if el is None:
        raise TillError("expected <Root><GetCardInfoEx>")
    if _int(el, "Result") != 0:
        return fw.CardInfo(result=_int(el, "Result"))

    def f(name: str) -> bool:
        return el.get(name) == "1"

    return fw.CardInfo(
        result=0, deleted=f("Deleted"), seize=f("Seize"), expired=f("StopDate"),
        not_active=f("Holy"), manager=f("Manager"), locked=f("Locked"),
        why_lock=el.get("WhyLock", ""), holder=el.get("Holder", ""),
        person_id=el.get("PersonID", ""), account=_int(el, "Account"), unpay=_int(el, "Unpay"),
        bonus=_int(el, "Bonus"), discount=_int(el, "Discount"),
        disc_limit=_int(el, "DiscLimit"), summa=_int(el, "Summa"),
        sums=[_int(el, f"Sum{i}") for i in range(2, 9)], dop_info=el.get("DopInfo", ""),
        scr_message=el.get("ScrMessage", ""), prn_message=el.get("PrnMessage", ""))


def email_query_xml(email: str) -> bytes:
    root = ET.Element("ROOT")
    ET.SubElement(root, "QRY", Email=email)
    return _doc(root)


def image_query_xml(card: int | str) -> bytes:
    root = ET.Element("ROOT")
    ET.SubElement(root, "QRY", CardCode=str(card))
    return _doc(root)


def parse_find_email(body: bytes) -> tuple[int, int, str] | str:
    el = ET.fromstring(body).find("FindEmail")
    if el is None:
        raise TillError("expected <Root><FindEmail Result>")
    if _int(el, "Result") != 0:
        return el.get("ErrorText", "")
    return _int(el, "Account"), _int(el, "CardCode"), el.get("Name", "")


def parse_card_image(body: bytes, content_type: str) -> bytes | str:
    if content_type.startswith("image/"):
        return body
    el = ET.fromstring(body).find("GetCardImageEx")
    if el is None:
        raise TillError("expected an image or <Root><GetCardImageEx ErrorText>")
    return el.get("ErrorText", "")


def parse_transactions_result(body: bytes) -> tuple[bool, str, list[str]]:
    root = ET.fromstring(body)
    el = root.find("TransactionsEx")
    if el is None:
        raise TillError("expected <Root><TransactionsEx Result>")
    tr = root.find("TRRESPONSE")
    text = tr.get("err_text", "") if tr is not None else ""
    ids = [t.get("ext_id", "") for t in tr.findall("TRANSACTION")] if tr is not None else []
    return _int(el, "Result") == 0, text, ids


class FarCardsTill:
    def __init__(self, base_url: str, *, restaurant: int = 199999999, unit: int = 1,
                 client: httpx.AsyncClient | None = None,
                 auth: tuple[str, str] | None = None) -> None:
        """``base_url``: the door's ``http://host:port/farcards``, or with the till key in
        the path (``.../farcards/<key>``); ``auth``: (till name, key) sent as HTTP Basic."""
        self.base = base_url.rstrip("/")
        self.restaurant, self.unit = restaurant, unit
        self.client = client or httpx.AsyncClient(timeout=10, auth=auth)
        self.last: httpx.Response | None = None

    async def post(self, path: str, body: bytes, *, ok_only: bool = True) -> bytes:
        r = await self.client.post(f"{self.base}/{path}", content=body,
                                   headers={"Content-Type": "text/xml; charset=utf-8"})
        self.last = r
        if ok_only and r.status_code != 200:
            raise TillError(f"{path}: HTTP {r.status_code}: {r.text[:200]}")
        return r.content

    async def card_info(self, card: int | str, check: TillCheck | None = None) -> fw.CardInfo:
        body = card_query_xml(card, self.restaurant, self.unit, check)
        return parse_card_info(await self.post("getcardinfoex", body))

    def items(self, card: int, check_no: int, *, pay: int = 0, bonus: int = 0,
              discount: int = 0, own_money: int = 0, cancel: bool = False,
              cash_day: date = date(2026, 3, 2)) -> list[fw.Transaction]:
        """A card's transactions of one check (kopecks, positive; ``cancel``: the opposite
        signs of the Kind table)."""
        sign = -1 if cancel else 1
        rows = [(fw.KIND_PAYMENT, -pay * sign), (fw.KIND_DISCOUNT, -discount * sign),
                (fw.KIND_BONUS, bonus * sign), (fw.KIND_OWN_MONEY, own_money * sign)]
        return [fw.Transaction(card=card, kind=k, summa=s, restaurant=self.restaurant,
                               rk_date=fw.rk_date(cash_day), rk_unit=self.unit,
                               rk_check=check_no) for k, s in rows if s]

    async def close_check(self, card: int, check_no: int, *, check: TillCheck | None = None,
                          **amounts: int | bool) -> tuple[bool, str, list[str]]:
        return await self.transactions(self.items(card, check_no, **amounts),  # type: ignore[arg-type]
                                       check)

    async def transactions(self, items: list[fw.Transaction], check: TillCheck | None = None,
                           raw: dict[str, str] | None = None) -> tuple[bool, str, list[str]]:
        return parse_transactions_result(
            await self.post("transactionsex", transactions_xml(items, check, raw)))

    async def find_email(self, email: str) -> tuple[int, int, str] | str:
        """findemail: (Account, CardCode, Name), or the ErrorText the till shows."""
        return parse_find_email(await self.post("findemail", email_query_xml(email)))

    async def card_image(self, card: int | str) -> bytes | str:
        """getcardimageex: the image's bytes, or the ErrorText of ``<GetCardImageEx>``."""
        body = await self.post("getcardimageex", image_query_xml(card))
        return parse_card_image(body, self.last.headers.get("content-type", "")
                                if self.last is not None else "")

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> FarCardsTill:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
