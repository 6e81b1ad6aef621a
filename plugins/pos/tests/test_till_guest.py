"""The till's guest panel and client service screen driven by keys (Textual's Pilot) against
a real ``Till`` on a running hub with the bonus plugin as the loyalty programme: a known card
shows the guest and F2 puts them on the check, an unknown card is issued, the questionnaire
refused without consent (what was typed stays) and saved with it (an extra question's answer
puts the guest in a group), a lost card blocked with a reason (a manager confirms), a card
replaced with the balance moved, a blocked card's sentence, a till without a programme; a
line change drops the quote and the screen and ``Till.pay`` ask again (a late answer for
other lines is dropped), and the bonus is paid from the card's account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import kassa_bonus
import kassa_pos
import pytest
from kassa.errors import UserError
from kassa.model import Identifier, IdentifierKind
from kassa.model.money import format_money
from kassa.testing import make_hub
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.client import Questionnaire
from kassa_pos.engine.till import Till
from kassa_pos.till.ask import AskScreen, PickScreen
from kassa_pos.till.confirm import ConfirmScreen
from kassa_pos.till.guest import GuestScreen
from kassa_pos.till.payment import PaymentScreen
from textual.widgets import Checkbox, Input

from .test_client import CARD, NEW_CARD, earn
from .test_till import ANNA, MILK, OLEG, PRICES
from .test_till_screens import UNSET, Host, settle, text

pytestmark = pytest.mark.anyio

QUESTIONS = [{"id": "kids", "text": "Есть ли у вас дети?",
              "answers": {"да": "parents", "нет": ""}}]
STAFF = [{"code": "1", "name": "Анна", "role": "cashier"},
         {"code": "9", "name": "Олег", "role": "manager", "card": "2000000000099",
          "pin": "4821"}]


def cfg(questions: list[Any]) -> dict[str, Any]:
    return {"sites": [{"code": "s1", "name": "Магазин"}],
            "pos": {"store": "s1", "tills": [{"name": "till1"}], "staff": STAFF,
                    "questions": questions}}


@asynccontextmanager
async def counter(tmp: Path, *, bonus: bool = True) -> AsyncIterator[tuple[Any, Till, Any]]:
    """A hub (with the bonus programme, or without any), its till and an open check."""
    plugins: list[Any] = [kassa_pos, kassa_bonus] if bonus else [kassa_pos]
    async with make_hub(cfg(QUESTIONS), tmp, plugins=plugins) as hub:
        catalog = Catalog.of([MILK], [PRICES], site="s1", clock=hub.clock)
        till = await Till.open(hub, "till1", catalog=catalog)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        yield hub, till, check


async def known(hub: Any, till: Till, points: int = 0) -> Any:
    """A guest with CARD, a questionnaire and ``points``."""
    card = await till.client.issue(CARD, "seed-1", ANNA)
    await till.client.save(card.guest, Questionnaire(consent=True, name="Вера Павловна",
                                                     birthday=date(1980, 3, 8)), "seed-2", ANNA)
    if points:
        await earn(hub, card.guest.id, points)
    return card.guest


async def find(pilot: Any, app: Host, card: str, *, typed: bool = False) -> None:
    """The card typed into the field and Enter, or (quicker) a scanner burst."""
    if typed:
        await pilot.press(*card, "enter")
    else:
        screen: Any = app.screen
        screen.on_scan(card)
    await settle(pilot, app)


def inside(app: Host) -> None:
    """Everything shown fits the 80x24 terminal."""
    for widget in app.screen.query("*"):
        if widget.display and widget.region.area:
            r = widget.region
            assert r.x >= 0 and r.y >= 0 and r.right <= 80 and r.bottom <= 24, widget


async def test_a_known_card_shows_the_guest_and_f2_puts_them_on_the_check(tmp_path) -> None:
    async with counter(tmp_path) as (hub, till, check):
        guest = await known(hub, till, points=12345)
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, CARD)  # a scanner burst, whatever has focus
            panel = text(app, "#panel")
            assert "Вера Павловна" in panel and "…0011" in panel and CARD not in panel
            assert "Бонусы: 123,45" in panel and "08.03.1980" in panel
            inside(app)
            await pilot.press("f2")
            await settle(pilot, app)
        assert app.result is None  # closed
        assert check.guest is not None and check.guest.id == guest.id
        assert check.identifier is not None and check.identifier.value == CARD
        assert check.quote is not None and check.quote.guest_id == guest.id


async def test_a_loyalty_card_scanned_on_the_sale_screen_opens_the_guest_panel(
        tmp_path) -> None:
    """A scan that is no item but a guest's card: the panel opens on it (no extra key)."""
    from kassa_pos.till.layout import default
    from kassa_pos.till.sale import SaleScreen

    from .test_till_app import idle

    async with counter(tmp_path) as (hub, till, check):
        guest = await known(hub, till, points=500)
        app = Host(SaleScreen(till, ANNA, default()))
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            screen: Any = app.screen
            screen.on_scan(CARD)
            await idle(pilot, app)
            assert isinstance(app.screen, GuestScreen)
            assert "Вера Павловна" in str(app.screen.query_one("#panel").render())
            await pilot.press("f2")
            await idle(pilot, app)
            assert "Вера Павловна" in str(app.screen.query_one("#guest").render())
            screen.on_scan("4600000000039")  # neither an item nor a card
            await idle(pilot, app)
            assert "не найден" in str(app.screen.query_one("#status").render())
        assert check.guest is not None and check.guest.id == guest.id


