"""From sb_pilot's answer to the core's types, and from its code to the shared errors: the one
place that knows both (codes.py has the table)."""

from __future__ import annotations

import re
from datetime import datetime

from attrs import evolve
from kassa.errors import Permanent, RetryLater
from kassa.model import CardOperation, CardResult, Reconciliation, ReconciliationTotal

from kassa_sber.codes import CARD_TYPES, Kind, classify
from kassa_sber.resultfile import DATE_FORMAT, Answer
from kassa_sber.texts import say

_LOCALES = {"ru": 1, "en": 2}
TOTAL_NAMES = {1: "purchase", 3: "refund"}  # TType of the S; rows


def mask(card: str) -> str | None:
    """At most the first 6 and the last 4 digits (a full number must never be stored)."""
    digits = re.sub(r"\D", "", card)
    if not digits:
        return card.strip() or None
    if len(digits) <= 10 and "*" in card:
        return card.strip()
    return digits[:6] + "*" * max(len(digits) - 10, 2) + digits[-4:]


def when(text: str) -> datetime | None:
    try:  # the terminal's local clock, made aware in the till's zone
        return datetime.strptime(text, DATE_FORMAT).astimezone()
    except ValueError:
        return None


def refusal(code: int, terminal: str, locale: str = "ru") -> str:
    text = classify(code)[_LOCALES.get(locale, 1)]
    return say("sber.refused", locale, terminal=terminal, text=text, code=code)


def raise_for(code: int, terminal: str, locale: str = "ru") -> Kind:
    """``RetryLater`` / ``Permanent`` for codes that are not an answer about the card."""
    kind = classify(code)[0]
    if kind is Kind.NO_LINK:
        raise RetryLater(refusal(code, terminal, locale), after=10)
    if kind is Kind.PERMANENT:
        raise Permanent(refusal(code, terminal, locale))
    return kind


def card_result(a: Answer, slip: str, op: CardOperation, key: str, *, terminal: str,
                locale: str = "ru", amount: int | None = None,
                suspended: bool = False) -> CardResult:
    """An approval or a decline (``raise_for`` has taken out the rest)."""
    approved = a.error_code == 0 and a.rcode in ("0", "00")
    message = None
    if not approved:
        base = refusal(a.error_code, terminal, locale)
        host = a.message.strip()
        message = f"{host}. {base}" if host else base
    return CardResult(
        operation=op, approved=approved, amount=a.amount if amount is None else amount,
        key=key, rcode=a.rcode or str(a.error_code), message=message, rrn=a.rrn or None,
        auth_code=a.auth_code or None, card_mask=mask(a.card_id) if a.card_id else None,
        card_type=CARD_TYPES.get(a.ctype) if a.ctype else None,
        terminal_id=a.terminal_id or None, txn_at=when(a.trans_date),
        txn_number=str(a.trans_number) if a.trans_number else None, slip=slip,
        suspended=suspended and approved)


def reconciliation(a: Answer, slip: str) -> Reconciliation:
    return Reconciliation(
        slip=slip, at=when(a.trans_date) or datetime.now().astimezone(),
        terminal_id=a.terminal_id or None,
        totals=[ReconciliationTotal(operation=TOTAL_NAMES.get(t, str(t)), count=c, amount=k)
                for t, c, k in a.totals])


def tape_result(row: dict[str, str], op: CardOperation, key: str, terminal_id: str,
                terminal: str, locale: str = "ru") -> CardResult:
    """A control-tape row as the answer its run would have given (the slip is not on the
    tape: the recovered result has a short one, marked as a copy)."""
    code = 0 if row["rcode"] in ("0", "00") else 4400 + int(row["rcode"] or 5)
    a = Answer(error_code=code, ttype=int(row["ttype"]), amount=int(row["amount"]),
               rcode=row["rcode"], auth_code=row["auth"], card_id=row["card"],
               ctype=int(row["ctype"] or 0), trans_date=row["at"],
               trans_number=int(row["n"]), rrn=row["rrn"], terminal_id=terminal_id)
    state = row["state"]
    slip = "\n".join(["КОПИЯ (восстановлено по контрольной ленте)", f"RRN: {a.rrn}",
                      f"Сумма: {a.amount // 100}.{a.amount % 100:02d}", f"Состояние: {state}"])
    result = card_result(a, slip, op, key, terminal=terminal, locale=locale,
                         suspended=state == "suspended")
    if state == "auto_cancelled":  # suspended, never committed: the bank took it back
        result = evolve(result, approved=False, suspended=False, rcode="",
                        message=say("sber.auto_cancelled", locale, terminal=terminal))
    return result
