"""Nothing a plugin does stops the hub: broken plugins of each kind (issue 18, "Done when")."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import anyio
import anyio.lowlevel
import httpx
import pytest
from kassa import hookimpl
from kassa.api.records import PluginsInfo, parse
from kassa.errors import UserError
from kassa.model import ChannelLimits, ChatRef, DeviceStatus, Health
from kassa.plugins import Plugins, check_component, component_problems, new_manager
from kassa.testing import (
    Backoff,
    CaptureChannel,
    ComponentsPlugin,
    ScriptedSource,
    eventually,
    incoming,
    make_hub,
)

from tests.factories import CONFIG, ev

pytestmark = pytest.mark.anyio
FAST = Backoff(initial=0.01, maximum=0.05)
SITE_CHAT = {**CONFIG, "chats": [CONFIG["chats"][0]]}


class CrashingUpdates(CaptureChannel):
    """Its update loop raises the first ``crashes`` times it is started."""

    def __init__(self, crashes: int) -> None:
        super().__init__()
        self.crashes = crashes
        self.started = 0

    async def updates(self) -> Any:
        self.started += 1
        if self.started <= self.crashes:
            raise ConnectionError("long poll went away")
        async for inc in super().updates():
            yield inc


async def test_update_loop_that_raises_is_restarted_and_the_hub_keeps_sending(tmp_path, caplog):
    ch = CrashingUpdates(crashes=2)
    async with make_hub(SITE_CHAT, tmp_path, plugins=[ComponentsPlugin(channels=[ch])],
                        backoff=FAST) as hub:
        await eventually(lambda: ch.started == 3, hub=hub)
        await ch.push(incoming("/help", chat_id="-1"))
        await hub.emit(ev())
        await eventually(lambda: len(ch.sent) == 2, hub=hub)  # the alert and the reply
        job = hub.supervisor.jobs["update loop of channel capture"]
        assert job.restarts == 2 and "long poll went away" in (job.last_error or "")
    assert "update loop of channel capture crashed; restarting" in caplog.text


class BadLimits(CaptureChannel):
    """``limits`` says 0 messages a second until ``fixed``: the worker crashes on it."""

    def __init__(self) -> None:
        self.fixed = False
        super().__init__()  # sets limits through the setter below

    @property
    def limits(self) -> Any:
        return self._limits if self.fixed else ChannelLimits(per_bot_per_s=0)

    @limits.setter
    def limits(self, value: ChannelLimits) -> None:
        self._limits = value


async def test_outbox_worker_that_crashes_is_restarted(tmp_path):
    ch = BadLimits()
    async with make_hub(SITE_CHAT, tmp_path, plugins=[ComponentsPlugin(channels=[ch])],
                        backoff=FAST) as hub:
        await hub.emit(ev())
        job = "outbox worker of channel capture"
        await eventually(lambda: hub.supervisor.jobs[job].restarts >= 2, hub=hub)
        assert ch.sent == []
        ch.fixed = True
        await eventually(lambda: len(ch.sent) == 1, hub=hub)


class FailingMembers(CaptureChannel):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def is_group(self, chat: ChatRef) -> bool:
        self.asked += 1
        raise KeyError(chat.chat_id)

    @property
    def limits(self) -> Any:
        return None  # not a ChannelLimits: the defaults apply

    @limits.setter
    def limits(self, value: Any) -> None:
        pass

    def health(self) -> dict[str, Any]:
        raise RuntimeError("no health today")


async def test_is_group_failures_are_contained_and_logged_once(tmp_path, caplog):
    ch = FailingMembers()
    async with make_hub(SITE_CHAT, tmp_path, plugins=[ComponentsPlugin(channels=[ch])],
                        backoff=FAST, api=True) as hub:
        for i in range(3):
            await hub.emit(ev(key=f"k{i}"))
        await eventually(lambda: len(ch.sent) == 3, hub=hub)
        async with httpx.AsyncClient() as c:
            got = (await c.get(f"http://127.0.0.1:{hub.api_port}/api/plugins",
                               headers={"Authorization": "Bearer test-token"})).json()
        assert not hub.supervisor.jobs["outbox worker of channel capture"].restarts
    assert ch.asked >= 3
    lines = [r for r in caplog.records if "capture.is_group failed" in r.getMessage()]
    assert len(lines) == 1 and "KeyError" in lines[0].getMessage()
    lines = [r.getMessage() for r in caplog.records if "capture.limits failed" in r.getMessage()]
    assert len(lines) == 1 and "not a ChannelLimits but NoneType" in lines[0]
    health = next(c["health"] for c in got["components"] if c["kind"] == "channel")
    assert health == {"online": False, "error": "RuntimeError"}
    assert "capture.health failed (RuntimeError: no health today)" in caplog.text


class FlakyPrinter:
    """Fails to start ``failures`` times, then works; its stop fails."""

    kind = "printer"

    def __init__(self, failures: int, name: str = "kitchen") -> None:
        self.name = name
        self.site = "s1"
        self.failures = failures
        self.starts = 0
        self.stops = 0
        self.running = False
        self.health = Health.OK
        self.printed: list[str] = []

    async def start(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise OSError(f"/dev/usb/lp0 not found (try {self.starts})")
        self.running = True

    async def stop(self) -> None:
        self.stops += 1
        self.running = False
        raise OSError("printer hung up")

    def status(self) -> DeviceStatus:
        return DeviceStatus(health=self.health, message="cover open")

    async def print(self, job: Any, key: str) -> None:
        self.printed.append(key)

    async def lookup(self, key: str) -> bool | None:
        return key in self.printed


class DevicesPlugin:
    def __init__(self, *devices: Any) -> None:
        self.devices = list(devices)

    @hookimpl
    def register_devices(self) -> list[Any]:
        return self.devices


async def test_failing_device_start_is_unavailable_alerted_once_and_retried(tmp_path, caplog):
    printer = FlakyPrinter(failures=3)
    ok = FlakyPrinter(failures=0, name="bar")
    cfg = {**CONFIG, "chats": [{**CONFIG["chats"][0], "alerts": ["device_unavailable",
                                                                 "device_available"]}]}
    ch = CaptureChannel()
    slow = Backoff(initial=0.2, maximum=0.2)
    async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch]),
                                                DevicesPlugin(printer, ok)],
                        backoff=slow, api=True) as hub:
        # the hub started although the printer did not; its state says why
        state = hub.device_keeper.describe()["kitchen"]
        assert state["available"] is False and "/dev/usb/lp0 not found" in state["reason"]
        assert hub.device_keeper.describe()["bar"]["available"] is True
        assert "/dev/usb/lp0 not found" in (hub.device_keeper.unavailable("kitchen") or "")
        assert hub.device_keeper.unavailable("bar") is None
        async with httpx.AsyncClient() as c:
            got = (await c.get(f"http://127.0.0.1:{hub.api_port}/api/plugins",
                               headers={"Authorization": "Bearer test-token"})).json()
        dev = next(c for c in got["components"] if c["name"] == "kitchen")
        assert dev["kind"] == "device" and dev["health"]["online"] is False
        assert "/dev/usb/lp0 not found" in dev["health"]["error"]
        # what the console's Plugins screen reads
        shown = {c.name: c for c in parse(got, PluginsInfo).components}
        assert not shown["kitchen"].online and shown["bar"].online
        await eventually(lambda: printer.running, hub=hub)
        await eventually(lambda: len(ch.sent) == 2, hub=hub)
        kinds = [e.kind for e in await hub.events(kinds=["device_unavailable",
                                                         "device_available"])]
        assert kinds == ["device_unavailable", "device_available"]  # one per outage
        assert hub.device_keeper.describe()["kitchen"]["available"] is True
    assert printer.starts == 4
    assert "device kitchen did not stop cleanly: OSError: printer hung up" in caplog.text


async def test_a_device_that_failed_to_start_is_not_called(tmp_path):
    """hub.devices refuses a job for a printer that is down (RetryLater: nothing happened,
    nothing journaled), and prints it once the printer is back."""
    from kassa.errors import RetryLater
    from kassa.model import PrintJob

    printer = FlakyPrinter(failures=2)
    async with make_hub(CONFIG, tmp_path, plugins=[DevicesPlugin(printer)],
                        backoff=Backoff(initial=0.3, maximum=0.3)) as hub:
        job = PrintJob(lines=["Заказ 12", "Ролл Бонито x1"])
        with pytest.raises(RetryLater, match=r"kitchen is unavailable: .*lp0 not found"):
            await hub.devices.print(job, key="p1", site="s1", printer="kitchen")
        assert printer.printed == [] and await hub.journal.entry("p1") is None
        await eventually(lambda: printer.running, hub=hub)
        await hub.devices.print(job, key="p1", site="s1", printer="kitchen")
        await hub.devices.print(job, key="p1", site="s1", printer="kitchen")  # a retry
    assert printer.printed == ["p1"]


class NoSend:
    name = "nosend"
    limits = ChannelLimits()

    def updates(self) -> Any: ...
    async def answer_callback(self, incoming: Any, text: str | None = None) -> None: ...
    def is_group(self, chat: ChatRef) -> bool: return False
    def health(self) -> dict[str, Any]: return {}


class SyncSend(NoSend):
    name = "syncsend"

    def send(self, message: Any) -> Any: ...


class AsyncIsGroup(SyncSend):
    name = "asyncgroup"

    async def send(self, message: Any) -> Any: ...
    async def is_group(self, chat: ChatRef) -> bool: return False  # type: ignore[override]


class ChannelsOf:
    def __init__(self, *channels: Any) -> None:
        self.channels = channels

    @hookimpl
    def register_channels(self) -> list[Any]:
        return list(self.channels)


@pytest.mark.parametrize(("channel", "problem"), [
    (NoSend(), "is not a Channel (missing send)"),
    (SyncSend(), "is not a Channel (send must be 'async def')"),
    (AsyncIsGroup(), "is not a Channel (is_group must be a plain 'def', not 'async def')"),
])
async def test_wrong_component_shape_fails_start_naming_plugin_component_member(
        tmp_path, channel, problem):
    plugin = ChannelsOf(channel)
    with pytest.raises(UserError) as err:
        async with make_hub(SITE_CHAT, tmp_path, plugins=[plugin]):
            pass
    msg = str(err.value)
    assert msg.startswith("plugin '") and f"component {channel.name!r}" in msg
    assert "from register_channels" in msg and problem in msg
    assert "\n" not in msg


def test_check_component_reads_any_protocol():
    class Widget(Protocol):
        size: int

        async def spin(self) -> None: ...
        def stop(self) -> None: ...

    class Good:
        size = 3

        async def spin(self) -> None: ...
        def stop(self) -> None: ...

    class Bad:
        def spin(self) -> None: ...

    check_component(Good(), Widget, "acme")
    assert component_problems(Bad(), Widget) == ["missing size, stop",
                                                 "spin must be 'async def'"]
    with pytest.raises(UserError, match=r"^plugin 'acme': component Bad is not a Widget "
                                        r"\(missing size, stop; spin must be 'async def'\)$"):
        check_component(Bad(), Widget, "acme")


def test_union_of_protocols_accepts_either_and_names_both_when_neither():
    class A(Protocol):
        async def hold(self) -> None: ...

    class B(Protocol):
        async def purchase(self) -> None: ...

    class Term:
        name = "t1"

        async def purchase(self) -> None: ...

    check_component(Term(), (A, B), "bank")
    with pytest.raises(UserError, match=r"is neither an A \(missing hold\) nor a B \(missing "
                                        r"purchase\)$"):
        check_component(object(), (A, B), "bank")


async def test_async_register_hook_is_awaited(tmp_path):
    src = ScriptedSource([ev()])

    class P:
        @hookimpl
        async def register_sources(self, hub: Any) -> list[Any]:
            await anyio.lowlevel.checkpoint()
            return [src]

    ch = CaptureChannel()
    async with make_hub(SITE_CHAT, tmp_path, plugins=[P(), ComponentsPlugin(channels=[ch])]
                        ) as hub:
        await eventually(lambda: len(ch.sent) == 1, hub=hub)
        assert hub.sources == [src]


@pytest.mark.parametrize("hook", ["register_settings", "register_commands", "format_message",
                                  "register_reports"])
def test_async_def_on_a_sync_only_hook_fails_load(hook):
    async def impl(**_: Any) -> None: ...

    plugin = type("Acme", (), {hook: staticmethod(hookimpl(impl, specname=hook))})
    with pytest.raises(UserError, match=rf"^plugin '.*': {hook} must be a plain 'def', not "
                                        r"'async def' \(it is called where nothing can await\)$"):
        new_manager(entry_points=False, extra=[plugin()])


def test_sync_only_hook_returning_a_coroutine_is_refused_clearly():
    async def later() -> dict[str, type]:
        return {}

    class Sneaky:
        @hookimpl
        def register_settings(self) -> Any:
            return later()

    facade = Plugins(new_manager(entry_points=False, extra=[Sneaky()]))
    with pytest.raises(UserError, match=r"register_settings must return its result, not an "
                                        "awaitable"):
        facade.settings_sections()


async def test_crashing_source_and_spawned_job_restart(tmp_path):
    runs: list[int] = []

    class Crashy:
        name, site = "crashy", "s1"

        async def run(self, emit: Any) -> None:
            runs.append(1)
            if len(runs) < 3:
                raise RuntimeError("boom")
            await emit(ev())
            await anyio.sleep_forever()

        def health(self) -> dict[str, Any]:
            return {"online": True}

    jobs: list[int] = []

    async def job() -> None:
        jobs.append(1)
        if len(jobs) < 3:
            raise ValueError("job broke")

    ch = CaptureChannel()
    async with make_hub(SITE_CHAT, tmp_path, backoff=FAST,
                        plugins=[ComponentsPlugin(channels=[ch], sources=[Crashy()])]) as hub:
        hub.spawn(job, name="nightly")
        await eventually(lambda: len(ch.sent) == 1 and len(jobs) == 3, hub=hub)
        assert hub.supervisor.jobs["source crashy (s1)"].restarts == 2
        assert hub.supervisor.jobs["job nightly"].restarts == 2


async def test_chats_of_a_missing_channel_warn_at_start_and_do_not_slow_shutdown(
        tmp_path, caplog):
    cfg = {**CONFIG, "chats": [*CONFIG["chats"],
                               {"channel": "max", "chat_id": "m1", "site": "s1"},
                               {"channel": "max", "chat_id": "m2", "owners": True}]}
    ch = CaptureChannel()
    with caplog.at_level(logging.WARNING, logger="kassa.hub"):
        async with make_hub(cfg, tmp_path, plugins=[ComponentsPlugin(channels=[ch])]) as hub:
            await hub.emit(ev())
            assert await hub.drain(timeout=5)  # the max rows stay pending, and that is fine
            assert not await hub.outbox.idle()
            leaving = time.monotonic()
        assert time.monotonic() - leaving < 2.0  # the shutdown drain waited 3 s on them
        warnings = [r.getMessage() for r in caplog.records if "'max'" in r.getMessage()]
    assert warnings == ["2 chat(s) use channel 'max', which no installed plugin provides: "
                        "their messages wait in the outbox until it is installed"]
    assert len(ch.sent) == 2


async def test_a_device_whose_status_says_down_is_stopped_and_started_again(tmp_path):
    printer = FlakyPrinter(failures=0)
    fast = Backoff(initial=0.01, maximum=0.05, device_poll=0.02)
    async with make_hub(SITE_CHAT, tmp_path, plugins=[DevicesPlugin(printer)],
                        backoff=fast) as hub:
        assert printer.starts == 1
        printer.health = Health.DOWN
        await eventually(lambda: printer.starts >= 2, hub=hub)
        printer.health = Health.OK
        await eventually(lambda: hub.device_keeper.describe()["kitchen"]["available"],
                         hub=hub)
        starts = printer.starts  # restarted with backoff while its status said down
        await hub.drain()
        events = await hub.events(kinds=["device_unavailable", "device_available"])
    assert [e.kind for e in events] == ["device_unavailable", "device_available"]
    assert events[0].reason == "status down: cover open"
    assert starts >= 2 and printer.stops == starts  # each restart, and at shutdown


async def test_a_device_of_a_typed_kind_must_have_that_kinds_members(tmp_path):
    class HalfPrinter:
        name, kind = "half", "printer"

        async def start(self) -> None: ...
        async def stop(self) -> None: ...
        def status(self) -> DeviceStatus: return DeviceStatus(health=Health.OK)

    with pytest.raises(UserError, match=r"component 'half' \(HalfPrinter\) from "
                                        r"register_devices is not a Printer \(missing print, "
                                        r"lookup\)$"):
        async with make_hub(SITE_CHAT, tmp_path, plugins=[DevicesPlugin(HalfPrinter())]):
            pass


async def test_a_formatter_that_raises_keeps_the_event_and_falls_back_to_the_default(
        tmp_path, caplog):
    class BrokenFormatter:
        @hookimpl
        def format_message(self, event: Any, chat: Any, locale: str) -> Any:
            raise KeyError("template")

    ch = CaptureChannel()
    async with make_hub(SITE_CHAT, tmp_path,
                        plugins=[ComponentsPlugin(channels=[ch]), BrokenFormatter()]) as hub:
        assert await hub.emit(ev(key="a")) is True
        assert await hub.emit(ev(key="b")) is True
        await eventually(lambda: len(ch.sent) == 2, hub=hub)
        assert len(await hub.events()) == 2
    assert "Удаление чека" in ch.sent[0].text  # the core's default formatter
    failures = [r for r in caplog.records if "format_message of plugin" in r.getMessage()]
    assert len(failures) == 1 and "'BrokenFormatter'" in failures[0].getMessage()


async def test_on_startup_bug_is_logged_and_the_hub_runs_a_user_error_fails_start(
        tmp_path, caplog):
    stopped: list[str] = []

    class Buggy:
        @hookimpl
        def on_startup(self, hub: Any) -> None:
            raise RuntimeError("forgot to connect")

        @hookimpl
        def on_shutdown(self, hub: Any) -> None:
            raise RuntimeError("and to disconnect")

    class Fine:
        @hookimpl
        async def on_shutdown(self, hub: Any) -> None:
            stopped.append("fine")

    ch = CaptureChannel()
    async with make_hub(SITE_CHAT, tmp_path,
                        plugins=[Fine(), Buggy(), ComponentsPlugin(channels=[ch])]) as hub:
        await hub.emit(ev())
        await eventually(lambda: len(ch.sent) == 1, hub=hub)
    assert "on_startup of plugin 'Buggy' failed; the hub goes on without it" in caplog.text
    assert "on_shutdown of plugin 'Buggy' failed" in caplog.text
    assert stopped == ["fine"]  # the others' on_shutdown still ran

    class Misconfigured:
        @hookimpl
        def on_startup(self, hub: Any) -> None:
            raise UserError("set [acme] url")

    with pytest.raises(UserError, match=r"^plugin 'Misconfigured': set \[acme\] url$"):
        async with make_hub(SITE_CHAT, tmp_path, plugins=[Misconfigured()]):
            pass


async def test_a_register_hook_that_raises_fails_start_naming_the_plugin(tmp_path):
    class Exploding:
        @hookimpl
        def register_sources(self, hub: Any) -> list[Any]:
            raise ValueError("no such site")

    with pytest.raises(UserError, match=r"^plugin 'Exploding': register_sources failed: "
                                        r"ValueError: no such site$"):
        async with make_hub(SITE_CHAT, tmp_path, plugins=[Exploding()]):
            pass


async def test_a_report_of_the_wrong_shape_fails_start_not_the_first_report(tmp_path):
    class SyncReport:
        name, title, parameters = "acme_sales", {"ru": "Продажи"}, ("site", "period")

        def build(self, ctx: Any, site: Any, period: Any) -> Any: ...

    class Reports:
        @hookimpl
        def register_reports(self) -> list[Any]:
            return [SyncReport()]

    with pytest.raises(UserError, match=r"component 'acme_sales' \(SyncReport\) from "
                                        r"register_reports is not a ReportDefinition \(build "
                                        r"must be 'async def'\)$"):
        async with make_hub(SITE_CHAT, tmp_path, plugins=[Reports()]):
            pass
