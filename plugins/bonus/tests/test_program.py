"""The hook components: LoyaltyProgram and the bonus / deposit AccountPayments."""

from __future__ import annotations

from decimal import Decimal

import kassa_bonus
import pytest
from kassa.errors import UserError
from kassa.hookspecs.loyalty import LoyaltyProgram
from kassa.hookspecs.payments import AccountPayment, PaymentMethod
from kassa.model import Order, OrderLine, PaymentStatus
from kassa_bonus.service import service_for
from kassa_bonus.settings import BonusSettings, Threshold

pytestmark = pytest.mark.anyio


def order(*amounts: int, codes=None) -> Order:
    lines = [OrderLine(code=(codes or [])[i] if codes else f"d{i}", name="dish", quantity=1,
                       price=a, amount=a) for i, a in enumerate(amounts)]
    return Order(site="cafe", number="1001/1", lines=tuple(lines), total=sum(amounts))


async def test_hooks_return_protocol_components(hub):
    [program] = kassa_bonus.register_loyalty_programs(hub)
    methods = kassa_bonus.register_payment_methods(hub)
    assert isinstance(program, LoyaltyProgram)
    assert all(isinstance(m, AccountPayment) for m in methods)
    assert PaymentMethod is AccountPayment  # the old name, kept for one release
    assert {m.name for m in methods} == {"bonus", "deposit"}
    assert kassa_bonus.register_settings() == {"bonus": BonusSettings}


async def test_identify_quote_commit_reverse(hub):
    hub._bonus = BonusSettings(excluded=["bar"], thresholds=[Threshold(100000, 777)],
                               group_discounts={"staff": Decimal(10)})
    await kassa_bonus.on_startup(hub)
    svc = await service_for(hub)
    g = await svc.register("test", "g1", name="Anna", phone="+7 916 123 45 67", groups=["staff"])
    acc = await svc.guests.account_of(g.guest, "bonus")
    await svc.ledger.earn("test", "seed", acc, 10000)
    [program] = kassa_bonus.register_loyalty_programs(hub)
    guest = await program.identify("89161234567")
    assert guest.id == g.guest and guest.level == "base"
    o = order(100000, 20000, codes=["soup", "bar"])
    q = await program.quote(o, guest)
    # 10% staff discount on soup only, 5% base accrual on the net, threshold bonus
    assert q.discount == 10000
    assert q.bonus_earn == 4500 + 777
    assert q.bonus_spend_max == 10000  # capped by the balance (50% of 90000 is more)
    with pytest.raises(UserError):
        await program.commit(o, q, "chk-1", spend=10001)
    p = await program.commit(o, q, "chk-1", spend=9000)
    assert (p.spent, p.earned) == (9000, (4500 + 777) * (110000 - 9000) // 110000)
    assert await program.commit(o, q, "chk-1", spend=9000) == p  # replay
    r = await program.reverse(p, "refund-1")
    assert (r.earned, r.spent) == (-p.earned, -9000)
    assert (await svc.bonus_account(g.guest)).balance == 10000


async def test_blocked_card_raises_with_reason(hub):
    svc = await service_for(hub)
    g = await svc.register("test", "g1", name="Anna", card="4455")
    await svc.guests.block("test", "b1", "card", "4455", "lost by guest")
    [program] = kassa_bonus.register_loyalty_programs(hub)
    with pytest.raises(UserError, match="lost by guest"):
        await program.identify("4455")
    await svc.guests.replace("test", "r0", "virtual", (await svc.guest(g.guest)).identifiers[0]
                             .value, "card", "5566")
    assert (await program.identify("5566")).id == g.guest
    assert await program.identify("0000") is None


async def test_payment_methods(hub):
    svc = await service_for(hub)
    await svc.register("test", "g1", name="Anna", card="4455")
    bonus, deposit = kassa_bonus.register_payment_methods(hub)
    guest = await svc.guests.find("4455")
    assert guest is not None
    dep_acc = await svc.guests.account_of(guest, "debit")
    await svc.ledger.earn("test", "topup", dep_acc, 50000)
    assert await deposit.balance("4455") == 50000
    declined = await bonus.hold("4455", 100, "a0")
    assert declined.status is PaymentStatus.DECLINED and "not enough" in declined.message
    auth = await deposit.hold("4455", 30000, "a1")
    assert auth.status is PaymentStatus.AUTHORIZED
    assert await deposit.hold("4455", 30000, "a1") == auth
    assert await deposit.balance("4455") == 20000
    cap = await deposit.capture(auth.id, 25000, "c1")
    assert (cap.status, cap.amount) == (PaymentStatus.CAPTURED, 25000)
    assert await deposit.balance("4455") == 25000
    ref = await deposit.refund(auth.id, 5000, "r1")
    assert ref.status is PaymentStatus.REFUNDED
    assert await deposit.balance("4455") == 30000
    a2 = await deposit.hold(dep_acc, 1000, "a2")
    assert (await deposit.void(a2.id, "v2")).status is PaymentStatus.VOIDED
    assert await deposit.balance(dep_acc) == 30000


async def test_lookup_answers_from_the_ledgers_record(hub, clock):
    """After a crash the core asks what a key did: the first answer, or None if nothing."""
    svc = await service_for(hub)
    await svc.register("test", "g1", name="Anna", card="4455")
    bonus, deposit = kassa_bonus.register_payment_methods(hub)
    guest = await svc.guests.find("4455")
    assert guest is not None
    dep_acc = await svc.guests.account_of(guest, "debit")
    await svc.ledger.earn("test", "topup", dep_acc, 50000)
    assert await deposit.lookup("h1") is None  # never called
    assert await bonus.lookup("h0") is None
    assert (await bonus.hold("4455", 100, "h0")).status is PaymentStatus.DECLINED
    assert await bonus.lookup("h0") is None  # a refusal holds nothing and leaves no record
    held = await deposit.hold("4455", 20000, "h1")
    assert held.created_at == clock.now()
    clock.advance(minutes=3)
    assert await deposit.lookup("h1") == held
    cap = await deposit.capture(held.id, 15000, "c1")
    assert await deposit.lookup("c1") == cap
    assert (cap.status, cap.amount, cap.id) == (PaymentStatus.CAPTURED, 15000, held.id)
    ref = await deposit.refund(held.id, 5000, "r1")
    assert await deposit.lookup("r1") == ref and ref.status is PaymentStatus.REFUNDED
    held2 = await deposit.hold(dep_acc, 1000, "h2")
    voided = await deposit.void(held2.id, "v2")
    assert await deposit.lookup("v2") == voided and voided.status is PaymentStatus.VOIDED
    assert await bonus.lookup("h1") is None  # keys are per method: the bonus never saw h1
    assert await deposit.balance("4455") == 40000  # lookups changed nothing


async def test_replays_later_in_time_still_match(hub, clock):
    """Lot expiry is a lifetime, not a moment: a retry tomorrow is the same request."""
    from datetime import date

    hub._bonus = BonusSettings(birthday_bonus=700, birthday_days_before=3)
    svc = await service_for(hub)
    today = clock.now().date()
    g = await svc.register("test", "g1", name="Anna", card="1",
                           birthday=date(1990, today.month, today.day))
    await svc.run_schedule()
    clock.advance(days=1)
    await svc.run_schedule()  # the same birthday key on the next day: no error, no second award
    assert (await svc.bonus_account(g.guest)).balance == 700
    guest = await svc.guest(g.guest)
    o = order(10000)
    q = await svc.quote(o, guest)
    p = await svc.commit(o, q, "chk", spend=0)
    clock.advance(hours=5)
    assert await svc.commit(o, q, "chk", spend=0) == p
