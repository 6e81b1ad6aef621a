"""Reports through the core's reports hook (so ``/report`` in chat and the console have them):
receipts per driver per day and the jobs that failed or still wait, refunds included."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from kassa.model import Column, Period, Report

from kassa_delivery.schema import job as J
from kassa_delivery.service import service_for, stamp, unstamp


async def _rows(ctx: Any, site: str | None, period: Period,
                kinds: tuple[str, ...] = ("sale",)) -> list[dict[str, Any]]:
    """The period's jobs; sales only unless ``kinds`` says so (refunds are jobs too)."""
    q = sa.select(J).where(J.c.accepted_at >= stamp(period.start),
                           J.c.accepted_at < stamp(period.end),
                           J.c.kind.in_(kinds)).order_by(J.c.id)
    if site:
        q = q.where(J.c.site == site)
    async with ctx.hub.engine.connect() as conn:
        return [dict(r._mapping) for r in (await conn.execute(q)).all()]


class DriversByDay:
    name = "delivery_drivers"
    title = {"ru": "Доставка: чеки по водителям", "en": "Delivery: receipts by driver"}
    parameters = ("site", "period")

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        svc = service_for(ctx.hub)
        ru = getattr(ctx, "locale", "ru") != "en"
        cols = (Column("day", "День" if ru else "Day"),
                Column("driver", "Водитель" if ru else "Driver"),
                Column("receipts", "Чеков" if ru else "Receipts", "int"),
                Column("cash", "Наличными" if ru else "Cash", "money"),
                Column("card", "Картой" if ru else "Card", "money"),
                Column("prepaid", "Предоплатой" if ru else "Prepaid", "money"),
                Column("sent", "Копий отправлено" if ru else "Copies sent", "int"),
                Column("not_sent", "Не отправлено" if ru else "Not sent", "int"),
                Column("failed", "Ошибок" if ru else "Failed", "int"),
                Column("refunds", "Чеков возврата" if ru else "Refunds", "int"),
                Column("refunded", "Возвращено" if ru else "Refunded", "money"))
        acc: dict[tuple[str, str], list[int]] = {}
        for r in await _rows(ctx, site, period, ("sale", "refund")):
            day = unstamp(r["accepted_at"]).astimezone(svc.zone(r["site"])).date().isoformat()
            d = svc.cfg.driver(r["driver"])
            a = acc.setdefault((day, d.name if d else r["driver"]), [0] * 9)
            if r["status"] == "fiscalised" and r["kind"] == "refund":
                a[7] += 1
                a[8] += r["amount"]
            elif r["status"] == "fiscalised":
                a[0] += 1
                a[{"cash": 1, "card": 2, "prepaid": 3}[r["payment_kind"]]] += r["amount"]
            a[4] += r["copy_status"] in ("sent", "ofd")
            a[5] += r["copy_status"] in ("not_sent", "unknown")
            a[6] += r["status"] == "failed"
        rows: list[tuple[Any, ...]] = [(day, drv, *v) for (day, drv), v in sorted(acc.items())]
        totals = ("", "", *(sum(r[i] for r in rows) for i in range(2, 11))) if rows else None
        notes = ("«Копий отправлено» включает копии, которые отправляет ОФД по тарифу. "
                 "Наличные, карта и предоплата — суммы продаж; возвраты — отдельно, по дню "
                 "приёма возврата."
                 if ru else "'Copies sent' includes those the OFD sends under its tariff. "
                 "Cash, card and prepaid are sales; refunds are apart, by the day each refund "
                 "was accepted.",)
        return Report(name=self.name, title=self.title["ru" if ru else "en"], site=site,
                      period=period, columns=cols, rows=rows, totals=totals, notes=notes)


class Problems:
    name = "delivery_problems"
    title = {"ru": "Доставка: ошибки и ожидание", "en": "Delivery: failures and waits"}
    parameters = ("site", "period")

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        ru = getattr(ctx, "locale", "ru") != "en"
        cols = (Column("job", "Задание" if ru else "Job", "int"),
                Column("order", "Заказ" if ru else "Order"),
                Column("driver", "Водитель" if ru else "Driver"),
                Column("amount", "Сумма" if ru else "Amount", "money"),
                Column("kind", "Операция" if ru else "Operation"),
                Column("status", "Статус" if ru else "Status"),
                Column("why", "Причина" if ru else "Reason"))
        kind = {"sale": "продажа" if ru else "sale", "refund": "возврат" if ru else "refund"}
        rows = [(r["id"], r["order_id"], r["driver"], r["amount"], kind[r["kind"]], r["status"],
                 r["error"] or r["waiting"] or r["copy_reason"] or "")
                for r in await _rows(ctx, site, period, ("sale", "refund"))
                if r["status"] in ("failed", "queued")
                or r["copy_status"] in ("not_sent", "unknown")]
        return Report(name=self.name, title=self.title["ru" if ru else "en"], site=site,
                      period=period, columns=cols, rows=rows)


class DayCheck:
    """Per day: what the drivers' app said was paid against what the register answered for
    those receipts (each document's own 1020 total and 1054 operation). The register's shift
    counters are not compared: the fiscal contract exposes none (see docs)."""

    name = "delivery_day_check"
    title = {"ru": "Доставка: сверка дня с кассой", "en": "Delivery: the day against the register"}
    parameters = ("site", "period")

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        import json

        svc = service_for(ctx.hub)
        ru = getattr(ctx, "locale", "ru") != "en"
        cols = (Column("day", "День" if ru else "Day"),
                Column("receipts", "Чеков" if ru else "Receipts", "int"),
                Column("paid", "Принято от водителей" if ru else "Taken by drivers", "money"),
                Column("register", "По чекам кассы" if ru else "On the register", "money"),
                Column("mismatch", "Расхождений" if ru else "Mismatches", "int"),
                Column("queued", "Ещё в очереди" if ru else "Still queued", "int"))
        acc: dict[str, list[int]] = {}
        for r in await _rows(ctx, site, period):
            day = unstamp(r["accepted_at"]).astimezone(svc.zone(r["site"])).date().isoformat()
            a = acc.setdefault(day, [0, 0, 0, 0, 0])
            if r["status"] == "queued":
                a[4] += 1
            if r["status"] != "fiscalised" or not r["document"]:
                continue
            doc = json.loads(r["document"])
            total = int(doc.get("total") or 0)
            a[0] += 1
            a[1] += r["amount"]
            a[2] += total
            a[3] += total != r["amount"] or doc.get("operation") not in (1, "1")
        rows: list[tuple[Any, ...]] = [(d, *v) for d, v in sorted(acc.items())]
        return Report(name=self.name, title=self.title["ru" if ru else "en"], site=site,
                      period=period, columns=cols, rows=rows)


def definitions() -> list[Any]:
    return [DriversByDay(), Problems(), DayCheck()]
