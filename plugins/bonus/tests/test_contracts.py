"""The bonus plugin's components against the core's contract suites, as a third party's
would be: its LoyaltyProgram and its bonus AccountPayment inside a real hub, with a guest who
has points."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import kassa_bonus
from kassa.testing import make_hub
from kassa.testing.contracts import (
    AccountPaymentContract,
    GuestServiceContract,
    LoyaltyProgramContract,
)
from kassa_bonus import schema
from kassa_bonus.service import service_for
from sqlalchemy import func, select

PHONE = "+79990000001"
LOST_CARD = "+79990000002"  # a second guest's phone, blocked: identify must refuse it
FUNDS = 10000


class InHub:
    """A bonus component in a hub of its own for one test: ``start`` runs the hub and gives
    the guest ``FUNDS`` points; the probes count postings and lose an answer after acting."""

    def __init__(self, tmp_path: Path, pick: Any) -> None:
        self.tmp_path, self.pick = tmp_path, pick
        self.inner: Any = None
        self.hub: Any = None
        self.drop_answers = 0
        self._stack = AsyncExitStack()

    @property
    def name(self) -> str:
        return str(self.inner.name)

    async def start(self) -> None:
        self.hub = await self._stack.enter_async_context(
            make_hub({"sites": [{"code": "s1"}]}, self.tmp_path / "hub", plugins=[kassa_bonus]))
        self.inner = self.pick(self.hub)
        svc = await service_for(self.hub)
        g = await svc.register("test", "g1", name="Анна", phone=PHONE)
        await svc.ledger.earn("test", "seed", await svc.guests.account_of(g.guest, "bonus"),
                              FUNDS)
        await svc.register("test", "g2", name="Борис", phone=LOST_CARD)
        await svc.guests.block("test", "b2", "phone", LOST_CARD, "phone lost")

    async def stop(self) -> None:
        await self._stack.aclose()

    async def effects(self) -> int:
        svc = await service_for(self.hub)
        async with svc.store.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(
                schema.posting))).scalar() or 0)

    def __getattr__(self, member: str) -> Any:
        fn = getattr(self.inner, member)
        if not callable(fn) or member in ("lookup", "balance", "identify", "quote"):
            return fn

        async def call(*args: Any, **kw: Any) -> Any:
            result = await fn(*args, **kw)
            if self.drop_answers:  # it happened, but the answer never reached the core
                self.drop_answers -= 1
                raise ConnectionResetError("the answer was lost")
            return result

        return call


class TestBonusAccountPayment(AccountPaymentContract):
    account = PHONE
    funds = FUNDS

    @staticmethod
    def make_method(tmp_path: Path) -> InHub:
        return InHub(tmp_path, lambda hub: kassa_bonus.register_payment_methods(hub)[0])


class TestBonusProgram(LoyaltyProgramContract):
    identifier = PHONE
    blocked_identifier = LOST_CARD

    @staticmethod
    def make_program(tmp_path: Path) -> InHub:
        return InHub(tmp_path, lambda hub: kassa_bonus.register_loyalty_programs(hub)[0])


class GuestsInHub(InHub):
    """GuestService's members spelled out: from Python 3.12 ``isinstance`` on a runtime
    protocol looks members up statically, so ``__getattr__`` alone does not count."""

    async def issue_card(self, *args: Any, **kw: Any) -> Any:
        return await self.__getattr__("issue_card")(*args, **kw)

    async def update_guest(self, *args: Any, **kw: Any) -> Any:
        return await self.__getattr__("update_guest")(*args, **kw)

    async def block_card(self, *args: Any, **kw: Any) -> Any:
        return await self.__getattr__("block_card")(*args, **kw)

    async def replace_card(self, *args: Any, **kw: Any) -> Any:
        return await self.__getattr__("replace_card")(*args, **kw)

    async def balance(self, *args: Any, **kw: Any) -> Any:
        return await self.inner.balance(*args, **kw)


class TestBonusGuestService(GuestServiceContract):
    """Issue, questionnaire, block and replace through the bonus engine in a real hub."""

    @staticmethod
    def make_service(tmp_path: Path) -> InHub:
        return GuestsInHub(tmp_path,
                           lambda hub: kassa_bonus.register_loyalty_programs(hub)[0])
