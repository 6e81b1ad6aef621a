"""What a return is: its plan, lines, refunds and outcome, and the sentences a refusal says
(``engine/returns.py`` runs them; ``engine/returns_centre.py`` asks the chain's centre)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from attrs import frozen
from kassa.model import FiscalDocument, Receipt
from kassa.model.money import format_money

from kassa_pos.engine.pay import PayError, said
from kassa_pos.engine.values import SaleLine, Tender

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "not_found": "Чек продажи не найден.",
        "no_line": "В чеке нет позиции {line}.",
        "too_many": "Позицию «{name}» нельзя вернуть в количестве {quantity}: продано "
                    "{sold}, уже возвращено {returned}.",
        "nothing": "Нечего возвращать: выберите позиции.",
        "zero": "Сумма возврата округляется до 0,00 ₽: увеличьте количество.",
        "refund_declined": "Возврат на карту не прошёл: {reason}. Возврат не оформлен.",
        "needs_correction": "Деньги возвращены, но чек возврата не пробит: {reason}. Нужен "
                            "чек коррекции, позовите старшего кассира.",
        "stuck": "Возврат выполнен частично: {reason}. Позовите старшего кассира.",
        "no_right": "Возврат без чека требует подтверждения менеджера.",
        "other_plan": "Этот возврат уже начат с другими позициями.",
        "qr": "QR-код чека не читается: {reason}.",
        "failed_before": "Этот возврат уже отклонён: начните новый.",
        "centre": "Центр сети отказал в возврате: {reason}.",
        "centre_offline": "Чек продан в другом магазине, а связи с центром нет: возврат "
                          "сейчас невозможен.",
        "centre_offline_accept": "Чек продан в другом магазине, а связи с центром нет: "
                                 "оформите возврат по QR-коду чека, не больше {limit}.",
        "offline_refused": "Без связи с центром возврат по чужому чеку не принимается.",
        "offline_limit": "Без связи с центром можно вернуть не больше {limit}, а возврат "
                         "на {total}.",
        "over_receipt": "Возврат на {total} больше суммы чека {receipt}.",
    },
    "en": {
        "not_found": "The sale's receipt was not found.",
        "no_line": "The receipt has no line {line}.",
        "too_many": "'{name}' cannot be returned in quantity {quantity}: {sold} sold, "
                    "{returned} already returned.",
        "nothing": "Nothing to return: choose the lines.",
        "zero": "The refund rounds to 0.00 ₽: return a larger quantity.",
        "refund_declined": "The card refund failed: {reason}. Nothing was returned.",
        "needs_correction": "The money was returned but the refund receipt failed: "
                            "{reason}. A correction receipt is needed: call a supervisor.",
        "stuck": "The return is partly done: {reason}. Call a supervisor.",
        "no_right": "A return without a receipt needs a manager's confirmation.",
        "other_plan": "This return has already started with other lines.",
        "qr": "The receipt's QR code cannot be read: {reason}.",
        "failed_before": "This return was refused before: start a new one.",
        "centre": "The chain's centre refused the return: {reason}.",
        "centre_offline": "The check was sold in another store and the centre is out of "
                          "reach: it cannot be returned now.",
        "centre_offline_accept": "The check was sold in another store and the centre is out "
                                 "of reach: return it by the receipt's QR code, at most "
                                 "{limit}.",
        "offline_refused": "Without the centre a check of another store is not returned.",
        "offline_limit": "Without the centre at most {limit} can be returned, this return "
                         "is {total}.",
        "over_receipt": "The return of {total} exceeds the receipt's {receipt}.",
    },
}


class ReturnError(PayError):
    def text(self, locale: str = "ru") -> str:
        loc = locale if locale in _TEXT else "ru"
        params = {k: format_money(v, loc) if k in _MONEY else v
                  for k, v in said(self.params, loc).items()}
        return _TEXT[loc][self.code].format(**params)


_MONEY = ("limit", "total", "receipt")


class Centre(Protocol):
    """The chain's centre as a store sees it (``chain.xreturns.Link``): every store's sales
    and what each line has left to return. A refusal is a ``UserError`` with the centre's
    sentence; out of reach is a ``RetryLater``."""

    async def find(self, *, check_id: str | None = None, fn: str | None = None,
                   fd: int | None = None) -> dict[str, Any]: ...

    async def reserve(self, key: str, check_id: str,
                      lines: Sequence[tuple[int, Decimal]]) -> dict[str, Any]: ...


@frozen
class OfflinePolicy:
    """``[pos.chain] returns`` / ``returns_limit``: with the centre out of reach, refuse a
    check of another store, or accept it by its QR up to ``limit`` kopecks."""

    accept: bool = False
    limit: int = 0


@frozen(kw_only=True)
class ReturnLine:
    line_no: int  # 0-based, the sale's line order
    quantity: Decimal


@frozen(kw_only=True)
class Refund:
    """Money going back through one of the sale's tenders."""

    tender_no: int
    tender: Tender
    amount: int
    original: str | None  # JSON CardResult / PaymentResult of the sale


@frozen(kw_only=True)
class ReturnPlan:
    key: str
    check_id: str | None
    site: str
    till: str
    cashier: str
    receipt: Receipt
    refunds: tuple[Refund, ...]
    lines: tuple[tuple[int, Decimal, int, int], ...]  # (line_no, quantity, money, bonus)
    # without a receipt: the goods brought back (what stock puts back on the shelf)
    goods: tuple[SaleLine, ...] = ()
    foreign: bool = False  # the sale is another store's (the centre reserved its lines)
    proof: str | None = None  # accepted offline: the receipt's QR, reconciled centrally


@frozen(kw_only=True)
class Returned:
    key: str
    # None: no money went back (only bonus points spent as a discount), so there was no
    # settlement and no refund receipt
    document: FiscalDocument | None
    total: int
    refunds: tuple[Refund, ...]