async def test_esc_closes_without_touching_the_check(tmp_path) -> None:
    async with counter(tmp_path) as (hub, till, check):
        await known(hub, till)
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, CARD)
            await pilot.press("escape")
            await pilot.pause()
        assert app.result is None and check.guest is None


async def test_an_unknown_card_is_issued_with_f3(tmp_path) -> None:
    async with counter(tmp_path) as (hub, till, check):
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")  # nothing scanned yet
            assert "ещё никому не выдана" in text(app, "#status")
            await find(pilot, app, CARD, typed=True)
            assert "Карта …0011 никому не выдана" in text(app, "#panel")
            await pilot.press("f3")
            await settle(pilot, app)
            assert "Карта …0011 выдана" in text(app, "#status")
            assert "…0011" in text(app, "#panel") and "Бонусы: 0,00" in text(app, "#panel")
            await pilot.press("f3")  # issued: it is not a stranger's card any more
            assert "ещё никому не выдана" in text(app, "#status")
            assert app.result is UNSET
        shown = await till.client.show(CARD)
        assert shown is not None
        assert len(list(await hub.events(kinds=["pos_card_issued"]))) == 1


async def test_the_questionnaire_needs_consent_and_an_answer_sets_a_group(tmp_path) -> None:
    async with counter(tmp_path) as (_hub, till, check):
        issued = await till.client.issue(CARD, "seed-1", ANNA)
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, CARD)
            await pilot.press("f4")
            await settle(pilot, app)
            assert "Анкета гостя, карта …0011" in text(app, "#form_title")
            assert app.screen.focused is app.screen.query_one("#f_name", Input)
            await pilot.press(*"Вася", "enter", *"31.02", "enter")
            email = app.screen.query_one("#f_email", Input)
            assert app.screen.focused is email
            email.value = "vf@example.org"
            await pilot.press("enter")
            consent = app.screen.focused
            assert isinstance(consent, Checkbox) and consent.id == "f_consent"
            await pilot.press("f9")
            await settle(pilot, app)
            assert "не похоже на дату" in text(app, "#status")
            birthday = app.screen.query_one("#f_birthday", Input)
            birthday.value = "07.12.1971"
            await pilot.press("f9")  # consent not asked yet
            await settle(pilot, app)
            assert "Без согласия гостя" in text(app, "#status")
            assert app.screen.query_one("#f_name", Input).value == "Вася"
            shown = await till.client.show(CARD)
            assert shown is not None and shown.guest.name == ""  # nothing stored
            inside(app)

            await pilot.press("tab", "enter")  # the extra question
            await pilot.pause()
            assert isinstance(app.screen, PickScreen)
            await pilot.press("enter")  # "да" (the first answer)
            await pilot.pause()
            assert "Есть ли у вас дети? — да" in str(
                app.screen.query_one("#f_questions").render_line(0).text)
            await pilot.press("shift+tab", "space", "f9")  # the guest agrees
            await settle(pilot, app)
            assert "Анкета сохранена" in text(app, "#status")
            panel = text(app, "#panel")
            assert "Вася" in panel and "parents" in panel and "07.12.1971" in panel
        shown = await till.client.show(CARD)
        assert shown is not None and shown.guest.id == issued.guest.id
        assert (shown.guest.name, shown.guest.email) == ("Вася", "vf@example.org")
        assert shown.guest.groups == ("parents",) and shown.guest.consent


