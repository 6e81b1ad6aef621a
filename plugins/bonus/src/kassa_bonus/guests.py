"""Guests, their identifiers (issue, block, replace, expire) and their accounts.

Balances belong to the guest, not to a card: replacing a lost card moves nothing, the new
identifier simply points at the same accounts.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from typing import Any

from kassa.model import Account, AccountKind, Guest, Identifier, IdentifierKind
from sqlalchemy import select, update

from kassa_bonus import schema
from kassa_bonus.outcome import Outcome
from kassa_bonus.phone import looks_like_phone, normalize_phone
from kassa_bonus.store import BonusStore, LedgerError, new_id

G, IDT, A = schema.guest, schema.identifier, schema.account


class GuestBlocked(LedgerError):
    """An identifier exists but may not be used; ``text(locale)`` is what the till shows
    (``str()`` is Russian, the default)."""

    def __init__(self, status: str, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(f"identifier_{status}", self.text("ru"))

    def text(self, locale: str = "ru") -> str:
        from kassa_bonus.texts import TEXTS

        texts = TEXTS.get(locale, TEXTS["ru"])
        if self.status in ("replaced", "expired"):
            return str(texts[self.status])
        return str(texts["blocked"]).format(reason=self.reason)


def virtual_number() -> str:
    """16 digits, starting with 9 (reserved for virtual cards), for QR and barcode."""
    return "9" + "".join(secrets.choice("0123456789") for _ in range(15))


class GuestBook:
    def __init__(self, store: BonusStore, region: str = "RU") -> None:
        self.store = store
        self.region = region

    async def register(self, source: str, key: str, *, name: str = "", phone: str | None = None,
                       email: str | None = None, birthday: date | None = None,
                       groups: list[str] | None = None, consent: bool = False,
                       card: str | None = None, credit_limit: int = 0,
                       chat: str | None = None) -> Outcome:
        """A new guest with a virtual card and accounts; idempotent on (source, key). A phone
        already registered is refused (one guest per phone)."""
        phone = normalize_phone(phone, self.region) if phone else None
        params = dict(name=name, phone=phone, email=email, birthday=birthday,
                      groups=sorted(groups or []), consent=consent, card=card,
                      credit_limit=credit_limit, chat=chat)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "guest", params)
            if isinstance(claimed, Outcome):
                return claimed
            if credit_limit < 0:
                raise LedgerError("bad_amount", "credit limit must not be negative")
            if phone and await _guest_by(conn, G.c.phone == phone):
                raise LedgerError("phone_taken", "a guest with this phone already exists")
            now = self.store.clock.now()
            gid = new_id()
            await conn.execute(G.insert().values(
                id=gid, name=name, phone=phone, email=email, birthday=birthday,
                groups=json.dumps(sorted(groups or [])), consent=consent, chat=chat,
                source=source, created_at=now))
            idents = [("virtual", virtual_number())]
            if phone:
                idents.append(("phone", phone))
            if card:
                idents.append(("card", card))
            for kind, value in idents:
                await self._issue(conn, gid, kind, value, None)
            for kind, currency in (("bonus", "pts"), ("debit", "rub")):
                await conn.execute(A.insert().values(id=new_id(), guest_id=gid, kind=kind,
                                                     currency=currency, created_at=now))
            if credit_limit:
                await conn.execute(A.insert().values(id=new_id(), guest_id=gid, kind="credit",
                                                     currency="rub", credit_limit=credit_limit,
                                                     created_at=now))
            return await self.store.settle(conn, Outcome(
                operation=claimed, kind="guest", status="done", guest=gid,
                detail={"virtual": idents[0][1]}))

        return await self.store.run(work)

    async def issue(self, source: str, key: str, guest_id: str, kind: str, value: str,
                    expires_at: datetime | None = None) -> Outcome:
        value = self._normal(kind, value)

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, "issue",
                                             dict(guest=guest_id, kind=kind, value=value,
                                                  expires_at=expires_at))
            if isinstance(claimed, Outcome):
                return claimed
            if not await _guest_by(conn, G.c.id == guest_id):
                raise LedgerError("unknown_guest", f"no guest {guest_id}")
            await self._issue(conn, guest_id, kind, value, expires_at)
            return await self.store.settle(conn, Outcome(
                operation=claimed, kind="issue", status="done", guest=guest_id,
                detail={"kind": kind, "value": value}))

        return await self.store.run(work)

    async def block(self, source: str, key: str, kind: str, value: str, reason: str,
                    *, status: str = "blocked", replacement: tuple[str, str] | None = None,
                    ) -> Outcome:
        """Block (or mark replaced) an identifier with a reason; with ``replacement`` a new
        identifier is issued to the same guest in the same transaction."""
        value = self._normal(kind, value)
        new = (replacement[0], self._normal(*replacement)) if replacement else None
        if not reason.strip():
            raise LedgerError("reason_required", "blocking needs a reason")

        async def work(conn: Any) -> Outcome:
            claimed = await self.store.claim(conn, source, key, status,
                                             dict(kind=kind, value=value, reason=reason, new=new))
            if isinstance(claimed, Outcome):
                return claimed
            row = (await conn.execute(select(IDT).where(IDT.c.kind == kind, IDT.c.value == value)
                                      )).first()
            if row is None:
                raise LedgerError("unknown_identifier", f"no {kind} identifier {value}")
            if row.status != "active":
                raise LedgerError("identifier_inactive", f"the identifier is {row.status}")
            new_id_ = await self._issue(conn, row.guest_id, *new, None) if new else None
            await conn.execute(update(IDT).where(IDT.c.id == row.id).values(
                status=status, reason=reason, replaced_by=new_id_))
            return await self.store.settle(conn, Outcome(
                operation=claimed, kind=status, status="done", guest=row.guest_id,
                detail={"kind": kind, "value": value}))

        return await self.store.run(work)

    async def replace(self, source: str, key: str, kind: str, value: str, new_kind: str,
                      new_value: str, reason: str = "replaced") -> Outcome:
        return await self.block(source, key, kind, value, reason, status="replaced",
                                replacement=(new_kind, new_value))

    async def expire_identifiers(self, now: datetime) -> int:
        async with self.store.write() as conn:
            res = await conn.execute(update(IDT).where(IDT.c.status == "active",
                                                       IDT.c.expires_at <= now)
                                     .values(status="expired", reason="expired"))
            return int(res.rowcount or 0)

    async def find(self, text: str) -> str | None:
        """The guest id an identifier (phone, card, QR, barcode, virtual) points at, or None.
        A blocked, replaced or expired identifier raises ``GuestBlocked`` with the reason."""
        text = (text or "").strip()
        if not text:
            return None
        candidates = [("any", text)]
        if looks_like_phone(text):
            try:
                candidates.insert(0, ("phone", normalize_phone(text, self.region)))
            except LedgerError:
                pass
        async with self.store.read() as conn:
            for kind, value in candidates:
                cond = IDT.c.value == value
                if kind == "phone":
                    cond &= IDT.c.kind == "phone"
                row = (await conn.execute(select(IDT).where(cond).order_by(IDT.c.id))).first()
                if row is None:
                    continue
                if row.status != "active" or (row.expires_at and
                                              row.expires_at <= self.store.clock.now()):
                    status = row.status if row.status != "active" else "expired"
                    raise GuestBlocked(status, row.reason or status)
                return str(row.guest_id)
        return None

    async def get(self, guest_id: str, levels: Any = None) -> Guest:
        async with self.store.read() as conn:
            g = (await conn.execute(select(G).where(G.c.id == guest_id))).first()
            if g is None:
                raise LedgerError("unknown_guest", f"no guest {guest_id}")
            idents = (await conn.execute(select(IDT).where(IDT.c.guest_id == guest_id)
                                         .order_by(IDT.c.id))).all()
            accounts = (await conn.execute(select(A).where(A.c.guest_id == guest_id)
                                           .order_by(A.c.kind))).all()
        earned = next((a.earned for a in accounts if a.kind == "bonus"), 0)
        return Guest(
            id=g.id, name=g.name, phone=g.phone, email=g.email, birthday=g.birthday,
            groups=tuple(json.loads(g.groups)), consent=g.consent,
            level=levels(earned) if levels else None, created_at=g.created_at,
            identifiers=[Identifier(IdentifierKind(i.kind), i.value, i.status, i.reason)
                         for i in idents],
            accounts=[Account(a.id, AccountKind(a.kind), a.balance, a.balance - a.held,
                              a.credit_limit) for a in accounts])

    async def account_of(self, guest_id: str, kind: str) -> str:
        async with self.store.read() as conn:
            acc = (await conn.execute(select(A.c.id).where(A.c.guest_id == guest_id,
                                                           A.c.kind == kind))).scalar()
        if acc is None:
            raise LedgerError("unknown_account", f"the guest has no {kind} account")
        return str(acc)

    async def update_profile(self, guest_id: str, **fields: Any) -> None:
        allowed = {"name", "email", "birthday", "consent", "unsubscribed", "chat"}
        bad = set(fields) - allowed
        if bad:
            raise LedgerError("bad_request", f"cannot update {', '.join(sorted(bad))}")
        async with self.store.write() as conn:
            await conn.execute(update(G).where(G.c.id == guest_id).values(**fields))

    async def touch(self, guest_id: str, when: datetime) -> datetime | None:
        """Record a visit; returns the previous one (win-back promotions use it)."""
        async with self.store.write() as conn:
            prev: datetime | None = (await conn.execute(
                select(G.c.last_visit_at).where(G.c.id == guest_id))).scalar()
            await conn.execute(update(G).where(G.c.id == guest_id).values(last_visit_at=when))
        return prev

    async def _issue(self, conn: Any, guest_id: str, kind: str, value: str,
                     expires_at: datetime | None) -> int:
        taken = (await conn.execute(select(IDT.c.id).where(IDT.c.kind == kind,
                                                           IDT.c.value == value))).first()
        if taken:
            raise LedgerError("identifier_taken", f"{kind} {value} is already issued")
        res = await conn.execute(IDT.insert().values(guest_id=guest_id, kind=kind, value=value,
                                                   expires_at=expires_at,
                                                   created_at=self.store.clock.now()))
        return int(res.inserted_primary_key[0])

    def _normal(self, kind: str, value: str) -> str:
        if kind not in schema.IDENTIFIER_KINDS:
            kinds = ", ".join(schema.IDENTIFIER_KINDS)
            raise LedgerError("bad_identifier_kind", f"identifier kind must be one of {kinds}")
        value = (value or "").strip()
        if kind == "phone":
            return normalize_phone(value, self.region)
        if not value or len(value) > 64:
            raise LedgerError("bad_identifier", "identifier must be 1..64 characters")
        return value


async def _guest_by(conn: Any, cond: Any) -> Any:
    return (await conn.execute(select(G.c.id).where(cond))).first()
