"""The till's guest panel and client service screen driven by keys (Textual's Pilot) against
a real ``Till`` on a running hub with the bonus plugin as the loyalty programme: a known card
shows the guest and F2 puts them on the check, an unknown card is issued, the questionnaire
refused without consent (what was typed stays) and saved with it (an extra question's answer
puts the guest in a group), a lost card blocked with a reason (a manager confirms), a card
replaced with the balance moved, a blocked card's sentence, a till without a programme."""

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
from kassa.testing import make_hub
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.client import Questionnaire
from kassa_pos.engine.till import Till
from kassa_pos.till.ask import AskScreen, PickScreen
from kassa_pos.till.confirm import ConfirmScreen
from kassa_pos.till.guest import GuestScreen
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
