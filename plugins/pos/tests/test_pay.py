"""Paying a check at the till: tender rules, the receipt built from the draft, and the
faults (declined card, terminal timeout, paper out, permanent fiscal failure, a crash between
the payment and the receipt) against the core's fake register, terminal and accounts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import anyio
import kassa_pos
import pytest
from kassa import hookimpl
from kassa.errors import RetryLater
from kassa.model import Cashier, Measure, PaymentKind, Quote, VatRate
from kassa.model.fiscal_rules import problems, validate
from kassa.testing import make_hub
from kassa.testing.fakes import FakeAccount, FakeRegister, FakeTerminal
from kassa_pos.engine.pay import PayConfig, PayError, Payments, receipt_lines, spread
from kassa_pos.engine.values import LineFlag, SaleDraft, SaleLine, Tender

pytestmark = pytest.mark.anyio
CFG = {"sites": [{"code": "s1", "fiscal": "fr1", "terminals": ["card1", "card2"],
                  "payments": ["bonus", "deposit"]}],
       "stations": [{"code": "t1", "site": "s1"}]}
CONFIG = PayConfig(terminals=("card1", "card2"), bonus_method="bonus",
                   deposit_method="deposit", internal={"gift": "prepaid"})


class Components:
    def __init__(self, fiscal=(), payments=()):
        self.fiscal, self.payments = list(fiscal), list(payments)

    @hookimpl
    def register_fiscal_devices(self, hub):
        return self.fiscal

    @hookimpl
    def register_payment_methods(self, hub):
        return self.payments


class Parts:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.reg = FakeRegister("fr1", path=tmp / "fr.db")
        self.card1 = FakeTerminal("card1", path=tmp / "c1.db", suspend=True)
        self.card2 = FakeTerminal("card2", path=tmp / "c2.db", terminal_id="00000002")
        self.bonus = FakeAccount("bonus", balances={"g1": 50000}, path=tmp / "b.db")
        self.deposit = FakeAccount("deposit", balances={"g1": 100000}, path=tmp / "d.db")

    def hub(self):
        return make_hub(CFG, self.tmp, plugins=[
            kassa_pos, Components([self.reg], [self.card1, self.card2, self.bonus,
                                               self.deposit])])


@pytest.fixture
def parts(tmp_path):
    return Parts(tmp_path)


async def ready(hub) -> Payments:
    if not (await hub.fiscal.status(site="s1", station="t1")).shift_open:
        await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1",
                                    station="t1")
    return Payments(hub, CONFIG)


def line(code="A1", price=10000, quantity=1, amount=None, **kw) -> SaleLine:
    q = Decimal(str(quantity))
    total = amount if amount is not None else int(price * q)
    return SaleLine(item_code=code, name=f"Товар {code}", quantity=q, price=price,
                    amount=total, discount=int(price * q) - total, vat=VatRate.VAT22, **kw)


def draft(*lines: SaleLine, check_id="c1", quote=None) -> SaleDraft:
    lines = lines or (line(),)
    return SaleDraft(check_id=check_id, site="s1", till="t1", cashier="Иванова",
                     lines=lines, total=sum(ln.amount for ln in lines), guest="g1",
                     quote=quote, number=7)


async def test_cash_with_change_one_receipt_and_a_second_pay_is_refused(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        paid = await pay.pay(draft(line(price=15000)), [Tender(kind="cash", amount=20000)])
        assert paid.change == 5000 and paid.document.total == 15000
        assert parts.reg.effects("receipt") == 1
        with pytest.raises(PayError, match="уже оплачен"):
            await pay.pay(draft(line(price=15000)), [Tender(kind="cash", amount=20000)])
        sale = await pay.sale("c1")
        assert sale is not None and sale["fd"] == paid.document.number and sale["change"] == 5000
        assert parts.reg.effects("receipt") == 1


async def test_card_bonus_deposit_and_cash_in_one_check(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        d = draft(line("A1", 30000), line("B2", 12345, quantity=3), line("C3", 999))
        tenders = [Tender(kind="bonus", amount=5000, account="g1"),
                   Tender(kind="deposit", amount=10000, account="g1"),
                   Tender(kind="card", amount=20000, terminal="card1"),
                   Tender(kind="cash", amount=50000)]
        plan = pay.plan(d, tenders, key="k", now=hub.clock.now())
        validate(plan.receipt)
        # bonus is a discount: the receipt is 50 roubles less and carries no bonus payment
        assert plan.receipt.total == d.total - 5000 == sum(ln.total for ln in plan.receipt.lines)
        assert sum(plan.bonus_lines) == 5000
        assert {p.kind for p in plan.receipt.payments} == {
            PaymentKind.PREPAID, PaymentKind.ELECTRONIC, PaymentKind.CASH}
        paid = await pay.pay(d, tenders)
        assert paid.change == 50000 + 20000 + 10000 - (d.total - 5000)
        assert parts.card1.charged() == 20000 and parts.card1.effects("commit") == 1
        assert parts.card2.charged() == 0
        assert await parts.bonus.balance("g1") == 45000
        assert await parts.deposit.balance("g1") == 90000
        assert parts.reg.effects("receipt") == 1


async def test_the_second_terminal_is_chosen_by_name(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        await pay.pay(draft(), [Tender(kind="card", amount=10000, terminal="card2")])
        assert parts.card2.charged() == 10000 and parts.card1.charged() == 0


async def test_bonus_as_counter_provision_is_tag_1217(parts):
    async with parts.hub() as hub:
        await ready(hub)
        pay = Payments(hub, PayConfig(bonus_as="counter_provision", bonus_method="bonus"))
        plan = pay.plan(draft(), [Tender(kind="bonus", amount=3000, account="g1"),
                                  Tender(kind="cash", amount=7000)], key="k",
                        now=hub.clock.now())
        validate(plan.receipt)
        assert plan.receipt.total == 10000
        assert plan.receipt.sums()[1217] == 3000 and plan.receipt.sums()[1031] == 7000


async def test_declined_card_clear_sentence_nothing_fiscalised_then_cash(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.card1.decline_next.append("Недостаточно средств")
        with pytest.raises(PayError) as err:
            await pay.pay(draft(), [Tender(kind="card", amount=10000, terminal="card1")])
        assert str(err.value) == ("Оплата не прошла: Недостаточно средств. Чек не пробит,"
                                  " деньги не списаны.")
        assert err.value.text("en").startswith("Payment failed: Недостаточно средств.")
        assert parts.reg.effects("receipt") == 0 and parts.card1.charged() == 0
        kinds = [e.kind for e in await hub.events(site="s1")]
        assert "pos_payment_declined" in kinds
        paid = await pay.pay(draft(), [Tender(kind="cash", amount=10000)])  # attempt 2
        assert paid.change == 0 and parts.reg.effects("receipt") == 1


async def test_terminal_timeout_is_reconciled_never_charged_twice(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.card1.drop_answers = 1  # the bank approved, the answer was lost
        with pytest.raises(RetryLater):
            await pay.pay(draft(), [Tender(kind="card", amount=10000, terminal="card1")])
        assert parts.card1.effects("purchase") == 1 and parts.reg.effects("receipt") == 0
        paid = await pay.pay(draft(), [Tender(kind="card", amount=10000, terminal="card1")])
        assert paid.document.total == 10000
        assert parts.card1.effects("purchase") == 1 and parts.card1.charged() == 10000
        assert parts.reg.effects("receipt") == 1


async def test_paper_out_holds_the_money_retries_one_receipt(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.reg.paper_out = True
        tenders = [Tender(kind="bonus", amount=2000, account="g1"),
                   Tender(kind="card", amount=8000, terminal="card1")]
        with pytest.raises(RetryLater, match="paper"):
            await pay.pay(draft(), tenders)
        assert await pay.pending("s1", "t1") == ["c1"]
        assert parts.card1.effects("purchase") == 1 and parts.card1.effects("rollback") == 0
        assert await parts.bonus.balance("g1") == 48000  # held, not given back
        with pytest.raises(PayError, match="другими способами"):
            await pay.pay(draft(), [Tender(kind="cash", amount=10000)])
        parts.reg.paper_out = False
        paid = await pay.resume("c1")
        assert paid is not None and parts.reg.effects("receipt") == 1
        assert parts.card1.effects("purchase") == 1 and parts.card1.charged() == 8000
        assert await pay.pending("s1", "t1") == [] and await pay.resume("c1") is None


async def test_permanent_fiscal_failure_cancels_the_card_and_frees_the_bonus(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.reg.fn_full = True
        tenders = [Tender(kind="bonus", amount=2000, account="g1"),
                   Tender(kind="card", amount=8000, terminal="card2")]  # card2: not suspended
        with pytest.raises(PayError, match="Чек не пробит: the FN archive is full"):
            await pay.pay(draft(), tenders)
        assert parts.card2.effects("cancel") == 1 and parts.card2.charged() == 0
        assert await parts.bonus.balance("g1") == 50000 and parts.reg.effects("receipt") == 0
        assert await pay.sale("c1") is None and await pay.pending("s1", "t1") == []


async def test_crash_between_payment_and_receipt_resumes_once(parts):
    tenders = [Tender(kind="card", amount=6000, terminal="card1"),
               Tender(kind="cash", amount=5000)]
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.reg.answer_delay = 5  # the register prints, the till dies before the answer
        with anyio.move_on_after(0.5):
            await pay.pay(draft(), tenders)
        parts.reg.answer_delay = 0
        assert parts.card1.effects("purchase") == 1 and parts.reg.effects("receipt") == 1
    async with parts.hub() as hub:  # a new process on the same store
        pay = Payments(hub, CONFIG)
        assert await pay.pending("s1", "t1") == ["c1"]
        paid = await pay.resume("c1")
        assert paid is not None and paid.change == 1000
        assert parts.reg.effects("receipt") == 1 and parts.card1.effects("purchase") == 1
        assert parts.card1.charged() == 6000 and parts.card1.effects("commit") == 1


@pytest.mark.parametrize(("tenders", "message"), [
    ([Tender(kind="card", amount=12000)], "больше суммы чека"),
    ([Tender(kind="card", amount=10000), Tender(kind="cash", amount=100)],
     "Наличные не нужны"),
    ([Tender(kind="cash", amount=9000)], "Не хватает 10,00"),
    ([Tender(kind="cash", amount=600000)], "Сдача 5\u00a0900,00\u00a0₽ слишком велика"),
    ([Tender(kind="card", amount=10000, terminal="card9")], "Терминал «card9»"),
    ([Tender(kind="internal:coupon", amount=10000)], "Вид оплаты «coupon»"),
    ([Tender(kind="bonus", amount=6000, account="g1"), Tender(kind="cash", amount=4000)],
     "не больше 50,00"),
])
async def test_tender_rules(tmp_path, tenders, message):
    d = draft(quote=Quote(guest_id="g1", bonus_spend_max=5000))
    pay = Payments(None, CONFIG)  # type: ignore[arg-type]  # planning touches no hub
    from datetime import UTC, datetime

    with pytest.raises(PayError, match=message):
        pay.plan(d, tenders, key="k", now=datetime(2026, 12, 2, tzinfo=UTC))


async def test_internal_kind_goes_to_its_configured_tag():
    from datetime import UTC, datetime

    pay = Payments(None, CONFIG)  # type: ignore[arg-type]
    plan = pay.plan(draft(), [Tender(kind="internal:gift", amount=10000)], key="k",
                    now=datetime(2026, 12, 2, tzinfo=UTC))
    validate(plan.receipt)
    assert plan.receipt.sums()[1215] == 10000


def test_marked_and_weighed_lines_make_valid_items():
    from datetime import UTC, datetime

    marked = line("M1", 25000, marking_code="0104600000000000215abc\x1d93xyz",
                  flags=[LineFlag.MARKED])
    weighed = line("W1", 45990, quantity="1.234", amount=50000, unit=Measure.KILOGRAM,
                   flags=[LineFlag.WEIGHED])
    pay = Payments(None, CONFIG)  # type: ignore[arg-type]
    plan = pay.plan(draft(marked, weighed), [Tender(kind="cash", amount=80000)], key="k",
                    now=datetime(2026, 12, 2, tzinfo=UTC))
    assert problems(plan.receipt) == []
    assert plan.receipt.lines[0].payment_object == 33
    assert plan.receipt.lines[0].marking_code is not None
    assert sum(ln.total for ln in plan.receipt.lines[1:]) == 50000


@pytest.mark.parametrize("quantity", ["1", "3", "7", "10", "0.5", "1.234", "12.345"])
@pytest.mark.parametrize("total", [1, 999, 1005, 10001, 123457])
def test_receipt_lines_always_sum_and_keep_the_kopeck_rule(quantity, total):
    from datetime import UTC, datetime

    from kassa.model import Operation, Receipt, ReceiptPayment, TaxSystem

    ln = line("X", 200000, quantity=quantity, amount=min(total, int(200000 * Decimal(quantity))))
    items = receipt_lines(ln, ln.amount)
    assert sum(i.total for i in items) == ln.amount and len(items) <= 2
    assert sum(i.quantity for i in items) == ln.quantity
    r = Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN, lines=items,
                payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=max(ln.amount, 1))],
                total=ln.amount, issued_at=datetime(2026, 12, 2, tzinfo=UTC))
    assert [p.code for p in problems(r) if p.code != "payment_amount"] == []


def test_spread_is_proportional_and_exact():
    assert spread(100, [100, 100, 100]) == [34, 33, 33]
    assert spread(5, [10, 0, 30]) == [1, 0, 4]
    assert spread(50, [10, 20]) == [10, 20]  # never below zero
    assert sum(spread(9999, [123, 4567, 89])) == 4779


async def test_a_held_payment_can_be_abandoned_when_no_receipt_was_made(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.reg.paper_out = True
        tenders = [Tender(kind="bonus", amount=2000, account="g1"),
                   Tender(kind="card", amount=8000, terminal="card1")]
        with pytest.raises(RetryLater):
            await pay.pay(draft(), tenders)
        assert await pay.abandon("c1") == 2
        assert parts.card1.charged() == 0 and parts.card1.effects("rollback") == 1
        assert await parts.bonus.balance("g1") == 50000
        assert await pay.pending("s1", "t1") == [] and await pay.abandon("c1") == 0
        parts.reg.paper_out = False
        paid = await pay.pay(draft(), [Tender(kind="cash", amount=10000)])  # attempt 2
        assert paid.document.total == 10000 and parts.reg.effects("receipt") == 1


async def test_abandon_is_refused_once_the_receipt_may_exist(parts):
    async with parts.hub() as hub:
        pay = await ready(hub)
        parts.reg.drop_answers = 1  # the receipt is made, its answer lost
        with pytest.raises(RetryLater):
            await pay.pay(draft(), [Tender(kind="card", amount=10000, terminal="card1")])
        with pytest.raises(PayError, match="Чек мог быть уже пробит"):
            await pay.abandon("c1")
        paid = await pay.resume("c1")
        assert paid is not None and parts.reg.effects("receipt") == 1
        assert parts.card1.charged() == 10000


async def test_a_core_refusal_reads_in_the_tills_language(tmp_path):
    # two registers installed, none named for the site: the core's refusal inside the
    # till's sentence is Russian too (English in the log and the attempt's row)
    cfg = {"sites": [{"code": "s1", "terminals": ["card1"]}],
           "stations": [{"code": "t1", "site": "s1"}]}
    card = FakeTerminal("card1", path=tmp_path / "c1.db")
    async with make_hub(cfg, tmp_path, plugins=[kassa_pos, Components(
            [FakeRegister("fr1"), FakeRegister("fr2")], [card])]) as hub:
        pay = Payments(hub, PayConfig(terminals=("card1",)))
        with pytest.raises(PayError) as err:
            await pay.pay(draft(), [Tender(kind="cash", amount=10000)])
        assert str(err.value) == ("Оплата не прошла: для точки «s1» не настроен фискальный"
                                  " регистратор. Чек не пробит, деньги не списаны.")
        assert err.value.text("en") == ("Payment failed: no fiscal register is configured for"
                                        " site “s1”. Nothing was fiscalised or charged.")
        assert card.charged() == 0 and await pay.sale("c1") is None
