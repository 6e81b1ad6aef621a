"""The simulated Lime installation: cards and their rights, cashdesks and shifts, check ids,
checks and each card's history, with Lime's rules on a PutCheck (all or nothing).

Rules and their sources are listed in docs/plugins/lime.md (fidelity table). What §4 of the
protocol brief does not show (error shapes, duplicate check ids) is decided there too.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from attrs import define, field

from kassa_lime import wire


class SimRefusal(Exception):
    """A Lime-shaped refusal: HTTP ``status`` with ``{"error": code, "message": text}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


@define
class SimRight:
    id: int
    name: str
    amount: int  # kopecks
    to: datetime | None = None


@define
class SimCard:
    id: int
    uid: str
    holder: str
    rights: dict[int, SimRight] = field(factory=dict)
    history: list[dict[str, Any]] = field(factory=list)


@define
class SimGood:
    id: int
    name: str


class LimeModel:
    """State and rules; the HTTP side (``sim.py``) only translates."""

    def __init__(self, *, installation_id: int = 79, cashdesk_id: int = 210,
                 tz: ZoneInfo | None = None) -> None:
        self.tz = tz or ZoneInfo("Europe/Moscow")
        self.installation_id = installation_id
        self.cashdesks: dict[int, str] = {cashdesk_id: "Касса 1"}
        self.users: dict[int, str] = {1: "Администратор"}
        self.goods: dict[int, SimGood] = {}
        self.cards: dict[int, SimCard] = {}
        self.shifts: dict[int, dict[str, Any]] = {}
        self.checks: dict[int, dict[str, Any]] = {}
        self.issued: set[int] = set()
        self.entries: dict[int, dict[str, Any]] = {}  # Lime's entry id -> the sold entry
        self.put_checks = 0  # accepted PutChecks: the exactly-once tests count these
        self.put_attempts = 0
        self._ids = itertools.count(1000)
        self._entry_ids = itertools.count(50000)
        self._shift_ids = itertools.count(1)

    # --- set-up ---------------------------------------------------------------------------
    def add_good(self, good_id: int, name: str) -> None:
        self.goods[good_id] = SimGood(good_id, name)

    def add_card(self, card_id: int, uid: str, holder: str = "",
                 rights: list[SimRight] | None = None) -> SimCard:
        card = SimCard(card_id, uid, holder, {r.id: r for r in rights or []})
        self.cards[card_id] = card
        return card

    def card_by_uid(self, uid: str) -> SimCard | None:
        return next((c for c in self.cards.values() if c.uid.upper() == uid.upper()), None)

    # --- reads ----------------------------------------------------------------------------
    def card_info(self, installation_id: int, uid: str | None, card_id: int | None
                  ) -> dict[str, Any]:
        self._installation(installation_id)
        card = self.cards.get(card_id) if card_id is not None else \
            self.card_by_uid(uid or "") if uid else None
        if card is None:
            raise SimRefusal(404, "card_not_found", "Карта не найдена")
        return {"id": card.id, "uid": card.uid, "holder": card.holder,
                "rights": {"right": [
                    {"id": r.id, "name": r.name, "amount": r.amount,
                     "to": wire.local_time(r.to, self.tz) if r.to else None}
                    for r in card.rights.values()]}}

    def shift(self, cashdesk_id: int) -> dict[str, Any]:
        self._cashdesk(cashdesk_id)
        s = self.shifts.get(cashdesk_id)
        return dict(s) if s and s["open"] else {}

    def open_shift(self, cashdesk_id: int, now: datetime) -> dict[str, Any]:
        self._cashdesk(cashdesk_id)
        s = self.shifts.get(cashdesk_id)
        if s and s["open"]:
            raise SimRefusal(409, "shift_open", "Смена уже открыта")
        self.shifts[cashdesk_id] = s = {"id": next(self._shift_ids), "cashdeskId": cashdesk_id,
                                        "open": True, "opened": wire.local_time(now, self.tz)}
        return dict(s)

    def close_shift(self, cashdesk_id: int) -> None:
        if cashdesk_id in self.shifts:
            self.shifts[cashdesk_id]["open"] = False

    def next_check_id(self, cashdesk_id: int) -> int:
        self._cashdesk(cashdesk_id)
        n = next(self._ids)
        self.issued.add(n)
        return n

    # --- PutCheck -------------------------------------------------------------------------
    def put_check(self, body: Any) -> dict[str, Any]:
        """Validate everything, then apply everything: a refused check changes nothing."""
        self.put_attempts += 1
        try:
            head, entries = body["check"], body["entries"]
            number, desk = int(head["id"]), int(head["cashdeskId"])
            self._installation(int(head["installationId"]))
            at = wire.parse_time(head["time"], self.tz)
            refund = int(head.get("type", 0)) == 1
        except (KeyError, TypeError, ValueError) as exc:
            raise SimRefusal(400, "bad_request", f"Неверный формат чека: {exc}") from None
        self._cashdesk(desk)
        if number in self.checks:
            raise SimRefusal(409, "check_exists", f"Чек {number} уже проведён")
        if number not in self.issued:
            raise SimRefusal(400, "unknown_check_id", f"Номер чека {number} не выдавался")
        if not self.shift(desk):
            raise SimRefusal(400, "shift_closed", "Смена на кассе не открыта")
        if not isinstance(entries, list) or not entries:
            raise SimRefusal(400, "empty_check", "В чеке нет позиций")
        assert at is not None
        moves: dict[tuple[int, int], int] = {}
        returning: dict[int, int] = {}  # sold entry -> what this check gives back of it
        lines = [self._entry(e, n, at, refund, moves, returning)
                 for n, e in enumerate(entries, 1)]
        for (card_id, right_id), amount in moves.items():
            right = self.cards[card_id].rights[right_id]
            if not refund and amount > right.amount:
                raise SimRefusal(400, "insufficient_funds",
                                 f"Недостаточно средств на счёте «{right.name}»")
        # everything checked: apply
        for (card_id, right_id), amount in moves.items():
            self.cards[card_id].rights[right_id].amount += amount if refund else -amount
        answer = []
        for line in lines:
            line["lime_id"] = next(self._entry_ids)
            self.entries[line["lime_id"]] = line
            if refund and line["returns"] is not None:
                self.entries[line["returns"]]["returned"] += line["cost"]
            answer.append({"entry": line["entry"], "id": line["lime_id"]})
            self._history(line, number, at, desk, int(head.get("userId", 0)), refund)
        self.checks[number] = {"body": body, "lines": lines, "time": at, "refund": refund,
                               "cashdesk": desk}
        self.put_checks += 1
        return {"id": number, "entries": answer}

    def _entry(self, e: Any, n: int, at: datetime, refund: bool,
               moves: dict[tuple[int, int], int], returning: dict[int, int]
               ) -> dict[str, Any]:
        try:
            entry, payments = e["entry"], e["payments"]
            units = Decimal(str(entry["count"]))
            price, base = wire.kopecks(entry["price"]), wire.kopecks(entry["basePrice"])
            good = int(entry["goodTypeId"])
            paid = [(wire.kopecks(p["amount"]), str(p.get("transactionReference") or ""))
                    for p in payments]
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise SimRefusal(400, "bad_request", f"Позиция {n}: неверный формат ({exc})") from None
        if good not in self.goods:
            raise SimRefusal(400, "unknown_good_type", f"Позиция {n}: неизвестный товар {good}")
        if units <= 0 or price < 0 or base < price:
            raise SimRefusal(400, "bad_price", f"Позиция {n}: неверные цена или количество")
        cost = int((units * price).to_integral_value())
        if sum(a for a, _ in paid) != cost:
            raise SimRefusal(400, "sum_mismatch",
                             f"Позиция {n}: сумма оплат не равна стоимости позиции")
        returns = None
        if refund:
            back = entry.get("returnCheckEntryId")
            sold = self.entries.get(int(back)) if back is not None else None
            if sold is None:
                raise SimRefusal(400, "unknown_entry",
                                 f"Позиция {n}: возвращаемая позиция не найдена")
            returns = int(back)
            # two entries of one return check may give back one sold entry: counted together
            before = returning.get(returns, 0)
            if sold["returned"] + before + cost > sold["cost"]:
                raise SimRefusal(400, "return_exceeds", f"Позиция {n}: возврат больше продажи")
            returning[returns] = before + cost
        shares = []
        for amount, ref in paid:
            if amount <= 0:
                raise SimRefusal(400, "bad_amount", f"Позиция {n}: неверная сумма оплаты")
            who = wire.parse_reference(ref)
            if who is None:
                shares.append({"card": None, "right": None, "amount": amount})
                continue
            card = self.cards.get(who[0])
            right = card.rights.get(who[1]) if card else None
            if card is None or right is None:
                raise SimRefusal(400, "unknown_right", f"Позиция {n}: счёт {who[1]} не найден")
            if not refund and right.to is not None and at >= right.to:
                raise SimRefusal(400, "right_expired",
                                 f"Позиция {n}: срок действия счёта «{right.name}» истёк")
            moves[who] = moves.get(who, 0) + amount
            shares.append({"card": card.id, "right": right.id, "amount": amount})
        card_id = entry.get("cardId")
        return {"entry": n, "good": good, "units": units, "price": price, "base": base,
                "card": int(card_id) if isinstance(card_id, int) else None,
                "cost": cost, "shares": shares, "returns": returns, "returned": 0}

    def _history(self, line: dict[str, Any], number: int, at: datetime, desk: int,
                 user: int, refund: bool) -> None:
        # the payer is the entry's card (its ``cardId``), else the first that paid
        first = next((s["card"] for s in line["shares"] if s["card"] is not None), None)
        payer = line["card"] if line["card"] in self.cards else first
        for s in line["shares"]:
            if s["card"] is None:
                continue
            card = self.cards[s["card"]]
            payer_card = self.cards[payer] if payer is not None else card
            card.history.append({
                "type": "Возврат" if refund else "Продажа", "date": wire.local_time(at, self.tz),
                "account": card.rights[s["right"]].name,
                "amount": wire.rubles(s["amount"] if refund else -s["amount"]),
                "product": self.goods[line["good"]].name, "pointOfService": self.cashdesks[desk],
                "operator": self.users.get(user, str(user)), "payer": payer_card.holder,
                "payerCard": payer_card.uid, "checkId": number})

    # --- reports (what Lime's back office shows) ------------------------------------------
    def detailed_sales(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """"Детальный по продажам": one row per sold or returned line, with who paid."""
        rows = []
        for number, chk in sorted(self.checks.items()):
            if not since <= chk["time"] < until:
                continue
            for line in chk["lines"]:
                cards = [self.cards[s["card"]] for s in line["shares"] if s["card"] is not None]
                accounts = "; ".join(
                    f"{self.cards[s['card']].rights[s['right']].name}: {wire.rubles(s['amount'])}"
                    for s in line["shares"] if s["card"] is not None)
                rows.append({"sale": number, "card": cards[0].uid if cards else "",
                             "time": wire.local_time(chk["time"], self.tz),
                             "product": self.goods[line["good"]].name,
                             "cardUids": ", ".join(dict.fromkeys(c.uid for c in cards)),
                             "basePrice": wire.rubles(line["base"]),
                             "price": wire.rubles(line["price"]),
                             "units": str(line["units"]), "accounts": accounts,
                             "refund": chk["refund"]})
        return rows

    # --- lookups --------------------------------------------------------------------------
    def _installation(self, installation_id: int) -> None:
        if installation_id != self.installation_id:
            raise SimRefusal(404, "installation_not_found",
                             f"Инсталляция {installation_id} не найдена")

    def _cashdesk(self, cashdesk_id: int) -> None:
        if cashdesk_id not in self.cashdesks:
            raise SimRefusal(404, "cashdesk_not_found", f"Касса {cashdesk_id} не найдена")
