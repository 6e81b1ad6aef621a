"""The sb_pilot emulator as a program, checked without our driver: argv in, return code,
IBM866 bytes in ``p`` and ``e`` out (fiscal.md §6.1; kutsoff/pilot_nt.sberbank:doc/Error
Codes and PinPad.Pilot_nt.pas for codes and the suspend / commit / rollback rules)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kassa_sber import sim_tape
from kassa_sber.resultfile import Garbled, load
from kassa_sber.sim import command, emulator_argv


def pilot(folder: Path, *args: str) -> tuple[int, bytes, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    rc = subprocess.run([*emulator_argv(), *args], cwd=folder, timeout=30,
                        stdin=subprocess.DEVNULL, capture_output=True).returncode
    p, e = folder / "p", folder / "e"
    return rc, p.read_bytes() if p.exists() else b"", e.read_bytes() if e.exists() else b""


def test_purchase_writes_an_ibm866_slip_with_the_approval_word(tmp_path: Path) -> None:
    rc, p, e = pilot(tmp_path, "1", "15000")
    assert rc == 0
    assert "ОДОБРЕНО".encode("cp866") in p, "integrators grep the slip for it (§6.1)"
    assert "ОДОБРЕНО".encode() not in p, "IBM866, not UTF-8"
    a = load(e)
    assert (a.error_code, a.ttype, a.amount, a.rcode) == (0, 1, 15000, "00")
    assert len(a.rrn) == 12 and a.rrn.isdigit() and len(a.auth_code) == 6
    assert a.card_id.count("*") >= 6, "CardID is masked 6+4 (PinPad.Pilot_nt.pas)"


@pytest.mark.parametrize(("args", "code"), [
    ((), 4300), (("1",), 4300), (("1", "abc"), 4300), (("3",), 4300),
    (("suspend", "100"), 4300), (("42", "100"), 4301)])
def test_bad_command_lines_are_4300_and_4301(tmp_path: Path, args: tuple[str, ...],
                                             code: int) -> None:
    rc, _, e = pilot(tmp_path, *args)
    assert load(e).error_code == code and rc == code & 0xFF
    assert sim_tape.effects(tmp_path) == 0


@pytest.mark.parametrize(("line", "code"), [
    ("cancel", 2000), ("timeout", 2002), ("nolink", 4119), ("decline 51 НЕТ СРЕДСТВ", 4451)])
def test_scripted_refusals_have_their_upos_codes(tmp_path: Path, line: str, code: int) -> None:
    assert command(tmp_path, line).startswith("ok")
    rc, p, e = pilot(tmp_path, "1", "500")
    a = load(e)
    assert a.error_code == code and rc == code & 0xFF and a.rcode != "00"
    if code == 4451:
        assert a.rcode == "51" and a.message == "НЕТ СРЕДСТВ"
        assert "ОТКАЗ".encode("cp866") in p
    assert sim_tape.charges(tmp_path) == 0


def test_suspend_commit_rollback_check_the_last_transaction(tmp_path: Path) -> None:
    pilot(tmp_path, "1", "1000")
    auth = load((tmp_path / "e").read_bytes()).auth_code
    assert load(pilot(tmp_path, "suspend", "999", auth)[2]).error_code == 4140
    assert load(pilot(tmp_path, "suspend", "1000", "000000")[2]).error_code == 4140
    assert load(pilot(tmp_path, "suspend", "1000", auth)[2]).error_code == 0
    assert load(pilot(tmp_path, "commit", "1000", auth)[2]).error_code == 0
    # "already back in the normal state": RollbackTrx refuses (PinPad.Pilot_nt.pas)
    assert load(pilot(tmp_path, "rollback", "1000", auth)[2]).error_code == 4141
    assert sim_tape.charges(tmp_path) == 1


def test_a_suspended_purchase_is_cancelled_at_the_next_bank_session(tmp_path: Path) -> None:
    pilot(tmp_path, "1", "1000")
    auth = load((tmp_path / "e").read_bytes()).auth_code
    pilot(tmp_path, "suspend", "1000", auth)
    assert sim_tape.charges(tmp_path) == 1
    pilot(tmp_path, "9")  # the control tape is local: no session, still suspended
    assert sim_tape.charges(tmp_path) == 1
    pilot(tmp_path, "1", "2000")  # talks to the bank
    rows = {r["amount"]: r["state"] for r in sim_tape.load(tmp_path)["tape"]}
    assert rows == {1000: "auto_cancelled", 2000: "approved"}
    assert load(pilot(tmp_path, "commit", "1000", auth)[2]).error_code == 4140


def test_cancel_in_the_batch_refund_after_close_of_day(tmp_path: Path) -> None:
    pilot(tmp_path, "1", "1000")
    rrn = load((tmp_path / "e").read_bytes()).rrn
    _, p, e = pilot(tmp_path, "3", "1000", rrn)
    assert load(e).error_code == 0 and "ОТМЕНА".encode("cp866") in p
    assert load(pilot(tmp_path, "3", "1", rrn)[2]).error_code == 4413, "nothing left"
    pilot(tmp_path, "1", "700")
    rrn2 = load((tmp_path / "e").read_bytes()).rrn
    _, p, e = pilot(tmp_path, "7")
    a = load(e)
    assert "СВЕРКА ИТОГОВ".encode("cp866") in p and (1, 2, 1700) in a.totals
    _, p, e = pilot(tmp_path, "3", "700", rrn2)
    assert "ВОЗВРАТ".encode("cp866") in p, "after the close of day it is a refund"
    assert load(pilot(tmp_path, "3", "10", "999999999999")[2]).error_code == 4412


def test_crash_after_approve_leaves_the_approval_on_the_tape_only(tmp_path: Path) -> None:
    command(tmp_path, "crash")
    rc, p, e = pilot(tmp_path, "1", "300")
    assert rc == -9 and p == b"" and e == b""
    assert sim_tape.charges(tmp_path) == 1
    tape = load(pilot(tmp_path, "9")[2]).tape
    assert [(t["amount"], t["state"]) for t in tape] == [("300", "approved")]


def test_pinpad_off_is_99_everywhere(tmp_path: Path) -> None:
    command(tmp_path, "pinpad off")
    assert load(pilot(tmp_path, "test")[2]).error_code == 99
    assert load(pilot(tmp_path, "1", "5")[2]).error_code == 99
    command(tmp_path, "pinpad on")
    assert load(pilot(tmp_path, "test")[2]).error_code == 0


# an e file as the emulator writes it, typed in by hand (the layout is ours: resultfile.py)
FIXTURE = ("0\r\n1\r\n15000\r\n00\r\nОДОБРЕНО\r\n1\r\n123456\r\n427600******0019\r\n"
           "02.12.2026 10:00:00\r\n17\r\n263360000017\r\n00340001\r\n").encode("cp866")


def test_the_result_file_fixture_parses_and_garbage_does_not() -> None:
    a = load(FIXTURE)
    assert (a.auth_code, a.rrn, a.trans_number, a.message) == \
        ("123456", "263360000017", 17, "ОДОБРЕНО")
    for bad in (b"", b"\x00\xff garbage \x00", FIXTURE.replace(b"15000", b"15k00"),
                FIXTURE + b"X;1;2\r\n", FIXTURE[:40]):
        with pytest.raises(Garbled):
            load(bad)
