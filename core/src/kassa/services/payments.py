"""``hub.payments``: account payments (bonus, deposit, credit: hold, capture, void, refund)
and card terminals (purchase, cancel, refund, reconcile, commit, rollback), each action
through the journal: a retry with the key never charges twice.

A decline is an answer, not a failure: it is journaled (``done``: the same key gives the
same decline; a new attempt takes a new key), the event is ``payment_declined`` and the
caller gets ``UserError`` with the bank's or the ledger's text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kassa.errors import UserError
from kassa.hookspecs.payments import CheckCapture, CheckRefund
from kassa.services.service import Service

if TYPE_CHECKING:
    from kassa.model import CardResult, OrderLine, PaymentResult, Reconciliation

R = TypeVar("R")


CHECK_KINDS = ("capture_check", "refund_check")  # journal kinds whose result is a list


def check_capture_lookup(journal: Any, comp: Any) -> Callable[[str], Awaitable[Any]]:
    """The start-up reconciliation's lookup for a ``CheckCapture`` / ``CheckRefund`` method:
    a key the journal ran as ``capture_check`` or ``refund_check`` is asked with
    ``lookup_check`` (its result is the list), any other with ``lookup``."""

    async def lookup(key: str) -> Any:
        entry = await journal.entry(key)
        if entry is not None and entry.kind in CHECK_KINDS:
            return await comp.lookup_check(key)
        return await comp.lookup(key)

    return lookup


def _declined(result: Any) -> bool:
    return getattr(result, "approved", True) is False or \
        str(getattr(result, "status", "")) == "declined"


class PaymentService(Service):
    concern = "payment"
    prefix = "payment"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        # a person enters a PIN at the terminal, and the bank may be slow
        self.timeouts.update(purchase=max(self.timeout, 180.0),
                             card_refund=max(self.timeout, 180.0),
                             reconcile=max(self.timeout, 300.0))

    def method(self, name: str | None, *, site: str) -> tuple[str, Any]:
        """The (name, AccountPayment) ``name`` (one of the site's if it lists payments)."""
        return self.selection.pick("payment", site=site, name=name)

    def terminal(self, *, site: str, station: str | None = None,
                 name: str | None = None) -> tuple[str, Any]:
        """The (name, CardTerminal) that serves the site/station."""
        return self.selection.pick("terminal", site=site, station=station, name=name)

    async def _settle(self, kind: str, name: str, comp: Any, call: Callable[[], Awaitable[R]],
                      result_type: type[R], *, key: str, site: str, station: str | None,
                      request: Any, event: str | None) -> R:
        result = await self._run(kind, key=key, site=site, station=station, component=name,
                                 lookup=comp.lookup, request=request, call=call,
                                 result_type=result_type, event=None)
        declined = _declined(result)
        if event is not None or declined:
            await self._event("payment_declined" if declined else event or "", key=key,
                              site=site, station=station, component=name, kind=kind,
                              result=result, reason=getattr(result, "message", None))
        if declined:
            raise _declined_error(name, getattr(result, "message", None))
        return result

    # --- account payments -----------------------------------------------------------------
    async def _account(self, kind: str, method: str | None,
                       call: Callable[[Any], Awaitable[PaymentResult]], *, key: str,
                       site: str, station: str | None, request: Any, event: str
                       ) -> PaymentResult:
        from kassa.model import PaymentResult

        name, m = self.method(method, site=site)
        return await self._settle(kind, name, m, lambda: call(m), PaymentResult, key=key,
                                  site=site, station=station, request=request, event=event)

    async def hold(self, account: str, amount: int, *, key: str, site: str,
                   method: str | None = None, station: str | None = None) -> PaymentResult:
        return await self._account("hold", method, lambda m: m.hold(account, amount, key=key),
                                   key=key, site=site, station=station,
                                   request={"account": account, "amount": amount},
                                   event="payment_held")

    async def capture(self, payment_id: str, amount: int | None, *, key: str, site: str,
                      method: str | None = None, station: str | None = None) -> PaymentResult:
        return await self._account("capture", method,
                                   lambda m: m.capture(payment_id, amount, key=key), key=key,
                                   site=site, station=station,
                                   request={"payment_id": payment_id, "amount": amount},
                                   event="payment_captured")

    def captures_checks(self, method: str | None, *, site: str) -> bool:
        """Whether the method settles a whole check at once (``CheckCapture``)."""
        return isinstance(self.method(method, site=site)[1], CheckCapture)

    async def capture_check(self, lines: Sequence[OrderLine],
                            captures: Sequence[tuple[str, int]], *, key: str, site: str,
                            method: str | None = None, station: str | None = None
                            ) -> list[PaymentResult]:
        """Capture several holds of one method in ONE check (``CheckCapture``): one journal
        entry under ``key``, one ``payment_captured`` event per hold (a decline: one
        ``payment_declined`` and ``UserError``). ``UserError`` if the method lacks it: the
        caller captures hold by hold then."""
        from kassa.model import PaymentResult

        name, m = self.method(method, site=site)
        if not isinstance(m, CheckCapture):
            raise UserError(f"{name} cannot capture a whole check: capture each hold")
        if not captures:
            raise UserError(f"{name}: a check capture needs at least one hold")
        pairs = [(str(pid), int(amount)) for pid, amount in captures]
        results = await self._run(
            "capture_check", key=key, site=site, station=station, component=name,
            lookup=m.lookup_check, request={"lines": list(lines), "captures": pairs},
            call=lambda: m.capture_check(lines, pairs, key=key),
            result_type=list[PaymentResult], event=None)
        return await self._per_hold(results, pairs, "capture_check", "payment_captured",
                                    key=key, site=site, station=station, name=name)

    async def void(self, payment_id: str, *, key: str, site: str, method: str | None = None,
                   station: str | None = None) -> PaymentResult:
        return await self._account("void", method, lambda m: m.void(payment_id, key=key),
                                   key=key, site=site, station=station,
                                   request={"payment_id": payment_id}, event="payment_voided")

    async def refund(self, payment_id: str, amount: int, *, key: str, site: str,
                     method: str | None = None, station: str | None = None) -> PaymentResult:
        return await self._account("refund", method,
                                   lambda m: m.refund(payment_id, amount, key=key), key=key,
                                   site=site, station=station,
                                   request={"payment_id": payment_id, "amount": amount},
                                   event="payment_refunded")

    def refunds_checks(self, method: str | None, *, site: str) -> bool:
        """Whether the method gives a whole check back at once (``CheckRefund``)."""
        return isinstance(self.method(method, site=site)[1], CheckRefund)

    async def refund_check(self, refunds: Sequence[tuple[str, int]], *, key: str, site: str,
                           method: str | None = None, station: str | None = None
                           ) -> list[PaymentResult]:
        """Give back several captured holds of one method in ONE return (``CheckRefund``):
        one journal entry under ``key``, one ``payment_refunded`` event per hold (a decline:
        one ``payment_declined`` and ``UserError``). ``UserError`` if the method lacks it:
        the caller refunds hold by hold then."""
        from kassa.model import PaymentResult

        name, m = self.method(method, site=site)
        if not isinstance(m, CheckRefund):
            raise UserError(f"{name} cannot refund a whole check: refund each hold")
        if not refunds:
            raise UserError(f"{name}: a check refund needs at least one hold")
        pairs = [(str(pid), int(amount)) for pid, amount in refunds]
        results = await self._run(
            "refund_check", key=key, site=site, station=station, component=name,
            lookup=m.lookup_check, request={"refunds": pairs},
            call=lambda: m.refund_check(pairs, key=key),
            result_type=list[PaymentResult], event=None)
        return await self._per_hold(results, pairs, "refund_check", "payment_refunded",
                                    key=key, site=site, station=station, name=name)

    async def _per_hold(self, results: list[PaymentResult], pairs: list[tuple[str, int]],
                        kind: str, event: str, *, key: str, site: str, station: str | None,
                        name: str) -> list[PaymentResult]:
        """A whole-check answer as the core tells it: a decline is one ``payment_declined``
        and ``UserError``; otherwise one ``event`` per hold, as hold-by-hold calls would give
        (the event log dedups on the key)."""
        declined = next((r for r in results if _declined(r)), None)
        if declined is not None:
            await self._event("payment_declined", key=key, site=site, station=station,
                              component=name, kind=kind, result=declined,
                              reason=declined.message)
            raise _declined_error(name, declined.message)
        for (pid, _), r in zip(pairs, results, strict=False):
            await self._event(event, key=f"{key}#{pid}", site=site, station=station,
                              component=name, kind=kind, result=r)
        return results

    async def balance(self, account: str, *, site: str, method: str | None = None) -> int:
        """A question, not an action: not journaled."""
        _, m = self.method(method, site=site)
        result: int = await m.balance(account)
        return result

    # --- card terminals -------------------------------------------------------------------
    async def _card(self, kind: str, call: Callable[[Any], Awaitable[CardResult]], *,
                    key: str, site: str, station: str | None, terminal: str | None,
                    request: Any, event: str | None) -> CardResult:
        from kassa.model import CardResult

        name, t = self.terminal(site=site, station=station, name=terminal)
        return await self._settle(kind, name, t, lambda: call(t), CardResult, key=key,
                                  site=site, station=station, request=request, event=event)

    async def purchase(self, amount: int, *, key: str, site: str, station: str | None = None,
                       order_ref: str | None = None, terminal: str | None = None) -> CardResult:
        """Charge a card: event ``payment_captured``; a decline ``payment_declined`` and
        ``UserError`` with the bank's text (recorded: a new attempt needs a new key)."""
        return await self._card("purchase",
                                lambda t: t.purchase(amount, key=key, order_ref=order_ref),
                                key=key, site=site, station=station, terminal=terminal,
                                request={"amount": amount, "order_ref": order_ref},
                                event="payment_captured")

    async def cancel(self, original: CardResult, *, key: str, site: str,
                     station: str | None = None, terminal: str | None = None) -> CardResult:
        return await self._card("cancel", lambda t: t.cancel(original, key=key), key=key,
                                site=site, station=station, terminal=terminal,
                                request={"original": original}, event="payment_cancelled")

    async def card_refund(self, amount: int, original: CardResult, *, key: str, site: str,
                          station: str | None = None, terminal: str | None = None
                          ) -> CardResult:
        return await self._card("card_refund", lambda t: t.refund(amount, original, key=key),
                                key=key, site=site, station=station, terminal=terminal,
                                request={"amount": amount, "original": original},
                                event="payment_refunded")

    async def commit(self, result: CardResult, *, key: str, site: str,
                     station: str | None = None, terminal: str | None = None) -> CardResult:
        """Make a suspended card payment final once its receipt is printed (Sber)."""
        return await self._card("commit", lambda t: t.commit(result, key=key), key=key,
                                site=site, station=station, terminal=terminal,
                                request={"original": result}, event=None)

    async def rollback(self, result: CardResult, *, key: str, site: str,
                       station: str | None = None, terminal: str | None = None) -> CardResult:
        """Undo a suspended card payment (its receipt failed)."""
        return await self._card("rollback", lambda t: t.rollback(result, key=key), key=key,
                                site=site, station=station, terminal=terminal,
                                request={"original": result}, event="payment_rolled_back")

    async def reconcile(self, *, key: str, site: str, station: str | None = None,
                        terminal: str | None = None) -> Reconciliation:
        """End of day at the terminal: its totals and slip (event ``terminal_reconciled``)."""
        from kassa.model import Reconciliation

        name, t = self.terminal(site=site, station=station, name=terminal)
        return await self._run("reconcile", key=key, site=site, station=station,
                               component=name, lookup=None, request={},
                               call=lambda: t.reconcile(key=key), result_type=Reconciliation,
                               event="terminal_reconciled")


def _declined_error(name: str, message: str | None) -> UserError:
    """The payment system's own words when it gave some (they are the bank's, for the
    cashier as they are), else 'declined' in the person's language."""
    if message:
        return UserError(message)
    return UserError(f"{name}: declined").localized("error.payment.declined", name=name)
