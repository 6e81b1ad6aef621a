"""Client service at the till against the bonus plugin in a real hub, through the loyalty
contract only: issue, questionnaire with and without consent, groups from extra questions,
balance, block, replace with the balance moved exactly, retries that act once, rights and
the audit trail (masked cards, no personal data)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import kassa_bonus
import kassa_pos
import pytest
from kassa.errors import ConfigError, UserError
from kassa.testing import FakeLoyalty, make_hub
from kassa_bonus.service import service_for
from kassa_pos.engine.client import ClientService, GuestCard, Questionnaire, load_questions
from kassa_pos.engine.rights import AccessDenied, Person, Role

pytestmark = pytest.mark.anyio

CFG = {"sites": [{"code": "s1", "name": "Магазин"}],
       "pos": {"store": "s1", "tills": [{"name": "till1"}],
               "staff": [{"code": "1", "name": "Анна", "role": "cashier"},
                         {"code": "9", "name": "Олег", "role": "manager",
                          "card": "2000000000099", "pin": "4821"}]}}
ANNA = Person("1", "Анна", Role.CASHIER)
OLEG = Person("9", "Олег", Role.MANAGER)
QUESTIONS = load_questions([
    {"id": "kids", "text": "Есть ли у вас дети?", "answers": {"да": "parents", "нет": ""}},
    {"id": "pets", "text": "Кто у вас дома?",
     "answers": {"кошка": "cats", "собака": "dogs", "никого": ""}},
])
CARD, NEW_CARD = "2770000000011", "2770000000028"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Any]:
    async with make_hub(CFG, tmp_path, plugins=[kassa_pos, kassa_bonus]) as h:
        yield h


def desk(hub: Any) -> ClientService:
    return ClientService.of(hub, "till1", questions=QUESTIONS)


async def earn(hub: Any, guest_id: str, points: int) -> None:
    svc = await service_for(hub)
    await svc.ledger.earn("test", f"seed:{guest_id}", await svc.guests.account_of(
        guest_id, "bonus"), points)


async def events(hub: Any, kind: str) -> list[Any]:
    return list(await hub.events(kinds=[kind]))


async def test_issue_a_card_and_show_the_guest(hub: Any) -> None:
    d = desk(hub)
    issued = await d.issue(CARD, "t1-issue-1", ANNA)
    assert isinstance(issued, GuestCard) and issued.balance == 0
    await earn(hub, issued.guest.id, 12345)
    shown = await d.show(CARD)
    assert shown is not None and shown.guest.id == issued.guest.id
    assert shown.balance == 12345
    assert shown.summary() == "Гость без анкеты · бонусов: 123,45"
    assert await d.show("2770000000099") is None
    (ev,) = await events(hub, "pos_card_issued")
    assert ev.data["card"] == "…0011" and CARD not in repr(ev)
    assert (ev.station, ev.employee) == ("till1", "Анна")


async def test_a_retry_with_the_same_key_issues_once(hub: Any) -> None:
    d = desk(hub)
    first = await d.issue(CARD, "t1-issue-1", ANNA)
    again = await d.issue(CARD, "t1-issue-1", ANNA)  # the answer was lost; the till retries
    assert again.guest.id == first.guest.id
    assert len(await events(hub, "pos_card_issued")) == 1
    with pytest.raises(UserError):  # the card is the guest's now
        await d.issue(CARD, "t1-issue-2", ANNA)


async def test_the_questionnaire_with_consent_and_groups_from_answers(hub: Any) -> None:
    d = desk(hub)
    g = (await d.issue(CARD, "k1", ANNA)).guest
    form = Questionnaire(consent=True, name="  Василий   Федорович ", birthday=date(1971, 12, 7),
                         email="vf@example.org", answers={"kids": "да", "pets": "кошка"})
    saved = await d.save(g, form, "k2", ANNA)
    assert saved.guest.consent and saved.guest.name == "Василий Федорович"
    assert (saved.guest.birthday, saved.guest.email) == (date(1971, 12, 7), "vf@example.org")
    assert set(saved.guest.groups) == {"parents", "cats"}
    # a later edit answers one question again: its group changes, the other one stays
    edited = await d.save(saved.guest, Questionnaire(consent=True, answers={"pets": "собака"}),
                          "k3", ANNA)
    assert set(edited.guest.groups) == {"parents", "dogs"}
    assert edited.guest.name == "Василий Федорович"
    shown = await d.show(CARD)
    assert shown is not None and shown.summary() == "Василий Федорович · бонусов: 0,00"
    assert all("Василий" not in repr(e) for e in await hub.events())  # not in the audit


async def test_no_personal_data_without_consent(hub: Any) -> None:
    d = desk(hub)
    g = (await d.issue(CARD, "k1", ANNA)).guest
    with pytest.raises(UserError, match="Без согласия гостя"):
        await d.save(g, Questionnaire(consent=False, name="Василий"), "k2", ANNA)
    with pytest.raises(UserError, match="Без согласия гостя"):
        await d.save(g, Questionnaire(consent=False, answers={"kids": "да"}), "k3", ANNA)
    shown = await d.show(CARD)
    assert shown is not None
    assert (shown.guest.name, shown.guest.groups, shown.guest.consent) == ("", (), False)


async def test_withdrawing_consent_erases_the_questionnaire(hub: Any) -> None:
    d = desk(hub)
    g = (await d.issue(CARD, "k1", ANNA)).guest
    await d.save(g, Questionnaire(consent=True, name="Василий", answers={"kids": "да"}), "k2")
    out = await d.save(g, Questionnaire(consent=False), "k3", ANNA)
    assert (out.guest.name, out.guest.groups, out.guest.consent) == ("", (), False)


@pytest.mark.parametrize(("form", "says"), [
    (Questionnaire(consent=True, answers={"car": "да"}), "нет вопроса «car»"),
    (Questionnaire(consent=True, answers={"kids": "может быть"}),
     "нет ответа «может быть»; варианты: да, нет"),
    (Questionnaire(consent=True, email="vasya at mail"), "не похож на адрес"),
    (Questionnaire(consent=True, name="   "), "Имя"),
    (Questionnaire(consent=True, birthday=date(1850, 1, 1)), "невозможна"),
])
async def test_bad_answers_are_one_sentence_and_store_nothing(hub: Any, form: Questionnaire,
                                                              says: str) -> None:
    d = desk(hub)
    g = (await d.issue(CARD, "k1", ANNA)).guest
    with pytest.raises(UserError, match=says):
        await d.save(g, form, "k2", ANNA)
    shown = await d.show(CARD)
    assert shown is not None and (shown.guest.name, shown.guest.groups) == ("", ())


async def test_block_a_lost_card(hub: Any) -> None:
    d = desk(hub)
    g = (await d.issue(CARD, "k1", ANNA)).guest
    await earn(hub, g.id, 5000)
    with pytest.raises(AccessDenied):  # a cashier may not block
        await d.block(CARD, "потеряна", "k2", ANNA)
    assert (await d.show(CARD)) is not None
    blocked = await d.block(CARD, "потеряна", "k2", ANNA, manager=OLEG)
    assert blocked.balance == 5000
    with pytest.raises(UserError, match="потеряна"):
        await d.show(CARD)
    (ev,) = await events(hub, "pos_card_blocked")
    assert (ev.manager, ev.data["card"], ev.reason) == ("Олег", "…0011", "потеряна")
    assert len(await events(hub, "pos_action_denied")) == 1


async def test_replace_a_card_moves_the_balance_exactly(hub: Any) -> None:
    d = desk(hub)
    g = (await d.issue(CARD, "k1", ANNA)).guest
    await earn(hub, g.id, 98765)
    moved = await d.replace(CARD, NEW_CARD, "k2", OLEG)
    again = await d.replace(CARD, NEW_CARD, "k2", OLEG)  # a retry: one replacement
    assert moved.guest.id == again.guest.id == g.id
    assert moved.balance == again.balance == 98765
    shown = await d.show(NEW_CARD)
    assert shown is not None and shown.guest.id == g.id and shown.balance == 98765
    with pytest.raises(UserError):
        await d.show(CARD)
    assert [e.data["card"] for e in await events(hub, "pos_card_blocked")] == ["…0011"]
    assert [e.data["card"] for e in await events(hub, "pos_card_issued")] == ["…0011", "…0028"]
    with pytest.raises(UserError, match="отличаться"):
        await d.replace(NEW_CARD, NEW_CARD, "k3", OLEG)


async def test_a_programme_without_the_guest_service_is_refused(hub: Any) -> None:
    class IdentifyOnly:
        name = "lime-like"

        async def identify(self, identifier: str) -> None:
            return None

    with pytest.raises(UserError, match="«lime-like» не обслуживает карты"):
        ClientService(IdentifyOnly())


async def test_headless_against_the_core_fake() -> None:
    d = ClientService(FakeLoyalty(), questions=QUESTIONS, locale="en")
    card = await d.issue(CARD, "k1")
    saved = await d.save(card.guest, Questionnaire(consent=True, name="Vasily",
                                                   answers={"kids": "да"}), "k2")
    assert saved.guest.groups == ("parents",)
    assert saved.summary("en") == "Vasily · points: 0.00"
    with pytest.raises(UserError, match="without the guest's consent"):
        await d.save(card.guest, Questionnaire(consent=False, name="V"), "k3")


@pytest.mark.parametrize(("raw", "where"), [
    ([{"id": "kids", "text": "Дети?"}], "pos.questions[0].answers"),
    ([{"id": "kids", "answers": {"да": "p"}}], "pos.questions[0].text"),
    ([{"text": "Дети?", "answers": {"да": "p"}}], "pos.questions[0].id"),
    ([{"id": "a", "text": "?", "answers": {"да": "p"}}, {"id": "a", "text": "?",
                                                         "answers": {"да": "p"}}],
     "pos.questions[1].id"),
    ([{"id": "kids", "text": "Дети?", "answers": {"да": 1}}], "pos.questions[0].answers"),
])
def test_a_broken_question_names_itself_and_the_key(raw: list[Any], where: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_questions(raw)
    assert err.value.path == where and "вопрос анкеты" in str(err.value)
