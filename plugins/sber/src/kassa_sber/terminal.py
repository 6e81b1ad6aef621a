"""A Sberbank UPOS terminal driven through ``sb_pilot`` runs (pilot.py): the core's
``CardTerminal`` and a ``Terminal`` device. It never deduplicates (the core's journal does);
it writes what it asks before each run (intents.py) so ``lookup`` can find the answer on the
terminal's control tape after a crash."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from attrs import evolve
from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    CardOperation,
    CardResult,
    DeviceStatus,
    Health,
    Reconciliation,
)

from kassa_sber import mapping
from kassa_sber.codes import Kind
from kassa_sber.intents import Intents
from kassa_sber.pilot import Pilot, PilotFailed
from kassa_sber.settings import TerminalSettings

log = logging.getLogger(__name__)
_MONEY = {CardOperation.PURCHASE: 1, CardOperation.CANCEL: 3, CardOperation.REFUND: 3}


class SberTerminal:
    kind = "terminal"

    def __init__(self, cfg: TerminalSettings, work_dir: Path) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self.work_dir = work_dir
        self.pilot = Pilot(cfg.pilot, work_dir, cfg.timeout, cfg.name)
        self.intents = Intents(work_dir)
        self._problem: str | None = None
        self._started = False

    # --- the device -----------------------------------------------------------------------
    async def start(self) -> None:
        a, _ = await self.pilot.run("test", limit=min(self.cfg.timeout, 30.0))
        if a.error_code:  # TestPinPad: 0 when the pin pad answers
            raise RetryLater(mapping.refusal(a.error_code, self.name, self.cfg.locale))
        self._started, self._problem = True, None

    async def stop(self) -> None:
        self._started = False

    async def check(self) -> DeviceStatus:
        """Ask the pin pad now (TestPinPad, no card operation): ``kassa devices test``. It
        waits for a card operation under way (one sb_pilot run at a time)."""
        try:
            a, _ = await self.pilot.run("test", limit=min(self.cfg.timeout, 30.0))
        except PilotFailed as exc:
            self._problem = str(exc)
        else:
            self._problem = (mapping.refusal(a.error_code, self.name, self.cfg.locale)
                             if a.error_code else None)
        return self.status()

    def status(self) -> DeviceStatus:
        detail = {"work_dir": str(self.work_dir), "suspend": self.cfg.suspend}
        if self._problem:
            return DeviceStatus(health=Health.DOWN, message=self._problem, detail=detail)
        return DeviceStatus(health=Health.OK, detail=detail)

    # --- card operations ------------------------------------------------------------------
    async def purchase(self, amount: int, key: str, order_ref: str | None = None) -> CardResult:
        if amount <= 0:
            raise UserError(f"оплата картой требует положительной суммы, а не {amount}")
        result = await self._card(key, CardOperation.PURCHASE, amount, None, "1", str(amount))
        if result.approved and self.cfg.suspend and result.auth_code:
            result = await self._suspend(result)
        self._remember(key, result)
        return result

    async def cancel(self, original: CardResult, key: str) -> CardResult:
        self._check_original(original)
        result = await self._card(key, CardOperation.CANCEL, original.amount, original.rrn,
                                  "3", str(original.amount), str(original.rrn))
        self._remember(key, result)
        return result

    async def refund(self, amount: int, original: CardResult, key: str) -> CardResult:
        self._check_original(original)
        if not 0 < amount <= original.amount:
            raise UserError(f"возврат {amount} коп. больше оплаты {original.amount} коп."
                            f" (RRN {original.rrn})")
        result = await self._card(key, CardOperation.REFUND, amount, original.rrn,
                                  "3", str(amount), str(original.rrn))
        self._remember(key, result)
        return result

    async def commit(self, result: CardResult, key: str) -> CardResult:
        return await self._trx("commit", CardOperation.COMMIT, result, key)

    async def rollback(self, result: CardResult, key: str) -> CardResult:
        return await self._trx("rollback", CardOperation.ROLLBACK, result, key)

    async def reconcile(self, key: str) -> Reconciliation:
        a, slip = await self._run("7")
        mapping.raise_for(a.error_code, self.name, self.cfg.locale)
        if a.error_code:
            raise Permanent(mapping.refusal(a.error_code, self.name, self.cfg.locale))
        return mapping.reconciliation(a, slip)

    async def lookup(self, key: str) -> CardResult | None:
        if key in self.intents.answered:
            known = self.intents.answered[key]
            return None if known is None else codec.from_dict(known, CardResult)
        asked = self.intents.asked.get(key)
        if asked is None:
            return None  # never sent: every run is preceded by its intent
        a, _ = await self._run("9")
        if a.error_code:
            raise RetryLater(mapping.refusal(a.error_code, self.name, self.cfg.locale))
        op = CardOperation(asked["op"])
        row = self._match(asked, op, a.tape)
        if row is None:
            return None
        found = mapping.tape_result(row, op, key, a.terminal_id, self.name, self.cfg.locale)
        if op in (CardOperation.COMMIT, CardOperation.ROLLBACK):
            done = "committed" if op is CardOperation.COMMIT else "rolled_back"
            if row["state"] != done:
                return None  # the purchase is there, this step never happened
            found = evolve(found, approved=True, message=None, suspended=False)
        self._remember(key, found)
        return found

    # --- inside ---------------------------------------------------------------------------
    def _check_original(self, original: CardResult) -> None:
        if not original.approved or not original.rrn:
            raise UserError("отменить или вернуть можно только одобренную оплату с RRN")

    async def _run(self, *args: str) -> tuple[Any, str]:
        try:
            answer, slip = await self.pilot.run(*args)
        except PilotFailed as exc:
            self._problem = str(exc)
            log.warning("%s", exc)
            raise
        self._problem = None
        return answer, slip

    async def _card(self, key: str, op: CardOperation, amount: int, rrn: str | None,
                    *args: str) -> CardResult:
        self.intents.ask(key, op.value, amount, rrn)
        a, slip = await self._run(*args)
        try:
            kind = mapping.raise_for(a.error_code, self.name, self.cfg.locale)
        except (RetryLater, Permanent):
            self.intents.answer(key, None, None)  # the terminal did nothing
            raise
        if kind is Kind.APPROVED and a.rcode not in ("0", "00"):
            self._problem = f"терминал {self.name}: код 0 с RCode {a.rcode!r}"
            raise PilotFailed(self._problem)
        return mapping.card_result(a, slip, op, key, terminal=self.name,
                                   locale=self.cfg.locale)

    async def _suspend(self, result: CardResult) -> CardResult:
        """SuspendTrx right after the approval: if the till dies before the receipt, the
        bank cancels the payment at its next session (PinPad.Pilot_nt.pas)."""
        try:
            a, _ = await self._run("suspend", str(result.amount), str(result.auth_code))
        except PilotFailed:
            return result  # approved and final: the receipt failing means a cancel by RRN
        if a.error_code:
            log.warning("%s: SuspendTrx refused (%s); the payment stays final", self.name,
                        a.error_code)
            return result
        return evolve(result, suspended=True)

    async def _trx(self, verb: str, op: CardOperation, result: CardResult,
                   key: str) -> CardResult:
        if not result.approved or not result.auth_code:
            raise UserError(f"{verb}: нужна одобренная оплата с кодом авторизации")
        self.intents.ask(key, op.value, result.amount, result.rrn)
        a, slip = await self._run(verb, str(result.amount), result.auth_code)
        try:
            mapping.raise_for(a.error_code, self.name, self.cfg.locale)
            if a.error_code:
                raise Permanent(mapping.refusal(a.error_code, self.name, self.cfg.locale))
        except (RetryLater, Permanent):
            self.intents.answer(key, None, None)
            raise
        done = mapping.card_result(a, slip or result.slip, op, key, terminal=self.name,
                                   locale=self.cfg.locale, amount=result.amount)
        self._remember(key, done)
        return done

    def _match(self, asked: dict[str, Any], op: CardOperation,
               tape: list[dict[str, str]]) -> dict[str, str] | None:
        if op in (CardOperation.COMMIT, CardOperation.ROLLBACK):
            return next((r for r in tape if r["rrn"] == asked["rrn"] and r["ttype"] == "1"),
                        None)
        for r in tape:
            n = int(r["n"])
            if (n > int(asked["after"]) and n not in self.intents.claimed
                    and r["ttype"] == str(_MONEY[op]) and int(r["amount"]) == asked["amount"]
                    and (op is CardOperation.PURCHASE or r["orig_rrn"] == asked["rrn"])):
                return r
        return None

    def _remember(self, key: str, result: CardResult) -> None:
        n = int(result.txn_number) if result.txn_number and result.txn_number.isdigit() \
            else None
        if result.operation in (CardOperation.COMMIT, CardOperation.ROLLBACK):
            n = None  # the purchase's row stays the purchase key's
        self.intents.answer(key, codec.to_dict(result), n)
