"""The contract suites pass on the reference fakes and CATCH broken implementations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from kassa.errors import Permanent, RetryLater
from kassa.model import Delivery, Event
from kassa.testing import CaptureChannel, ScriptedSource
from kassa.testing.contracts import (
    AccountPaymentContract,
    CardTerminalContract,
    ChannelContract,
    EventSourceContract,
    FiscalDeviceContract,
    GuestServiceContract,
    LoyaltyProgramContract,
    PrinterContract,
    ScaleContract,
)
from kassa.testing.fakes import (
    FakeAccount,
    FakeLoyalty,
    FakePrinter,
    FakeRegister,
    FakeScale,
    FakeTerminal,
)

pytestmark = pytest.mark.anyio


class TestFakeRegister(FiscalDeviceContract):
    make_device = staticmethod(FakeRegister)


class TestFakeTerminal(CardTerminalContract):
    make_terminal = staticmethod(FakeTerminal)


class TestFakeSuspendingTerminal(CardTerminalContract):
    make_terminal = staticmethod(lambda: FakeTerminal(suspend=True))


class TestFakeAccount(AccountPaymentContract):
    make_method = staticmethod(lambda: FakeAccount(balances={"contract-account": 10000}))


class TestFakePrinter(PrinterContract):
    make_device = staticmethod(FakePrinter)


class TestFakeEscPosPrinter(PrinterContract):
    """A printer with no job log: lookup answers None."""

    make_device = staticmethod(lambda: FakePrinter(remembers=False))


class TestFakeScale(ScaleContract):
    make_device = staticmethod(lambda: FakeScale(curve=["0.512", "0.512"]))


# --- broken implementations: the suites must fail on each -------------------------------
class ForgetfulRegister(FakeRegister):
    """Keeps no record by key: after a lost answer the core would print again."""

    async def lookup(self, key):
        return None


class VendorErrorRegister(FakeRegister):
    """Raises its own exception types instead of kassa.errors."""

    async def open_shift(self, cashier, key):
        if (await self.status()).shift_open:
            raise RuntimeError("E0x44: shift already open")
        return await super().open_shift(cashier, key)

    async def receipt(self, receipt, key):
        if not (await self.status()).shift_open:
            raise RuntimeError("E0x16: shift closed")
        return await super().receipt(receipt, key)


class DoubleTerminal(FakeTerminal):
    """Looks a purchase up under the wrong key: a retry charges the card again."""

    async def lookup(self, key):
        return await super().lookup(key + "-x")


class SelfDedupingPrinter(FakePrinter):
    """Prints a second copy whenever a job is retried (and says it did not print)."""

    async def lookup(self, key):
        return False


class ChargingDecline(FakeTerminal):
    """Moves money even when it reports a decline."""

    def effects(self, kind=None):
        return len(self.far.effects(kind))


class LookupRaises(FakeAccount):
    async def lookup(self, key):
        raise Permanent("no such operation")


async def fails(suite: type, test: str, tmp_path, exc: type = AssertionError) -> None:
    """The suite's test fails with ``exc`` (a skip would not count: it propagates)."""
    with pytest.raises(exc):
        await getattr(suite(), test)(tmp_path)


async def test_contract_catches_a_register_that_forgets_what_it_printed(tmp_path):
    class Suite(FiscalDeviceContract):
        make_device = staticmethod(ForgetfulRegister)

    await fails(Suite, "test_lost_answer_is_reconciled_without_a_second_receipt", tmp_path)
    await fails(Suite, "test_lookup_finds_what_was_done", tmp_path / "b")


async def test_contract_catches_vendor_errors(tmp_path):
    class Suite(FiscalDeviceContract):
        make_device = staticmethod(VendorErrorRegister)

    # the journal cannot tell a vendor error from a lost answer: the receipt stays unknown
    with pytest.raises(RetryLater, match="unknown"):
        await Suite().test_receipt_with_the_shift_closed_is_a_user_error(tmp_path)
    await fails(Suite, "test_errors_are_the_shared_ones", tmp_path / "b", pytest.fail.Exception)


