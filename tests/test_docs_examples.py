"""Every example on docs/hooks.md runs: executed as a plugin module, registered through
``kassa.plugins.new_manager`` (pluggy validates each hookimpl against its spec, the load
checks refuse an ``async def`` on a sync-only hook) and called the way the core calls it,
mostly on a real hub from ``kassa.testing.make_hub``. A ```toml block in a hook's section is
the kassa.toml fragment its example is run with."""

from __future__ import annotations

import re
import sys
import tomllib
import types
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from kassa.model import ChatRef, Message, Period, Severity
from kassa.plugins import Plugins, new_manager
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, make_hub

from tests.factories import CONFIG, T0, ev
from tests.test_docs import PAGE, hookspecs

pytestmark = pytest.mark.anyio
HOOKS = {name for name, _ in hookspecs()}


def examples() -> dict[str, tuple[list[tuple[int, str]], dict[str, Any]]]:
    """``{hook: ([(line, python source)], toml config)}`` from the page's hook sections."""
    page = PAGE.read_text(encoding="utf-8")
    out: dict[str, tuple[list[tuple[int, str]], dict[str, Any]]] = {}
    hook = None
    for m in re.finditer(r"^(#{2,3}) (\S+)$|^```(\w+)\n(.*?)^```$", page,
                         flags=re.MULTILINE | re.DOTALL):
        if m.group(1):
            hook = m.group(2) if m.group(2) in HOOKS else None
            continue
        if hook is None:
            continue
        blocks, config = out.setdefault(hook, ([], {}))
        line = page.count("\n", 0, m.start()) + 2
        if m.group(3) == "python":
            blocks.append((line, m.group(4)))
        elif m.group(3) == "toml":
            config.update(tomllib.loads(m.group(4)))
    return out


EXAMPLES = examples()


