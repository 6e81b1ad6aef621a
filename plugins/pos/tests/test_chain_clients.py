"""The ``clients`` reference package without NATS: the centre's check of a clients file (one
sentence naming the row and field) and the command's refusal, the store's consumer against
fake messages (a newer version replaces the register, a redelivery changes nothing, a bad
package leaves it), and the till's offline lookup: with the loyalty programme down a card
from the register puts its guest's groups on the check (the client discount, the birthday
prompt, no bonus), the live programme's answer wins when it gives one, a card blocked in the
register is refused and a card nobody knows says so."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kassa_pos
import pytest
import sqlalchemy as sa
from kassa import hookimpl
from kassa.errors import RetryLater, UserError
from kassa.model import Guest, Order, Quote
from kassa.testing import FakeLoyalty, make_hub
from kassa_pos.chain import clients, refdata_stream
from kassa_pos.chain.refdata import CLIENTS, Package, RefusedPackage, apply_package
from kassa_pos.engine import client_register
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.client_register import UnknownCard
from kassa_pos.engine.pay import PayError
from kassa_pos.engine.till import Till
from kassa_pos.engine.values import Tender

from .test_chain_refdata import msgs_of
from .test_till import ANNA, MILK, PRICES

pytestmark = pytest.mark.anyio
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
VIP, PLAIN, LOST = "2770000000011", "2770000000028", "2770000000035"


def rows(birthday: str = "1980-03-08") -> list[dict[str, Any]]:
    return [{"card": VIP, "guest": "g-vip", "name": "Вера Павловна", "groups": ["vip"],
             "birthday": birthday},
            {"card": PLAIN, "guest": "g-plain", "name": "Пётр"},
            {"card": LOST, "guest": "g-lost", "name": "Лев", "groups": ["vip"],
             "blocked": True}]


def package(version: int, body_rows: list[dict[str, Any]]) -> Package:
    return Package.of_rules(clients.body_of(clients.entries_of({"clients": body_rows})),
                            version, CLIENTS)


async def register(hub: Any) -> dict[str, client_register.Entry]:
    async with hub.engine.connect() as conn:
        cards = [r.card for r in await conn.execute(sa.select(client_register.client_t.c.card))]
        return {c: await conn.run_sync(lambda s, c=c: client_register.lookup(s, c))
                for c in cards}


async def no_link(url: str) -> Any:
    raise OSError(f"{url}: not used here")


# --- the centre's check ------------------------------------------------------------------


async def test_a_migrated_database_matches_the_register_table(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    md = client_register.metadata

    def compare(c: Any) -> Any:
        def ours(obj, name, type_, reflected, compare_to):
            return type_ != "table" or str(name) in md.tables

        return compare_metadata(MigrationContext.configure(c, opts={"include_object": ours}),
                                md)

    async with make_hub({"sites": [{"code": "S01"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        async with hub.engine.connect() as conn:
            assert await conn.run_sync(compare) == []


def test_a_clients_file_reads_as_a_checked_body(tmp_path):
    as_json = tmp_path / "clients.json"
    as_json.write_text(json.dumps(rows()), encoding="utf-8")
    body = clients.read(as_json)
    assert body["clients"][0] == {"card": VIP, "guest": "g-vip", "name": "Вера Павловна",
                                  "groups": ["vip"], "birthday": "03-08", "blocked": False}
    assert body["clients"][2]["blocked"] is True
    as_csv = tmp_path / "clients.csv"
    as_csv.write_text("card;guest;name;groups;birthday;blocked\n"
                      f"{VIP};g-vip;Вера Павловна;vip, parents;1980-03-08;нет\n"
                      f"{LOST};g-lost;Лев;;;да\n", encoding="utf-8")
    body = clients.read(as_csv)
    assert [(c["card"], c["groups"], c["birthday"], c["blocked"]) for c in body["clients"]] \
        == [(VIP, ["vip", "parents"], "03-08", False), (LOST, [], None, True)]


@pytest.mark.parametrize(("change", "says"), [
    ({"guest": ""}, "строка 2 (карта …0028): guest — не задано"),
    ({"birthday": "1980-02-30"}, "строка 2 (карта …0028): birthday — не дата"),
    ({"blocked": "может быть"}, "строка 2 (карта …0028): blocked — да или нет"),
    ({"groups": [1]}, "строка 2 (карта …0028): groups — список групп"),
    ({"phone": "+79990000000"}, "строка 2 (карта …0028): phone — неизвестное поле"),
    ({"card": VIP}, "строка 2 (карта …0011): card — карта уже в строке 1"),
    ({"card": "27 70"}, "строка 2 (карта …7 70): card — номер карты без пробелов"),
    ({"card": None}, "строка 2: card — не задано"),
])
def test_a_bad_row_is_refused_in_one_sentence_naming_row_and_field(change, says):
    body = rows()
    body[1].update(change)
    with pytest.raises(RefusedPackage) as err:
        clients.entries_of({"clients": body})
    text = str(err.value)
    assert text.startswith(says) and "\n" not in text, text
    assert "Пётр" not in text and "1980" not in text  # no personal data in the sentence


def test_an_empty_register_and_a_bad_row_in_english():
    with pytest.raises(RefusedPackage, match="пустой справочник"):
        clients.entries_of({"clients": []})
    body = rows()
    body[0]["birthday"] = "8 March"
    with pytest.raises(RefusedPackage, match=r"^row 1 \(card …0011\): birthday — not a date"):
        clients.entries_of({"clients": body}, "en")


def test_publish_refuses_a_bad_clients_file_in_one_sentence(tmp_path):
    from click.testing import CliRunner
    from kassa_pos.chain.cli import group

    bad = tmp_path / "clients.csv"
    bad.write_text(f"card,guest,name\n{VIP},g1,Вера\n{VIP},g2,Пётр\n", encoding="utf-8")
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "--kind", "clients",
                                       "-c", str(tmp_path / "missing.toml")])
    assert res.exit_code == 1
    line = res.output.strip().removeprefix("Error: ")
    assert line == "строка 3 (карта …0011): card — карта уже в строке 2; ничего не отправлено"


# --- the store's consumer ----------------------------------------------------------------


async def test_a_newer_version_replaces_the_register_and_a_redelivery_changes_nothing(
        tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kassa_pos.chain.refdata")
    async with make_hub({"sites": [{"code": "S01"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link)
        for m in msgs_of(package(1, rows()), 200):  # in parts
            await cons.take(m)
        assert cons.applied == 1
        assert sorted(await register(hub)) == [VIP, PLAIN, LOST]
        newer = rows()[:2]
        newer[1]["groups"] = ["staff"]
        v2 = msgs_of(package(2, newer), 10_000)
        for m in v2:
            await cons.take(m)
        held = await register(hub)
        assert sorted(held) == [VIP, PLAIN]  # LOST left with version 2
        assert held[PLAIN].groups == ("staff",) and held[VIP].birthday == "03-08"
        for m in [*v2, *msgs_of(package(1, rows()), 10_000)]:  # redelivered, and older
            await cons.take(m)
        assert cons.applied == 2 and all(m.acked == 2 for m in v2)
        assert await register(hub) == held
        [bad] = msgs_of(Package.of_rules({"clients": [{"card": VIP}]}, 3, CLIENTS), 10_000)
        await cons.take(bad)
        assert bad.termed == 1 and await register(hub) == held  # refused whole
        assert "guest" in hub.state(refdata_stream.OWNER)["error"]
    said = caplog.text
    assert "applied clients package 2 (2 cards)" in said
    assert "Вера" not in said and "03-08" not in said and VIP not in said


# --- the till ----------------------------------------------------------------------------


class Programme(FakeLoyalty):
    """The core's fake programme, registered as a plugin; ``down`` makes it not answer."""

    down = False

    async def identify(self, identifier: str) -> Guest | None:
        if self.down:
            raise RetryLater("the loyalty server does not answer", after=5)
        return await super().identify(identifier)

    async def quote(self, order: Order, guest: Guest) -> Quote:
        if self.down:
            raise RetryLater("the loyalty server does not answer", after=5)
        return await super().quote(order, guest)

    @hookimpl
    def register_loyalty_programs(self, hub: Any) -> list[Any]:
        return [self]


