"""Event kinds declared by plugins (register_event_kinds) and plugin texts (register_texts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from kassa import hookimpl
from kassa.config import parse
from kassa.errors import ConfigError, UserError
from kassa.i18n import build, t
from kassa.kinds import check_settings, collect
from kassa.model import Event, EventKinds, EventKindSpec, Severity, Site
from kassa.notify_default import render_event
from kassa.plugins import Plugins, new_manager
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, incoming, make_hub

from tests.factories import T0

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent

DOOR = EventKindSpec("door_opened", severity="warning", group="acme",
                     title={"ru": "Открыта дверь", "en": "Door opened"},
                     template={"ru": "Дверь {data[door]} открыта в {site}",
                               "en": "Door {data[door]} opened at {site}"})


class Acme:
    __name__ = "acme"  # the plugin's name: its texts live under "acme."

    @hookimpl
    def register_event_kinds(self):
        return [DOOR, EventKindSpec("acme_shift_closed", closes_shift=True,
                                    title={"ru": "Смена закрыта", "en": "Shift closed"})]

    @hookimpl
    def register_texts(self):
        return {"ru": {"acme.help.door": "открыть дверь"},
                "en": {"acme.help.door": "open the door"}}


def facade(*plugins: object) -> Plugins:
    return Plugins(new_manager(entry_points=False, extra=plugins))


def door(**kw: object) -> Event:
    return Event.of(site="s1", kind="door_opened", source_key="d1", occurred_at=T0,
                    data={"door": "<чёрный ход>"}, **kw)


def chats(*extra: dict[str, object]) -> dict[str, object]:
    return {"sites": [{"code": "s1", "name": "Невский"}],
            "chats": [{"channel": "capture", "chat_id": "-1", "site": "s1", **e}
                      for e in extra]}


async def test_a_declared_kind_is_formatted_in_ru_and_en(tmp_path):
    ch = CaptureChannel()
    config = chats({"locale": "ru"}, {"chat_id": "-2", "locale": "en"})
    async with make_hub(config, tmp_path, plugins=[Acme(), ComponentsPlugin(channels=[ch])]
                        ) as hub:
        assert await hub.emit(door())  # Event.of: the declared severity, so chats hear it
        await eventually(lambda: len(ch.sent) == 2, hub=hub)
    ru, en = ch.texts("-1")[0], ch.texts("-2")[0]
    assert ru == "🟠 <b>Открыта дверь</b>\nДверь &lt;чёрный ход&gt; открыта в Невский"
    assert en == "🟠 <b>Door opened</b>\nDoor &lt;чёрный ход&gt; opened at Невский"


def test_a_kind_without_template_gets_the_standard_fields():
    kinds = EventKinds([EventKindSpec("till_opened", title={"ru": "Касса открыта",
                                                            "en": "Till opened"})])
    event = Event.of(site="s1", kind="till_opened", source_key="t", occurred_at=T0,
                     employee="Иванова")
    text = render_event(event, "en", Site(code="s1", name="Невский"), kinds)
    assert text.splitlines()[0] == "⚪ <b>Till opened</b>"
    assert "Employee: Иванова" in text and "Restaurant: Невский" in text


def test_an_unknown_kind_still_renders():
    event = Event.of(site="s1", kind="retired_plugin_kind", source_key="x", occurred_at=T0)
    assert event.severity == Severity.INFO
    text = render_event(event, "ru", Site(code="s1", name="s1"), EventKinds())
    assert text.splitlines()[0] == "⚪ <b>retired_plugin_kind</b>"


BOTH = {"ru": "Дверь", "en": "Door"}


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="snake_case"):
        EventKindSpec("Door-Opened", title=BOTH)
    with pytest.raises(ValueError, match="title"):
        EventKindSpec("door", title={"ru": "Дверь"})
    with pytest.raises(ValueError, match="template"):
        EventKindSpec("door", title=BOTH, template={"ru": "{who}"})
    with pytest.raises(ValueError, match="exclude"):
        EventKindSpec("door", title=BOTH, offline=True, online=True)

    class Twin:
        __name__ = "twin"

        @hookimpl
        def register_event_kinds(self):
            return [EventKindSpec("door_opened", title=BOTH)]

    with pytest.raises(UserError, match=r"'acme' and 'twin' both declare .*door_opened"):
        collect(facade(Acme(), Twin()))


def test_the_core_names_no_rkeeper_kind():
    from kassa_rkeeper.kinds import KINDS

    names = {spec.name for spec in KINDS}
    # the same words meaning something else: a chat setting holding print patterns, and the
    # fiscal register's error code for a closed register shift
    allowed = {("commands.py", "service_print"), ("register.py", "shift_closed")}
    found = []
    for path in (ROOT / "core" / "src" / "kassa").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in names:
            used = re.search(rf"[\"']{name}[\"']|\.{name.upper()}\b", text)
            if used and (path.name, name) not in allowed:
                found.append(f"{path.relative_to(ROOT)}: {used.group(0)}")
    assert not found
    assert names.isdisjoint(s.name for s in collect(facade()))  # the core's own kinds


async def test_z_report_and_shift_close_fire_the_auto_reports_once_unless_configured(tmp_path):
    import kassa_rkeeper
    from kassa_rkeeper.kinds import Kind

    async def reports_after_both(chat: dict[str, object], path: Path) -> list[str]:
        ch = CaptureChannel()
        config = {**chats({"alerts": [], "auto_reports": ["event_summary"], **chat}),
                  "outbox": {"report_settle": 0}}
        async with make_hub(config, path, plugins=[kassa_rkeeper,
                                                   ComponentsPlugin(channels=[ch])]) as hub:
            for kind, key in (("z_report", "z1"), (Kind.SHIFT_CLOSED, "shift1")):
                await hub.emit(Event.of(site="s1", kind=kind, source_key=key, occurred_at=T0))
            assert await hub.drain()
        return [m.text for m in ch.sent]

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    default = await reports_after_both({}, tmp_path / "a")
    assert len(default) == 1 and t("report.auto") in default[0]
    both = await reports_after_both({"auto_reports_on": ["shift_closed", "z_report"]},
                                    tmp_path / "b")
    assert len(both) == 2


def test_kind_names_in_config_are_checked_with_a_hint():
    kinds = collect(facade(Acme()))

    def check(**chat: object) -> None:
        check_settings(parse(chats(chat)), kinds)

    check(alerts=["door_opened", "*", "group:acme"], auto_reports_on=["acme_shift_closed"])
    with pytest.raises(ConfigError, match=r"chats\[0\]\.alerts\[0\]: unknown event kind "
                                          r"'door_openned' \(did you mean 'door_opened'\?\)"):
        check(alerts=["door_openned"])
    with pytest.raises(ConfigError, match=r"unknown event kind group 'acmee'"):
        check(alerts=["group:acmee"])
    with pytest.raises(ConfigError, match=r"auto_reports_on\[0\]: 'door_opened' does not "
                                          r"close a shift"):
        check(auto_reports_on=["door_opened"])


def test_config_check_names_an_unknown_kind(tmp_path):
    from kassa.cli import cli

    toml = tmp_path / "kassa.toml"
    toml.write_text('[[sites]]\ncode = "r1"\n[[chats]]\nchannel = "telegram"\nchat_id = "-1"\n'
                    'site = "r1"\nalerts = ["check_deleted", "chek_closed"]\n', encoding="utf-8")
    out = CliRunner().invoke(cli, ["config", "check", "--config", str(toml)])
    assert out.exit_code == 2
    assert "chats[0].alerts[1]: unknown event kind 'chek_closed' (did you mean " \
           "'check_closed'?)" in out.output


async def test_a_group_in_alerts_names_every_kind_of_it(tmp_path):
    ch = CaptureChannel()
    config = chats({"alerts": ["group:acme"], "min_severity": "danger"})
    async with make_hub(config, tmp_path, plugins=[Acme(), ComponentsPlugin(channels=[ch])]
                        ) as hub:
        await hub.emit(door())  # a warning: heard although the chat's floor is danger
        await eventually(lambda: ch.sent, hub=hub)


def test_plurals_follow_the_locale_rule():
    forms = {"ru": ["1 событие", "2 события", "5 событий", "11 событий", "21 событие"],
             "en": ["1 event", "2 events", "5 events", "11 events", "21 events"]}
    for locale, want in forms.items():
        assert [t("count.events", locale, count=n) for n in (1, 2, 5, 11, 21)] == want
    assert t("digest.title", "ru", count=3, minutes=5) == "3 события за 5 мин"


def test_plugin_texts_are_namespaced_and_checked():
    cat = build([("acme", {"ru": {"acme.x": "икс", "acme.n": {"one": "{count} дверь",
                                                               "few": "{count} двери",
                                                               "many": "{count} дверей",
                                                               "other": "{count} двери"}}})])
    assert cat["ru"]["acme.x"] == "икс" and cat["ru"]["help.help"] == "список команд"
    with pytest.raises(UserError, match=r"plugin 'acme'.*'help\.help'.*starts with"):
        build([("acme", {"ru": {"help.help": "чужой ключ"}})])
    with pytest.raises(UserError, match="unknown locale 'de'"):
        build([("acme", {"de": {"acme.x": "x"}})])
    with pytest.raises(UserError, match="need \"other\""):
        build([("acme", {"ru": {"acme.n": {"one": "x"}}})])
    with pytest.raises(UserError, match="plural forms"):
        build([("acme", {"ru": {"acme.n": 5}})])


async def test_help_lists_plugin_commands_in_the_chat_locale(tmp_path):
    import kassa_bonus

    class Door:
        name, description = "door", "acme.help.door"
        from kassa.hookspecs.notify import Access
        access = Access.BOUND

        async def handle(self, ctx, args):
            return None

    class Commands(Acme):
        @hookimpl
        def register_commands(self):
            return [Door()]

    ch = CaptureChannel()
    config = chats({"locale": "ru"}, {"chat_id": "-2", "locale": "en"})
    async with make_hub(config, tmp_path, plugins=[Commands(), kassa_bonus,
                                                   ComponentsPlugin(channels=[ch])]) as hub:
        await ch.push(incoming("/help", chat_id="-1"))
        await ch.push(incoming("/help", chat_id="-2"))
        await eventually(lambda: len(ch.sent) == 2, hub=hub)
    ru, en = ch.texts("-1")[0], ch.texts("-2")[0]
    assert "/door — открыть дверь" in ru and "/balance — баланс баллов и уровень" in ru
    assert "/help — список команд" in ru
    assert "/door — open the door" in en and "/balance — points balance and level" in en


def test_every_kind_the_core_emits_is_declared():
    src = ROOT / "core" / "src" / "kassa"
    emitted: set[str] = set()
    for path in [*(src / "services").glob("*.py"), src / "supervision.py"]:
        text = path.read_text(encoding="utf-8")
        emitted |= set(re.findall(r'event="([a-z_]+)"', text))
        emitted |= set(re.findall(
            r'(?:retry_event = |return |_event\(device, state, )"([a-z_]+)"', text))
        emitted |= set(re.findall(r'"(payment_declined)" if', text))
        for prefix in re.findall(r'prefix = "([a-z]+)"', text):  # the service's failures
            emitted.add(f"{prefix}_unknown")
            if "def failed_kind" not in text:
                emitted.add(f"{prefix}_failed")
    assert {"z_report", "fiscal_receipt", "payment_captured", "device_available"} <= emitted
    assert emitted <= {s.name for s in collect(facade())}


def test_auto_reports_no_kind_sends_are_pointed_out():
    from kassa.kinds import warnings

    kinds = collect(facade())  # the core alone: its z_report closes a shift, no source does
    settings = parse(chats({"auto_reports": ["event_summary"]}))
    assert warnings(settings, kinds) == [
        "kassa.toml: chats[0]: auto_reports are never sent: set auto_reports_on "
        "(closing kinds: z_report)"]
    assert warnings(parse(chats({"auto_reports": ["event_summary"],
                                 "auto_reports_on": ["z_report"]})), kinds) == []
    assert warnings(settings, collect(facade(Acme()))) == []  # a source's close sends them


def test_config_check_prints_the_warning(tmp_path, monkeypatch):
    from kassa.cli import cli

    monkeypatch.setenv("KASSA_DISABLE_PLUGINS", "rkeeper,pos")  # no source closes a shift
    monkeypatch.setattr("kassa.plugins._default", None)
    toml = tmp_path / "kassa.toml"
    toml.write_text('[[sites]]\ncode = "r1"\n[[chats]]\nchannel = "telegram"\nchat_id = "-1"\n'
                    'site = "r1"\nauto_reports = ["event_summary"]\n', encoding="utf-8")
    out = CliRunner().invoke(cli, ["config", "check", "--config", str(toml)])
    assert out.exit_code == 0
    assert "warning: kassa.toml: chats[0]: auto_reports are never sent" in out.output