def load(hook: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The hook's example as the module ``kassa_acme`` (texts' namespace: ``acme``)."""
    mod = types.ModuleType("kassa_acme")
    mod.__file__ = str(tmp_path / "kassa_acme" / "__init__.py")
    monkeypatch.setitem(sys.modules, "kassa_acme", mod)
    for line, src in EXAMPLES[hook][0]:
        exec(compile(src, f"{PAGE}:{line}", "exec"), mod.__dict__)
    return mod


def config(hook: str, **extra: Any) -> dict[str, Any]:
    return {**CONFIG, **EXAMPLES[hook][1], **extra}


def capture() -> ComponentsPlugin:
    return ComponentsPlugin(channels=[CaptureChannel()])


def test_every_hook_has_an_example():
    missing = sorted(HOOKS - {h for h, (blocks, _) in EXAMPLES.items() if blocks})
    assert not missing, f"docs/hooks.md: no example for {missing}"


@pytest.mark.parametrize("hook", sorted(EXAMPLES))
def test_example_registers_against_the_spec(hook, tmp_path, monkeypatch):
    mod = load(hook, tmp_path, monkeypatch)
    impl = getattr(mod, hook, None)
    assert impl is not None and hasattr(impl, "kassa_impl"), \
        f"the {hook} example defines no @hookimpl {hook}"
    pm = new_manager(entry_points=False, extra=[mod])  # raises on a mismatch with the spec
    assert hook in {c.name for c in pm.get_hookcallers(mod) or []}


def hub_of(hook: str, tmp_path: Path, mod: Any, **extra: Any) -> Any:
    return make_hub(config(hook, **extra), tmp_path, plugins=[mod, capture()])


async def test_example_register_settings(tmp_path, monkeypatch):
    mod = load("register_settings", tmp_path, monkeypatch)
    async with hub_of("register_settings", tmp_path, mod) as hub:
        section = hub.section("acme", mod.AcmeSettings)
        assert (section.host, section.port) == ("10.0.0.5", 5555)  # the toml, then defaults


async def test_example_register_migrations(tmp_path, monkeypatch):
    mod = load("register_migrations", tmp_path, monkeypatch)
    found = Plugins(new_manager(entry_points=False, extra=[mod])).migrations()
    assert found == {"acme": tmp_path / "kassa_acme" / "migrations"}


async def test_example_register_texts(tmp_path, monkeypatch):
    from kassa import i18n

    mod = load("register_texts", tmp_path, monkeypatch)
    texts = i18n.for_plugins(Plugins(new_manager(entry_points=False, extra=[mod])))
    i18n.use(texts)
    try:
        assert i18n.t("acme.door", "ru", name="A") == "Дверь A открыта"
        assert i18n.t("acme.guests", "ru", count=5) == "5 гостей"
        assert i18n.t("acme.guests", "en", count=1) == "1 guest"
    finally:
        i18n.use(None)


async def test_example_on_startup(tmp_path, monkeypatch):
    mod = load("on_startup", tmp_path, monkeypatch)
    async with hub_of("on_startup", tmp_path, mod) as hub:
        assert hub.state("acme")["started_at"] <= hub.clock.now()


async def test_example_on_shutdown(tmp_path, monkeypatch):
    mod = load("on_shutdown", tmp_path, monkeypatch)
    closed = []

    class Client:
        async def aclose(self) -> None:
            closed.append(True)

    async with hub_of("on_shutdown", tmp_path, mod) as hub:
        hub.state("acme")["client"] = Client()
        state = hub.state("acme")
    assert closed == [True] and "client" not in state


async def test_example_register_cli_commands(tmp_path, monkeypatch):
    from click.testing import CliRunner

    mod = load("register_cli_commands", tmp_path, monkeypatch)
    commands = {c.name: c for _, _, c in
                Plugins(new_manager(entry_points=False, extra=[mod])).cli_commands()}
    result = CliRunner().invoke(commands["acme-kopecks"], ["12.50"])
    assert result.exit_code == 0 and result.output == "1250\n"


async def test_example_register_routes(tmp_path, monkeypatch):
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    mod = load("register_routes", tmp_path, monkeypatch)
    async with hub_of("register_routes", tmp_path, mod) as hub:
        routes = await hub.plugins.routes(hub)
        app = Litestar(route_handlers=routes, logging_config=None)  # logging stays ours
        async with AsyncTestClient(app=app) as client:
            answer = (await client.get("/acme/ping")).json()
    assert answer["acme"] == "ok" and answer["at"]


async def test_example_register_console_panels(tmp_path, monkeypatch):
    pytest.importorskip("textual")
    from textual.screen import Screen

    mod = load("register_console_panels", tmp_path, monkeypatch)
    panels = Plugins(new_manager(entry_points=False, extra=[mod])).console_panels()
    assert [p.key for p in panels] == ["d"] and isinstance(panels[0].screen(None), Screen)


async def test_example_register_console(tmp_path, monkeypatch, capsys):
    mod = load("register_console", tmp_path, monkeypatch)
    console = Plugins(new_manager(entry_points=False, extra=[mod])).console()

    class Client:
        async def health(self) -> str:
            return "ok"

    assert console is not None
    await console.attach(Client(), "ru")
    assert capsys.readouterr().out == "ok\n"


def test_example_register_demos(tmp_path, monkeypatch):
    import kassa.plugins
    from click.testing import CliRunner
    from kassa.cli import cli

    mod = load("register_demos", tmp_path, monkeypatch)
    plugins = Plugins(new_manager(entry_points=False, extra=[mod]))
    monkeypatch.setattr(kassa.plugins, "get_plugins", lambda: plugins)
    out = CliRunner().invoke(cli, ["demo", "--door", "--guests", "5", "--headless"])
    assert out.exit_code == 0 and out.output == "5 guests came in\n", out.output


async def test_example_register_simulators(tmp_path, monkeypatch):
    mod = load("register_simulators", tmp_path, monkeypatch)
    sims: list[Any] = await Plugins(new_manager(entry_points=False,
                                                extra=[mod])).simulators(None)
    [sim] = sims
    fragment = await sim.start()
    try:
        sim.guests = 3
        async with await anyio.connect_tcp("127.0.0.1", fragment["acme"]["port"]) as conn:
            await conn.send(b"COUNT\n")
            assert await conn.receive() == b"3\n"
    finally:
        await sim.stop()


async def test_example_register_sources(tmp_path, monkeypatch):
    mod = load("register_sources", tmp_path, monkeypatch)
    async with hub_of("register_sources", tmp_path, mod) as hub:
        async def both_sites() -> bool:
            return {e.site for e in await hub.events(kinds=["door_opened"])} == {"s1", "s2"}

        await eventually(both_sites, hub=hub)
        assert [s.health()["opened"] for s in hub.components("source")] == [1, 1]


async def test_example_register_event_kinds(tmp_path, monkeypatch):
    mod = load("register_event_kinds", tmp_path, monkeypatch)
    async with hub_of("register_event_kinds", tmp_path, mod) as hub:
        assert hub.kinds.severity("door_opened") is Severity.WARNING
        assert hub.kinds.title("door_opened", "en") == "Door opened"
        chat = ChatRef(channel="capture", chat_id="-1")
        msg = hub.plugins.format_message(ev("door_opened"), chat, "en", hub)
        assert msg is not None and "🚪 Суши на Невском: door opened" in msg.text  # the template


async def test_example_on_event(tmp_path, monkeypatch):
    mod = load("on_event", tmp_path, monkeypatch)
    async with hub_of("on_event", tmp_path, mod) as hub:
        await hub.emit(ev("door_opened", key="d1"))
        await hub.emit(ev("door_opened", key="d1"))  # a duplicate: no second call
        await hub.emit(ev("check_deleted", key="c1"))
        await eventually(lambda: hub.state("acme").get("doors") == {"s1": 1}, hub=hub)


async def test_example_format_message(tmp_path, monkeypatch):
    mod = load("format_message", tmp_path, monkeypatch)
    chat = ChatRef(channel="capture", chat_id="-1")
    async with hub_of("format_message", tmp_path, mod) as hub:
        door = ev("door_opened", key="d1")
        msg = hub.plugins.format_message(door, chat, "en", hub)
        assert msg is not None and msg.text == "🚪 Суши на Невском: door opened"
        assert mod.format_message(ev("check_deleted"), chat, "en", hub) is None


async def test_example_register_channels(tmp_path, monkeypatch):
    mod = load("register_channels", tmp_path, monkeypatch)
    # known as a channel from its section alone, as `kassa config check` asks
    assert Plugins(new_manager(entry_points=False, extra=[mod])).channel_names() == \
        {"audit_file"}
    async with hub_of("register_channels", tmp_path, mod) as hub:
        file = Path(hub.settings.hub.data_dir) / "audit-trail.jsonl"  # the toml
        await hub.send(Message(chat=ChatRef(channel="audit_file", chat_id="audit"),
                               text="смена закрыта"), key="audit:1")
        await eventually(lambda: file.exists() and "смена закрыта" in file.read_text("utf-8"),
                         hub=hub)
        assert hub.component("channel", "audit_file").health()["online"] is True


async def test_example_register_commands(tmp_path, monkeypatch):
    mod = load("register_commands", tmp_path, monkeypatch)
    async with hub_of("register_commands", tmp_path, mod) as hub:
        await hub.emit(ev("door_opened", key="d1"))
        await hub.emit(ev("door_opened", key="d2", site="s2"))
        cmd = hub.plugins.commands()["doors"]
        ctx = SimpleNamespace(hub=hub, site="s1", sites=["s1"], locale="en", owners=False)
        reply = await cmd.handle(ctx, "")
        assert reply.text == "The door was opened 1 times"


async def test_example_register_reports(tmp_path, monkeypatch):
    mod = load("register_reports", tmp_path, monkeypatch)
    async with hub_of("register_reports", tmp_path, mod) as hub:
        for key, site in (("d1", "s1"), ("d2", "s1"), ("d3", "s2")):
            await hub.emit(ev("door_opened", key=key, site=site))
        report = await hub.plugins.reports()["acme_doors"].build(
            SimpleNamespace(hub=hub, locale="ru"), None,
            Period(start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=1)))
        assert report.title == "Открытия двери"
        assert report.rows == (("s1", 2), ("s2", 1))


async def test_example_register_payment_methods(tmp_path, monkeypatch):
    mod = load("register_payment_methods", tmp_path, monkeypatch)
    async with hub_of("register_payment_methods", tmp_path, mod) as hub:
        assert await hub.component("payment", "deposit").balance("guest-1") == 50_000
        assert hub.component("payment", "sber-1") is not None


async def test_example_register_loyalty_programs(tmp_path, monkeypatch):
    mod = load("register_loyalty_programs", tmp_path, monkeypatch)
    async with hub_of("register_loyalty_programs", tmp_path, mod) as hub:
        guest = await hub.component("loyalty", "acme-club").identify("+79990000001")
        assert guest is not None and guest.id == "g1"


async def test_example_register_fiscal_devices(tmp_path, monkeypatch):
    mod = load("register_fiscal_devices", tmp_path, monkeypatch)
    async with hub_of("register_fiscal_devices", tmp_path, mod) as hub:
        assert [d.name for d in hub.components("fiscal")] == ["kkt-1"]  # from the toml
        assert (await hub.component("fiscal", "kkt-1").status()).fn


async def test_example_register_devices(tmp_path, monkeypatch):
    mod = load("register_devices", tmp_path, monkeypatch)
    async with hub_of("register_devices", tmp_path, mod) as hub:
        assert {d.name for d in hub.components("device")} == {"kitchen", "scale-1"}
        weight = await hub.component("device", "scale-1").read()
        assert str(weight.value) == "0.512"


def test_each_hook_example_is_driven():
    """A new hook's example gets a driver here, not just a registration check."""
    here = Path(__file__).read_text(encoding="utf-8")
    assert sorted(h for h in HOOKS if f"def test_example_{h}(" not in here) == []


