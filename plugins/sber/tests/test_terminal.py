"""The driver over the real transport: each UPOS code to its error, a garbled ``e``, a hung
sb_pilot, suspend / commit / rollback, the close of day, and a till that dies between the
bank's approval and the journal's record of it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from kassa.errors import Permanent, RetryLater
from kassa.journal import Journal, OutcomeUnknown
from kassa.model import CardOperation, CardResult, Health
from kassa.store import Store
from kassa_sber import sim_tape
from kassa_sber.terminal import SberTerminal

from .conftest import make

pytestmark = pytest.mark.anyio


async def test_purchase_maps_the_auth_answer(terminal: SberTerminal) -> None:
    r = await terminal.purchase(15000, key="k1")
    assert r.approved and r.rcode == "00" and r.amount == 15000 and not r.suspended
    assert r.rrn and len(r.rrn) == 12 and r.auth_code and len(r.auth_code) == 6
    assert r.card_mask == "427600******0019" and r.card_type == "VISA"
    assert r.terminal_id == "00340001" and r.txn_at is not None and r.txn_number == "1"
    assert "ОДОБРЕНО" in r.slip and "\r" not in r.slip


@pytest.mark.parametrize(("line", "rcode", "words"), [
    ("decline 51 НЕТ СРЕДСТВ", "51", ("НЕТ СРЕДСТВ", "банк отказал", "51")),
    ("cancel", "2000", ("ОТМЕНА", "2000")),
    ("timeout", "2002", ("ПИН", "2002")),
])
async def test_refusals_are_answers_with_a_russian_text(terminal: SberTerminal, line: str,
                                                         rcode: str,
                                                         words: tuple[str, ...]) -> None:
    from kassa_sber.sim import command

    command(terminal.work_dir, line)
    r = await terminal.purchase(500, key="k1")
    assert not r.approved and r.rcode == rcode and r.message
    for w in words:
        assert w in r.message
    assert sim_tape.charges(terminal.work_dir) == 0


async def test_no_link_is_retry_later_and_looked_up_as_nothing(terminal: SberTerminal) -> None:
    from kassa_sber.sim import command

    command(terminal.work_dir, "nolink")
    with pytest.raises(RetryLater, match="нет связи с банком"):
        await terminal.purchase(500, key="k1")
    assert await terminal.lookup("k1") is None
    assert (await terminal.purchase(500, key="k1")).approved


async def test_bad_parameters_and_4140_are_permanent(terminal: SberTerminal) -> None:
    with pytest.raises(Permanent, match="4300"):
        await terminal._card("k0", CardOperation.PURCHASE, 1, None, "1")  # no amount given
    p = await terminal.purchase(1000, key="k1")
    wrong = CardResult(operation=CardOperation.PURCHASE, approved=True, amount=999, key="k1",
                       auth_code=p.auth_code, rrn=p.rrn)
    with pytest.raises(Permanent, match="4140"):
        await terminal.commit(wrong, key="c1")


async def test_a_missing_program_is_permanent(tmp_path: Path) -> None:
    t = make(tmp_path / "t", pilot=[str(tmp_path / "no-such-sb_pilot")])
    with pytest.raises(Permanent, match="cannot start"):
        await t.purchase(100, key="k1")


async def test_garbage_in_e_is_one_message_an_unhealthy_terminal_and_no_double_charge(
        terminal: SberTerminal, tmp_path: Path) -> None:
    from kassa_sber.sim import command

    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    await store.prepare()
    journal = Journal(store, now=lambda: datetime.now(UTC))

    async def buy() -> CardResult:
        return await journal.run("k1", component=terminal.name, concern="payment",
                                 kind="purchase", site="s1", station=None,
                                 request={"amount": 700}, lookup=terminal.lookup,
                                 call=lambda: terminal.purchase(700, key="k1"),
                                 result_type=CardResult)
    try:
        command(terminal.work_dir, "garbage")
        with pytest.raises(OutcomeUnknown) as err:
            await buy()
        cause = str(err.value.__cause__)
        assert "файл результата e не читается" in cause and "\n" not in cause
        st = terminal.status()
        assert st.health is Health.DOWN and st.message == cause
        r = await buy()  # the journal asks lookup: the control tape has the approval
        assert r.approved and r.amount == 700
        assert sim_tape.charges(terminal.work_dir) == 1
        assert terminal.status().health is Health.OK
    finally:
        await store.close()


@pytest.mark.parametrize("wrapped", [False, True])
async def test_a_hung_sb_pilot_is_killed_and_reconciled(tmp_path: Path, wrapped: bool) -> None:
    """Wrapped: sb_pilot as the child of a shell (as under Wine or SSH); the whole group is
    killed, else the orphan would keep the terminal and lookup would wait for it."""
    from kassa_sber.sim import command, emulator_argv

    wrapper = ["sh", "-c", '"$@"; exit $?', "sh"] if wrapped else []
    t = make(tmp_path / "t", timeout=1.0, pilot=[*wrapper, *emulator_argv()])
    command(t.work_dir, "approve-hang")
    with pytest.raises(Exception, match="не ответил за 1 с"):
        await t.purchase(900, key="k1")
    assert t.status().health is Health.DOWN
    found = await t.lookup("k1")
    assert found is not None and found.approved and found.amount == 900
    assert sim_tape.charges(t.work_dir) == 1


async def test_suspend_then_commit_or_rollback(tmp_path: Path) -> None:
    t = make(tmp_path / "t", suspend=True)
    p = await t.purchase(1000, key="p1")
    assert p.approved and p.suspended
    c = await t.commit(p, key="c1")
    assert c.approved and c.operation is CardOperation.COMMIT and c.rrn == p.rrn
    p2 = await t.purchase(2000, key="p2")
    rb = await t.rollback(p2, key="r1")
    assert rb.approved and rb.operation is CardOperation.ROLLBACK
    states = [r["state"] for r in sim_tape.load(t.work_dir)["tape"]]
    assert states == ["committed", "rolled_back"]
    assert sim_tape.charges(t.work_dir) == 1
    assert (await t.lookup("c1")) == c and (await t.lookup("r1")) == rb


async def test_a_till_dead_before_commit_loses_the_payment_at_the_next_session(
        tmp_path: Path) -> None:
    t = make(tmp_path / "t", suspend=True)
    p = await t.purchase(1000, key="p1")
    t2 = make(tmp_path / "t", suspend=True)  # restarted; the receipt never printed
    await t2.purchase(500, key="p2")  # a session with the bank: p1 is cancelled there
    with pytest.raises(Permanent, match="4140"):
        await t2.commit(p, key="c1")
    assert sim_tape.charges(t.work_dir) == 1, "only p2 is charged"


async def test_cancel_refund_and_the_close_of_day(terminal: SberTerminal) -> None:
    p = await terminal.purchase(1000, key="p1")
    c = await terminal.cancel(p, key="c1")
    assert c.approved and c.operation is CardOperation.CANCEL and "ОТМЕНА" in c.slip
    p2 = await terminal.purchase(3000, key="p2")
    r = await terminal.refund(1000, p2, key="r1")
    assert r.approved and "ВОЗВРАТ" in r.slip
    p3 = await terminal.purchase(1500, key="p3")
    rec = await terminal.reconcile(key="z1")
    assert "СВЕРКА ИТОГОВ" in rec.slip and rec.terminal_id == "00340001"
    totals = {t.operation: (t.count, t.amount) for t in rec.totals}
    assert totals == {"purchase": (3, 5500), "refund": (2, 2000)}
    late = await terminal.cancel(p3, key="c3")  # the next batch: the bank makes it a refund
    assert late.approved and "ВОЗВРАТ" in late.slip
    over = await terminal.cancel(p2, key="c2")  # 1000 of 3000 already returned
    assert not over.approved and over.rcode == "13"


async def test_kill_after_approve_restart_lookup_finds_it(tmp_path: Path) -> None:
    """The till process dies while sb_pilot has the approval on the tape and before the
    journal saw the answer; a new process (new terminal object, same folder and database)
    runs the same key: the journal's lookup finds the approval, the card is charged once."""
    from kassa_sber.sim import command

    db = f"sqlite+aiosqlite:///{tmp_path / 'j.db'}"
    work = tmp_path / "t"

    async def attempt(t: SberTerminal) -> CardResult:
        store = Store(db)
        await store.prepare()
        try:
            journal = Journal(store, now=lambda: datetime.now(UTC))
            await journal.recover()
            return await journal.run("k1", component=t.name, concern="payment",
                                     kind="purchase", site="s1", station=None,
                                     request={"amount": 4200}, lookup=t.lookup,
                                     call=lambda: t.purchase(4200, key="k1"),
                                     result_type=CardResult)
        finally:
            await store.close()

    first = make(work)
    command(work, "approve-hang")  # approved and on the tape; the answer never comes
    with anyio.move_on_after(1.5):
        await attempt(first)
    assert sim_tape.charges(work) == 1
    r = await attempt(make(work))  # the restart
    assert r.approved and r.amount == 4200 and "контрольной ленте" in r.slip
    assert sim_tape.charges(work) == 1, "no double charge"
    assert (await attempt(make(work))) == r


