"""FarCards-HTTP answers: r_keeper's ExtDllHTTP.dll asks for card info when a card is applied
to an order and posts the check's transactions at close. The door (``kassa_bonus.door``) takes
the request on its own listener, checks the till's credential and calls ``answer`` here.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from kassa.model.money import rubles

from kassa_bonus import farcards_wire as fw
from kassa_bonus.guests import GuestBlocked
from kassa_bonus.service import BonusService, service_for
from kassa_bonus.store import LedgerError
from kassa_bonus.texts import say

CALLS = ("getcardinfoex", "transactionsex")


def _bad(text: str) -> tuple[int, bytes]:
    return 400, (f'<?xml version="1.0" encoding="UTF-8"?><Root><Error Text="{_esc(text)}"/>'
                 "</Root>").encode()


def _esc(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace(">", "&gt;"))


def _in_range(card: int, ranges: list[str]) -> bool:
    for r in ranges:
        lo, _, hi = r.partition("-")
        if lo.strip().isdigit() and int(lo) <= card <= int(hi or lo):
            return True
    return False


def refusal(call: str, text: str, when: Any = None) -> bytes:
    """The envelope of a refused call, in the call's own answer shape, so the till shows
    ``text``: transactionsex as a failed batch (error_code 157 + err_text), getcardinfoex as
    no card with an ErrorText (the attribute FindEmail / GetCardImageEx use for a reason)."""
    if call == "transactionsex":
        return fw.transactions_result_xml(False, text, when)
    return fw.card_info_xml(fw.CardInfo(result=1), error_text=text)


async def answer(hub: Any, locale: str, call: str, body: bytes) -> tuple[int, bytes]:
    """(HTTP status, XML) for one admitted request."""
    svc = await service_for(hub)
    try:
        root = fw.parse_xml(body)
        if call == "getcardinfoex":
            card, restaurant, _unit, check_el = fw.parse_card_query(root)
            info = await card_info(svc, locale, card, restaurant, fw.parse_check(check_el))
            return 200, fw.card_info_xml(info)
        items, check_el = fw.parse_transactions(root)
        order = fw.parse_check(check_el)
    except fw.WireError as exc:
        return _bad(str(exc))
    try:
        ids = await post_transactions(svc, locale, items, order)
    except TillRefusal as exc:
        return 200, fw.transactions_result_xml(False, str(exc), svc.now())
    return 200, fw.transactions_result_xml(True, when=svc.now(), ext_ids=ids)


async def card_info(svc: BonusService, locale: str, card: int, restaurant: int,
                    order: Any) -> fw.CardInfo:
    s = svc.settings
    if s.farcards_restaurants and restaurant not in s.farcards_restaurants:
        return fw.CardInfo(result=0, locked=True, why_lock=say(locale, "restaurant"))
    note = ""
    try:
        gid = await svc.guests.find(str(card))
    except GuestBlocked as exc:
        reason = str(exc).split(": ", 1)[-1]
        expired = exc.code == "identifier_expired"
        key = "expired" if expired else "replaced" if exc.code == "identifier_replaced" \
            else "blocked"
        return fw.CardInfo(result=0, locked=not expired, expired=expired,
                           why_lock=say(locale, key, reason=reason))
    if gid is None:
        if not _in_range(card, s.farcards_issue_ranges):
            return fw.CardInfo(result=1)
        out = await svc.register("farcards", f"issue:{card}", card=str(card))
        gid, note = out.guest, say(locale, "new_card")
    guest = await svc.guest(gid)
    bonus = await svc.bonus_account(gid)
    available = bonus.balance - bonus.held
    deposit = next((a.available for a in guest.accounts if str(a.kind) == "debit"), 0)
    summa, disc_limit = available, 0
    if order is not None and order.lines:
        q = await svc.quote(order, guest)
        summa, disc_limit = q.bonus_spend_max, q.discount
    discount = max((s.farcards_discounts.get(g, 0) for g in guest.groups), default=0)
    screen = say(locale, "card_screen", balance=rubles(available), level=guest.level)
    return fw.CardInfo(
        result=0, holder=guest.name or (guest.phone or ""), person_id=guest.id,
        account=zlib.crc32(guest.id.encode()), bonus=s.farcards_bonus_type, discount=discount,
        disc_limit=disc_limit, summa=summa, sums=(deposit, 0, 0, 0, 0, 0, 0),
        dop_info=guest.level or "", scr_message=(note + ". " if note else "") + screen,
        prn_message=screen)


class TillRefusal(Exception):
    """The batch is refused as a whole; the text is what the till shows."""


async def post_transactions(svc: BonusService, locale: str, items: list[fw.Transaction],
                            order: Any) -> list[str]:
    """One ledger operation for the whole batch: everything posts or nothing does."""
    first = items[0]
    check_ref = f"{first.restaurant}/{first.rk_date}/{first.rk_unit}/{first.rk_check}"
    plan: list[tuple[str, str, int]] = []
    guests: dict[int, str] = {}
    for t in items:
        if t.kind in (fw.KIND_DISCOUNT, fw.KIND_OWN_MONEY) or t.summa == 0:
            continue  # r_keeper's own discount / money: nothing moves in our ledger
        try:
            gid = guests.get(t.card) or await svc.guests.find(str(t.card))
        except GuestBlocked as exc:
            raise TillRefusal(say(locale, "blocked", reason=str(exc).split(": ", 1)[-1])) from None
        if gid is None:
            raise TillRefusal(say(locale, "unknown_card"))
        guests[t.card] = gid
        kind = svc.settings.farcards_payment_account if t.kind == fw.KIND_PAYMENT else "bonus"
        account = await svc.guests.account_of(gid, kind)
        if t.kind == fw.KIND_PAYMENT:
            plan.append(("spend" if t.summa < 0 else "unspend", account, abs(t.summa)))
        else:
            plan.append(("earn" if t.summa > 0 else "unearn", account, abs(t.summa)))
    if not plan:
        return []
    await _check_pay_limit(svc, locale, plan, order, guests)
    digest = hashlib.sha256(repr(sorted(plan)).encode()).hexdigest()[:16]
    try:
        out = await svc.ledger.batch("farcards", f"{check_ref}:{digest}", plan,
                                     site=str(first.restaurant), order_ref=check_ref,
                                     expires_at=svc.lot_expiry())
    except LedgerError as exc:
        key = exc.code if exc.code in ("insufficient_funds", "nothing_to_cancel") else "failed"
        raise TillRefusal(say(locale, key, reason=str(exc))) from None
    if any(op in ("spend", "earn") for op, _, _ in plan):
        for gid in set(guests.values()):
            await svc.after_visit(gid, str(first.restaurant))
    return list(out.postings)


async def _check_pay_limit(svc: BonusService, locale: str, plan: list[tuple[str, str, int]],
                           order: Any, guests: dict[int, str]) -> None:
    """Points may pay only what the rules allow for this check (max % , excluded dishes)."""
    if order is None or not order.lines or svc.settings.farcards_payment_account != "bonus":
        return
    spent = sum(a for op, _, a in plan if op == "spend")
    if not spent:
        return
    guest = await svc.guest(next(iter(guests.values())))
    q = await svc.quote(order, guest)
    if spent > q.bonus_spend_max:
        raise TillRefusal(say(locale, "spend_over_limit", limit=rubles(q.bonus_spend_max)))
