"""The register monitor with a fake clock: each alert once per episode (not every poll),
routed to the chat like any other alert, in the chat's language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from kassa.errors import Permanent
from kassa.model import Cashier, FiscalStatus
from kassa.testing import eventually
from kassa.testing.contracts import sample_receipt
from kassa.testing.fakes import FakeRegister

from tests.fiscal.conftest import START

pytestmark = pytest.mark.anyio
HOUR = 3600


class Reporting(FakeRegister):
    """The fake register that also reports FN expiry, fill and the OFD backlog."""

    extra: dict[str, Any] = {}

    async def status(self) -> FiscalStatus:
        return attrs.evolve(await super().status(), **self.extra)


def monitor(hub: Any) -> Any:
    return hub.state("kassa.fiscal_ops")["monitor"]


async def kinds(hub: Any) -> list[str]:
    await hub.drain()
    return [e.kind for e in await hub.events(site="s1") if e.kind.startswith("fiscal_")
            and e.kind not in ("fiscal_shift_opened",)]


async def test_a_long_shift_warns_once_then_alarms_once(hub, clock, channel):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
    m = monitor(hub)
    assert await m.poll() == []
    clock.advance(23 * HOUR)
    (warn,) = await m.poll()
    assert warn.kind == "fiscal_shift_long" and warn.data["hours"] == "23"
    assert warn.data["until"] == "25.11 12:00"  # Moscow time, when the 24 h run out
    assert await m.poll() == [] and await m.poll() == []
    clock.advance(HOUR + 60)
    (alarm,) = await m.poll()
    assert alarm.kind == "fiscal_shift_expired"
    clock.advance(HOUR)
    assert await m.poll() == []
    assert await kinds(hub) == ["fiscal_shift_long", "fiscal_shift_expired"]
    await eventually(lambda: len(channel.texts("-1")) >= 3, hub=hub)
    text = channel.texts("-1")[-1]
    assert "Смена кассы открыта больше 24 часов" in text
    assert "Смена №1 на кассе «fr1» открыта больше 24 ч: касса не пробивает чеки" in text


async def test_a_new_monitor_after_a_restart_does_not_repeat_the_same_shift(hub, clock):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
    clock.advance(23 * HOUR)
    await monitor(hub).poll()
    from kassa.fiscal_ops.watch import Monitor

    again = Monitor(hub)  # what the next start builds: it knows nothing
    await again.poll()
    assert await kinds(hub) == ["fiscal_shift_long"]  # the event log kept one per shift


async def test_unreachable_and_back_once_each(hub, register):
    m = monitor(hub)
    register.offline = True
    (down,) = await m.poll()
    assert down.kind == "fiscal_register_offline"
    assert "fr1 does not answer" in down.data["error"]
    assert await m.poll() == [] and await m.poll() == []
    register.offline = False
    (up,) = await m.poll()
    assert up.kind == "fiscal_register_online"
    assert await m.poll() == []
    register.offline = True
    assert [e.kind for e in await m.poll()] == ["fiscal_register_offline"]  # a new outage
    assert await kinds(hub) == ["fiscal_register_offline", "fiscal_register_online",
                                "fiscal_register_offline"]


async def test_paper_out_once_then_loaded(hub, register, clock):
    m = monitor(hub)
    register.paper_out = True
    assert [e.kind for e in await m.poll()] == ["fiscal_paper_out"]
    clock.advance(60)
    assert await m.poll() == []
    register.paper_out = False
    assert [e.kind for e in await m.poll()] == ["fiscal_paper_loaded"]
    assert await m.poll() == []


async def test_fn_and_ofd_thresholds(tmp_path, clock, channel):
    from kassa.testing import make_hub

    from tests.fiscal.conftest import Registers, config

    reg = Reporting("fr1", path=tmp_path / "fr.db", clock=clock)
    cfg = config(fiscal={"poll_interval": 0, "fn_expiry_days": 10, "ofd_unsent_hours": 12})
    async with make_hub(cfg, tmp_path, plugins=[Registers(reg, channel=channel)],
                        clock=clock) as hub:
        m = monitor(hub)
        reg.extra = {"fn_expires_at": START + timedelta(days=40), "fn_used_percent": 50,
                     "unsent_documents": 3, "oldest_unsent_at": START - timedelta(hours=2)}
        assert await m.poll() == []
        clock.advance(31 * 86400)  # 9 days left; the backlog is 31 days old
        got = {e.kind: e for e in await m.poll()}
        assert set(got) == {"fiscal_fn_expiring", "fiscal_ofd_overdue"}
        assert got["fiscal_fn_expiring"].data["days"] == "9"
        assert got["fiscal_fn_expiring"].data["until"] == "03.01.2027"
        reg.extra = {**reg.extra, "fn_used_percent": 91,
                     "oldest_unsent_at": clock.now() - timedelta(hours=13)}  # a new backlog
        got = {e.kind: e for e in await m.poll()}
        assert set(got) == {"fiscal_fn_filling", "fiscal_ofd_unsent"}
        assert got["fiscal_ofd_unsent"].data == {"register": "fr1", "count": "3",
                                                 "hours": "13"}
        assert await m.poll() == []
        reg.extra = {**reg.extra, "fn_full": True}
        assert [e.kind for e in await m.poll()] == ["fiscal_fn_full"]
        assert await m.poll() == []


async def test_a_receipt_failing_permanently_is_one_fiscal_failed_alert(hub, register,
                                                                       channel):
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
    register.fn_full = True
    for _ in range(2):  # the till retries with the same key: one alert
        with pytest.raises(Permanent):
            await hub.fiscal.receipt(sample_receipt(), key="sale-1", site="s1")
    assert (await kinds(hub)).count("fiscal_failed") == 1


async def test_the_hub_runs_the_monitor_on_its_interval(tmp_path, clock, channel):
    from kassa.testing import make_hub

    from tests.fiscal.conftest import Registers, config

    reg = FakeRegister("fr1", path=tmp_path / "fr.db", clock=clock)
    reg.offline = True
    cfg = config(fiscal={"poll_interval": 0.05})
    async with make_hub(cfg, tmp_path, plugins=[Registers(reg, channel=channel)],
                        clock=clock) as hub:
        async def offline() -> bool:
            return "fiscal_register_offline" in [e.kind for e in await hub.events(site="s1")]

        await eventually(offline, hub=hub)


async def test_an_english_chat_reads_the_alert_in_english(tmp_path, clock, channel):
    from kassa.testing import make_hub

    from tests.fiscal.conftest import Registers, config

    reg = FakeRegister("fr1", path=tmp_path / "fr.db", clock=clock)
    cfg = config()
    cfg["chats"] = [{"channel": "capture", "chat_id": "-3", "site": "s1", "locale": "en",
                     "alerts": ["group:fiscal"]}]
    async with make_hub(cfg, tmp_path, plugins=[Registers(reg, channel=channel)],
                        clock=clock) as hub:
        reg.paper_out = True
        await monitor(hub).poll()
        await eventually(lambda: channel.texts("-3"), hub=hub)
        text = channel.texts("-3")[-1]
        assert "Register out of paper" in text and "Register “fr1” is out of paper." in text