async def test_contract_catches_a_terminal_that_charges_twice(tmp_path):
    class Suite(CardTerminalContract):
        make_terminal = staticmethod(DoubleTerminal)

    await fails(Suite, "test_lost_answer_is_reconciled_without_a_second_charge", tmp_path)


async def test_contract_catches_a_decline_that_moves_money(tmp_path):
    class Suite(CardTerminalContract):
        make_terminal = staticmethod(ChargingDecline)

    await fails(Suite, "test_a_decline_is_an_answer_with_the_banks_text", tmp_path)


async def test_contract_catches_a_printer_that_prints_twice(tmp_path):
    class Suite(PrinterContract):
        make_device = staticmethod(SelfDedupingPrinter)

    await fails(Suite, "test_lost_answer_never_prints_twice", tmp_path)


async def test_contract_catches_a_lookup_that_raises_for_an_unknown_key(tmp_path):
    class Suite(AccountPaymentContract):
        make_method = staticmethod(lambda: LookupRaises(balances={"contract-account": 10000}))

    with pytest.raises(Permanent):
        await Suite().test_lookup_finds_what_was_done_and_none_otherwise(tmp_path)


class TestFakeLoyalty(LoyaltyProgramContract):
    make_program = staticmethod(lambda: FakeLoyalty(guests={"+79990000001": ("g1", 5000)},
                                                    blocked={"+79990000666": "lost card"}))
    blocked_identifier = "+79990000666"


class NonIdempotentLoyalty(FakeLoyalty):
    """Posts again on every retry (keeps no key with the posting)."""

    async def commit(self, order, quote, key, spend=0):
        return await super().commit(order, quote, f"{key}:{self.effects()}", spend)


async def test_contract_catches_a_loyalty_programme_that_posts_twice(tmp_path):
    class Suite(LoyaltyProgramContract):
        make_program = staticmethod(lambda: NonIdempotentLoyalty(
            guests={"+79990000001": ("g1", 5000)}))

    await fails(Suite, "test_commit_twice_with_one_key_posts_once", tmp_path)


# --- channels and sources -----------------------------------------------------------------
class TestCaptureChannel(ChannelContract):
    make_channel = staticmethod(CaptureChannel)


def _events(n: int = 3) -> list[Event]:
    at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    return [Event.of(site="s1", kind="check_deleted", source_key=f"guid-{i}",
                     occurred_at=at + timedelta(minutes=i)) for i in range(n)]


class TestScriptedSource(EventSourceContract):
    make_source = staticmethod(lambda: ScriptedSource(_events()))
    expected = 3


class NaiveTimeChannel(CaptureChannel):
    async def send(self, message):
        d = await super().send(message)
        return Delivery(remote_id=d.remote_id, sent_at=datetime(2026, 3, 2, 12, 0))


class FreshKeySource(ScriptedSource):
    """Makes up a new source_key on every run: a redelivered fact would be kept twice."""

    async def run(self, emit):
        self.events = [attrs.evolve(e, source_key=uuid.uuid4().hex) for e in self.events]
        await super().run(emit)


async def test_contract_catches_a_channel_with_naive_times(tmp_path):
    class Suite(ChannelContract):
        make_channel = staticmethod(NaiveTimeChannel)

    await fails(Suite, "test_send_answers_a_delivery", tmp_path)


async def test_contract_catches_a_source_with_unstable_keys(tmp_path):
    class Suite(EventSourceContract):
        make_source = staticmethod(lambda: FreshKeySource(_events()))
        expected = 3

    await fails(Suite, "test_a_fact_delivered_again_keeps_its_source_key", tmp_path)


class TestFakeGuestService(GuestServiceContract):
    make_service = staticmethod(lambda: FakeLoyalty(guests={"+79990000001": ("g1", 5000)}))
