"""One test per hook (datasette's rule): each hook is called, with what the docs say."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import pytest
from click.testing import CliRunner
from kassa import hookimpl
from kassa.model import (
    ChatRef,
    Column,
    FiscalDocument,
    FiscalStatus,
    Message,
    PaymentResult,
    PaymentStatus,
    Reply,
    Report,
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
    name = "acme-pay"

    async def authorize(self, account, amount, key):
        return PaymentResult(id="p1", status=PaymentStatus.AUTHORIZED, amount=amount, key=key)

    async def capture(self, payment_id, amount, key): ...
    async def void(self, payment_id, key): ...
    async def refund(self, payment_id, amount, key): ...
    async def balance(self, account):
        return 100


async def test_hook_register_payment_methods(tmp_path):
    class P:
        @hookimpl
        def register_payment_methods(self, hub):
            return [Money()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        m = hub.payment_methods["acme-pay"]
        assert (await m.authorize("a", 500, "k")).status == PaymentStatus.AUTHORIZED


async def test_hook_register_loyalty_programs(tmp_path):
    class Prog:
        name = "acme-loyalty"

        async def identify(self, identifier):
            return None

    class P:
        @hookimpl
        async def register_loyalty_programs(self, hub):
            return [Prog()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        assert await hub.loyalty_programs["acme-loyalty"].identify("+79990000000") is None


async def test_hook_register_fiscal_devices(tmp_path):
    class Fr:
        name = "acme-fr"

        async def status(self):
            return FiscalStatus(shift_open=False)

        async def x_report(self):
            return FiscalDocument(number=1, fiscal_sign="1", fn="9999", shift=1,
                                  issued_at=datetime.now(UTC), total=0)

    class P:
        @hookimpl
        def register_fiscal_devices(self, hub):
            return [Fr()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        assert (await hub.fiscal_devices["acme-fr"].status()).shift_open is False


async def test_hook_register_devices(tmp_path):
    log: list[str] = []

    class Scale:
        name, kind = "scale1", "scale"

        async def start(self):
            log.append("start")

        async def stop(self):
            log.append("stop")

        def status(self):
            return {"ok": True}

    class P:
        @hookimpl
        def register_devices(self, hub):
            return [Scale()]

    async with make_hub(CONFIG, tmp_path, plugins=[P()]) as hub:
        assert log == ["start"] and hub.devices[0].status() == {"ok": True}
    assert log == ["start", "stop"]
