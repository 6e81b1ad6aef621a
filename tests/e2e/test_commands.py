"""People in the Telegram and MAX simulators talk to the hub: /report through the buttons,
/settings by an admin, and refusals for everyone else."""

from __future__ import annotations

import re

import anyio
import pytest
from kassa.i18n import t
from kassa.reports.chart import available as charts_available
from kassa.testing import eventually

from tests.e2e.stack import SITE_NAMES, ChatView, Received, running

pytestmark = pytest.mark.anyio

SITE = SITE_NAMES["r1"]
# these tests read replies; alerts would only add noise
QUIET: dict[str, list[str]] = {"alerts": []}
REVENUE = re.compile(r"Выручка\s+2\s+1\xa0890,50\xa0₽")  # what the scripted day takes


async def ask(chat: ChatView, user: str, text: str) -> Received:
    """Say something; return the bot's answer (a new message)."""
    before = len(chat.received())
    chat.say(user, text)
    return await chat.next_reply(before)


async def press(chat: ChatView, menu: Received, user: str, label: str) -> Received:
    """Press a button on ``menu``; return the menu as the bot edited it in place."""
    index = [m.ref for m in chat.received()].index(menu.ref)
    chat.press(menu, user, menu.button(label))
    got = await chat.wait(lambda r: r[index] != menu)
    return got[index]


async def test_reports_on_demand_from_a_site_chat_and_from_the_owners_chat(tmp_path):
    async with running(tmp_path, site_chat=QUIET, owners_chat=QUIET) as stack:
        await stack.business_day()
        await stack.delivered()

        async def in_site_chat(chat: ChatView) -> None:  # report -> period
            manager = stack.people[chat.channel].manager
            menu = await ask(chat, manager, "/report")
            assert menu.text == t("cmd.report.pick_report")
            menu = await press(chat, menu, manager, "Системный баланс")
            assert menu.text.startswith(t("cmd.report.pick_period"))
            before = len(chat.received())
            chat.press(menu, manager, menu.button(t("period.today")))
            report = await chat.next_reply(before)
            assert report.text.startswith("📊 Системный баланс")
            assert f"{SITE} · {t('period.today')}" in report.text
            assert REVENUE.search(report.text), report.text

        async def in_owners_chat(chat: ChatView) -> None:  # site -> report -> period
            owner = stack.people[chat.channel].owner
            menu = await ask(chat, owner, "/report")
            assert menu.text == t("cmd.report.pick_site")
            assert [b[0] for b in menu.buttons] == [SITE, t("report.all_sites")]
            menu = await press(chat, menu, owner, SITE)
            assert menu.text == t("cmd.report.pick_report")
            menu = await press(chat, menu, owner, "Продажи по часам")
            before = len(chat.received())
            chat.press(menu, owner, menu.button(t("period.today")))
            got = await chat.wait(lambda r: any("Продажи по часам" in m.text
                                                for m in r[before:]))
            report = next(m for m in got[before:] if "Продажи по часам" in m.text)
            assert SITE in report.text and "Итого" in report.text
            if charts_available():  # the chart comes as a picture (with the table, or after)
                got = await chat.wait(lambda r: any(f[0] == "photo" for m in r[before:]
                                                    for f in m.files))
                photo = next(f for m in got[before:] for f in m.files if f[0] == "photo")
                assert photo[2].startswith(b"\x89PNG\r\n\x1a\n")

        async with anyio.create_task_group() as tg:  # four chats, four budgets: at once
            tg.start_soon(stack.on_both, "r1", in_site_chat)
            tg.start_soon(stack.on_both, "owners", in_owners_chat)


async def test_settings_changed_by_an_admin_and_refused_to_others(tmp_path):
    async with running(tmp_path, rkeeper=False, site_chat=QUIET, owners_chat=QUIET) as stack:

        async def flow(chat: ChatView) -> None:
            people = stack.people[chat.channel]
            refused = await ask(chat, people.manager, "/settings")
            assert refused.text == t("cmd.refused") and not refused.buttons
            menu = await ask(chat, people.owner, "/settings")
            assert menu.text == t("cmd.settings.title")
            assert "✅ Удаления" in [b[0] for b in menu.buttons]
            menu = await press(chat, menu, people.owner, "Удаления")
            assert menu.text.startswith(t("cmd.settings.saved"))
            assert "▫️ Удаления" in [b[0] for b in menu.buttons]
            rule = stack.hub.router.get(chat.channel, chat.chat_id)
            assert rule is not None and "deletions" not in rule.settings.reports
            offered = await ask(chat, people.manager, "/report")
            labels = [b[0] for b in offered.buttons]
            assert "Системный баланс" in labels and "Удаления" not in labels
            # the manager cannot toggle it back by pressing the admin's button either
            before = len(chat.received())
            chat.press(menu, people.manager, menu.button("Удаления"))
            again = await chat.next_reply(before)
            assert again.text == t("cmd.refused")
            rule = stack.hub.router.get(chat.channel, chat.chat_id)
            assert rule is not None and "deletions" not in rule.settings.reports

        await stack.on_both("r1", flow)


async def test_strangers_get_one_refusal_and_no_data(tmp_path):
    async with running(tmp_path, rkeeper=False, site_chat=QUIET, owners_chat=QUIET) as stack:

        async def flow(chat: ChatView) -> None:
            people = stack.people[chat.channel]
            answer = await ask(chat, people.stranger, "/report")
            assert answer.text == t("cmd.refused") and not answer.buttons
            assert not answer.files
            # then silence for a while: every answer would spend the group's budget
            refused = stack.hub.commands.refused
            for command in ("/status", "/report system_balance today"):
                chat.say(people.stranger, command)
            # a menu opened by an allowed person is no way in for the stranger
            menu = await ask(chat, people.manager, "/report")
            before = len(chat.received())
            chat.press(menu, people.stranger, menu.button("Системный баланс"))
            await eventually(lambda: stack.hub.commands.refused >= refused + 3, hub=stack.hub)
            assert await stack.hub.drain(timeout=20)
            assert len(chat.received()) == before  # no reply to the stranger, no data
            assert chat.received()[before - 1] == menu  # the menu was not advanced
            # and a group the hub was never told about gets the refusal, nothing else
            stray = stack.stray[chat.channel]
            answer = await ask(stray, people.stranger, "/report")
            assert answer.text == t("cmd.refused") and not answer.buttons
            assert all(SITE not in m.text for m in stray.received())

        await stack.on_both("r1", flow)
