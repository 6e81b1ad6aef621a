"""Loyalty reports over the ledger: balances, turnover, movements by day, top guests, promotions."""

from __future__ import annotations

from typing import Any

from kassa.model import Column, Period, Report
from sqlalchemy import func, select

from kassa_bonus import schema
from kassa_bonus.service import service_for

A, P, G = schema.account, schema.posting, schema.guest


def _in(period: Period, site: str | None) -> list[Any]:
    cond = [P.c.effective_at >= period.start, P.c.effective_at < period.end]
    if site:
        cond.append(P.c.site == site)
    return cond


class _Base:
    name = ""
    title: dict[str, str] = {}
    parameters: tuple[str, ...] = ("site", "period")
    columns: tuple[Column, ...] = ()

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        svc = await service_for(ctx.hub)
        async with svc.store.read() as conn:
            rows = await self.rows(conn, site, period)
        title = self.title.get(getattr(ctx, "locale", "ru"), self.title["en"])
        totals = self.totals(rows)
        return Report(name=self.name, title=title, site=site, period=period,
                      columns=self.columns, rows=rows, totals=totals)

    async def rows(self, conn: Any, site: str | None, period: Period) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def totals(self, rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
        return None


class Balances(_Base):
    name = "bonus_balances"
    title = {"ru": "Бонусы: остатки по счетам", "en": "Bonus: account balances"}
    parameters = ()
    columns = (Column("kind", "Счёт / Account"), Column("accounts", "Счетов", "int"),
               Column("balance", "Остаток", "money"), Column("held", "Удержано", "money"))

    async def rows(self, conn: Any, site: str | None, period: Period) -> list[tuple[Any, ...]]:
        q = select(A.c.kind, func.count(), func.sum(A.c.balance), func.sum(A.c.held)) \
            .where(A.c.kind != "system").group_by(A.c.kind).order_by(A.c.kind)
        return [(k, int(n), int(b or 0), int(h or 0)) for k, n, b, h in await conn.execute(q)]

    def totals(self, rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
        return ("", sum(r[1] for r in rows), None, None)


class Turnover(_Base):
    name = "bonus_turnover"
    title = {"ru": "Бонусы: обороты по видам счетов", "en": "Bonus: turnover by account kind"}
    columns = (Column("account", "Счёт"), Column("kind", "Операция"),
               Column("count", "Кол-во", "int"), Column("amount", "Сумма", "money"))

    async def rows(self, conn: Any, site: str | None, period: Period) -> list[tuple[Any, ...]]:
        q = (select(A.c.kind, P.c.kind, func.count(), func.sum(P.c.amount))
             .join(A, A.c.id == P.c.account_id).where(*_in(period, site))
             .group_by(A.c.kind, P.c.kind).order_by(A.c.kind, P.c.kind))
        return [(a, k, int(n), int(s or 0)) for a, k, n, s in await conn.execute(q)]


class Movements(_Base):
    name = "bonus_movements"
    title = {"ru": "Бонусы: начисления, списания, сгорания", "en":
             "Bonus: accruals, redemptions, expiries"}
    columns = (Column("day", "День"), Column("site", "Ресторан"),
               Column("earned", "Начислено", "money"), Column("spent", "Списано", "money"),
               Column("expired", "Сгорело", "money"))

    async def rows(self, conn: Any, site: str | None, period: Period) -> list[tuple[Any, ...]]:
        q = (select(P.c.effective_at, P.c.site, P.c.kind, P.c.amount)
             .where(*_in(period, site), P.c.currency == "pts",
                    P.c.kind.in_(("earn", "spend", "capture", "expire"))))
        acc: dict[tuple[str, str], list[int]] = {}
        col = {"earn": 0, "spend": 1, "capture": 1, "expire": 2}
        for at, s, kind, amount in await conn.execute(q):
            acc.setdefault((at.date().isoformat(), s), [0, 0, 0])[col[kind]] += amount
        return [(d, s, *v) for (d, s), v in sorted(acc.items())]

    def totals(self, rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
        return ("", "", *(sum(r[i] for r in rows) for i in (2, 3, 4)))


class TopGuests(_Base):
    name = "bonus_top_guests"
    title = {"ru": "Бонусы: лучшие гости", "en": "Bonus: top guests"}
    columns = (Column("guest", "Гость"), Column("checks", "Чеков", "int"),
               Column("earned", "Начислено", "money"))

    async def rows(self, conn: Any, site: str | None, period: Period) -> list[tuple[Any, ...]]:
        earned = func.sum(P.c.amount)
        q = (select(G.c.name, func.count(func.distinct(P.c.order_ref)), earned)
             .join(G, G.c.id == P.c.guest_id).where(*_in(period, site), P.c.kind == "earn",
                                                     P.c.promo == "")
             .group_by(G.c.id, G.c.name).order_by(earned.desc()).limit(10))
        return [(name or "—", int(n), int(s)) for name, n, s in await conn.execute(q)]


class Promotions(_Base):
    name = "bonus_promotions"
    title = {"ru": "Бонусы: результаты акций", "en": "Bonus: promotion results"}
    columns = (Column("promo", "Акция"), Column("guests", "Гостей", "int"),
               Column("amount", "Начислено", "money"))

    async def rows(self, conn: Any, site: str | None, period: Period) -> list[tuple[Any, ...]]:
        q = (select(P.c.promo, func.count(func.distinct(P.c.guest_id)), func.sum(P.c.amount))
             .where(*_in(period, site), P.c.promo != "", P.c.kind == "earn")
             .group_by(P.c.promo).order_by(P.c.promo))
        return [(p, int(n), int(s)) for p, n, s in await conn.execute(q)]


def definitions() -> list[Any]:
    return [Balances(), Turnover(), Movements(), TopGuests(), Promotions()]
