"""A payment whose answer is lost after it happened (the journal: outcome unknown) is not
undone: the till is told to close the check again, and the same batch then finds what was
done through the journal and finishes it, posting nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from kassa.model import PaymentResult
from kassa_rkeeper.farcards.till import FarCardsTill, TillCheck, TillLine

from .farcards_hub import FAKE_CARD, KEY, farcards_hub

pytestmark = pytest.mark.anyio


def check() -> TillCheck:
    return TillCheck(cards=[str(FAKE_CARD)], lines=[TillLine("soup", "Борщ", 40000, uni=1)])


async def test_a_lost_capture_answer_is_finished_by_the_retry_not_undone(tmp_path, monkeypatch):
    async with farcards_hub(tmp_path) as (_hub, url, second):
        account: Any = second.account
        original = account.capture
        lost = [True]

        async def capture(payment_id: str, amount: int | None, key: str) -> PaymentResult:
            result: PaymentResult = await original(payment_id, amount, key)
            if lost:  # it happened; the answer never came back
                lost.pop()
                raise ConnectionError("the link dropped before the answer")
            return result

        monkeypatch.setattr(account, "capture", capture)
        async with FarCardsTill(url, auth=("cash1", KEY), restaurant=199990001) as t:
            items = t.items(FAKE_CARD, 61, pay=12000)
            ok, text, _ = await t.transactions(items, check())
            assert not ok and "повторите" in text
            assert await account.balance(str(FAKE_CARD)) == 50000 - 12000, "not voided"
            ok, text, ids = await t.transactions(items, check())  # the cashier closes again
            assert ok, text
            assert len(ids) == 1
            assert await account.balance(str(FAKE_CARD)) == 38000
            assert account.effects("captured") == 1 and account.effects("voided") == 0
