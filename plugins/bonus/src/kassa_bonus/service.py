"""The bonus engine of one hub: the ledger, the guest book and the rules, wired together.

Every front (loyalty hook, payment methods, REST API, FarCards, the guest bot, the importer)
calls this one object, so a rule is applied in one place whichever way a request came in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from kassa import codec
from kassa.model import Guest, Order, Posting, Quote

from kassa_bonus import rules, schema
from kassa_bonus.guests import GuestBook
from kassa_bonus.ledger import Ledger, checkout_params
from kassa_bonus.outcome import Outcome
from kassa_bonus.settings import BonusSettings
from kassa_bonus.store import BonusStore, LedgerError


async def service_for(hub: Any) -> BonusService:
    """The hub's bonus engine, started on first use and kept in the hub's state slot for the
    bonus plugin (its tables are there already: the store ran the plugin's migrations)."""
    state = hub.state("bonus")
    svc: BonusService | None = state.get("service")
    if svc is not None:  # every request asks: no lock once it exists
        return svc
    async with state.setdefault("starting", anyio.Lock()):
        svc = state.get("service")
        if svc is None:
            svc = state["service"] = await BonusService.start(hub)
        return svc


class HubRef:
    """Carries the hub through Litestar's route ``opt`` (which deep-copies everything else)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def __deepcopy__(self, memo: Any) -> HubRef:
        return self

    def locale(self) -> str:
        hub_settings = getattr(self.hub.settings, "hub", None)
        return getattr(hub_settings, "locale", "ru") or "ru"


class BonusService:
    def __init__(self, hub: Any, settings: BonusSettings, store: BonusStore, ledger: Ledger
                 ) -> None:
        self.hub = hub
        self.settings = settings
        self.store = store
        self.ledger = ledger
        self.guests = GuestBook(store, settings.region)
        store.observers.append(self.webhook_events)

    @classmethod
    async def start(cls, hub: Any) -> BonusService:
        settings = hub.section("bonus", BonusSettings)
        store = BonusStore(hub.engine, hub.clock, hub.transaction, hub.write_sync)
        return cls(hub, settings, store, await Ledger.open(store))

    def now(self) -> datetime:
        now: datetime = self.hub.clock.now()
        return now

    def lot_expiry(self) -> timedelta | None:
        """How long earned points live (a lifetime, so replays of the same request match)."""
        days = self.settings.lot_days
        return timedelta(days=days) if days > 0 else None

    def level_name(self, earned: int) -> str:
        return rules.level_for(earned, self.settings.levels).name

    # --- guests --------------------------------------------------------------------------------
    async def register(self, source: str, key: str, **fields: Any) -> Outcome:
        """Register a guest; the welcome bonus (if any) is part of the same idempotent flow."""
        out = await self.guests.register(source, key, **fields)
        if self.settings.welcome_bonus > 0:
            acc = await self.guests.account_of(out.guest, "bonus")
            await self.ledger.earn("promo", f"welcome:{out.guest}", acc,
                                   self.settings.welcome_bonus, expires_at=self.lot_expiry(),
                                   promo="welcome")
        return out

    async def guest(self, guest_id: str) -> Guest:
        return await self.guests.get(guest_id, levels=self.level_name)

    async def identify(self, text: str) -> Guest | None:
        gid = await self.guests.find(text)
        return await self.guest(gid) if gid else None

    async def bonus_account(self, guest_id: str) -> Any:
        return await self.ledger.account(await self.guests.account_of(guest_id, "bonus"))

    # --- checks ----------------------------------------------------------------------------------
    async def quote(self, order: Order, guest: Guest) -> Quote:
        acc = await self.bonus_account(guest.id)
        return rules.quote(order, guest, self.settings, earned=acc.earned,
                           available=acc.balance - acc.held, local_now=self.local_now(order.site))

    @staticmethod
    def check_request(order: Order, guest_id: str, spend: int) -> dict[str, Any]:
        """The whole canonical request of a closed check (every line, not only the totals):
        what its idempotency key stands for."""
        return {"guest": guest_id, "order": codec.to_dict(order), "spend": spend}

    async def check(self, order: Order, guest_id: str, key: str, spend: int = 0,
                    source: str = "loyalty") -> Posting:
        """Quote and commit a check (the REST API); a replay is answered before the guest or
        the quote are looked at again."""
        request = self.check_request(order, guest_id, spend)

        async def legacy() -> dict[str, Any]:
            return await self._legacy_params(order, await self.quote(
                order, await self.guest(guest_id)), spend)

        prior = await self.store.replay(source, key, "checkout", request, legacy)
        if prior is not None:
            return self.posting(prior, key)
        q = await self.quote(order, await self.guest(guest_id))
        return await self._commit(order, q, key, spend, source, request)

    async def commit(self, order: Order, q: Quote, key: str, spend: int = 0,
                     source: str = "loyalty") -> Posting:
        """Commit a quoted check. A replay of ``key`` returns the original posting whatever
        changed since (the points it spent are gone from the balance, so the limit would now
        refuse it); the same key with another check is refused (``idempotency_key_reused``)."""
        request = self.check_request(order, q.guest_id, spend)
        prior = await self.store.replay(source, key, "checkout", request,
                                        lambda: self._legacy_params(order, q, spend))
        if prior is not None:
            return self.posting(prior, key)
        return await self._commit(order, q, key, spend, source, request)

    async def _legacy_params(self, order: Order, q: Quote, spend: int) -> dict[str, Any]:
        """What the version before whole-request hashing keyed a check on: a till's retry of
        a check it committed before the upgrade is still answered, not refused."""
        total = order.total or sum(line.amount for line in order.lines)
        return checkout_params(await self.guests.account_of(q.guest_id, "bonus"), spend,
                               rules.earn_after_spend(q, spend, total), self.lot_expiry(),
                               order.site, order.number)

    async def _commit(self, order: Order, q: Quote, key: str, spend: int, source: str,
                      request: dict[str, Any]) -> Posting:
        if spend < 0 or spend > q.bonus_spend_max:
            raise LedgerError("spend_over_limit",
                              f"at most {q.bonus_spend_max} points may pay this check")
        total = order.total or sum(line.amount for line in order.lines)
        earn = rules.earn_after_spend(q, spend, total)
        acc_id = await self.guests.account_of(q.guest_id, "bonus")
        # the key stands for the request: a concurrent twin that claimed it first is replayed
        out = await self.ledger.checkout(source, key, acc_id, spend=spend, earn=earn,
                                         expires_at=self.lot_expiry(), site=order.site,
                                         order_ref=order.number, request=request,
                                         discount=q.discount)
        await self.after_visit(q.guest_id, order.site)
        return self.posting(out, key)

    async def reverse(self, operation_id: str, key: str, source: str = "loyalty") -> Posting:
        out = await self.ledger.reverse(source, key, operation_id)
        return Posting(id=out.operation, key=key, guest_id=out.guest,
                       earned=-out.detail.get("earn", 0), spent=-out.detail.get("spend", 0),
                       created_at=out.at)

    async def webhook_events(self, conn: Any, out: Outcome) -> None:
        """What an operation tells external systems, queued in its own transaction. Payloads
        carry ids and amounts, never personal data."""
        if not self.settings.webhooks:
            return
        if out.kind == "guest":
            await self.notify(conn, "guest_registered", f"guest:{out.guest}",
                              {"guest_id": out.guest})
        elif out.postings:
            await self.notify(conn, "balance_changed", f"balance:{out.operation}",
                              {"guest_id": out.guest, "account": out.account, "kind": out.kind,
                               "amount": out.amount, "balance": out.balance})

    async def notify(self, conn: Any, event: str, key: str, payload: dict[str, Any]) -> None:
        from kassa_bonus.webhooks import enqueue

        await enqueue(conn, self.now(), self.settings.webhooks, event, key, payload)

    def posting(self, out: Outcome, key: str) -> Posting:
        return Posting(id=out.operation, key=key, guest_id=out.guest,
                       earned=out.detail.get("earned", 0), spent=out.detail.get("spent", 0),
                       discount=out.detail.get("discount", 0), created_at=out.at)

    async def after_visit(self, guest_id: str, site: str) -> None:
        """Win-back: a guest back after ``winback_days`` gets ``winback_bonus`` once per return."""
        prev = await self.guests.touch(guest_id, self.now())
        s = self.settings
        if s.winback_days and s.winback_bonus and prev is not None and \
                self.now() - prev >= timedelta(days=s.winback_days):
            acc = await self.guests.account_of(guest_id, "bonus")
            await self.ledger.earn("promo", f"winback:{guest_id}:{prev.isoformat()}", acc,
                                   s.winback_bonus, expires_at=self.lot_expiry(), site=site,
                                   promo="winback")

    def local_now(self, site: str | None) -> datetime:
        tz = "Europe/Moscow"
        sites = getattr(self.hub.settings, "sites", []) or []
        for s in sites:
            if s.code == site:
                tz = s.timezone
        return self.now().astimezone(ZoneInfo(tz))

    # --- scheduled runs --------------------------------------------------------------------------
    async def run_schedule(self) -> dict[str, int]:
        """Everything scheduled, once (``kassa bonus schedule``): the jobs, then due webhooks."""
        done = await self.run_jobs()
        done["webhooks_sent"] = await self.deliver_webhooks()
        return done

    async def run_jobs(self) -> dict[str, int]:
        """Expire holds, lots and identifiers; award birthday bonuses. Safe to run any time,
        as often as wanted: each award is idempotent on its own key."""
        now = self.now()
        holds = await self.ledger.expire_holds(now)
        expired = await self.ledger.expire_lots(now)
        idents = await self.guests.expire_identifiers(now)
        birthdays = await self.award_birthdays()
        expiring = await self.warn_expiring()
        return {"holds": holds, "lots": len(expired), "identifiers": idents,
                "birthdays": birthdays, "expiring": expiring}

    async def warn_expiring(self) -> int:
        """points_expiring webhooks for lots that expire within ``expiry_notice_days``."""
        if not self.settings.webhooks:
            return 0
        from sqlalchemy import select

        L, A = schema.lot, schema.account
        horizon = self.now() + timedelta(days=self.settings.expiry_notice_days)
        async with self.store.read() as conn:
            rows = (await conn.execute(
                select(L.c.id, L.c.remaining, L.c.expires_at, A.c.guest_id)
                .join(A, A.c.id == L.c.account_id)
                .where(L.c.remaining > 0, L.c.expires_at > self.now(),
                       L.c.expires_at <= horizon))).all()
        async with self.store.write() as conn:
            for lot_id, remaining, expires_at, gid in rows:
                await self.notify(conn, "points_expiring",
                                  f"expiring:{lot_id}:{expires_at.date()}",
                                  {"guest_id": gid, "amount": remaining,
                                   "expires_at": expires_at.isoformat()})
        return len(rows)

    async def deliver_webhooks(self) -> int:
        if not self.settings.webhooks:
            return 0
        import httpx

        from kassa_bonus.webhooks import deliver_due

        async with httpx.AsyncClient() as client:
            counts = await deliver_due(self.store, self.settings.webhooks, client)
        return counts["sent"]

    async def award_birthdays(self) -> int:
        s = self.settings
        if s.birthday_bonus <= 0:
            return 0
        from sqlalchemy import select

        today = self.local_now(None).date()
        async with self.store.read() as conn:
            rows = (await conn.execute(select(schema.guest.c.id, schema.guest.c.birthday).where(
                schema.guest.c.birthday.is_not(None)))).all()
        n = 0
        for gid, birthday in rows:
            if rules.birthday_due(birthday, today, s.birthday_days_before, s.birthday_days_after):
                acc = await self.guests.account_of(gid, "bonus")
                await self.ledger.earn("promo", f"birthday:{gid}:{today.year}", acc,
                                             s.birthday_bonus, expires_at=self.lot_expiry(),
                                             promo="birthday")
                n += 1  # due guests; the award itself happens once per year (its key)
        return n