async def test_a_lost_card_is_blocked_with_a_reason_a_manager_confirms(tmp_path) -> None:
    async with counter(tmp_path) as (hub, till, check):
        await known(hub, till, points=5000)
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, CARD)
            await pilot.press("f5")
            await pilot.pause()
            assert isinstance(app.screen, AskScreen)
            await pilot.press(*"потеряна", "enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)  # a cashier may not block
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            assert "Карта …0011 заблокирована: потеряна" in text(app, "#status")
            await pilot.press("f2")  # the card is gone from the panel
            assert "Сначала сканируйте карту" in text(app, "#status")
        with pytest.raises(UserError, match="потеряна"):
            await till.client.show(CARD)
        (ev,) = await hub.events(kinds=["pos_card_blocked"])
        assert (ev.manager, ev.reason, ev.data["card"]) == (OLEG.name, "потеряна", "…0011")
        assert check.guest is None


async def test_a_replaced_card_carries_the_balance(tmp_path) -> None:
    async with counter(tmp_path) as (hub, till, check):
        guest = await known(hub, till, points=98765)
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, CARD)
            await pilot.press("f6")
            await pilot.pause()
            assert isinstance(app.screen, AskScreen)
            app.screen.query_one(Input).value = NEW_CARD  # what a scanner types there
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            assert "заменена на …0028; бонусы на новой карте: 987,65" in text(app, "#status")
            panel = text(app, "#panel")
            assert "…0028" in panel and "Бонусы: 987,65" in panel
            await pilot.press("f2")
            await settle(pilot, app)
        assert check.identifier is not None and check.identifier.value == NEW_CARD
        shown = await till.client.show(NEW_CARD)
        assert shown is not None and shown.guest.id == guest.id and shown.balance == 98765


async def test_a_blocked_card_says_the_programmes_sentence(tmp_path) -> None:
    async with counter(tmp_path) as (hub, till, check):
        await known(hub, till)
        await till.client.block(CARD, "украдена", "seed-3", OLEG)
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await find(pilot, app, CARD)
            assert "украдена" in text(app, "#status")
            assert "Вера" not in text(app, "#panel")
            await pilot.press("f2", "f4")
            assert "Сначала сканируйте карту" in text(app, "#status")
        assert check.guest is None


