"""The simulated restaurant as the till of a loyalty system, over FarCards-HTTP.

What r_keeper's ``ExtDllHTTP.dll`` does (shared/protocols/rkeeper.md §3.2-3.5), played by the
simulator so a loyalty server can be tested against a real-looking cash server:

- a guest's card is applied to an order: the PDS discount line appears on the order
  (``charge_source=pdsCard``) and the cash server POSTs ``getcardinfoex`` (``<ROOT><QRY Card
  Restaurant UnitNo><INPBUF><CHECK>``, the order as the cash document, decimal roubles);
- an unknown card (``Result="1"``) or a refused one (``Locked``, ``StopDate``, ``Deleted``,
  ``Seize``, ``Holy``) is shown on the till: logged, kept in ``refusals``, and the discount line
  is deleted again (the hub sees ``loyalty_discount_removed``);
- some checks are shared: a second guest presents another card of the same issuer (the same
  first four digits) and both cards pay (§3.4: TransactionsEx rows of several cards in one
  call); only the first card's discount line goes on the order and only it accrues;
- the demo's loyalty simulators publish their card ranges (``endpoints``: ``<name>_cards`` =
  ``"lo-hi"``): the guests carry the first cards of each range too;
- at check close the cards' transactions are POSTed in one ``transactionsex`` (all or nothing,
  kopecks, signs per the Kind table): Kind 0 points paid (-), Kind 1 the card discount (-),
  Kind 2 bonus accrued (+, r_keeper computes it from the card's bonus type). A network error
  is retried with the same body (the server must not post twice); a refusal
  (``Result="1"`` + ``TRRESPONSE err_text``) is shown, the card comes off the check and it is
  paid in money.

UTF-8 XML only, as ExtDllHTTP speaks. Nothing here knows who answers: it speaks the protocol.
"""

from __future__ import annotations

import logging
import random
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import anyio
import httpx
from attrs import define, field

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper.sim_life import is_open
from kassa_rkeeper.sim_model import DiscountLine, Order, PrintCheck, Restaurant, SimError

log = logging.getLogger(__name__)

RK_EPOCH = datetime(1899, 12, 30)  # RKDate: cash date in days since this day
KIND_PAYMENT, KIND_DISCOUNT, KIND_BONUS = 0, 1, 2
CARD_DISCOUNT = 3  # DISCOUNTS ident of "Бонусная карта" (Loyalty=1: charged by the PDS interface)
BONUS_CURRENCY, BANK_CARD = 3, 2  # CURRENCIES idents
BONUS_PCT = {1: Decimal(5)}  # r_keeper bonus type -> % of the paid check it accrues
REFUSED = {"Locked": "карта заблокирована", "StopDate": "срок действия карты истёк",
           "Deleted": "карта удалена", "Seize": "изъять карту", "Holy": "карта не активна"}


class TillWireError(Exception):
    """The loyalty server answered something that is not FarCards XML."""


@define
class CardState:
    card: str
    line: DiscountLine | None  # None: a second card on a shared check (no discount of its own)
    holder: str
    summa: int  # AvailableToPay, kopecks
    bonus_type: int


