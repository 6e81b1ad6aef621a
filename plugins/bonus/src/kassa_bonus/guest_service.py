"""The core's ``GuestService`` over the bonus engine: cards issued, blocked and replaced at a
till, and the till's questionnaire, kept only with the guest's consent.

Every write is one idempotent operation of the ledger's store (source ``till-guest``, the
till's key): a retry returns the first answer, the key reused for another request is
refused (``idempotency_key_reused``). Balances belong to the guest, not to a card, so a
replacement moves the whole balance in the one transaction that retires the old card and
issues the new one (``GuestBook.replace``): no posting, nothing to lose half-way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from kassa.model import Guest
from sqlalchemy import select, update

from kassa_bonus import schema
from kassa_bonus.outcome import Outcome
from kassa_bonus.service import BonusService, service_for
from kassa_bonus.store import LedgerError

SOURCE = "till-guest"
G, IDT = schema.guest, schema.identifier
# what the questionnaire holds; consent covers these, and withdrawing it erases them
ERASED: dict[str, Any] = {"name": "", "email": None, "birthday": None, "groups": "[]"}


class GuestDesk:
    """Mixed into ``BonusProgram``: the programme the till already has is its guest service."""

    hub: Any
    name: str

    async def _desk(self) -> BonusService:
        return await service_for(self.hub)

    async def issue_card(self, card: str, key: str) -> Guest:
        svc = await self._desk()
        # register() also checks the card is free, in the transaction that issues it
        out = await svc.register(SOURCE, key, card=card)
        return await svc.guest(out.guest)

    async def update_guest(self, guest_id: str, key: str, *, consent: bool,
                           name: str | None = None, email: str | None = None,
                           birthday: date | None = None,
                           groups: Sequence[str] | None = None) -> Guest:
        fields: dict[str, Any] = {"name": name, "email": email, "birthday": birthday,
                                  "groups": json.dumps(sorted(set(groups)), ensure_ascii=False)
                                  if groups is not None else None}
        given = {k: v for k, v in fields.items() if v is not None}
        if given and not consent:
            raise LedgerError("consent_required",
                              "personal data is stored only with the guest's consent")
        if name is not None and len(name) > 200:
            raise LedgerError("bad_request", "name must be at most 200 characters")
        svc = await self._desk()
        values = {**given, "consent": True} if consent else {**ERASED, "consent": False}

        async def work(conn: Any) -> Outcome:
            claimed = await svc.store.claim(conn, SOURCE, key, "questionnaire",
                                            dict(guest=guest_id, consent=consent, **given))
            if isinstance(claimed, Outcome):
                return claimed
            res = await conn.execute(update(G).where(G.c.id == guest_id).values(**values))
            if not res.rowcount:
                raise LedgerError("unknown_guest", f"no guest {guest_id}")
            return await svc.store.settle(conn, Outcome(
                operation=claimed, kind="questionnaire", status="done", guest=guest_id))

        out = await svc.store.run(work)
        return await svc.guest(out.guest)

    async def block_card(self, card: str, reason: str, key: str) -> Guest:
        svc = await self._desk()
        out = await svc.guests.block(SOURCE, key, await _kind_of(svc, card), card, reason)
        return await svc.guest(out.guest)

    async def replace_card(self, old: str, new: str, key: str, reason: str = "replaced",
                           ) -> Guest:
        svc = await self._desk()
        out = await svc.guests.replace(SOURCE, key, await _kind_of(svc, old), old, "card", new,
                                       reason)
        return await svc.guest(out.guest)

    async def balance(self, guest_id: str) -> int:
        acc = await (await self._desk()).bonus_account(guest_id)
        return int(acc.balance - acc.held)


async def _kind_of(svc: BonusService, value: str) -> str:
    """The kind of the identifier ``value`` (a plastic card, a virtual card, a QR ...); a
    retry after the card was blocked still finds it, so the replay answers."""
    value = (value or "").strip()
    async with svc.store.read() as conn:
        kind = (await conn.execute(select(IDT.c.kind).where(IDT.c.value == value)
                                   .order_by(IDT.c.id))).scalar()
    if kind is None:
        raise LedgerError("unknown_identifier", f"no card {value}")
    return str(kind)
