"""The hub-facing components: the loyalty programme and the bonus / deposit payment methods."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kassa import codec
from kassa.model import Guest, Order, PaymentResult, PaymentStatus, Posting, Quote

from kassa_bonus.guest_service import GuestDesk
from kassa_bonus.outcome import Outcome
from kassa_bonus.service import BonusService, service_for
from kassa_bonus.store import STORED, LedgerError


class BonusProgram(GuestDesk):
    """``LoyaltyProgram``: identify / quote / commit / reverse over the bonus ledger; and the
    optional ``GuestService`` (``GuestDesk``): cards and the questionnaire at a till."""

    def __init__(self, hub: Any, name: str = "bonus") -> None:
        self.hub = hub
        self.name = name

    async def _svc(self) -> BonusService:
        return await service_for(self.hub)

    async def identify(self, identifier: str) -> Guest | None:
        """The guest, or None; an unknown card of ``issue_ranges`` (a pre-printed card
        handed out at a till) becomes a guest at its first identify, once (keyed)."""
        svc = await self._svc()
        guest = await svc.identify(identifier)
        if guest is None and svc.settings.issues(identifier):
            out = await svc.register("till", f"issue:{identifier}", card=identifier)
            guest = await svc.guest(out.guest)
        return guest

    async def quote(self, order: Order, guest: Guest) -> Quote:
        return await (await self._svc()).quote(order, guest)

    async def commit(self, order: Order, quote: Quote, key: str, spend: int = 0) -> Posting:
        return await (await self._svc()).commit(order, quote, key, spend)

    async def reverse(self, posting: Posting, key: str) -> Posting:
        return await (await self._svc()).reverse(posting.id, key)


_STATUS = {"hold": PaymentStatus.AUTHORIZED, "capture": PaymentStatus.CAPTURED,
           "void": PaymentStatus.VOIDED, "refund": PaymentStatus.REFUNDED}


def _result(out: Outcome, key: str) -> PaymentResult:
    """One shape for an operation's answer, first time, replay and ``lookup`` alike."""
    return PaymentResult(id=out.hold or "", status=_STATUS[out.kind], amount=out.amount, key=key,
                         created_at=out.at)


class AccountPayment:
    """``kassa.hookspecs.payments.AccountPayment`` paying from a guest's bonus (points) or
    debit (deposit) account.

    ``account`` may be an account id or anything ``identify`` understands (card, phone, QR).
    A refusal (not enough, unknown card) is a DECLINED result, not an exception; it leaves no
    record, so ``lookup`` of its key is ``None``."""

    def __init__(self, hub: Any, name: str, kind: str) -> None:
        self.hub = hub
        self.name = name
        self.kind = kind
        self.source = f"payment:{name}"

    async def _account(self, svc: BonusService, account: str) -> str:
        gid = await svc.guests.find(account)
        if gid is not None:
            return await svc.guests.account_of(gid, self.kind)
        row = await svc.ledger.account(account)
        if row.kind != self.kind:
            raise LedgerError("unknown_account", f"not a {self.kind} account")
        return str(row.id)

    async def hold(self, account: str, amount: int, key: str) -> PaymentResult:
        svc = await service_for(self.hub)
        try:
            acc = await self._account(svc, account)
            out = await svc.ledger.hold(self.source, key, acc, amount,
                                        ttl=timedelta(minutes=svc.settings.hold_minutes))
        except LedgerError as exc:
            return PaymentResult(id="", status=PaymentStatus.DECLINED, amount=amount, key=key,
                                 message=str(exc))
        return _result(out, key)

    async def capture(self, payment_id: str, amount: int | None, key: str) -> PaymentResult:
        svc = await service_for(self.hub)
        return _result(await svc.ledger.capture(self.source, key, payment_id, amount), key)

    async def void(self, payment_id: str, key: str) -> PaymentResult:
        svc = await service_for(self.hub)
        return _result(await svc.ledger.void(self.source, key, payment_id), key)

    async def refund(self, payment_id: str, amount: int, key: str) -> PaymentResult:
        svc = await service_for(self.hub)
        return _result(await svc.ledger.refund(self.source, key, payment_id, amount), key)

    async def balance(self, account: str) -> int:
        svc = await service_for(self.hub)
        row = await svc.ledger.account(await self._account(svc, account))
        return int(row.balance - row.held + row.credit_limit)

    async def lookup(self, key: str) -> PaymentResult | None:
        """What the call with ``key`` did, from the ledger's idempotency record (written in
        the operation's own transaction, so a record means it happened); None if none."""
        svc = await service_for(self.hub)
        async with svc.store.read() as conn:
            row = (await conn.execute(STORED, dict(source=self.source, key=key))).first()
        if row is None:
            return None
        return _result(codec.loads(row.result, Outcome), key)
