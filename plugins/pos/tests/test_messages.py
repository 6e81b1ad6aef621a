"""The message system: every example rule of issue #15, from TOML as a store writes it, fires
when it should and stays quiet otherwise; draw codes stay unique across a restart; a broken
rule is one sentence naming the rule and the key; a plugin adds a condition through the hook."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kassa import hookimpl
from kassa.errors import ConfigError
from kassa.model import Guest, VatRate
from kassa.plugins import Plugins, new_manager
from kassa_pos.engine.catalog import Item, ItemFlag
from kassa_pos.engine.message_rules import load_rules
from kassa_pos.engine.messages import (
    ALPHABET,
    DrawCodes,
    MessageSystem,
    TillEvent,
    TillEventKind,
    TillLine,
    metadata,
)
from kassa_pos.engine.values import LineFlag, SaleLine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

pytestmark = pytest.mark.anyio

RULES = """
[[messages]]
name = "birthday"
on = ["guest_identified"]
when = { birthday_within = 0 }
prompt = "День рождения у гостя {name} — поздравьте!"

[[messages]]
name = "fragile"
on = ["line_added"]
when = { flags = ["fragile"] }
prompt = "Упакуйте этот товар в доп. пакет"

[[messages]]
name = "bag"
on = ["line_added"]
once = true
when = { lines_over = 5 }
prompt = "Предложите пакет"

[[messages]]
name = "card"
on = ["subtotal"]
once = true
when = { total_from = 100000, guest = "none" }
prompt = "Предложите дисконтную или бонусную карту"

[[messages]]
name = "second"
on = ["line_added"]
when = { items = ["4600001"] }
prompt = "Предложите второй товар: {item} — второй за полцены"

[[messages]]
name = "december"
on = ["receipt"]
when = { groups = ["coffee"], date_from = 2026-12-01, date_to = 2026-12-31 }
receipt = "В декабре каждый второй кофе в подарок"

[[messages]]
name = "draw"
on = ["receipt"]
when = { total_from = 50000 }
receipt = "Код розыгрыша: {draw_code}"

[[messages]]
name = "morning"
on = ["receipt"]
when = { time_from = "07:00", time_to = "11:00", weekdays = [1, 2, 3, 4, 5] }
receipt = "Доброе утро! Спасибо за покупку"