async def test_two_terminals_per_till_keep_their_own_folders(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", name="sber-a"), make(tmp_path / "b", name="sber-b")
    await a.start()
    await b.start()
    ra, rb = await a.purchase(100, key="x"), await b.purchase(200, key="x")
    assert ra.amount == 100 and rb.amount == 200
    assert sim_tape.charges(a.work_dir) == 1 and sim_tape.charges(b.work_dir) == 1
    assert (await a.lookup("x")) == ra and (await b.lookup("x")) == rb


async def test_start_fails_while_the_pinpad_is_off(terminal: SberTerminal) -> None:
    from kassa_sber.sim import command

    command(terminal.work_dir, "pinpad off")
    with pytest.raises(RetryLater, match="пинпад"):
        await terminal.start()


async def test_lookup_of_a_suspended_purchase_the_bank_then_cancelled(tmp_path: Path) -> None:
    t = make(tmp_path / "t", suspend=True)
    await t.purchase(1000, key="p1")
    intents = t.work_dir / "kassa-intents.jsonl"
    lines = intents.read_text().splitlines()
    intents.write_text("\n".join(lines[:-1]) + "\n")  # the till died before the answer's line
    t2 = make(tmp_path / "t", suspend=True)
    await t2.purchase(500, key="p2")  # the next bank session cancels p1
    found = await t2.lookup("p1")
    assert found is not None and not found.approved and not found.suspended
    assert found.message == "Терминал sber-1: подвешенная оплата отменена банком при сеансе связи."


async def test_english_refusals(tmp_path: Path) -> None:
    from kassa_sber.sim import command

    t = make(tmp_path / "t", locale="en")
    command(t.work_dir, "decline 05")
    r = await t.purchase(100, key="k")
    assert r.message == "ОТКАЗ. Terminal sber-1: the bank declined (response code 05) (UPOS 4405)."


async def test_check_asks_the_pinpad_now(terminal: SberTerminal) -> None:
    from kassa_sber.sim import command

    await terminal.start()
    assert (await terminal.check()).health is Health.OK
    command(terminal.work_dir, "pinpad off")
    st = await terminal.check()
    assert st.health is Health.DOWN and "пинпад" in (st.message or "")
    assert terminal.status() == st  # what the console shows until the next answer
    command(terminal.work_dir, "pinpad on")
    assert (await terminal.check()).health is Health.OK
    assert sim_tape.charges(terminal.work_dir) == 0  # a status request charges nothing
