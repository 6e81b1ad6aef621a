"""FarCards-HTTP wire format (ExtDllHTTP.dll, FarCards >= 6.04), both directions.

Facts (shared/protocols/rkeeper.md §3.2-3.5): UTF-8 XML only; getcardinfoex gets
``<ROOT><QRY Card Restaurant UnitNo><INPBUF><CHECK .../></INPBUF></QRY></ROOT>`` and answers
``<Root><GetCardInfoEx Result .../></Root>`` (Result 1 = no such card); transactionsex gets
``<ROOT><Transactions><TransactionsEx Card Kind Summa .../>...</Transactions><InpBuf>CHECK
</InpBuf></ROOT>`` (that request shape is unverified: a .NET bridge's) and answers
``<Root><TransactionsEx Result="0|1"/></Root>``, all or nothing, with a ``TRRESPONSE``
(error_code 157 + err_text on failure). Money: kopecks in attributes of QRY / transactions /
card info; decimal roubles inside INPBUF (UPPERCASE tags, lowercase attributes). Every number
is read through ``limits`` (its range or a refusal). INPBUF is mapped to the core's ``Order``
here and nowhere else.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from attrs import field, frozen
from kassa.model import Discount, Order, OrderLine, Payment

from kassa_rkeeper.farcards import limits as lim
from kassa_rkeeper.farcards.limits import Refused

RK_EPOCH = date(1899, 12, 30)  # RKDate: cash date in days since this day
KIND_PAYMENT, KIND_DISCOUNT, KIND_BONUS, KIND_OWN_MONEY = 0, 1, 2, 3
CALLS = ("getcardinfoex", "transactionsex", "findemail", "getcardimageex")
MAX_EMAIL = 254  # RFC 5321's path limit; FindEmail's Info record holds only the answer
NO_EMAIL = "Email not found"  # the reference server's text (§3.4)


def _ints(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


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

    @property
    def cancel(self) -> bool:
        """The cancellation sign of the Kind table: + for payment/discount, - otherwise."""
        return self.summa > 0 if self.kind in (KIND_PAYMENT, KIND_DISCOUNT) else self.summa < 0


@frozen
class CardQuery:
    card: int
    restaurant: int
    unit: int
    order: Order | None


@frozen
class Batch:
    items: tuple[Transaction, ...]
    order: Order | None

    @property
    def check_ref(self) -> str:
        t = self.items[0]
        return f"{t.restaurant}:{t.rk_date}:{t.rk_unit}:{t.rk_check}"


def rk_date(d: date) -> int:
    return (d - RK_EPOCH).days


def rk_day(n: int) -> date:
    return RK_EPOCH + timedelta(days=n)


def parse_xml(body: bytes) -> ET.Element:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the request is not UTF-8 (FarCards-HTTP speaks UTF-8 XML only)") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise Refused("a DOCTYPE or ENTITY is not accepted")  # no entity expansion games
    try:
        return ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise Refused(f"malformed XML: {exc}") from None


def parse_order(el: ET.Element | None, site: str = "") -> Order | None:
    """INPBUF CHECK -> the core's Order (kopecks); None when there is no check (a balance
    query). Dish lines become lines; ``pay``/``payment`` lines payments and ``discount``
    lines discounts (§3.5 says CHECKDATA holds those three; their type names are not in the
    sources we have, so unknown types are skipped, not refused)."""
    if el is None:
        return None
    if el.tag != "CHECK":
        raise Refused(f"INPBUF must hold a CHECK element, got <{el.tag[:40]}>")
    data = el.find("CHECKDATA")
    lines: list[OrderLine] = []
    payments: list[Payment] = []
    discounts: list[Discount] = []
    for ln in (data.iter("LINE") if data is not None else ()):
        kind = ln.get("type", "dish")
        if kind == "dish":
            lines.append(OrderLine(
                code=ln.get("code", ""), name=ln.get("name", ""), quantity=lim.quantity(ln),
                price=lim.roubles(ln, "price"), amount=lim.roubles(ln, "sum"),
                category=ln.get("categ_id") or None))
        elif kind in ("pay", "payment", "prepay"):
            payments.append(Payment(code=ln.get("code", ""), name=ln.get("name", ""),
                                    amount=lim.roubles(ln, "sum"), kind="other"))
        elif kind == "discount":
            discounts.append(Discount(code=ln.get("code", ""), name=ln.get("name", ""),
                                      amount=lim.roubles(ln, "sum")))
    total = sum(x.amount for x in lines)
    if total > lim.MAX_AMOUNT:
        raise Refused(f"the check's total {total / 100:.2f} is out of range", code="out_of_range")
    d = data if data is not None else ET.Element("CHECKDATA")
    return Order(site=site, number=d.get("ordernum", "") or "", guid=d.get("orderguid", ""),
                 guests=lim.integer(d, "guests", 0, 9999, 0), lines=tuple(lines),
                 discounts=tuple(discounts), payments=tuple(payments), total=total)


def parse_card_query(root: ET.Element) -> CardQuery:
    qry = root.find("QRY") if root.tag.upper() == "ROOT" else None
    if qry is None:
        raise Refused("expected <ROOT><QRY Card Restaurant UnitNo>")
    inp = qry.find("INPBUF")
    check = inp.find("CHECK") if inp is not None else None
    return CardQuery(card=lim.integer(qry, "Card", 1, lim.MAX_CARD),
                     restaurant=lim.integer(qry, "Restaurant", 0, lim.MAX_RESTAURANT, 0),
                     unit=lim.integer(qry, "UnitNo", 0, lim.MAX_DWORD, 0),
                     order=parse_order(check))


def _qry(root: ET.Element, what: str) -> ET.Element:
    qry = root.find("QRY") if root.tag.upper() == "ROOT" else None
    if qry is None:
        raise Refused(f"expected <ROOT><QRY {what}>")
    return qry


def parse_email_query(root: ET.Element) -> str:
    """findemail: ``<ROOT><QRY Email=.../></ROOT>`` (§3.4) -> the address, trimmed."""
    email = (_qry(root, "Email").get("Email") or "").strip()
    local, at, domain = email.rpartition("@")
    if not email or len(email) > MAX_EMAIL or not at or not local or "." not in domain \
            or any(c.isspace() or ord(c) < 32 for c in email):
        raise Refused(f"Email: {email[:60]!r} is not an e-mail address (up to {MAX_EMAIL} "
                      "characters)")
    return email


def parse_image_query(root: ET.Element) -> int:
    """getcardimageex: ``<ROOT><QRY CardCode=.../></ROOT>`` (§3.4) -> the card."""
    return lim.integer(_qry(root, "CardCode"), "CardCode", 1, lim.MAX_CARD)


def parse_batch(root: ET.Element) -> Batch:
    trs = root.find("Transactions")
    if root.tag.upper() != "ROOT" or trs is None:
        raise Refused("expected <ROOT><Transactions><TransactionsEx .../></Transactions>")
    els = trs.findall("TransactionsEx")
    if not 1 <= len(els) <= lim.MAX_BATCH:
        raise Refused(f"<Transactions> must hold 1..{lim.MAX_BATCH} TransactionsEx, "
                      f"not {len(els)}", code="out_of_range")
    items = []
    for el in els:
        unit = lim.integer(el, "RKUnit", 0, lim.MAX_DWORD,
                           lim.integer(el, "RKUni", 0, lim.MAX_DWORD, 0))
        items.append(Transaction(
            card=lim.integer(el, "Card", 1, lim.MAX_CARD), kind=lim.integer(el, "Kind", 0, 3),
            summa=lim.integer(el, "Summa", -lim.MAX_AMOUNT, lim.MAX_AMOUNT),
            account=lim.integer(el, "Account", 0, lim.MAX_DWORD, 0),
            person_id=el.get("PersonID", "")[:64],
            restaurant=lim.integer(el, "Restaurant", 0, lim.MAX_RESTAURANT, 0),
            rk_date=lim.integer(el, "RKDate", 0, lim.MAX_RKDATE, 0), rk_unit=unit,
            rk_check=lim.integer(el, "RKCheck", 0, lim.MAX_DWORD, 0)))
    first = items[0]
    if any((t.restaurant, t.rk_date, t.rk_unit, t.rk_check) !=
           (first.restaurant, first.rk_date, first.rk_unit, first.rk_check) for t in items):
        raise Refused("the transactions of one batch must belong to one check "
                      "(Restaurant, RKDate, RKUnit, RKCheck)")
    inp = root.find("InpBuf")
    return Batch(items=tuple(items),
                 order=parse_order(inp.find("CHECK") if inp is not None else None))


# --- answers ------------------------------------------------------------------------------
def _doc(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def card_info_xml(info: CardInfo, error_text: str = "") -> bytes:
    if info.result != 0:
        attrs = {"Result": str(info.result)} | ({"ErrorText": error_text} if error_text else {})
    else:
        def b(v: bool) -> str:
            return "1" if v else "0"

        attrs = {"Result": "0", "Deleted": b(info.deleted), "Seize": b(info.seize),
                 "StopDate": b(info.expired), "Holy": b(info.not_active),
                 "Manager": b(info.manager), "Locked": b(info.locked),
                 "WhyLock": info.why_lock[:255], "Holder": info.holder[:40],
                 "PersonID": info.person_id, "Account": str(info.account),
                 "Unpay": str(info.unpay), "Bonus": str(info.bonus),
                 "Discount": str(info.discount), "DiscLimit": str(info.disc_limit),
                 "Summa": str(info.summa)}
        attrs |= {f"Sum{i + 2}": str(v) for i, v in enumerate(info.sums)}
        attrs |= {"DopInfo": info.dop_info[:255], "ScrMessage": info.scr_message[:255],
                  "PrnMessage": info.prn_message[:255]}
        if error_text:
            attrs["ErrorText"] = error_text[:255]
    root = ET.Element("Root")
    ET.SubElement(root, "GetCardInfoEx", attrs)
    return _doc(root)


def card_refusal_xml(text: str) -> bytes:
    """A refused getcardinfoex: Result 0 with Locked and the reason in WhyLock (the CardInfo
    record's BlockReason, which the till shows); Result 1 would only say 'card not found'."""
    return card_info_xml(CardInfo(result=0, locked=True, why_lock=text), error_text=text)


def transactions_result_xml(ok: bool, err_text: str = "", when: datetime | None = None,
                            place: str = "",
                            posted: Iterable[tuple[int, str, int]] = ()) -> bytes:
    """``<Root><TransactionsEx Result/><TRRESPONSE .../></Root>``: on failure error_code 157
    with the text the till shows; on success one TRANSACTION (num 1-based, ext_id, cardcode,
    value) per posted transaction of the batch."""
    root = ET.Element("Root")
    ET.SubElement(root, "TransactionsEx", Result="0" if ok else "1")
    dts = (when or datetime(2026, 1, 1)).strftime("%Y-%m-%dT%H:%M:%S")
    tr = ET.SubElement(root, "TRRESPONSE", error_code="0" if ok else "157", dts=dts,
                       err_text=(err_text or ("no error" if ok else "error"))[:255],
                       placeid=place)
    for num, ext, card in posted:
        ET.SubElement(tr, "TRANSACTION", ext_id=ext, num=str(num), cardcode=str(card), dts=dts)
    return _doc(root)


def find_email_xml(found: tuple[int, int, str] | None, error_text: str = NO_EMAIL) -> bytes:
    """``<Root><FindEmail Account CardCode Name Result="0"/></Root>`` for (account, card,
    name); not found: ``<Root><FindEmail ErrorText Result="1"/></Root>`` (§3.4)."""
    root = ET.Element("Root")
    if found is None:
        ET.SubElement(root, "FindEmail", ErrorText=error_text[:255], Result="1")
    else:
        account, card, name = found
        ET.SubElement(root, "FindEmail", Account=str(account), CardCode=str(card),
                      Name=name[:40], Result="0")  # Holder[40] in the FindEmail record
    return _doc(root)


def card_image_error_xml(text: str) -> bytes:
    """No image: ``<Root><GetCardImageEx ErrorText=.../></Root>`` (§3.4; an image would be
    the body itself, Content-Type image/jpg)."""
    root = ET.Element("Root")
    ET.SubElement(root, "GetCardImageEx", ErrorText=text[:255])
    return _doc(root)


def refusal(call: str, text: str, when: datetime | None = None) -> bytes:
    """A refused call in the call's own answer shape, so the till shows ``text``."""
    if call == "transactionsex":
        return transactions_result_xml(False, text, when)
    if call == "findemail":
        return find_email_xml(None, text)
    if call == "getcardimageex":
        return card_image_error_xml(text)
    return card_refusal_xml(text)