[[messages]]
name = "club"
on = ["guest_identified"]
when = { guest_groups = ["vip"] }
prompt = "Гость клуба: {name}"
"""

MONDAY_9 = datetime(2026, 12, 7, 9, 30)  # a Monday
SATURDAY_9 = datetime(2026, 12, 12, 9, 30)
BORN = date(1971, 12, 7)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'till.db'}")
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


def raw_rules(text: str = RULES) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = tomllib.loads(text)["messages"]
    return rules


def system(engine: AsyncEngine, text: str = RULES, **kw: Any) -> MessageSystem:
    return MessageSystem.from_config(raw_rules(text), draws=DrawCodes(engine.begin), **kw)


def line(code: str = "1000", name: str = "Хлеб", *, group: str = "bread",
         flags: tuple[str, ...] = (), amount: int = 5000) -> TillLine:
    return TillLine(code=code, name=name, group=group, flags=frozenset(flags), amount=amount)


def event(kind: TillEventKind, *, lines: tuple[TillLine, ...] = (), at: datetime = MONDAY_9,
          guest: Guest | None = None, check: str = "c1", scanned: TillLine | None = None,
          ) -> TillEvent:
    if scanned is None and kind is TillEventKind.LINE_ADDED and lines:
        scanned = lines[-1]
    return TillEvent(kind=kind, check_id=check, at=at, lines=lines, guest=guest, line=scanned,
                     total=sum(ln.amount for ln in lines))


def names(fired: tuple[Any, ...]) -> list[str]:
    return [f.rule for f in fired]


async def test_birthday_greets_the_guest_by_the_name_as_given(engine: AsyncEngine) -> None:
    ms = system(engine)
    vasya = Guest(id="g1", name="Василий Федорович", birthday=BORN)
    (fired,) = await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=vasya))
    assert fired.prompt == "День рождения у гостя Василий Федорович — поздравьте!"
    day_after = datetime(2026, 12, 8, 9, 30)
    assert await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=vasya, at=day_after,
                                   check="c2")) == ()
    no_birthday = Guest(id="g2", name="Анна")
    assert await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=no_birthday)) == ()


async def test_a_birthday_window_and_29_february(engine: AsyncEngine) -> None:
    text = RULES.replace("birthday_within = 0", "birthday_within = 3")
    ms = system(engine, text)
    leap = Guest(id="g1", name="Ия", birthday=date(2000, 2, 29))
    on_28 = datetime(2027, 3, 2, 12, 0)  # 2027: no 29th; the 28th is 2 days back
    assert names(await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=leap,
                                         at=on_28))) == ["birthday"]
    far = datetime(2027, 3, 4, 12, 0)
    assert await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=leap, at=far,
                                   check="c2")) == ()
    new_year = Guest(id="g2", name="Ян", birthday=date(1990, 1, 1))  # across the year's end
    assert names(await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=new_year,
                                         at=datetime(2026, 12, 30, 12, 0), check="c3"))) \
        == ["birthday"]


async def test_a_fragile_item_prompts_each_time(engine: AsyncEngine) -> None:
    ms = system(engine)
    vase = line("2000", "Ваза", group="home", flags=("fragile",))
    fired = await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=(vase,)))
    assert [f.prompt for f in fired] == ["Упакуйте этот товар в доп. пакет"]
    again = await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=(vase, vase)))
    assert names(again) == ["fragile"]  # a second vase needs packing too
    bread = line()
    assert await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=(vase, bread))) == ()


async def test_the_bag_is_offered_once_past_five_lines(engine: AsyncEngine) -> None:
    ms = system(engine)
    lines: tuple[TillLine, ...] = ()
    seen = []
    for n in range(1, 9):
        lines = (*lines, line(str(n)))
        seen.append(names(await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=lines))))
    assert seen == [[], [], [], [], [], ["bag"], [], []]
    # another check starts afresh; a closed one is forgotten
    await ms.evaluate(event(TillEventKind.CHECK_CLOSED, lines=lines))
    assert names(await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=lines,
                                         check="c2"))) == ["bag"]


async def test_a_big_check_without_a_card_gets_the_card_offer(engine: AsyncEngine) -> None:
    ms = system(engine)
    big = (line(amount=60000), line("2", amount=40000))
    (fired,) = await ms.evaluate(event(TillEventKind.SUBTOTAL, lines=big))
    assert fired.prompt == "Предложите дисконтную или бонусную карту"
    assert await ms.evaluate(event(TillEventKind.SUBTOTAL, lines=big)) == ()  # once
    card = Guest(id="g1")
    assert await ms.evaluate(event(TillEventKind.SUBTOTAL, lines=big, guest=card,
                                   check="c2")) == ()
    small = (line(amount=99999),)
    assert await ms.evaluate(event(TillEventKind.SUBTOTAL, lines=small, check="c3")) == ()


async def test_a_promotion_item_suggests_the_second_one(engine: AsyncEngine) -> None:
    ms = system(engine)
    promo = line("4600001", "Сок яблочный 1 л", group="juice")
    (fired,) = await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=(promo,)))
    assert fired.prompt == "Предложите второй товар: Сок яблочный 1 л — второй за полцены"
    other = line("4600002", "Сок вишнёвый", group="juice")
    # the rule looks at the line just scanned, not at the promotion item already in the check
    assert await ms.evaluate(event(TillEventKind.LINE_ADDED, lines=(promo, other))) == ()


async def test_receipt_texts_by_group_dates_and_time(engine: AsyncEngine) -> None:
    ms = system(engine)
    coffee = line("3000", "Кофе", group="coffee")
    fired = await ms.evaluate(event(TillEventKind.RECEIPT, lines=(coffee,)))
    assert [(f.rule, f.receipt) for f in fired] == [
        ("december", "В декабре каждый второй кофе в подарок"),
        ("morning", "Доброе утро! Спасибо за покупку")]
    assert all(f.prompt == "" for f in fired)
    january = datetime(2027, 1, 4, 9, 30)  # a Monday, after the promotion
    assert names(await ms.evaluate(event(TillEventKind.RECEIPT, lines=(coffee,), at=january,
                                         check="c2"))) == ["morning"]
    assert await ms.evaluate(event(TillEventKind.RECEIPT, lines=(line(),), at=SATURDAY_9,
                                   check="c3")) == ()
    eleven = datetime(2026, 12, 7, 11, 0)  # the window ends before 11:00
    assert await ms.evaluate(event(TillEventKind.RECEIPT, lines=(line(),), at=eleven,
                                   check="c4")) == ()


async def test_a_window_past_midnight(engine: AsyncEngine) -> None:
    text = """