async def test_example_claim_device(tmp_path, monkeypatch):
    import anyio.abc
    from kassa.discovery import discover

    async def acme(stream):  # answers the status request only, as a real device would
        async with stream:
            try:  # the core's reachability check connects and hangs up first
                if await stream.receive() == b"STATUS?\r\n":
                    await stream.send(b"ACME OK P-80\r\n")
            except anyio.EndOfStream:
                pass

    mod = load("claim_device", tmp_path, monkeypatch)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, acme)
        result = await discover(Plugins(new_manager(entry_points=False, extra=[mod])),
                                hosts=["127.0.0.1"], ports=[port], serial=False, usb=False)
        tg.cancel_scope.cancel()
    (found,) = result.found
    assert found.claim is not None and found.claim.model == "Acme P-80"
    assert tomllib.loads(found.claim.config)["acme"]["printers"][0]["port"] == port


def test_example_register_till_conditions(tmp_path, monkeypatch):
    from types import SimpleNamespace

    mod = load("register_till_conditions", tmp_path, monkeypatch)
    (cond,) = Plugins(new_manager(entry_points=False, extra=[mod])).till_conditions()
    assert cond.name == "stock_below" and cond.parse(5) == 5
    with pytest.raises(ValueError, match="whole number"):
        cond.parse(0)
    scanned = SimpleNamespace(line=SimpleNamespace(code="4600001"))
    assert cond.matches(scanned, 5) and not cond.matches(scanned, 3)
    assert not cond.matches(SimpleNamespace(line=None), 5)


def test_example_register_exchange_formats(tmp_path, monkeypatch):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    mod = load("register_exchange_formats", tmp_path, monkeypatch)
    (fmt,) = Plugins(new_manager(entry_points=False, extra=[mod])).exchange_formats()
    src = tmp_path / "prices.txt"
    src.write_text("milk;Молоко;10%;89.90\nbroken line\n", encoding="utf-8")
    read = fmt.read_catalog([src], {"milk": {"code": "milk", "group": "dairy"}})
    assert [(r["code"], r["group"], r["price"]) for r in read.rows] == [("milk", "dairy", "89.90")]
    assert read.rejects == ["prices.txt:2: ожидается 4 поля через «;»"] and not read.full
    out = tmp_path / "sales.txt"
    fmt.write_sales([SimpleNamespace(operation="sale", id="c1", total=8990,
                                     at=datetime(2026, 3, 2, tzinfo=UTC))], out)
    assert out.read_text(encoding="utf-8") == "sale;c1;2026-03-02;8990\n"
