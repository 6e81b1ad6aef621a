"""An executable stand-in for Sberbank's ``sb_pilot``: ``python -m kassa_sber.sim_pilot
[--state DIR] <op> [args]``, run in the working folder, like the real one (fiscal.md §6.1):

    1 <kop>                      purchase (TType 1)
    3 <kop> [rrn]                refund / cancel (TType 3): a cancel when the RRN is of this
                                 batch and the whole amount is returned (kassa's choice: the
                                 sources give no cancel TType for sb_pilot)
    7                            close of day (сверка итогов): slip + totals
    9                            control tape (every transaction; kassa's lookup reads it)
    suspend|commit|rollback <kop> <auth_code>   SuspendTrx / CommitTrx / RollbackTrx
    test                         TestPinPad

It writes the slip to ``p`` and the result to ``e`` (both IBM866, layout in resultfile.py)
and exits with the UPOS code (POSIX keeps its low 8 bits; ``e`` has all of it). The next
outcome of a card operation comes from the script the control server queues (sim.py):
approve, decline, cancel (2000), timeout (2002), nolink (4119), with ``after`` = crash |
hang | garbage to fail once the terminal has recorded an approval. Stdlib only."""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kassa_sber import sim_tape as tape
from kassa_sber.resultfile import APPROVED_WORD, DATE_FORMAT, Answer, dump, write_slip

# UPOS codes this emulator answers with (kutsoff/pilot_nt.sberbank:doc/Error Codes)
OK, USER_CANCEL, PIN_TIMEOUT, NO_PINPAD = 0, 2000, 2002, 99
NO_LINK, MISMATCH, CANNOT_ROLLBACK, BAD_PARAMS, BAD_OP = 4119, 4140, 4141, 4300, 4301
HOST = 4400  # 44xx: the host answered xx
CARD = ("427600******0019", 1)  # a masked VISA (CType 1); the script may give another


def _now() -> str:
    return datetime.now().strftime(DATE_FORMAT)


def _finish(cwd: Path, a: Answer, slip: list[str] | None) -> int:
    (cwd / "p").write_bytes(write_slip(slip or []))
    (cwd / "e").write_bytes(dump(a))
    return a.error_code


def _slip(st: dict[str, Any], title: str, a: Answer, verdict: str) -> list[str]:
    return ["СБЕРБАНК", f"Терминал: {st['terminal_id']}", a.trans_date, title,
            f"Сумма: {a.amount // 100}.{a.amount % 100:02d} RUB", f"Карта: {a.card_id}",
            f"Код авторизации: {a.auth_code}", f"RRN: {a.rrn}", verdict]


def _host_session(st: dict[str, Any]) -> None:
    """A suspended transaction is cancelled at the next session with the bank
    (PinPad.Pilot_nt.pas, SuspendTrx)."""
    for row in st["tape"]:
        if row["state"] == "suspended":
            row["state"] = "auto_cancelled"
    if st["last_ok"] is not None and _row(st, st["last_ok"])["state"] == "auto_cancelled":
        st["last_ok"] = None


def _row(st: dict[str, Any], n: int) -> dict[str, Any]:
    return next(r for r in st["tape"] if r["n"] == n)