[[messages]]
name = "night"
on = ["receipt"]
when = { time_from = "22:00", time_to = "06:00" }
receipt = "Ночная касса: спасибо!"
"""
    ms = system(engine, text)
    for hour, fires in ((23, True), (2, True), (6, False), (12, False), (21, False)):
        at = datetime(2026, 12, 7, hour, 15)
        assert bool(await ms.evaluate(event(TillEventKind.RECEIPT, at=at,
                                            check=f"c{hour}"))) is fires, hour


async def test_the_guest_groups_condition(engine: AsyncEngine) -> None:
    ms = system(engine)
    vip = Guest(id="g1", name="Ольга", groups=("vip", "pets"))
    assert [f.prompt for f in await ms.evaluate(
        event(TillEventKind.GUEST_IDENTIFIED, guest=vip))] == ["Гость клуба: Ольга"]
    plain = Guest(id="g2", name="Олег", groups=("pets",))
    assert await ms.evaluate(event(TillEventKind.GUEST_IDENTIFIED, guest=plain)) == ()


async def test_draw_codes_are_unique_and_a_reprint_shows_the_same(engine: AsyncEngine
                                                                  ) -> None:
    ms = system(engine)
    big = (line(amount=50000),)
    codes = []
    for n in range(25):
        fired = await ms.evaluate(event(TillEventKind.RECEIPT, lines=big, check=f"c{n}",
                                        at=SATURDAY_9))
        (draw,) = fired
        codes.append(draw.receipt.removeprefix("Код розыгрыша: "))
    assert len(set(codes)) == 25
    assert all(len(c) == 9 and c[4] == "-" and set(c) - {"-"} <= set(ALPHABET) for c in codes)
    reprint = await ms.evaluate(event(TillEventKind.RECEIPT, lines=big, check="c7",
                                      at=SATURDAY_9))
    assert reprint[0].receipt.endswith(codes[7])
    assert await ms.evaluate(event(TillEventKind.RECEIPT, lines=(line(amount=49999),),
                                   check="small", at=SATURDAY_9)) == ()


async def test_draw_codes_stay_unique_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'draws.db'}"
    drawn = iter(["AAAA-AAAA", "BBBB-BBBB", "AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC"])
    first = create_async_engine(url)
    async with first.begin() as conn:
        await conn.run_sync(metadata.create_all)
    draws = DrawCodes(first.begin, generate=lambda: next(drawn))
    assert await draws.issue("draw", "c1", SATURDAY_9) == "AAAA-AAAA"
    assert await draws.issue("draw", "c2", SATURDAY_9) == "BBBB-BBBB"
    await first.dispose()
    # a new process over the same store: the generator repeats itself, the store refuses
    second = create_async_engine(url)
    again = DrawCodes(second.begin, generate=lambda: next(drawn))
    assert await again.issue("draw", "c3", SATURDAY_9) == "CCCC-CCCC"
    assert await again.issue("draw", "c1", SATURDAY_9) == "AAAA-AAAA"  # the same receipt
    stuck = DrawCodes(second.begin, generate=lambda: "AAAA-AAAA", attempts=3)
    with pytest.raises(RuntimeError, match="no free draw code"):
        await stuck.issue("draw", "c4", SATURDAY_9)
    await second.dispose()


def test_a_draw_code_rule_needs_a_store() -> None:
    with pytest.raises(ConfigError, match="draw"):
        MessageSystem.from_config(raw_rules())


@pytest.mark.parametrize(("rule", "where", "says"), [
    ({"name": "bag", "on": ["line_added"], "when": {"lines_over": "пять"}, "prompt": "x"},
     "pos.messages[0].when.lines_over", "ожидается целое число"),
    ({"name": "bag", "on": ["line_added"], "when": {"items": "4600001"}, "prompt": "x"},
     "pos.messages[0].when.items", "ожидается список"),
    ({"name": "bag", "on": ["line_added"], "when": {"time_from": "7 утра"}, "prompt": "x"},
     "pos.messages[0].when.time_from", "ЧЧ:ММ"),
    ({"name": "bag", "on": ["line_added"], "when": {"flags": ["fragil"]}, "prompt": "x"},
     "pos.messages[0].when.flags", "неизвестный признак товара 'fragil'"),
    ({"name": "bag", "on": ["scan"], "prompt": "x"}, "pos.messages[0].on",
     "неизвестное событие 'scan'"),
    ({"name": "bag", "on": ["line_added"], "prompt": "Здравствуйте, {nmae}"},
     "pos.messages[0].prompt", "неизвестная подстановка {nmae}"),
    ({"name": "bag", "on": ["line_added"], "prompt": "{draw_code}"},
     "pos.messages[0].prompt", "только на чеке"),
    ({"name": "bag", "on": ["line_added"]}, "pos.messages[0].prompt", "нужен текст"),
    ({"name": "bag", "on": ["line_added"], "promt": "x"}, "pos.messages[0].promt",
     "неизвестный ключ"),
    ({"name": "bag", "on": ["line_added"], "when": {"weather": 1}, "prompt": "x"},
     "pos.messages[0].when.weather", "неизвестное условие 'weather'"),
    ({"name": "bag", "on": ["line_added"], "when": {"guest": "yes"}, "prompt": "x"},
     "pos.messages[0].when.guest", "\"any\""),
    ({"name": "bag", "on": ["line_added"], "when": {"weekdays": [0]}, "prompt": "x"},
     "pos.messages[0].when.weekdays", "от 1"),
    ({"on": ["line_added"], "prompt": "x"}, "pos.messages[0].name", "нет имени"),
])
def test_a_broken_rule_is_one_sentence_naming_rule_and_key(rule: dict[str, Any], where: str,
                                                           says: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_rules([rule])
    text = str(err.value)
    assert err.value.path == where and says in text
    assert ("«bag»" in text) is ("name" in rule)
    assert text.count("\n") == 0


def test_the_error_reads_in_english_when_asked() -> None:
    with pytest.raises(ConfigError, match="message rule 'bag': expected an integer"):
        load_rules([{"name": "bag", "on": "line_added", "when": {"lines_over": 1.5},
                     "prompt": "x"}], locale="en")


def test_two_rules_with_one_name_are_refused() -> None:
    rule = {"name": "bag", "on": ["line_added"], "prompt": "x"}
    with pytest.raises(ConfigError, match="имя уже занято") as err:
        load_rules([rule, rule])
    assert err.value.path == "pos.messages[1].name"


class Weather:
    """A plugin's condition: the weather a plugin knows (here: a dict it was given)."""

    name = "weather"

    def __init__(self, now: dict[str, str]) -> None:
        self.now = now

    def parse(self, value: Any) -> Any:
        if value not in ("rain", "sun"):
            raise ValueError("погода бывает rain или sun")
        return value

    def matches(self, event: Any, value: Any) -> bool:
        return bool(self.now.get(event.site) == value)


