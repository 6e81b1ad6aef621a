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
    those receipts (each document's own 1020 total and 1054 operation). ``ShiftCheck`` holds
    them against the register's own shift counters."""

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


# the drivers' payment kinds -> the register's counter of that kind (1136 / 1138 / 1218)
_KIND_COUNTER = {"cash": "cash", "card": "electronic", "prepaid": "prepaid"}


class ShiftCheck:
    """End of day against the register: the delivery receipts fiscalised in the office
    register's current shift (1038 of each job's document), summed by kind, next to the
    register's own counters for sales in that shift (``ShiftTotalsReader``: 1129's 1135 count,
    1201 total, 1136 / 1138 / 1218 by kind).

    The register may hold other receipts (the office's own sales): the register above ours is
    "other receipts", never an alarm. Ours above the register is the alarm: receipts we hold
    as fiscalised that the register's counters do not contain (another register or FN, a Z we
    did not see, a document we took for made). A register without counters, or one that does
    not answer, gets one row saying so; nothing is guessed."""

    name = "delivery_shift_check"
    title = {"ru": "Доставка: конец дня по счётчикам кассы",
             "en": "Delivery: end of day against the register's counters"}
    parameters = ("site", "period")

    async def build(self, ctx: Any, site: str | None, period: Period) -> Report:
        import json

        from kassa.hookspecs.fiscal import ShiftTotalsReader
        from kassa.model import Operation

        svc = service_for(ctx.hub)
        ru = getattr(ctx, "locale", "ru") != "en"
        cols = (Column("register", "Касса" if ru else "Register"),
                Column("shift", "Смена" if ru else "Shift", "int"),
                Column("what", "Показатель" if ru else "Counter"),
                Column("ours", "Доставка" if ru else "Delivery", "money"),
                Column("register_value", "Счётчик кассы" if ru else "Register", "money"),
                Column("difference", "Разница (касса − доставка)" if ru
                       else "Difference (register - delivery)", "money"),
                Column("verdict", "Итог" if ru else "Verdict"))
        names = {"count": ("Чеков прихода (доставка / касса)",
                           "Sale receipts (delivery / register)"), "total": ("Сумма", "Total"),
                 "cash": ("Наличными", "Cash"), "electronic": ("Безналичными", "Electronic"),
                 "prepaid": ("Предоплатой", "Prepaid")}
        rows: list[tuple[Any, ...]] = []
        alarms = 0
        for office in svc.cfg.offices:
            if site and office.site != site:
                continue
            try:
                reg_name, dev = ctx.hub.fiscal.register(site=office.site,
                                                        name=office.register or None)
            except Exception as exc:  # no such register in this hub: say it, build the rest
                rows.append((office.register or office.site, None, "", None, None, None,
                             str(exc)))
                continue
            if not isinstance(dev, ShiftTotalsReader):
                rows.append((reg_name, None, "", None, None, None,
                             "касса не сообщает счётчики смены" if ru
                             else "the register reports no shift counters"))
                continue
            try:
                totals = await dev.shift_totals()
            except Exception as exc:  # offline, busy: the report still shows the others
                rows.append((reg_name, None, "", None, None, None,
                             ("касса не ответила: " if ru else "the register did not answer: ")
                             + str(exc)))
                continue
            ours = {"count": 0, "total": 0, "cash": 0, "electronic": 0, "prepaid": 0}
            for r in await _rows(ctx, office.site, period):
                if r["status"] != "fiscalised" or not r["document"]:
                    continue
                doc = json.loads(r["document"])
                if totals.shift is not None and doc.get("shift") not in (None, totals.shift):
                    continue  # fiscalised in another shift: not in these counters
                ours["count"] += 1
                ours["total"] += int(doc.get("total") or r["amount"])
                ours[_KIND_COUNTER[r["payment_kind"]]] += r["amount"]
            sale = totals.of(Operation.SELL)
            for what, value in ours.items():
                theirs = None if sale is None else getattr(sale, what)
                if theirs is None:
                    verdict = "касса не сообщает" if ru else "not reported by the register"
                    diff = None
                else:
                    diff = theirs - value
                    if diff < 0:
                        alarms += 1
                        verdict = ("ТРЕВОГА: чеков доставки нет в счётчиках кассы" if ru
                                   else "ALARM: delivery receipts missing from the register")
                    elif diff > 0:
                        verdict = "на кассе есть другие чеки" if ru \
                            else "other receipts on the register"
                    else:
                        verdict = "сходится" if ru else "matches"
                label = names[what][0 if ru else 1]
                if what == "count":  # a count, not money: it goes into the label
                    label += f": {value} / {'—' if theirs is None else theirs}"
                    rows.append((reg_name, totals.shift, label, None, None, None, verdict))
                else:
                    rows.append((reg_name, totals.shift, label, value, theirs, diff, verdict))
        notes: tuple[str, ...] = (
            "Счётчики кассы выше наших — на кассе есть и другие чеки, это не ошибка. Наши "
            "выше счётчиков кассы — тревога: чеки, которые мы считаем пробитыми, не вошли в "
            "смену кассы." if ru else
            "The register above ours: it holds other receipts too, not an error. Ours above "
            "the register: an alarm, receipts we hold as fiscalised are not in its shift.",)
        if alarms:
            notes += (f"Тревог: {alarms}." if ru else f"Alarms: {alarms}.",)
        return Report(name=self.name, title=self.title["ru" if ru else "en"], site=site,
                      period=period, columns=cols, rows=rows, notes=notes)


def definitions() -> list[Any]:
    return [DriversByDay(), Problems(), DayCheck(), ShiftCheck()]
