"""FarCards-HTTP server: r_keeper's ExtDllHTTP.dll asks for card info when a card is applied
to an order and posts the check's transactions at close. Mounted at ``/farcards``.

ExtDllHTTP ini: ``Address=http://<hub>:<port>``, ``GetCardInfoEx=farcards/getcardinfoex``,
``TransactionsEx=farcards/transactionsex``.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from kassa.model.money import rubles
from litestar import Request, Response, Router, post

from kassa_bonus import farcards_wire as fw
from kassa_bonus.guests import GuestBlocked
from kassa_bonus.service import BonusService, HubRef, service_for
from kassa_bonus.store import LedgerError
from kassa_bonus.texts import say

XML = "application/xml; charset=utf-8"


def _xml(body: bytes, status: int = 200) -> Response[bytes]:
    return Response(body, status_code=status, media_type=XML)


def _bad(text: str) -> Response[bytes]:
    return _xml(f'<?xml version="1.0" encoding="UTF-8"?><Root><Error Text="{_esc(text)}"/></Root>'
                .encode(), 400)


def _esc(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace(">", "&gt;"))


def _hub(request: Request[Any, Any, Any]) -> HubRef:
    ref: HubRef = request.route_handler.opt["bonus_hub"]
    return ref


def _in_range(card: int, ranges: list[str]) -> bool:
    for r in ranges:
        lo, _, hi = r.partition("-")
        if lo.strip().isdigit() and int(lo) <= card <= int(hi or lo):
            return True
    return False


@post("/getcardinfoex", status_code=200)
async def getcardinfoex(request: Request[Any, Any, Any]) -> Response[bytes]:
    ref = _hub(request)
    try:
        card, restaurant, _unit, check_el = fw.parse_card_query(fw.parse_xml(await request.body()))
        svc = await service_for(ref.hub)
        info = await card_info(svc, ref.locale(), card, restaurant, fw.parse_check(check_el))
    except fw.WireError as exc:
        return _bad(str(exc))
    return _xml(fw.card_info_xml(info))


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


@post("/transactionsex", status_code=200)
async def transactionsex(request: Request[Any, Any, Any]) -> Response[bytes]:
    ref = _hub(request)
    try:
        items, check_el = fw.parse_transactions(fw.parse_xml(await request.body()))
        order = fw.parse_check(check_el)
    except fw.WireError as exc:
        return _bad(str(exc))
    svc = await service_for(ref.hub)
    try:
        ids = await post_transactions(svc, ref.locale(), items, order)
    except TillRefusal as exc:
        return _xml(fw.transactions_result_xml(False, str(exc), svc.now()))
    return _xml(fw.transactions_result_xml(True, when=svc.now(), ext_ids=ids))


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


def router(hub: Any) -> Router:
    return Router(path="/farcards", route_handlers=[getcardinfoex, transactionsex],
                  opt={"bonus_hub": HubRef(hub)}, include_in_schema=False)
