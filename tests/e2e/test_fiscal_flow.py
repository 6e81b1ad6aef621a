"""The fiscal flow end to end: an ATOL register (the Web Server emulator) at an r_keeper site,
the Telegram and MAX simulators. The r_keeper shift close runs the register's Z report, a
manager asks for an X report from the site chat, the register runs out of paper and the
chats hear of it once, then of the paper being back."""

from __future__ import annotations

import pytest
from kassa.model import Cashier
from kassa_atol.sim import AtolSimulator

from tests.e2e.stack import PLUGINS, running

pytestmark = pytest.mark.anyio

FISCAL_ALERTS = {"alerts": ["group:fiscal"]}


async def test_z_with_the_shift_close_x_from_a_chat_and_paper_alerts(tmp_path):
    register = AtolSimulator("r1", register="fr1")
    fragment = await register.start()
    try:
        async with running(tmp_path, site_chat=FISCAL_ALERTS, owners_chat={"alerts": []},
                           load=PLUGINS + ",atol", fragments=[fragment],
                           config={"fiscal": {"poll_interval": 0.1},
                                   "sites": [{"code": "r1",
                                              "z_report": {"with_shift": True}}]}) as stack:
            hub = stack.hub
            await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-r1", site="r1")
            tg = stack.chat("telegram", "r1")
            mx = stack.chat("max", "r1")
            manager = stack.people["telegram"].manager

            before = len(tg.received())
            tg.say(manager, "/x")
            got = await tg.wait(lambda r: any("X-отчёт напечатан" in m.text
                                              for m in r[before:]))
            assert any("«fr1»" in m.text for m in got[before:])
            assert [d.form for d in register.kkt.documents].count("reportX") == 1

            register.faults.paper = False
            for view in (tg, mx):
                await view.wait(lambda r: any("нет бумаги" in m.text.lower() for m in r))
            register.faults.paper = True
            for view in (tg, mx):
                await view.wait(lambda r: any("бумага" in m.text.lower() and "заправлена"
                                              in m.text.lower() for m in r))

            await stack.business_day("r1")  # ends with the r_keeper shift close
            await stack.wait_events("r1", "z_report", seconds=20)
            for view in (tg, mx):
                await view.wait(lambda r: any("Z-отчёт" in m.text for m in r), seconds=20)
            await stack.delivered()
            paper_alerts = [m for m in tg.received() if "нет бумаги" in m.text.lower()]
            assert len(paper_alerts) == 1, [m.text for m in paper_alerts]
            assert [d.form for d in register.kkt.documents].count("closeShift") == 1
    finally:
        await register.stop()