async def test_a_till_without_a_loyalty_programme_says_so(tmp_path) -> None:
    async with counter(tmp_path, bonus=False) as (_hub, till, check):
        app = Host(GuestScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "нет программы лояльности" in text(app, "#status")
            await find(pilot, app, CARD, typed=True)
            assert "нет программы лояльности" in text(app, "#status")
            await pilot.press("f3")
            assert app.result is UNSET


async def test_a_line_change_drops_the_quote_and_the_sale_screen_asks_again(tmp_path) -> None:
    """The quote was for other lines: a scan drops it, the screen asks the programme again
    in the background and shows the bonus for the lines the check has now."""
    from kassa_pos.till.layout import default
    from kassa_pos.till.sale import SaleScreen

    from .test_till_app import idle

    async with counter(tmp_path) as (hub, till, check):
        guest = await known(hub, till, points=100000)
        first = await till.client.program.quote(check.to_order(), guest)
        await till.identify(check, guest, actor=ANNA, quote=first)
        app = Host(SaleScreen(till, ANNA, default()))
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            screen: Any = app.screen
            screen.on_scan("4600000000011")  # a second milk
            await idle(pilot, app)
            assert check.quote is not None and len(check.live) == 2
            again = await till.client.program.quote(check.to_order(), guest)
            assert check.quote == again and again != first
            shown = str(app.screen.query_one("#guest").render())
            earn_now = format_money(check.pricing.bonus_earn, "ru")
            assert check.pricing.bonus_earn == again.bonus_earn > first.bonus_earn
            assert f"бонусы: +{earn_now}" in shown


async def test_paying_after_a_line_change_asks_the_programme_first(tmp_path) -> None:
    """Headless: ``Till.pay`` re-asks a quote a line change dropped, so the guest's bonus
    limit is that of the check being paid (asked once: a second pay call keeps it)."""
    from kassa_pos.engine.pay import PayConfig, PayError
    from kassa_pos.engine.values import Tender

    from .test_pay import Components
    from .test_till import CFG, Kit

    kit = Kit(tmp_path)
    plugins = [kassa_pos, kassa_bonus, Components([kit.reg], [kit.card])]
    site: Any = CFG["sites"]
    config = {**CFG, "sites": [{**site[0], "payments": ["bonus"]}]}
    async with make_hub(config, tmp_path, plugins=plugins) as hub:
        catalog = Catalog.of([MILK], [PRICES], site="s1", clock=hub.clock)
        till = await Till.open(hub, "till1", catalog=catalog,
                               config=PayConfig(terminals=("card1",), bonus_method="bonus"))
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        guest = await known(hub, till, points=100000)
        first = await till.client.program.quote(check.to_order(), guest)
        await till.identify(check, guest, actor=ANNA, quote=first,
                            identifier=Identifier(kind=IdentifierKind.CARD, value=CARD))
        await till.scan(check, "4600000000011", actor=ANNA)
        assert check.quote is None
        limit = (await till.client.program.quote(check.to_order(), guest)).bonus_spend_max
        assert limit > first.bonus_spend_max
        with pytest.raises(PayError, match="89,90"):  # the new lines' limit, not none
            await till.pay(check, [Tender(kind="bonus", amount=limit + 1, account=CARD),
                                   Tender(kind="cash", amount=check.total)], actor=ANNA)
        # the payment screen pays the limit from the card's account (the programme knows
        # the guest by the card, not by its own id), the rest in cash
        app = Host(PaymentScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*f"{limit // 100},{limit % 100:02d}", "f5", "f2", "enter")
            await settle(pilot, app)
            await pilot.press("enter")
            await pilot.pause()
        paid: Any = app.result
        assert paid is not UNSET and paid.document.number and kit.reg.effects("receipt") == 1
        assert check.quote is not None and check.quote.bonus_spend_max == limit
        shown = await till.client.show(CARD)
        assert shown is not None and shown.balance == 100000 - limit  # spent from the card


async def test_an_answer_for_lines_the_check_no_longer_has_is_dropped(tmp_path) -> None:
    """The cashier scanned on while the programme was asked: its answer is not kept."""
    async with counter(tmp_path) as (hub, till, check):
        guest = await known(hub, till)
        await till.identify(check, guest, actor=ANNA)

        class Slow:
            async def quote(self, order: Any, g: Any) -> Any:
                await till.scan(check, "4600000000011", actor=ANNA)  # meanwhile
                return await till.client.program.quote(order, g)

        assert await till.book.requote(check, Slow()) is None
        assert check.quote is None and len(check.live) == 2
