"""Reports over the ledger."""

from __future__ import annotations

from datetime import timedelta

import kassa_bonus
import pytest
from kassa.hookspecs.reports import ReportDefinition
from kassa.model import Period
from kassa_bonus.service import service_for
from kassa_bonus.settings import BonusSettings

pytestmark = pytest.mark.anyio


class Ctx:
    def __init__(self, hub):
        self.hub = hub
        self.locale = "ru"


async def test_reports(hub, clock):
    hub._bonus = BonusSettings(welcome_bonus=500)
    svc = await service_for(hub)
    g = await svc.register("t", "g", name="Анна")
    acc = await svc.guests.account_of(g.guest, "bonus")
    await svc.ledger.earn("t", "e", acc, 1000, site="cafe", order_ref="1",
                          expires_at=clock.now() + timedelta(days=1))
    await svc.ledger.spend("t", "s", acc, 300, site="cafe", order_ref="1")
    clock.advance(days=2)
    await svc.run_schedule()
    defs = {d.name: d for d in kassa_bonus.register_reports()}
    assert all(isinstance(d, ReportDefinition) for d in defs.values())
    period = Period(clock.now() - timedelta(days=5), clock.now() + timedelta(days=1))
    ctx = Ctx(hub)
    bal = await defs["bonus_balances"].build(ctx, None, period)
    assert ("bonus", 1, 500, 0) in bal.rows  # 1000 - 300 spent - 700 expired + 500 welcome
    mov = await defs["bonus_movements"].build(ctx, "cafe", period)
    assert [r[2:] for r in mov.rows] == [(1000, 300, 0)]
    allsites = await defs["bonus_movements"].build(ctx, None, period)
    assert allsites.totals[2:] == (1500, 300, 700)
    top = await defs["bonus_top_guests"].build(ctx, None, period)
    assert top.rows == (("Анна", 1, 1000),)
    promo = await defs["bonus_promotions"].build(ctx, None, period)
    assert promo.rows == (("welcome", 1, 500),)
    turnover = await defs["bonus_turnover"].build(ctx, None, period)
    assert ("bonus", "expire", 1, 700) in turnover.rows