async def test_a_plugin_adds_a_condition_through_the_hook(engine: AsyncEngine) -> None:
    today = {"s1": "rain"}

    class WeatherPlugin:
        @hookimpl
        def register_till_conditions(self) -> list[Any]:
            return [Weather(today)]

    conditions = Plugins(new_manager(entry_points=False,
                                     extra=[WeatherPlugin()])).till_conditions()
    text = """
[[messages]]
name = "umbrella"
on = ["subtotal"]
when = { weather = "rain", total_from = 1000 }
prompt = "Предложите зонт"
"""
    ms = MessageSystem(load_rules(raw_rules(text), conditions), DrawCodes(engine.begin))
    rainy = TillEvent(kind=TillEventKind.SUBTOTAL, check_id="c1", at=MONDAY_9, site="s1",
                      total=5000)
    assert [f.prompt for f in await ms.evaluate(rainy)] == ["Предложите зонт"]
    today["s1"] = "sun"
    assert await ms.evaluate(TillEvent(kind=TillEventKind.SUBTOTAL, check_id="c2",
                                       at=MONDAY_9, site="s1", total=5000)) == ()
    with pytest.raises(ConfigError, match="погода бывает rain или sun") as err:
        load_rules(raw_rules(text.replace('"rain"', '"snow"')), conditions)
    assert err.value.path == "pos.messages[0].when.weather"


def test_a_plugin_condition_may_not_shadow_a_built_in_one() -> None:
    clash = Weather({})
    clash.name = "groups"
    with pytest.raises(ConfigError, match="groups"):
        load_rules([], [clash])


def test_a_sale_line_and_its_item_give_the_rules_their_flags_and_group() -> None:
    item = Item(code="2000", name="Ваза", vat=VatRate.VAT22, group="home",
                flags=ItemFlag.FRAGILE | ItemFlag.AGE_RESTRICTED)
    sale = SaleLine(item_code="2000", name="Ваза", quantity=Decimal(1), price=90000,
                    amount=90000, vat=VatRate.VAT22, flags={LineFlag.MARKED})
    seen = TillLine.of(sale, item)
    assert (seen.group, seen.flags, seen.amount) == (
        "home", frozenset({"fragile", "age_restricted", "marked"}), 90000)
    assert TillLine.of(sale).group == ""


async def test_an_event_from_the_checks_sale_lines(engine: AsyncEngine) -> None:
    vase = Item(code="2000", name="Ваза", vat=VatRate.VAT22, group="home",
                flags=ItemFlag.FRAGILE)
    sales = [SaleLine(item_code=c, name=n, quantity=Decimal(1), price=a, amount=a,
                      vat=VatRate.VAT22) for c, n, a in (("1000", "Хлеб", 5000),
                                                         ("2000", "Ваза", 90000))]
    ev = TillEvent.of(TillEventKind.LINE_ADDED, "c1", sales, at=MONDAY_9, line=1,
                      item={"2000": vase}.get)
    assert ev.total == 95000 and ev.line is not None and ev.line.flags == {"fragile"}
    assert names(await system(engine).evaluate(ev)) == ["fragile"]
    plain = TillEvent.of(TillEventKind.LINE_ADDED, "c2", sales, at=MONDAY_9, line=1)
    assert await system(engine).evaluate(plain) == ()  # no catalog item: no flag known