@define
class Till:
    rest: Restaurant
    url: str  # the FarCards base URL, e.g. http://hub:8080/farcards
    cards: Sequence[str] = ()  # cards the simulated guests carry
    share: float = 0.3  # of visits made by a guest with a card
    seed: int = 1
    endpoints: Mapping[str, str] | None = None  # what the demo's simulators published
    shared: float = 0.25  # of card visits where a second guest pays with a card too
    per_range: int = 10  # cards the guests carry of each published range
    get_card_info_path: str = "getcardinfoex"
    transactions_path: str = "transactionsex"
    find_email_path: str = "findemail"  # the ini's FindEmail= (§3.4)
    card_image_path: str = "getcardimageex"  # GetCardImageEx=
    attempts: int = 3  # ExtDllHTTP retries a failed POST
    refusals: list[str] = field(factory=list)  # what the till showed
    posted: int = 0  # checks whose transactions the server accepted
    applied: dict[str, list[CardState]] = field(factory=dict)  # order guid -> its cards
    rng: random.Random = field(init=False)
    client: httpx.AsyncClient | None = None

    def __attrs_post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        cards = list(self.cards)
        for name, value in sorted((self.endpoints or {}).items()):
            if name.endswith("_cards"):
                cards += [c for c in _range_cards(value, self.per_range) if c not in cards]
        self.cards = tuple(cards)

    # --- the two FarCards calls ---------------------------------------------------------------
    async def _post(self, path: str, body: bytes) -> ET.Element:
        client = self.client or httpx.AsyncClient(timeout=10)
        self.client = client
        last: Exception | None = None
        for attempt in range(self.attempts):
            try:
                r = await client.post(f"{self.url.rstrip('/')}/{path}", content=body,
                                      headers={"Content-Type": "text/xml; charset=utf-8"})
            except httpx.HTTPError as exc:
                last = exc
            else:
                if r.status_code < 500:
                    if r.status_code != 200:
                        raise TillWireError(f"{path}: HTTP {r.status_code}")
                    try:
                        return ET.fromstring(r.content)
                    except ET.ParseError as exc:
                        raise TillWireError(f"{path}: not XML ({exc})") from None
                last = TillWireError(f"{path}: HTTP {r.status_code}")
            await anyio.sleep(0.05 * (attempt + 1))
        raise TillWireError(f"{path}: no answer after {self.attempts} attempts ({last})")

    async def apply_card(self, order: Order, card: str, station: int, *,
                         discount: bool = True) -> CardState | None:
        """The waiter swipes ``card`` on ``order``; None (and a refusal shown) if refused.
        ``discount=False``: a second card of a shared check (its discount line is the first
        card's)."""
        line = self.rest.apply_discount(order, CARD_DISCOUNT, card=card) if discount else None
        qry = ET.Element("ROOT")
        q = ET.SubElement(qry, "QRY", Card=card, Restaurant=self.rest.code, UnitNo=str(station))
        ET.SubElement(q, "INPBUF").append(self.check_xml(order, card, station))
        try:
            answer = (await self._post(self.get_card_info_path, _doc(qry))).find("GetCardInfoEx")
            if answer is None:
                raise TillWireError("expected <Root><GetCardInfoEx>")
            if answer.get("Result") != "0":
                self._refuse(order, line, "Карта не найдена")
                return None
            for attr, text in REFUSED.items():
                if answer.get(attr) == "1":
                    self._refuse(order, line, answer.get("WhyLock") or text)
                    return None
            state = CardState(card, line, answer.get("Holder", ""), _int(answer, "Summa"),
                              _int(answer, "Bonus"))
        except TillWireError as exc:
            self._refuse(order, line, f"Ошибка связи с сервером карт: {exc}")
            return None
        self.applied.setdefault(order.guid, []).append(state)
        log.debug("till %s: card %s (%s): %s", self.rest.code, card, state.holder,
                 answer.get("ScrMessage", ""))
        return state

    async def close(self, order: Order, station: int, cashier: int) -> PrintCheck:
        """Pay the order. With cards on it: points pay part (each card its guest's share, up
        to what it shows), the first card accrues, and the cards' transactions post in one call
        before the check closes; a refusal takes the cards off."""
        states = self.applied.pop(order.guid, [])
        if not states:
            return self.rest.pay(order, station, cashier, [(BANK_CARD, order.to_pay)])
        paying = self.rng.random() < 0.5
        # guests sharing a check split it evenly; each card pays at most what it shows
        split = [order.to_pay // len(states)] * len(states)
        split[0] += order.to_pay - sum(split)
        pays_by_card = [min(st.summa, part) if paying else 0
                        for st, part in zip(states, split, strict=True)]
        paid = sum(pays_by_card)
        left = order.to_pay - paid
        bonus_pct = BONUS_PCT.get(states[0].bonus_type, Decimal(0))
        bonus = int(left * bonus_pct / 100)
        check_no = self.rest.next_check  # the number this close prints: reserved now
        self.rest.next_check += 1
        root = ET.Element("ROOT")
        trs = ET.SubElement(root, "Transactions")
        day = (self.rest.shift_date - RK_EPOCH).days
        for n, (state, pay) in enumerate(zip(states, pays_by_card, strict=True)):
            rows = [(KIND_PAYMENT, -pay),
                    (KIND_DISCOUNT, -state.line.amount if state.line is not None else 0),
                    (KIND_BONUS, bonus if n == 0 else 0)]
            for kind, summa in rows:
                if summa:
                    ET.SubElement(trs, "TransactionsEx", Card=state.card, PersonID="",
                                  Account="0", Kind=str(kind), Summa=str(summa),
                                  Restaurant=self.rest.code, RKDate=str(day),
                                  RKUnit=str(station), RKCheck=str(check_no))
        ET.SubElement(root, "InpBuf", InpKind="1").append(
            self.check_xml(order, [s.card for s in states], station, check_no))
        pays = [(BONUS_CURRENCY, paid), (BANK_CARD, left)] if paid else \
            [(BANK_CARD, order.to_pay)]
        if len(trs):
            refusal = await self._transactions(_doc(root))
            if refusal is not None:
                for state in states:
                    self._refuse(order, state.line, refusal)
                del self.refusals[len(self.refusals) - len(states) + 1:]  # shown once
                pays = [(BANK_CARD, order.to_pay)]
            else:
                self.posted += 1
        saved, self.rest.next_check = self.rest.next_check, check_no
        try:
            return self.rest.pay(order, station, cashier, [p for p in pays if p[1]])
        finally:
            self.rest.next_check = max(saved, check_no + 1)

    async def _transactions(self, body: bytes) -> str | None:
        """None when posted; else the text the till shows."""
        try:
            answer = await self._post(self.transactions_path, body)
        except TillWireError as exc:
            return f"Ошибка связи с сервером карт: {exc}"
        result = answer.find("TransactionsEx")
        if result is None:
            return "Сервер карт ответил не по протоколу"
        if result.get("Result") == "0":
            return None
        tr = answer.find("TRRESPONSE")
        return (tr.get("err_text") if tr is not None else None) or "Транзакции не проведены"

    def _refuse(self, order: Order, line: DiscountLine | None, text: str) -> None:
        self.refusals.append(text)
        log.info("till %s, order %s: the till shows %r", self.rest.code, order.ident, text)
        if line is not None and not line.deleted:
            self.rest.remove_discount(order, line)  # loyalty_discount_removed

    # --- the optional calls: a guest found by e-mail, a card's picture -------------------------
    async def find_email(self, email: str) -> tuple[int, str, str] | None:
        """The cashier looks a guest up by e-mail: (Account, CardCode, Name), or None and
        the ErrorText shown (kept in ``refusals``)."""
        qry = ET.Element("ROOT")
        ET.SubElement(qry, "QRY", Email=email)
        try:
            el = (await self._post(self.find_email_path, _doc(qry))).find("FindEmail")
            if el is None:
                raise TillWireError("expected <Root><FindEmail>")
            if el.get("Result") != "0":
                self.refusals.append(el.get("ErrorText") or "Email not found")
                return None
            return _int(el, "Account"), el.get("CardCode", ""), el.get("Name", "")
        except TillWireError as exc:
            self.refusals.append(f"Ошибка связи с сервером карт: {exc}")
            return None

    async def card_image(self, card: str) -> bytes | None:
        """The card's picture for the till's screen, or None (the ErrorText is shown and
        kept in ``refusals``): an image is the answer's body (Content-Type image/...)."""
        qry = ET.Element("ROOT")
        ET.SubElement(qry, "QRY", CardCode=card)
        client = self.client or httpx.AsyncClient(timeout=10)
        self.client = client
        try:
            r = await client.post(f"{self.url.rstrip('/')}/{self.card_image_path}",
                                  content=_doc(qry),
                                  headers={"Content-Type": "text/xml; charset=utf-8"})
        except httpx.HTTPError as exc:
            self.refusals.append(f"Ошибка связи с сервером карт: {exc}")
            return None
        if r.status_code == 200 and r.headers.get("content-type", "").startswith("image/"):
            return r.content
        try:
            el = ET.fromstring(r.content).find("GetCardImageEx")
        except ET.ParseError:
            el = None
        self.refusals.append((el.get("ErrorText") if el is not None else None)
                             or f"Нет изображения карты (HTTP {r.status_code})")
        return None

    # --- the cash document (INPBUF) -------------------------------------------------------
    def check_xml(self, order: Order, card: str | Sequence[str], station: int,
                  check_no: int | None = None) -> ET.Element:
        """The order as r_keeper's GetXMLText writes it (§3.5): UPPERCASE tags, lowercase
        attributes, decimal roubles; only non-deleted lines. Every card on the check is a
        HOLDERS item; the interface's ``cardcode`` is the first."""
        cards = [card] if isinstance(card, str) else list(card)
        r = self.rest
        root = ET.Element("CHECK", stationcode=str(station), restaurantcode=r.code,
                          cashservername="MIDSERV", generateddatetime=_dt(r.clock()),
                          chmode="5", locale="1049", shiftdate=r.shift_date.strftime("%Y-%m-%d"),
                          shiftnum=str(r.shift_num))
        iface = ET.SubElement(ET.SubElement(ET.SubElement(root, "EXTINFO"), "INTERFACES",
                                            current="1"),
                              "INTERFACE", cardcode=cards[0], type="PDS", id="1", mode="0",
                              interface="1")
        holders = ET.SubElement(iface, "HOLDERS")
        for c in cards:
            ET.SubElement(holders, "ITEM", cardcode=c)
        data = ET.SubElement(root, "CHECKDATA", checknum=str(check_no or ""),
                             ordernum=f"{order.visit}/{order.ident}", guests=str(order.guests),
                             orderguid=order.guid)
        dishes = [d for d in order.dishes() if d.quantity]
        lines = ET.SubElement(data, "CHECKLINES", count=str(len(dishes)))
        for d in dishes:
            ET.SubElement(lines, "LINE", code=d.item.code, name=d.item.name, uni=str(d.uni),
                          type="dish", price=_rub(d.price),
                          quantity=f"{Decimal(d.quantity) / 1000:f}", sum=_rub(d.amount),
                          categ_id=d.item.props.get("CategPath", ""))
        return root

    # --- guests with cards, by themselves -------------------------------------------------
    async def visit(self) -> PrintCheck | None:
        """One guest with a card: a table, a few dishes, the card, the bill, the close."""
        r, rng = self.rest, self.rng
        if not is_open(r.clock()):
            return None  # guests come while the restaurant is open
        busy = {o.table.ident for o in r.orders if not o.finished}
        free = [t.ident for t in ref.TABLES if t.ident not in busy]
        if not free or not self.cards:
            return None
        station, waiter = ref.CASHES[0].ident, rng.choice(ref.WAITER_IDS)
        if waiter not in r.logged_in:
            r.login(waiter, station)
        order = r.open_order(rng.choice(free), waiter, station, guests=rng.randint(1, 4))
        for _ in range(rng.randint(1, 4)):
            r.add_draft(order, rng.choice(ref.MENUITEMS).ident, 1000 * rng.randint(1, 2))
        r.save(order, station)
        card = rng.choice(list(self.cards))
        first = await self.apply_card(order, card, station)
        others = [c for c in self.cards if c != card and c[:4] == card[:4]]
        if first is not None and others and rng.random() < self.shared:
            await self.apply_card(order, rng.choice(others), station, discount=False)
        if order.finished:  # the staff closed it meanwhile
            self.applied.pop(order.guid, None)
            return None
        r.print_bill(order, station, ref.CASHIER_ID)
        return await self.close(order, station, ref.CASHIER_ID)

    async def run(self, rate: float = 0.2) -> None:
        """Guests with cards come ``rate`` times a second (refused actions are a normal day)."""
        while True:
            await anyio.sleep(1.0 / rate)
            try:
                await self.visit()
            except SimError as exc:
                log.debug("till %s: %s", self.rest.code, exc.text)

    async def aclose(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            await client.aclose()

    def summary(self) -> dict[str, Any]:
        return {"loyalty_checks_posted": self.posted, "loyalty_refusals": len(self.refusals)}


def _range_cards(text: str, n: int) -> list[str]:
    """The first ``n`` cards of a published range ``"lo-hi"`` (anything else: none)."""
    lo, sep, hi = text.partition("-")
    if not (sep and lo.strip().isdigit() and hi.strip().isdigit()):
        return []
    return [str(c) for c in range(int(lo), min(int(hi), int(lo) + n - 1) + 1)]


def _doc(root: ET.Element) -> bytes:
    # the "unicode" form is typed (str); UTF-8 bytes without a declaration are its encoding
    body = ET.tostring(root, encoding="unicode").encode()
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _int(el: ET.Element, name: str) -> int:
    try:
        return int(el.get(name) or 0)
    except ValueError:
        raise TillWireError(f"<{el.tag} {name}={el.get(name)!r}>: not an integer") from None


def _rub(kopecks: int) -> str:
    return f"{Decimal(kopecks) / 100:.2f}"


def _dt(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S")