def _card_op(cwd: Path, folder: Path, st: dict[str, Any], ttype: int, amount: int,
             rrn: str | None) -> int:
    outcome = st["script"].pop(0) if st["script"] else {"do": "approve"}
    tape.save(folder, st)  # the outcome is used even if this run dies
    if outcome.get("delay"):
        time.sleep(float(outcome["delay"]))  # PIN entry; a kill now leaves nothing done
    do = outcome.get("do", "approve")
    a = Answer(error_code=OK, ttype=ttype, amount=amount, trans_date=_now(),
               terminal_id=st["terminal_id"])
    if do == "hang":
        time.sleep(3600)
    if do in ("cancel", "timeout", "nolink"):
        a.error_code = {"cancel": USER_CANCEL, "timeout": PIN_TIMEOUT, "nolink": NO_LINK}[do]
        return _finish(cwd, a, None)  # no slip: nothing reached the bank
    _host_session(st)
    original = None
    if ttype == 3:
        original = next((r for r in st["tape"] if r["rrn"] == rrn and r["ttype"] == 1), None)
        if original is None or original["state"] not in (*tape.TAKEN, "cancelled",
                                                           "refunded"):
            do, outcome = "decline", {"rcode": "12", "message": "НЕТ ОРИГИНАЛА"}
        elif amount > original["amount"] - original["returned"]:
            do, outcome = "decline", {"rcode": "13", "message": "НЕВЕРНАЯ СУММА"}
    st["seq"] += 1
    n = st["seq"]
    a.card_id, a.ctype = outcome.get("card", CARD[0]), int(outcome.get("ctype", CARD[1]))
    a.trans_number = n
    a.rrn = f"{datetime.now():%y%j}{n:07d}"
    row = {"n": n, "ttype": ttype, "amount": amount, "card": a.card_id, "ctype": a.ctype,
           "rrn": a.rrn, "orig_rrn": rrn or "", "at": a.trans_date, "batch": st["batch"],
           "returned": 0}
    if do == "decline":
        a.rcode = str(outcome.get("rcode", "05"))[:2]
        a.message = str(outcome.get("message", "ОТКАЗ"))[:16]
        a.error_code = HOST + int(a.rcode) if a.rcode.isdigit() else HOST + 5
        row.update(rcode=a.rcode, auth="", state="declined")
        st["tape"].append(row)
        tape.save(folder, st)
        return _finish(cwd, a, _slip(st, _title(ttype, "", a.rrn), a,
                                     f"ОТКАЗ: {a.message}"))
    a.rcode, a.message, a.auth_code = "00", APPROVED_WORD, f"{(n * 7919) % 1000000:06d}"
    kind = "purchase"
    if original is not None:
        original["returned"] += amount
        same_batch = original["batch"] == st["batch"]
        kind = "cancel" if same_batch and original["returned"] == original["amount"] else \
            "refund"
        if original["returned"] == original["amount"]:
            original["state"] = "cancelled" if kind == "cancel" else "refunded"
    row.update(rcode="00", auth=a.auth_code, state="approved" if ttype == 1 else kind)
    st["tape"].append(row)
    st["last_ok"] = n
    tape.save(folder, st)  # the bank has it now: whatever happens next, the tape knows
    after = outcome.get("after")
    if after == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if after == "hang":
        time.sleep(3600)
    if after == "garbage":
        (cwd / "p").write_bytes(b"")
        (cwd / "e").write_bytes(b"\x00\xff garbage \x00" * 4)
        return OK
    return _finish(cwd, a, _slip(st, _title(ttype, kind, a.rrn), a, APPROVED_WORD))


def _title(ttype: int, kind: str, rrn: str) -> str:
    return "ОПЛАТА" if ttype == 1 else ("ОТМЕНА" if kind == "cancel" else "ВОЗВРАТ")


def _trx(cwd: Path, folder: Path, st: dict[str, Any], op: str, amount: int,
         auth: str) -> int:
    """SuspendTrx / CommitTrx / RollbackTrx on the last successful transaction; 4140 when
    the amount or the code differ (PinPad.Pilot_nt.pas)."""
    a = Answer(error_code=OK, ttype=1, amount=amount, trans_date=_now(),
               terminal_id=st["terminal_id"])
    last = _row(st, st["last_ok"]) if st["last_ok"] is not None else None
    if last is None or last["amount"] != amount or last["auth"] != auth:
        a.error_code = MISMATCH
        return _finish(cwd, a, None)
    a.rrn, a.auth_code, a.trans_number = last["rrn"], last["auth"], last["n"]
    a.card_id, a.ctype, a.rcode = last["card"], last["ctype"], "00"
    if op == "suspend" and last["state"] == "approved":
        last["state"] = "suspended"
    elif op == "commit" and last["state"] in ("suspended", "approved"):
        last["state"] = "committed"
    elif op == "rollback" and last["state"] in ("suspended", "approved"):
        last["state"], st["last_ok"] = "rolled_back", None
    elif op == "rollback" and last["state"] == "committed":
        a.error_code = CANNOT_ROLLBACK  # "already back in the normal state" (.pas, RollbackTrx)
        return _finish(cwd, a, None)
    elif last["state"] != ("committed" if op == "commit" else "suspended"):
        a.error_code = MISMATCH
        return _finish(cwd, a, None)
    tape.save(folder, st)
    # only a rollback moves money back, so only it prints a slip (ours: undocumented)
    return _finish(cwd, a, _slip(st, "ОТМЕНА", a, APPROVED_WORD) if op == "rollback" else None)


