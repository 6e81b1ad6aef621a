"""The simulator as a loyalty system's till (FarCards-HTTP, protocols/rkeeper.md §3.4).

The loyalty server here is a strict double written from the protocol notes (it refuses what a
real one would: non-UTF-8, missing attributes, a spend above the balance, a replayed check
posted twice); the end-to-end run against Kassa's own loyalty engine lives in the bonus
plugin's tests (plugins never import each other).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from kassa_rkeeper import httpserve
from kassa_rkeeper.sim import FARCARDS_ENV

from .conftest import child, running

pytestmark = pytest.mark.anyio


class LoyaltyDouble:
    """Cards: {number: balance in kopecks}; ``blocked``: {number: reason}."""

    def __init__(self, cards: dict[str, int], blocked: dict[str, str] | None = None) -> None:
        self.cards, self.blocked = dict(cards), dict(blocked or {})
        self.checks: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        self.requests: list[tuple[str, ET.Element]] = []
        self.lose_next = 0  # post, then answer 503 this many times (the answer is lost)

    async def __call__(self, req: httpserve.Request) -> httpserve.Response:
        try:
            root = ET.fromstring(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ET.ParseError) as exc:
            return httpserve.Response(400, f"not UTF-8 XML: {exc}".encode())
        self.requests.append((req.path, root))
        if req.path == "/farcards/getcardinfoex":
            return self.card_info(root)
        if req.path == "/farcards/transactionsex":
            answer = self.transactions(root)
            if self.lose_next:
                self.lose_next -= 1
                return httpserve.Response(503, b"gateway timeout")
            return answer
        return httpserve.Response(404, b"no such path")

    def card_info(self, root: ET.Element) -> httpserve.Response:
        qry = root.find("QRY")
        assert root.tag == "ROOT" and qry is not None
        card = qry.attrib["Card"]
        int(qry.attrib["Restaurant"]), int(qry.attrib["UnitNo"])  # DWORDs: numbers or a 400
        check = qry.find("INPBUF/CHECK")
        assert check is not None
        assert child(check, "EXTINFO/INTERFACES/INTERFACE/HOLDERS/ITEM").get("cardcode") == card
        total = sum(int(float(ln.attrib["sum"]) * 100) for ln in check.iter("LINE"))
        if card in self.blocked:
            return _xml(f'<Root><GetCardInfoEx Result="0" Locked="1" '
                        f'WhyLock="{self.blocked[card]}" Holder="x"/></Root>')
        if card not in self.cards:
            return _xml('<Root><GetCardInfoEx Result="1"/></Root>')
        summa = min(self.cards[card], total // 2)
        return _xml(f'<Root><GetCardInfoEx Result="0" Deleted="0" Seize="0" StopDate="0" '
                    f'Holy="0" Manager="0" Locked="0" WhyLock="" Holder="Гость {card}" '
                    f'Bonus="1" Discount="3" Summa="{summa}" ScrMessage="Баланс"/></Root>')

    def transactions(self, root: ET.Element) -> httpserve.Response:
        items = root.findall("Transactions/TransactionsEx")
        assert items and root.find("InpBuf/CHECK") is not None
        key = tuple(items[0].get(a, "") for a in ("Restaurant", "RKDate", "RKUnit", "RKCheck"))
        moves = [(int(t.attrib["Kind"]), int(t.attrib["Summa"])) for t in items]
        card = items[0].attrib["Card"]
        if key in self.checks:  # a retried batch: acknowledged, never posted twice
            return _xml('<Root><TransactionsEx Result="0"/></Root>')
        if any((k == 0 and s > 0) or (k == 2 and s < 0) for k, s in moves):
            return httpserve.Response(400, b"this double takes no cancellations")
        spent = -sum(s for k, s in moves if k == 0)  # Kind 0 payment: -amount
        if card not in self.cards or spent > self.cards[card]:
            return _xml('<Root><TransactionsEx Result="1"/><TRRESPONSE error_code="157" '
                        'err_text="Недостаточно баллов на счёте"/></Root>')
        self.cards[card] += sum(s for k, s in moves if k in (0, 2))
        self.checks[key] = moves
        return _xml('<Root><TransactionsEx Result="0"/><TRRESPONSE error_code="0" '
                    'err_text="no error"/></Root>')


def _xml(text: str) -> httpserve.Response:
    return httpserve.Response(200, ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode())


@pytest.fixture
def double(monkeypatch: Any) -> Any:
    """Start a loyalty double and point the simulator's till at it (its own setting, the
    environment variable the demo uses), then run the simulator as every other test does."""

    @asynccontextmanager
    async def start(cards: list[str], loyalty: LoyaltyDouble) -> AsyncIterator[Any]:
        async with httpserve.serve(loyalty) as port:
            monkeypatch.setenv(FARCARDS_ENV, f"http://127.0.0.1:{port}/farcards")
            async with running(seed=77) as (sim, _, got):
                assert sim.till is not None
                sim.till.cards = cards
                # guests pay with points when they can
                monkeypatch.setattr(sim.till.rng, "random", lambda: 0.0)
                yield sim, got

    return start


async def test_a_known_card_pays_with_points_and_accrues_at_close(double):
    loyalty = LoyaltyDouble({"7788010": 100000})
    async with double(["7788010"], loyalty) as (sim, got):
        till = sim.till
        check = await till.visit()
        assert check is not None and not check.bill
        paths = [p for p, _ in loyalty.requests]
        assert paths == ["/farcards/getcardinfoex", "/farcards/transactionsex"]
        moves = dict(next(iter(loyalty.checks.values())))
        pay, disc, bonus = -moves[0], -moves[1], moves[2]
        assert pay > 0 and disc > 0 and bonus == (check.amount - pay) * 5 // 100
        assert dict(check.pays) == {3: pay, **({2: check.amount - pay}
                                              if check.amount > pay else {})}
        assert loyalty.cards["7788010"] == 100000 - pay + bonus
        tr = child(loyalty.requests[1][1], "Transactions/TransactionsEx")
        assert tr.get("RKCheck") == str(check.checknum) and tr.get("Restaurant") == "199990077"
        await got.wait_for("loyalty_discount_added")
        await got.wait_for("check_closed")
        assert not got.of("loyalty_discount_removed") and till.refusals == []


async def test_unknown_and_blocked_cards_are_refused_as_the_till_shows_them(double):
    loyalty = LoyaltyDouble({}, blocked={"7788011": "Карта утеряна"})
    async with double(["1234567"], loyalty) as (sim, got):
        await sim.till.visit()
        sim.till.cards = ["7788011"]
        await sim.till.visit()
        assert sim.till.refusals == ["Карта не найдена", "Карта утеряна"]
        assert [p for p, _ in loyalty.requests] == ["/farcards/getcardinfoex"] * 2
        removed = await got.wait_for("loyalty_discount_removed", 2)
        assert {e.data["card"] for e in removed} == {"1234567", "7788011"}
        await got.wait_for("check_closed", 2)  # paid in money, without the card


async def test_a_lost_answer_is_retried_and_posts_once(double):
    loyalty = LoyaltyDouble({"7788012": 50000})
    async with double(["7788012"], loyalty) as (sim, _):
        order = await swiped(sim, "7788012")
        loyalty.lose_next = 1  # posted, but the answer never reaches the till
        check = await sim.till.close(order, KASSA, CASHIER)
        sent = [r for p, r in loyalty.requests if p.endswith("transactionsex")]
        assert len(sent) == 2 and ET.tostring(sent[0]) == ET.tostring(sent[1])  # same batch
        assert len(loyalty.checks) == 1 and sim.till.posted == 1 and sim.till.refusals == []
        assert 3 in dict(check.pays)


async def test_a_refused_batch_takes_the_card_off_and_the_check_is_paid_in_money(double):
    loyalty = LoyaltyDouble({"7788013": 50000})
    async with double(["7788013"], loyalty) as (sim, got):
        order = await swiped(sim, "7788013")
        loyalty.cards["7788013"] = 0  # spent elsewhere since the swipe
        check = await sim.till.close(order, KASSA, CASHIER)
        assert sim.till.refusals == ["Недостаточно баллов на счёте"]
        assert dict(check.pays) == {2: check.amount} and loyalty.checks == {}
        await got.wait_for("loyalty_discount_removed")


KASSA, CASHIER = 15001, 21


async def swiped(sim: Any, card: str) -> Any:
    """An order with a dish, saved, and ``card`` applied (accepted)."""
    r = sim.rest
    order = r.open_order(5, 11, KASSA)
    r.add_draft(order, 1002, 2000)
    r.save(order, KASSA)
    assert await sim.till.apply_card(order, card, KASSA) is not None
    return order
