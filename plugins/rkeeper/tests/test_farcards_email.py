"""findemail and getcardimageex (§3.4) at the FarCards door of a real hub: the e-mail goes to
the routed programmes through ``identify``; images: the protocol's no-image answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from kassa import hookimpl
from kassa.errors import UserError
from kassa.model import Guest, Identifier, IdentifierKind, Order, Posting, Quote
from kassa.testing import make_hub
from kassa_rkeeper.farcards.till import FarCardsTill
from kassa_rkeeper.sim import RKeeperSim

from .farcards_hub import BONUS_CARDS, KEY

pytestmark = pytest.mark.anyio
ANNA = "anna@example.ru"


class MailClub:
    """A programme that keeps guests' e-mails (the bonus plugin does not)."""

    name = "mail-club"

    async def identify(self, identifier: str) -> Guest | None:
        if identifier == "blocked@example.ru":
            raise UserError("карта изъята")
        if identifier.lower() in (ANNA, "5600001"):
            return Guest(id="mc-1", name="Анна Петрова",
                         identifiers=[Identifier(kind=IdentifierKind.PHONE, value="+79110000001"),
                                      Identifier(kind=IdentifierKind.CARD, value="5600001")])
        if identifier == "nocard@example.ru":
            return Guest(id="mc-2", name="Без карты")
        return None

    async def quote(self, order: Order, guest: Guest) -> Quote:
        return Quote(guest_id=guest.id)

    async def commit(self, order: Order, quote: Quote, key: str, spend: int = 0) -> Posting:
        raise UserError("not in this test")

    async def reverse(self, posting: Posting, key: str) -> Posting:
        raise UserError("not in this test")

    @hookimpl
    def register_loyalty_programs(self, hub: Any) -> list[Any]:
        return [self]


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[tuple[Any, str]]:
    import kassa_bonus
    import kassa_rkeeper

    config = {"bonus": {"issue_ranges": [BONUS_CARDS], "schedule_seconds": 0,
                        "webhook_seconds": 0},
              "farcards": {"port": 0, "tills": [{"name": "cash1", "key": KEY}],
                           "routes": [{"cards": [BONUS_CARDS], "program": "bonus"},
                                      {"cards": ["56*"], "program": "mail-club"}]}}
    async with make_hub(config, tmp_path, plugins=[kassa_bonus, kassa_rkeeper,
                                                   MailClub()]) as hub:
        d = hub.state("rkeeper")["farcards"]
        with anyio.fail_after(20):
            await d.listening.wait()
        yield hub, f"http://127.0.0.1:{d.port}/farcards"


async def test_findemail_finds_the_guest_and_its_card_through_the_programme(door):
    _, url = door
    async with FarCardsTill(url, auth=("cash1", KEY)) as t:
        found = await t.find_email("  Anna@Example.ru ")
        assert not isinstance(found, str), found
        account, card, name = found
        assert (card, name) == (5600001, "Анна Петрова") and account > 0
        assert await t.find_email("nobody@example.ru") == "Email not found"  # §3.4's text
        assert await t.find_email("nocard@example.ru") == "Email not found"  # no card to show
        assert "изъята" in str(await t.find_email("blocked@example.ru"))


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two words@example.ru",
                                   "x" * 250 + "@example.ru"])
async def test_findemail_refuses_what_is_not_an_address_in_one_sentence(door, email):
    _, url = door
    async with FarCardsTill(url, auth=("cash1", KEY)) as t:
        text = await t.find_email(email)
        assert isinstance(text, str) and "не принят" in text and "e-mail" in text
        assert t.last is not None and t.last.status_code == 200


async def test_getcardimageex_answers_that_there_is_no_image(door):
    _, url = door
    async with FarCardsTill(url, auth=("cash1", KEY)) as t:
        assert await t.card_image(5600001) == "Изображения карты 5600001 нет"
        assert t.last is not None and t.last.headers["content-type"].startswith("application/xml")
        assert await t.card_image(1234567) == "Карта 1234567 не найдена"  # no route serves it
        refused = await t.card_image("x")
        assert isinstance(refused, str) and "CardCode" in refused
    async with httpx.AsyncClient() as bare:  # without a till key: refused, as every call
        r = await bare.post(f"{url}/getcardimageex", content=b"<ROOT><QRY CardCode='1'/></ROOT>")
        assert r.status_code == 401


async def test_the_till_simulator_looks_up_an_email_and_a_card_image(door):
    _, url = door
    sim = RKeeperSim("r1", rest_code="199990001", notify_url="", farcards_url=f"{url}/{KEY}",
                     start=datetime(2026, 3, 14, 12))
    await sim.start()
    try:
        till = sim.till
        assert till is not None
        found = await till.find_email(ANNA)
        assert found is not None and found[1:] == ("5600001", "Анна Петрова")
        assert await till.find_email("nobody@example.ru") is None
        assert await till.card_image("5600001") is None
        assert till.refusals == ["Email not found", "Изображения карты 5600001 нет"]
    finally:
        await sim.stop()