def store_config(today: str) -> dict[str, Any]:
    return {"sites": [{"code": "s1", "name": "Магазин"}],
            "pos": {"store": "s1", "tills": [{"name": "till1"}],
                    "staff": [{"code": "1", "name": "Анна", "role": "cashier"}],
                    "discounts": [{"name": "vip", "kind": "client", "client_groups": ["vip"],
                                   "percent": "10"}],
                    "messages": [{"name": "birthday", "on": ["guest_identified"],
                                  "when": {"birthday_within": 1},
                                  "prompt": "День рождения у гостя {name}"}]}}


@asynccontextmanager
async def counter(tmp_path: Path, programme: Programme | None
                  ) -> AsyncIterator[tuple[Any, Till, Any]]:
    """A store with the register applied (VIP's birthday today), a till and a check."""
    today = datetime.now(UTC).strftime("%m-%d")
    plugins: list[Any] = [kassa_pos] if programme is None else [kassa_pos, programme]
    async with make_hub(store_config(today), tmp_path, plugins=plugins) as hub:
        await hub.write_sync(lambda c: apply_package(c, package(1, rows(today)), now=AT))
        till = await Till.open(hub, "till1", catalog=Catalog.of([MILK], [PRICES], site="s1",
                                                                 clock=hub.clock))
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        yield hub, till, check


