"""hub.fiscal / hub.payments / hub.devices: the component from config, every call through
the journal, failures mapped to the shared errors, events for what happened."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kassa import hookimpl
from kassa.errors import ConfigError, Permanent, RetryLater, UserError
from kassa.journal import DONE, UNKNOWN, OutcomeUnknown
from kassa.model import Cashier, PrintJob
from kassa.model.fiscal import ReceiptError
from kassa.testing import eventually, make_hub
from kassa.testing.contracts import sample_receipt
from kassa.testing.fakes import FakeAccount, FakePrinter, FakeRegister, FakeScale, FakeTerminal

from tests.test_integration import pg_url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.anyio
CASHIER = Cashier(name="Иванова")


class Components:
    def __init__(self, fiscal=(), payments=(), devices=()):
        self.fiscal, self.payments, self.devices = list(fiscal), list(payments), list(devices)

    @hookimpl
    def register_fiscal_devices(self, hub):
        return self.fiscal

    @hookimpl
    def register_payment_methods(self, hub):
        return self.payments

    @hookimpl
    def register_devices(self, hub):
        return self.devices


def config(**site):
    return {"sites": [{"code": "s1", "fiscal": "fr-hall", **site}],
            "stations": [{"code": "bar", "site": "s1", "fiscal": "fr-bar"},
                         {"code": "t2", "site": "s1"}]}


async def kinds(hub, kind=None):
    return [e.kind for e in await hub.events(site="s1") if kind is None or e.kind == kind]


async def test_station_register_wins_over_the_sites_and_a_retry_prints_once(tmp_path):
    hall, bar = FakeRegister("fr-hall"), FakeRegister("fr-bar")
    async with make_hub(config(), tmp_path, plugins=[Components([hall, bar])]) as hub:
        await hub.fiscal.open_shift(CASHIER, key="open-bar", site="s1", station="bar")
        await hub.fiscal.open_shift(CASHIER, key="open-hall", site="s1")  # the site's
        assert bar.effects("shift_open") == hall.effects("shift_open") == 1
        r = sample_receipt()
        doc = await hub.fiscal.receipt(r, key="chk-1", site="s1", station="bar")
        again = await hub.fiscal.receipt(r, key="chk-1", site="s1", station="bar")
        assert doc == again and bar.effects("receipt") == 1 and hall.effects("receipt") == 0
        await hub.fiscal.receipt(r, key="chk-2", site="s1", station="t2")
        assert hall.effects("receipt") == 1
        await eventually(lambda: kinds(hub, "fiscal_receipt"), hub=hub)
        assert len(await kinds(hub, "fiscal_receipt")) == 2  # the retry is the same event
        z = await hub.fiscal.close_shift(CASHIER, key="z-bar", site="s1", station="bar")
        assert z.kind == "shift_close"
        await eventually(lambda: kinds(hub, "z_report"), hub=hub)
        e = await hub.journal.entry("chk-1")
        assert e is not None and e.status == DONE and e.component == "fr-bar"
        assert e.station == "bar" and e.concern == "fiscal"


async def test_an_invalid_receipt_is_refused_before_the_journal(tmp_path):
    reg = FakeRegister("fr-hall")
    async with make_hub(config(), tmp_path, plugins=[Components([reg, FakeRegister("fr-bar")])]
                        ) as hub:
        bad = sample_receipt().__class__(**{**_fields(sample_receipt()), "total": 1})
        with pytest.raises(ReceiptError):
            await hub.fiscal.receipt(bad, key="bad", site="s1")
        assert await hub.journal.entry("bad") is None and reg.effects() == 0


def _fields(obj):
    import attrs

    return {f.name: getattr(obj, f.name) for f in attrs.fields(type(obj))}


async def test_fiscal_failures_map_to_the_shared_errors_and_events(tmp_path):
    reg = FakeRegister("fr-hall")
    async with make_hub(config(), tmp_path, plugins=[Components([reg, FakeRegister("fr-bar")])]
                        ) as hub:
        with pytest.raises(UserError, match="open the shift"):
            await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")
        await hub.fiscal.open_shift(CASHIER, key="open", site="s1")
        reg.paper_out = True
        with pytest.raises(RetryLater, match="paper"):
            await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")
        reg.paper_out = False
        await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")  # same key: runs now
        reg.drop_answers = 1
        with pytest.raises(OutcomeUnknown):
            await hub.fiscal.receipt(sample_receipt(), key="k2", site="s1")
        assert (await hub.journal.entry("k2")).status == UNKNOWN  # type: ignore[union-attr]
        await hub.fiscal.receipt(sample_receipt(), key="k2", site="s1")  # reconciled
        assert reg.effects("receipt") == 2
        reg.fn_full = True
        with pytest.raises(Permanent, match="FN"):
            await hub.fiscal.receipt(sample_receipt(), key="k3", site="s1")
        await eventually(lambda: kinds(hub, "fiscal_failed"), hub=hub)
        await eventually(lambda: kinds(hub, "fiscal_unavailable"), hub=hub)  # paper out
        await eventually(lambda: kinds(hub, "fiscal_unknown"), hub=hub)
        failed = [e for e in await hub.events(site="s1") if e.kind == "fiscal_failed"]
        assert {e.data["key"] for e in failed} == {"k1", "k3"}


async def test_card_purchase_decline_and_lost_answer(tmp_path):
    card = FakeTerminal("sber-1")
    cfg = config(terminals=["sber-1"])
    async with make_hub(cfg, tmp_path, plugins=[Components(
            [FakeRegister("fr-hall"), FakeRegister("fr-bar")], [card])]) as hub:
        card.decline_next.append("Недостаточно средств")
        for _ in range(2):  # the same key gives the same decline; the bank is asked once
            with pytest.raises(UserError, match="Недостаточно средств"):
                await hub.payments.purchase(15000, key="pay-1", site="s1", station="t2")
        card.drop_answers = 1
        with pytest.raises(OutcomeUnknown) as unknown:
            await hub.payments.purchase(15000, key="pay-2", site="s1")
        assert unknown.value.text().startswith("неизвестно, прошла ли операция")
        assert "reconcile first" in str(unknown.value)
        p = await hub.payments.purchase(15000, key="pay-2", site="s1")
        assert p.approved and card.charged() == 15000 and card.effects("purchase") == 1
        await eventually(lambda: kinds(hub, "payment_declined"), hub=hub)
        await eventually(lambda: kinds(hub, "payment_captured"), hub=hub)
        c = await hub.payments.cancel(p, key="cancel-2", site="s1")
        assert c.approved and card.charged() == 0


async def test_account_payment_hold_capture(tmp_path):
    bonus = FakeAccount("bonus", balances={"guest-1": 5000})
    async with make_hub(config(payments=["bonus"]), tmp_path, plugins=[Components(
            [FakeRegister("fr-hall"), FakeRegister("fr-bar")], [bonus])]) as hub:
        h = await hub.payments.hold("guest-1", 3000, key="h1", site="s1")
        assert (await hub.payments.hold("guest-1", 3000, key="h1", site="s1")) == h
        await hub.payments.capture(h.id, None, key="c1", site="s1")
        assert await hub.payments.balance("guest-1", site="s1") == 2000
        with pytest.raises(UserError, match="not enough"):
            await hub.payments.hold("guest-1", 3000, key="h2", site="s1")
        with pytest.raises(UserError, match="is not one of site") as err:
            await hub.payments.hold("guest-1", 1, key="h3", site="s1", method="deposit")
        # the log's sentence is English, a person's is theirs (Russian by default)
        assert err.value.text() == ("способ оплаты «deposit» не относится к точке «s1» (её"
                                    " способы: bonus)")
        assert err.value.text("en") == "payment method “deposit” is not one of site “s1”'s (bonus)"


async def test_printer_that_cannot_know_never_prints_twice(tmp_path):
    pr = FakePrinter("kitchen", remembers=False)
    async with make_hub(config(printers=["kitchen"]), tmp_path, plugins=[Components(
            [FakeRegister("fr-hall"), FakeRegister("fr-bar")], devices=[pr])]) as hub:
        assert list(hub.devices) == [pr] and pr.started
        job = PrintJob(lines=("Стол 5", "Борщ x2"))
        pr.drop_answers = 1
        with pytest.raises(OutcomeUnknown):
            await hub.devices.print(job, key="ticket-1", site="s1")
        with pytest.raises(RetryLater, match="unknown"):
            await hub.devices.print(job, key="ticket-1", site="s1")
        assert pr.paper() == ["Стол 5", "Борщ x2"]
        pr.paper_out = True
        with pytest.raises(RetryLater):
            await hub.devices.print(job, key="ticket-2", site="s1")
        await eventually(lambda: kinds(hub, "device_unavailable"), hub=hub)


async def test_start_fails_naming_the_station_and_the_missing_register(tmp_path):
    with pytest.raises(ConfigError, match=r"station 'bar' at site 's1' names fiscal register"
                       r" 'fr-bar'.*did you mean 'fr-bat'"):
        async with make_hub(config(), tmp_path, plugins=[Components(
                [FakeRegister("fr-hall"), FakeRegister("fr-bat")])]):
            pass
    with pytest.raises(ConfigError, match=r"site 's1' names card terminal 'sber'"):
        async with make_hub(config(terminals=["sber"]), tmp_path, plugins=[Components(
                [FakeRegister("fr-hall"), FakeRegister("fr-bar")])]):
            pass


async def test_stations_config_errors(tmp_path):
    from kassa.config import parse

    with pytest.raises(ConfigError, match=r"stations\[0\].site: no site with code 's2'"):
        parse({"sites": [{"code": "s1"}], "stations": [{"code": "t1", "site": "s2"}]})
    with pytest.raises(ConfigError, match="duplicate station code"):
        parse({"sites": [{"code": "s1"}], "stations": [{"code": "t1", "site": "s1"},
                                                       {"code": "t1", "site": "s1"}]})


async def test_restart_reconciles_what_a_dead_process_left_pending(tmp_path):
    """A crash between request and answer: at the next start the row is unknown, and the
    hub reconciles it with the register in the background."""
    far = tmp_path / "far.db"
    reg = FakeRegister("fr-hall", path=far)
    plugins = [Components([reg, FakeRegister("fr-bar")])]
    async with make_hub(config(), tmp_path, plugins=plugins) as hub:
        await hub.fiscal.open_shift(CASHIER, key="open", site="s1")
        reg.drop_answers = 1
        with pytest.raises(OutcomeUnknown):
            await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")
    async with make_hub(config(), tmp_path, plugins=plugins) as hub:
        await eventually(lambda: _status(hub, "k1", DONE), hub=hub)
        assert await hub.journal.unknown() == []
        again = await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")
        assert again.total == 15000 and reg.effects("receipt") == 1


async def _status(hub, key, status):
    e = await hub.journal.entry(key)
    return e is not None and e.status == status


@pytest.mark.integration
async def test_services_and_restart_reconcile_on_postgres(tmp_path, pg_url):  # noqa: F811
    """The same journal rows on PostgreSQL: a lost answer, a restart, one receipt."""
    reg = FakeRegister("fr-hall", path=tmp_path / "far.db")
    plugins = [Components([reg, FakeRegister("fr-bar")])]
    cfg = {**config(), "store": {"url": pg_url}}
    async with make_hub(cfg, tmp_path, plugins=plugins) as hub:
        assert hub.store.dialect == "postgresql"
        await hub.fiscal.open_shift(CASHIER, key="open", site="s1")
        doc = await hub.fiscal.receipt(sample_receipt(), key="k0", site="s1")
        assert await hub.fiscal.receipt(sample_receipt(), key="k0", site="s1") == doc
        reg.drop_answers = 1
        with pytest.raises(OutcomeUnknown):
            await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")
    async with make_hub(cfg, tmp_path, plugins=plugins) as hub:
        await eventually(lambda: _status(hub, "k1", DONE), hub=hub)
        await hub.fiscal.receipt(sample_receipt(), key="k1", site="s1")
    assert reg.effects("receipt") == 2


async def test_restart_leaves_a_job_unknown_when_the_printer_cannot_know(tmp_path):
    pr = FakePrinter("kitchen", remembers=False, path=tmp_path / "paper.db")
    plugins = [Components([FakeRegister("fr-hall"), FakeRegister("fr-bar")], devices=[pr])]
    job = PrintJob(lines=("Стол 5",))
    async with make_hub(config(printers=["kitchen"]), tmp_path, plugins=plugins) as hub:
        pr.drop_answers = 1
        with pytest.raises(OutcomeUnknown):
            await hub.devices.print(job, key="ticket-1", site="s1")
    async with make_hub(config(printers=["kitchen"]), tmp_path, plugins=plugins) as hub:
        await eventually(lambda: _reconciled_once(hub), hub=hub)
        assert [e.key for e in await hub.journal.unknown()] == ["ticket-1"]
        with pytest.raises(RetryLater):
            await hub.devices.print(job, key="ticket-1", site="s1")
    assert pr.paper() == ["Стол 5"]


async def _reconciled_once(hub):
    e = await hub.journal.entry("ticket-1")
    return e is not None and e.error_code == "retry_later"


async def test_every_fiscal_payment_and_device_action_is_journaled(tmp_path):
    """The rest of the services' surface: each action once per key, questions not kept."""
    from datetime import UTC, date, datetime

    from kassa.model import CorrectionReceipt, CorrectionType, Operation, TaxSystem

    reg, card = FakeRegister("fr-hall"), FakeTerminal("sber-1", suspend=True)
    bonus = FakeAccount("bonus", balances={"g1": 5000})
    scale = FakeScale("cas-1", curve=["0.250", "0.250"])
    cfg = config(terminals=["sber-1"], payments=["bonus"], scales=["cas-1"])
    async with make_hub(cfg, tmp_path, plugins=[Components(
            [reg, FakeRegister("fr-bar")], [card, bonus], [scale])]) as hub:
        f = hub.fiscal
        await f.open_shift(CASHIER, key="open", site="s1")
        for _ in range(2):
            await f.cash_in(10000, key="in-1", site="s1", cashier=CASHIER)
            await f.cash_out(3000, key="out-1", site="s1")
            await f.x_report(key="x-1", site="s1")
            await f.print_text(["Счастливого пути"], key="text-1", site="s1")
            corr = CorrectionReceipt(
                correction_type=CorrectionType.SELF, basis_date=date(2026, 3, 1),
                operation=Operation.SELL, taxation=TaxSystem.OSN,
                payments=sample_receipt().payments, lines=sample_receipt().lines,
                total=15000, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
            c = await f.correction(corr, key="corr-1", site="s1")
        assert c.kind == "correction" and c.number is not None
        assert [reg.effects(k) for k in ("cash_in", "cash_out", "x_report", "text",
                                         "correction")] == [1, 1, 1, 1, 1]
        st = await f.status(site="s1")
        assert st.shift_open and st.fn
        assert (await f.check_marking("0104600000000000", 1, site="s1")).valid
        assert await hub.journal.entry("status") is None

        p = hub.payments
        h = await p.hold("g1", 2000, key="h1", site="s1")
        await p.void(h.id, key="v1", site="s1")
        h2 = await p.hold("g1", 2000, key="h2", site="s1")
        await p.capture(h2.id, 1500, key="c2", site="s1")
        for _ in range(2):
            await p.refund(h2.id, 500, key="r2", site="s1")
        assert await p.balance("g1", site="s1") == 4000
        buy = await p.purchase(9000, key="buy-1", site="s1")
        assert buy.suspended
        done = await p.commit(buy, key="commit-1", site="s1")
        assert done.operation == "commit"
        for _ in range(2):
            await p.card_refund(1000, buy, key="refund-1", site="s1")
        other = await p.purchase(500, key="buy-2", site="s1")
        await p.rollback(other, key="rollback-2", site="s1")
        rec = await p.reconcile(key="rec-1", site="s1")
        assert {t.operation for t in rec.totals} >= {"purchase", "refund"}
        assert card.charged() == 8000 and card.effects("refund") == 1

        w = await hub.devices.read_weight(site="s1")
        assert w.value == Decimal("0.250")


async def test_video_events_are_sent_once_per_key(tmp_path):
    from datetime import UTC, datetime

    from kassa.model import DeviceStatus, Health, PosEvent, PosEventKind

    class Vms:
        name, kind = "axxon", "video"

        def __init__(self):
            self.got = []

        async def start(self):
            return None

        async def stop(self):
            return None

        def status(self):
            return DeviceStatus(health=Health.OK)

        async def send(self, event, key):
            self.got.append(key)

    vms = Vms()
    ev = PosEvent(kind=PosEventKind.RECEIPT_OPEN, at=datetime(2026, 3, 2, 12, tzinfo=UTC),
                  terminal_id="t1", receipt_id="1042")
    async with make_hub(config(), tmp_path, plugins=[Components(
            [FakeRegister("fr-hall"), FakeRegister("fr-bar")], devices=[vms])]) as hub:
        for _ in range(2):
            await hub.devices.video(ev, key="vms-1042-open", site="s1", sink="axxon")
    assert vms.got == ["vms-1042-open"]
