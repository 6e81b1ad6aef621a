"""One test per hook (datasette's rule): each hook is called, with what the docs say."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import click
import pytest
from click.testing import CliRunner
from kassa import hookimpl
from kassa.hookspecs.devices import Device, Printer
from kassa.hookspecs.devices import Scale as ScaleDevice
from kassa.hookspecs.fiscal import FiscalDevice
from kassa.hookspecs.payments import AccountPayment, CardTerminal
from kassa.model import (
    CardOperation,
    CardResult,
    ChatRef,
    Column,
    DeviceStatus,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    Health,
    MarkingCheck,
    Message,
    Operation,
    PaymentKind,
    PaymentResult,
    PaymentStatus,
    PlannedStatus,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    Reply,
    Report,
    TaxSystem,
    VatRate,
    Weight,
)
from kassa.plugins import Plugins, new_manager
from kassa.testing import (
    CaptureChannel,
    ComponentsPlugin,
    ScriptedSource,
    eventually,
    incoming,
    make_hub,
)

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio


def facade(*plugins: Any) -> Plugins:
    return Plugins(new_manager(entry_points=False, extra=plugins))


async def test_hook_register_settings(tmp_path):
    import attrs

    @attrs.define
    class Acme:
        port: int = 1

    class P:
        @hookimpl
        def register_settings(self):
            return {"acme": Acme}

    async with make_hub({**CONFIG, "acme": {"port": 7}}, tmp_path, plugins=[P()]) as hub:
        assert hub.section("acme") == Acme(port=7)


async def test_hook_on_startup(tmp_path):
    seen = []

    class P:
        @hookimpl
        async def on_startup(self, hub):
            seen.append(hub.locale)

    async with make_hub(CONFIG, tmp_path, plugins=[P()]):
        assert seen == ["ru"]


async def test_hook_on_shutdown(tmp_path):
    seen = []

    class P:
        @hookimpl
        def on_shutdown(self, hub):
            seen.append("bye")

    async with make_hub(CONFIG, tmp_path, plugins=[P()]):
        assert seen == []
    assert seen == ["bye"]


def test_hook_register_cli_commands():
    from kassa.cli import cli

    class P:
        @hookimpl
        def register_cli_commands(self, cli):
            @cli.command("acme-hello")
            def hello() -> None:
                click.echo("hello from acme")

    group = click.Group("kassa")
    facade(P()).register_cli_commands(group)
    assert CliRunner().invoke(group, ["acme-hello"]).output == "hello from acme\n"
    assert cli is not None


async def test_hook_register_routes(tmp_path):
    import httpx
    from litestar import get

    @get("/acme/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    class P:
        @hookimpl
        def register_routes(self, hub):
            return [ping]

    async with make_hub(CONFIG, tmp_path, plugins=[P()], api=True) as hub:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.api_port}") as c:
            assert (await c.get("/acme/ping")).json() == {"pong": "yes"}
            assert (await c.get("/api/health")).status_code == 401


def test_hook_register_console_panels():
    class Panel:
        name, title, key = "acme", "Acme", "x"

        def screen(self, client):
            return None

    class P:
        @hookimpl
        def register_console_panels(self):
            return [Panel()]

    assert [p.name for p in facade(P()).console_panels()] == ["acme"]


def test_hook_register_console():
    class Console:
        async def attach(self, client, locale):
            return None

    class P:
        @hookimpl
        def register_console(self):
            return Console()

    assert isinstance(facade(P()).console(), Console)
    assert facade().console() is None  # none installed: kassa run --console says what to add


def test_hook_register_demos(monkeypatch):
    import kassa.plugins
    from kassa.cli import cli

    seen: list[tuple[str, ...]] = []

    @click.command("acme")
    @click.option("--size", default=1)
    @click.option("--headless", is_flag=True)
    @click.option("--seconds", default=5.0)
    def acme(size, headless, seconds):
        seen.append((str(size), str(headless), str(seconds)))

    class Demo:
        name = "acme"

        def command(self):
            return acme

    class P:
        @hookimpl
        def register_demos(self):
            return [Demo()]

    monkeypatch.setattr(kassa.plugins, "get_plugins", lambda: facade(P()))
    # the demo's own options, and the common ones given before or after the flag
    out = CliRunner().invoke(cli, ["demo", "--headless", "--acme", "--size", "3"])
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(cli, ["demo", "--acme", "--seconds", "9"])
    assert out.exit_code == 0, out.output
    assert seen == [("3", "True", "5.0"), ("1", "False", "9.0")]
    out = CliRunner().invoke(cli, ["demo", "--nope"])
    assert out.exit_code == 2 and "'--nope' is not a demo (named demos: --acme)" in out.output


async def test_hook_register_simulators():
    class Sim:
        name = "acme-sim"

        async def start(self):
            return {"sites": [{"code": "a1"}]}

        async def stop(self):
            pass

    class P:
        @hookimpl
        def register_simulators(self, settings):
            return [Sim()] * settings

    sims = await facade(P()).simulators(2)
    assert [await s.start() for s in sims] == [{"sites": [{"code": "a1"}]}] * 2


async def test_hook_register_sources(tmp_path):
    src = ScriptedSource([ev(key="a"), ev(key="a"), ev(key="b")])
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(sources=[src])]) as hub:
        await eventually(lambda: len(src.results) == 3, hub=hub)
        assert src.results == [True, False, True]


async def test_hook_on_event(tmp_path):
    seen: list[str] = []

    class Broken:
        @hookimpl
        def on_event(self, event):
            raise RuntimeError("listener bug")

    class P:
        @hookimpl
        async def on_event(self, event, hub):
            seen.append(event.source_key)

    async with make_hub(CONFIG, tmp_path, plugins=[Broken(), P()]) as hub:
        await hub.emit(ev(key="a"))
        await hub.emit(ev(key="a"))
        await hub.emit(ev(key="b"))
        await eventually(lambda: len(seen) == 2, hub=hub)
    assert seen == ["a", "b"]  # once per new event, despite the broken listener


async def test_hook_register_channels(tmp_path):
    ch = CaptureChannel("acme")
    async with make_hub({"sites": CONFIG["sites"], "chats": [
            {"channel": "acme", "chat_id": "5", "site": "s1"}]}, tmp_path,
            plugins=[ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev())
        await hub.drain()
    assert [m.chat for m in ch.sent] == [ChatRef("acme", "5")]


async def test_hook_format_message(tmp_path):
    class P:
        @hookimpl
        def format_message(self, event, chat, locale):
            if event.kind == "check_deleted":
                return Message(chat=chat, text=f"custom {locale}")
            return None

    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[P(), ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev(key="a"))
        await hub.emit(ev(kind="check_annulled", key="b"))
        await hub.drain()
    texts = ch.texts("-1")
    assert texts[0] == "custom ru" and "Аннулирование чека" in texts[1]


async def test_hook_register_commands(tmp_path):
    class Ping:
        name, description = "ping", "help.help"
        from kassa.hookspecs.notify import Access
        access = Access.BOUND

        async def handle(self, ctx, args):
            return Reply(f"pong {args} {ctx.site}")

    class P:
        @hookimpl
        def register_commands(self):
            return [Ping()]

    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[P(), ComponentsPlugin(channels=[ch])]) as hub:
        await ch.push(incoming("/ping@kassa_bot 42", chat_id="-1"))
        await eventually(lambda: ch.sent, hub=hub)
    assert ch.sent[0].text == "pong 42 s1"


async def test_hook_register_reports(tmp_path):
    class Rep:
        name, title, parameters = "acme", {"ru": "Акме", "en": "Acme"}, ("site", "period")

        async def build(self, ctx, site, period):
            n = len(await ctx.hub.events(site=site))
            return Report(name="acme", title="Акме", site=site, period=period,
                          columns=[Column("n", "Событий", "int")], rows=[(n,)])

    class P:
        @hookimpl
        def register_reports(self):
            return [Rep()]

    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[P(), ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev(key="a"))
        await hub.drain()
        ch.sent.clear()
        await ch.push(incoming("/report acme today", chat_id="-1"))
        await eventually(lambda: ch.sent, hub=hub)
    assert "Акме" in ch.sent[0].text and "1" in ch.sent[0].text


class Money:
    """An AccountPayment (ledger-like): hold, then capture / void / refund, each keyed."""

    name = "acme-pay"

    def __init__(self) -> None:
        self.done: dict[str, PaymentResult] = {}

    async def hold(self, account, amount, key):
        res = PaymentResult(id="p1", status=PaymentStatus.AUTHORIZED, amount=amount, key=key)
        self.done[key] = res
        return res

    async def capture(self, payment_id, amount, key): ...
    async def void(self, payment_id, key): ...
    async def refund(self, payment_id, amount, key): ...
    async def balance(self, account):
        return 100

    async def lookup(self, key):
        return self.done.get(key)


class Pinpad:
    """A CardTerminal: purchase / cancel / refund / reconcile / commit / rollback, keyed."""

    name = "acme-card"

    async def purchase(self, amount, key, order_ref=None):
        return CardResult(operation=CardOperation.PURCHASE, approved=True, amount=amount,
                          key=key, rcode="00", rrn="123456789012", suspended=True)

    async def cancel(self, original, key): ...
    async def refund(self, amount, original, key): ...
    async def reconcile(self, key): ...

    async def commit(self, result, key):
        return attrs.evolve(result, operation=CardOperation.COMMIT, suspended=False, key=key)

    async def rollback(self, result, key): ...

    async def status(self):
        return DeviceStatus(health=Health.OK)

    async def lookup(self, key):
        return None


async def test_hook_register_payment_methods(tmp_path):
    class P:
        @hookimpl
        def register_payment_methods(self, hub):
            return [Money(), Pinpad()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        m, card = hub.payment_methods["acme-pay"], hub.payment_methods["acme-card"]
        assert isinstance(m, AccountPayment) and not isinstance(m, CardTerminal)
        assert isinstance(card, CardTerminal) and not isinstance(card, AccountPayment)
        held = await m.hold("a", 500, "k")
        assert held.status == PaymentStatus.AUTHORIZED and await m.lookup("k") == held
        paid = await card.purchase(500, "c1", order_ref="1001")
        assert paid.suspended and not (await card.commit(paid, "c2")).suspended
        assert (await card.status()).health is Health.OK


async def test_hook_register_loyalty_programs(tmp_path):
    class Prog:
        """A LoyaltyProgram: identify / quote / commit / reverse."""

        name = "acme-loyalty"

        async def identify(self, identifier):
            return None

        # the rest of LoyaltyProgram: the hub checks the whole shape at start
        async def quote(self, order, guest): ...
        async def commit(self, order, quote, key, spend=0): ...
        async def reverse(self, posting, key): ...

    class P:
        @hookimpl
        async def register_loyalty_programs(self, hub):
            return [Prog()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        assert await hub.loyalty_programs["acme-loyalty"].identify("+79990000000") is None


async def test_hook_register_fiscal_devices(tmp_path):
    class Fr:
        """A FiscalDevice: receipts, corrections, cash, shifts, marking, text, status."""

        name = "acme-fr"

        def __init__(self) -> None:
            self.docs: dict[str, FiscalDocument] = {}

        async def receipt(self, receipt, key):
            doc = FiscalDocument(kind=DocumentKind.RECEIPT, issued_at=receipt.issued_at,
                                 number=len(self.docs) + 1, fiscal_sign="0123456789",
                                 fn="9999078900000961", shift=1, total=receipt.total,
                                 operation=receipt.operation)
            self.docs[key] = doc
            return doc

        async def correction(self, correction, key): ...
        async def cash_in(self, amount, key, cashier=None): ...
        async def cash_out(self, amount, key, cashier=None): ...
        async def open_shift(self, cashier, key): ...
        async def close_shift(self, cashier, key): ...
        async def x_report(self, key): ...

        async def check_marking(self, code, planned_status, quantity=None):
            return MarkingCheck(code=code, valid=planned_status == PlannedStatus.PIECE_SOLD)

        async def print_text(self, lines, key): ...

        async def status(self):
            return FiscalStatus(shift_open=False)

        async def lookup(self, key):
            return self.docs.get(key)

    class P:
        @hookimpl
        def register_fiscal_devices(self, hub):
            return [Fr()]

    at = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    sale = Receipt(operation=Operation.SELL, taxation=TaxSystem.OSN, total=15000, issued_at=at,
                   lines=[ReceiptLine(name="Кофе", price=15000, quantity=1, total=15000,
                                      vat=VatRate.VAT22)],
                   payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=15000)])
    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        fr = hub.fiscal_devices["acme-fr"]
        assert isinstance(fr, FiscalDevice)
        assert (await fr.status()).shift_open is False
        assert await fr.lookup("sale-1") is None
        doc = await fr.receipt(sale, "sale-1")
        assert doc.qr == ("t=20260302T1230&s=150.00&fn=9999078900000961&i=1&fp=123456789"
                          "&n=1")
        assert await fr.lookup("sale-1") == doc
        assert (await fr.check_marking("0104600439931256", PlannedStatus.PIECE_SOLD)).valid


async def test_hook_register_devices(tmp_path):
    log: list[str] = []

    class Scale:
        name, kind = "scale1", "scale"

        async def start(self):
            log.append("start")

        async def stop(self):
            log.append("stop")

        def status(self):
            return DeviceStatus(health=Health.OK, detail={"port": "/dev/ttyUSB0"})

        async def read(self):
            return Weight(value="0.512")

    class P:
        @hookimpl
        def register_devices(self, hub):
            return [Scale()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        [scale] = hub.devices
        assert isinstance(scale, Device) and isinstance(scale, ScaleDevice)
        assert not isinstance(scale, Printer)
        assert log == ["start"] and scale.status().health is Health.OK
        assert (await scale.read()).kg == Decimal("0.512")
    assert log == ["start", "stop"]


async def test_hook_register_migrations(tmp_path):
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "notes_0001.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n'
        'revision = "notes_0001"\ndown_revision = None\nbranch_labels = ("notes",)\n'
        'depends_on = "0003"\n\n\ndef upgrade():\n'
        '    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))\n')

    class P:
        @hookimpl
        def register_migrations(self):
            return {"notes": folder}

    assert facade(P()).migrations() == {"notes": folder}
    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:  # SQLite: upgraded at start
        assert {b.name: b.current for b in await hub.store.status()}["notes"] == "notes_0001"
        async with hub.store.read() as conn:
            assert (await conn.exec_driver_sql("SELECT count(*) FROM notes")).scalar() == 0

    class Twice:
        @hookimpl
        def register_migrations(self):
            return {"notes": folder}

    from kassa.errors import UserError

    with pytest.raises(UserError, match="migrations named 'notes' are registered twice"):
        facade(P(), Twice()).migrations()


async def test_hook_register_event_kinds(tmp_path):
    from kassa.model import Event, EventKindSpec, Severity

    class P:
        @hookimpl
        def register_event_kinds(self):
            return [EventKindSpec("door_opened", severity="danger", group="acme",
                                  title={"ru": "Открыта дверь", "en": "Door opened"})]

    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[P(), ComponentsPlugin(channels=[ch])]
                        ) as hub:
        spec = hub.kinds.get("door_opened")
        assert spec is not None and spec.group == "acme"
        event = Event.of(site="s1", kind="door_opened", source_key="d",
                         occurred_at=datetime.now(UTC))
        assert event.severity == Severity.DANGER  # the declared default
        await hub.emit(event)
        await eventually(lambda: ch.sent, hub=hub)
    assert ch.sent[0].text.startswith("🔴 <b>Открыта дверь</b>")


async def test_hook_register_texts(tmp_path):
    class P:
        __name__ = "acme"

        @hookimpl
        def register_texts(self):
            return {"ru": {"acme.hello": "Привет, {who}"}, "en": {"acme.hello": "Hello, {who}"}}

        @hookimpl
        def register_commands(self):
            from kassa.hookspecs.notify import Access

            class Hello:
                name, description, access = "hello", "acme.hello", Access.BOUND

                async def handle(self, ctx, args):
                    return Reply(ctx.t("acme.hello", who=args))

            return [Hello()]

    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[P(), ComponentsPlugin(channels=[ch])]):
        await ch.push(incoming("/hello Вася", chat_id="-1"))
        await eventually(lambda: ch.sent, hub=None)
    assert ch.sent[0].text == "Привет, Вася"


def test_hook_register_till_conditions():
    class Raining:
        name = "raining"

        def parse(self, value):
            if not isinstance(value, bool):
                raise ValueError("true or false")
            return value

        def matches(self, event, value):
            return bool(event["rain"]) is value

    class P:
        @hookimpl
        def register_till_conditions(self):
            return [Raining()]

    (cond,) = facade(P()).till_conditions()
    assert cond.name == "raining" and cond.matches({"rain": 1}, cond.parse(True))

    class Broken:  # no matches(): refused at load, naming the plugin
        name = "broken"

        def parse(self, value):
            return value

    class Q:
        @hookimpl
        def register_till_conditions(self):
            return [Broken()]

    with pytest.raises(Exception, match="matches"):
        facade(Q()).till_conditions()


def test_hook_register_exchange_formats(tmp_path):
    class Lines:  # a toy format: one "code;name;vat;price" line per item
        name = "lines"

        def read_catalog(self, paths, known):
            from kassa.hookspecs.exchange import CatalogRead

            rows = []
            for p in paths:
                for ln in p.read_text("utf-8").splitlines():
                    code, name, vat, price = ln.split(";")
                    rows.append({"code": code, "name": name, "vat": vat, "price": price})
            return CatalogRead(rows=rows)

        def write_sales(self, docs, path):
            path.write_text("".join(f"{d.id};{d.total}\n" for d in docs), "utf-8")

    class P:
        @hookimpl
        def register_exchange_formats(self):
            return [Lines()]

    (fmt,) = facade(P()).exchange_formats()
    src = tmp_path / "c.txt"
    src.write_text("milk;Молоко;10%;89.90\n", "utf-8")
    assert fmt.read_catalog([src], {}).rows[0]["name"] == "Молоко"

    class Broken:  # no write_sales(): refused at load, naming the member
        name = "broken"

        def read_catalog(self, paths, known):
            return None

    class Q:
        @hookimpl
        def register_exchange_formats(self):
            return [Broken()]

    with pytest.raises(Exception, match="write_sales"):
        facade(Q()).exchange_formats()


async def test_hook_claim_device():
    from kassa.discovery import Candidate, Claim, ProbeRefused, claim

    seen: list[bool] = []

    class Scanners:
        @hookimpl
        async def claim_device(self, candidate, probe):
            seen.append(probe.active)
            if not probe.active:
                with pytest.raises(ProbeRefused):  # the passive round decides from ids only
                    await probe.exchange(b"?")
            if candidate.vendor_id == 0x0C2E:
                return Claim(kind="scanner", model="HID POS", config='[[scanner.scanners]]\n')
            return None

    plugins = facade(Scanners())
    mine = Candidate(transport="usb", address="usb 1-1", vendor_id=0x0C2E)
    found = await claim(mine, plugins.device_claimers())
    assert found.claim is not None and found.claim.kind == "scanner"
    assert found.claim.plugin.endswith("Scanners") or found.claim.plugin
    other = Candidate(transport="usb", address="usb 1-2", vendor_id=0x1234)
    assert (await claim(other, plugins.device_claimers())).claim is None
    assert seen == [False, False]  # a USB device without a port gets no active round