async def test_with_the_programme_down_the_register_gives_the_group_discount(tmp_path):
    programme = Programme(guests={VIP: ("live-vip", 5000)}, path=tmp_path / "far")
    programme.down = True
    async with counter(tmp_path, programme) as (_hub, till, check):
        found = await till.find_guest(VIP)
        assert found is not None and found.offline and found.balance == 0
        assert found.guest.id == "g-vip" and found.guest.groups == ("vip",)
        assert "бонусы начислить и списать нельзя" in client_register.say("ru", "offline")
        await till.identify(check, found.guest, actor=ANNA, offline=True)
        assert check.discount == 899  # 10 % of 89.90 by the client rule
        assert till.prompts(check) == ["День рождения у гостя Вера Павловна"]
        assert not check.quote_due and await till.requote(check) is None
        with pytest.raises(PayError, match="бонусами сейчас оплатить нельзя"):
            till.payments.plan(check.to_draft(), [Tender(kind="bonus", amount=100, account="a1")],
                               key="k1", now=AT)


async def test_the_live_answer_wins_and_an_unknown_card_falls_back(tmp_path):
    programme = Programme(guests={VIP: ("live-vip", 5000), LOST: ("live-lost", 0)},
                          path=tmp_path / "far")
    async with counter(tmp_path, programme) as (_hub, till, _check):
        found = await till.find_guest(VIP)  # the programme knows it: its guest, its groups
        assert found is not None and not found.offline
        assert found.guest.id == "live-vip" and found.guest.groups == () and found.balance \
            == 5000
        live_lost = await till.find_guest(LOST)  # blocked only in the (older) register
        assert live_lost is not None and live_lost.guest.id == "live-lost"
        plain = await till.find_guest(PLAIN)  # the programme does not know it: the register
        assert plain is not None and plain.offline and plain.guest.id == "g-plain"
        assert await till.find_guest("2770000000999") is None  # nobody has it: to issue


async def test_a_blocked_card_is_refused_and_an_unknown_card_says_so(tmp_path):
    programme = Programme(path=tmp_path / "far")
    programme.down = True
    async with counter(tmp_path, programme) as (_hub, till, check):
        with pytest.raises(UserError, match=r"^Карта …0035 заблокирована в справочнике"):
            await till.find_guest(LOST)
        with pytest.raises(UnknownCard, match=r"^Программа лояльности не отвечает, а карты "
                                              r"…0999 нет в справочнике"):
            await till.find_guest("2770000000999")
        assert check.guest is None


async def test_a_till_without_a_programme_reads_the_register(tmp_path):
    async with counter(tmp_path, None) as (_hub, till, check):
        found = await till.find_guest(VIP)
        assert found is not None and found.offline
        with pytest.raises(UnknownCard, match="нет программы лояльности"):
            await till.find_guest("2770000000999")
        await till.identify(check, found.guest, actor=ANNA, offline=True)
        assert check.discount == 899


async def test_the_guest_panel_shows_a_register_card_and_f2_puts_it_on_the_check(tmp_path):
    from kassa_pos.till.guest import GuestScreen

    from .test_till_guest import find, inside
    from .test_till_screens import Host, settle, text

    programme = Programme(path=tmp_path / "far")
    programme.down = True
    async with counter(tmp_path, programme) as (_hub, till, check):
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, VIP)
            panel = text(app, "#panel")
            assert "Вера Павловна" in panel and "…0011" in panel and VIP not in panel
            assert "бонусы начислить и списать нельзя" in panel and "Бонусы:" not in panel
            inside(app)
            await find(pilot, app, LOST)
            assert "заблокирована в справочнике" in text(app, "#status")
            await find(pilot, app, VIP)
            await pilot.press("f2")
            await settle(pilot, app)
        assert app.result is None  # closed
        assert check.guest is not None and check.guest.id == "g-vip" and check.guest_offline
        assert check.discount == 899