def _close_day(cwd: Path, folder: Path, st: dict[str, Any]) -> int:
    _host_session(st)
    rows = [r for r in st["tape"] if r["batch"] == st["batch"] and r["state"] != "declined"]
    totals: dict[int, list[int]] = {}
    for r in rows:
        sign = 1 if r["ttype"] == 1 else 3
        t = totals.setdefault(sign, [0, 0])
        t[0] += 1
        t[1] += r["amount"]
    a = Answer(error_code=OK, ttype=7, amount=0, trans_date=_now(),
               terminal_id=st["terminal_id"], rcode="00",
               totals=[(k, c, s) for k, (c, s) in sorted(totals.items())])
    slip = ["СБЕРБАНК", f"Терминал: {st['terminal_id']}", a.trans_date, "СВЕРКА ИТОГОВ",
            f"Пакет: {st['batch']}"]
    for k, c, s in a.totals:
        slip.append(f"{'ОПЛАТА' if k == 1 else 'ВОЗВРАТ'}: {c} на {s // 100}.{s % 100:02d}")
    slip.append("ИТОГИ СОВПАЛИ")
    st["batch"] += 1
    st["last_ok"] = None
    tape.save(folder, st)
    return _finish(cwd, a, slip)


def _control_tape(cwd: Path, st: dict[str, Any]) -> int:
    a = Answer(error_code=OK, ttype=9, amount=0, trans_date=_now(),
               terminal_id=st["terminal_id"], rcode="00")
    for r in st["tape"][-500:]:
        a.tape.append({k: str(r.get(k, "")) for k in
                       ("n", "ttype", "amount", "rcode", "auth", "card", "ctype", "rrn",
                        "orig_rrn", "at", "state", "batch")})
    slip = ["КОНТРОЛЬНАЯ ЛЕНТА", *(f"{r['n']} {r['ttype']} {r['amount']} {r['state']}"
                                   for r in a.tape)]
    return _finish(cwd, a, slip)


def run(argv: list[str], cwd: Path) -> int:
    folder = cwd
    if argv[:1] == ["--state"] and len(argv) >= 2:
        folder, argv = Path(argv[1]), argv[2:]
    for name in ("p", "e"):
        (cwd / name).unlink(missing_ok=True)
    bad = Answer(error_code=BAD_PARAMS, ttype=0, amount=0, trans_date=_now())
    if not argv:
        return _finish(cwd, bad, None)
    op, args = argv[0], argv[1:]
    if op not in ("1", "3", "7", "9", "suspend", "commit", "rollback", "test"):
        bad.error_code = BAD_OP
        return _finish(cwd, bad, None)
    needs = {"1": 1, "3": 1, "suspend": 2, "commit": 2, "rollback": 2}.get(op, 0)
    if len(args) < needs or (needs and not (args[0].isdigit() and int(args[0]) > 0)):
        return _finish(cwd, bad, None)  # 4300: not all the parameters sb_pilot needs
    with tape.locked(folder):
        st = tape.load(folder)
        bad.terminal_id = st["terminal_id"]
        if st["pinpad"] != "on":
            bad.error_code = NO_PINPAD
            return _finish(cwd, bad, None)
        if op == "test":
            return _finish(cwd, Answer(error_code=OK, ttype=0, amount=0, trans_date=_now(),
                                       terminal_id=st["terminal_id"]), None)
        if op in ("1", "3"):
            return _card_op(cwd, folder, st, int(op), int(args[0]),
                            args[1] if op == "3" and len(args) > 1 else None)
        if op == "7":
            return _close_day(cwd, folder, st)
        if op == "9":
            return _control_tape(cwd, st)
        return _trx(cwd, folder, st, op, int(args[0]), args[1])


def main() -> None:
    code = run(sys.argv[1:], Path.cwd())
    sys.exit(code & 0xFF)  # what a POSIX parent sees; ``e`` keeps the whole code


if __name__ == "__main__":
    main()
