"""r_keeper simulator -> hub -> Telegram and MAX simulators: alerts, auto-reports at shift
close, and service-print filters, read back from what each chat received."""

from __future__ import annotations

import re
from html import escape

import anyio
import pytest
from kassa.i18n import kind_title, t
from kassa.model import EventKind
from kassa_rkeeper.kinds import FAULTS, Kind

from tests.e2e.stack import SITE_NAMES, Received, running

pytestmark = pytest.mark.anyio

# every kind r_keeper declares (its faults aside) and the core's link state
ALL_KINDS: list[str] = [k.value for k in Kind if k not in FAULTS] + [k.value for k in EventKind]
SITE = SITE_NAMES["r1"]


def mentions(message: Received, kind: str, site_name: str) -> bool:
    """The message tells about an event of ``kind`` at the site: as a whole alert (title on
    the first line, the restaurant labelled) or as a line of a digest (title · restaurant)."""
    title = kind_title(kind)
    lines = message.text.splitlines()
    if lines and lines[0].split(" ", 1)[-1] == title:
        return f"{t('label.site')}: {site_name}" in lines
    for line in lines:
        parts = line.split(" · ")
        if len(parts) >= 2 and parts[0].endswith(f" {title}") and parts[1] == site_name:
            return True
    return False


async def test_every_alert_kind_reaches_site_and_owner_chats_on_both_messengers(tmp_path):
    every = {"alerts": ALL_KINDS}  # info-level kinds too: listed kinds ignore min_severity
    async with running(tmp_path, site_chat=every, owners_chat=every) as stack:
        await stack.business_day()
        await stack.outage()
        with anyio.move_on_after(5):  # facts read by polling may trail the pushed ones
            while (missing := set(ALL_KINDS) - {e.kind for e in await stack.hub.events()}):  # noqa: ASYNC110
                await anyio.sleep(0.05)
        assert not missing
        await stack.delivered()
        for view in stack.views("r1") + stack.views("owners"):
            got = view.received()
            unheard = [k for k in ALL_KINDS if not any(mentions(m, k, SITE) for m in got)]
            assert not unheard, f"{view.channel}:{view.chat_id} never heard of {unheard}"
            # the restaurant's name went out escaped and reads as typed
            assert all(escape(SITE, quote=False) in m.html for m in got)
            assert all(SITE in m.text for m in got)
            assert all("<b>" in m.html for m in got)  # never degraded to plain text
            assert mentions(got[0], _kind_of(got[0]), SITE)  # the first is a whole alert


def _kind_of(message: Received) -> str:
    head = message.text.splitlines()[0].split(" ", 1)[-1]
    return next(k for k in ALL_KINDS if kind_title(k) == head)


async def test_shift_close_sends_the_auto_reports(tmp_path):
    site = {"alerts": ["shift_closed"], "auto_reports": ["system_balance", "deletions"]}
    owners = {"alerts": [], "auto_reports": ["system_balance"]}
    async with running(tmp_path, site_chat=site, owners_chat=owners) as stack:
        await stack.business_day(close_after=1.2)
        await stack.delivered()
        auto = t("report.auto")
        for view in stack.views("r1"):
            got = [m.text for m in view.received()]
            assert mentions(view.received()[0], "shift_closed", SITE)
            reports = [x for x in got if x.startswith(f"🧾 {auto}")]
            assert len(reports) == 2, got
            balance = next(x for x in reports if "Системный баланс" in x)
            assert SITE in balance, balance
            assert re.search(r"Выручка\s+2\s+1\xa0890,50\xa0₽", balance), balance
            deletions = next(x for x in reports if "Удаления" in x)
            assert "Удаление чека" in deletions and "Аннулирование чека" in deletions
        for view in stack.views("owners"):
            got = [m.text for m in view.received()]
            assert len(got) == 1 and "Системный баланс" in got[0] and SITE in got[0]


async def test_service_prints_forwarded_only_when_a_pattern_matches(tmp_path):
    site = {"alerts": ["service_print"], "service_print": ["банкет"]}
    async with running(tmp_path, site_chat=site, owners_chat={"alerts": []}) as stack:
        await stack.business_day()
        await stack.delivered()
        prints = await stack.hub.events(site="r1", kinds=["service_print"])
        wanted = [e for e in prints if "банкет" in " ".join(
            str(x) for x in (e.text, e.data.get("category"), e.data.get("printer"))).lower()]
        assert 0 < len(wanted) < len(prints)  # the day has both kinds of ticket
        for view in stack.views("r1"):
            got = view.received()
            assert len(got) == len(wanted)
            assert all(mentions(m, "service_print", SITE) for m in got)
            bodies = [m.text for m in got]
            for e in prints:
                assert e.text is not None
                assert any(e.text in b for b in bodies) == (e in wanted)
        for view in stack.views("owners"):
            assert view.received() == []
