"""``LoyaltyProgram`` over Lime: identify a card (its holder and every right as an account).

Lime's public client code shows no discount or accrual call [rkeeper.md §4]: discounts a
Lime installation gives are configured in Lime and arrive with the check
(``checkEntryDiscounts``), so ``quote`` offers no discount of its own, only how much the
card's rights may pay; spending goes through the payment method (``LimeAccounts``). A
posting is kept here, keyed, so a replay returns it and a reversal happens once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kassa import codec
from kassa.errors import UserError
from kassa.model import (
    Account,
    AccountKind,
    Guest,
    Identifier,
    IdentifierKind,
    Order,
    Posting,
    Quote,
)

from kassa_lime.accounts import LimeAccounts

BONUS_WORDS = ("бонус", "bonus", "балл")  # a right named so is points, else money


class LimeLoyalty:
    def __init__(self, accounts: LimeAccounts, name: str = "lime") -> None:
        self.accounts = accounts
        self.name = name

    async def identify(self, identifier: str) -> Guest | None:
        try:
            info = await self.accounts.card(identifier.strip())
        except UserError:  # Lime does not know the card: not our guest
            return None
        free = dict(self.accounts.available(info))
        accounts = [Account(id=f"{info.uid}#{r.id}",
                            kind=AccountKind.BONUS if any(w in r.name.lower()
                                                          for w in BONUS_WORDS)
                            else AccountKind.DEBIT,
                            balance=r.amount, available=free.get((r.id, r.name), 0))
                    for r in info.rights]
        return Guest(id=f"lime:{info.id}", name=info.holder,
                     identifiers=[Identifier(kind=IdentifierKind.CARD, value=info.uid)],
                     accounts=accounts)

    async def quote(self, order: Order, guest: Guest) -> Quote:
        can_pay = min(sum(a.available for a in guest.accounts), order.total or 0) \
            if order.total else sum(a.available for a in guest.accounts)
        return Quote(guest_id=guest.id, bonus_spend_max=can_pay,
                     notes=["Lime: discounts come from Lime's own configuration"])

    async def commit(self, order: Order, quote: Quote, key: str, spend: int = 0) -> Posting:
        """Record the order's loyalty posting under ``key`` (Lime itself gets the check from
        the payment side; spending is a payment). The same key again returns the posting;
        with another order it is refused."""
        if spend:
            raise UserError("Оплата с карты Lime проводится способом оплаты Lime")
        request = f"{order.site}/{order.number}/{order.total}/{quote.guest_id}/{quote.discount}"
        return self._posting(key, request, lambda at: Posting(
            id=f"lime-{key}", key=key, guest_id=quote.guest_id, discount=quote.discount,
            created_at=at))

    async def reverse(self, posting: Posting, key: str) -> Posting:
        return self._posting(key, f"reverse/{posting.id}", lambda at: Posting(
            id=f"lime-{key}", key=key, guest_id=posting.guest_id, earned=-posting.earned,
            spent=-posting.spent, discount=-posting.discount, created_at=at,
            reversed_by=None))

    def _posting(self, key: str, request: str, make: Callable[[datetime], Posting]) -> Posting:
        store = self.accounts.store
        with store.tx() as db:
            row = db.execute("SELECT kind, result FROM ops WHERE key=?",
                             (f"posting:{key}",)).fetchone()
            if row is not None:
                if row["kind"] != request:
                    raise UserError(f"Ключ {key} уже использован для другой операции")
                return codec.loads(row["result"], Posting)
            posting = make(self.accounts.now())
            store.record(db, f"posting:{key}", request, posting, self.accounts.now())
        return posting

    def effects(self) -> int:
        """Postings recorded (the contract suite's probe)."""
        row = self.accounts.store.db.execute(
            "SELECT count(*) FROM ops WHERE key LIKE 'posting:%'").fetchone()
        return int(row[0])
