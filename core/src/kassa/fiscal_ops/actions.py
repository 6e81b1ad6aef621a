"""One fiscal action on a named register through ``hub.fiscal`` (so the journal, keyed), its
failures as one sentence for a person, and what the register answered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kassa.errors import KassaError, Permanent, RetryLater, UserError
from kassa.fiscal_ops.registers import Register
from kassa.fiscal_ops.texts import say
from kassa.journal import DONE, OutcomeUnknown
from kassa.model import Cashier, CorrectionReceipt, FiscalDocument, ReceiptPayment
from kassa.model.ffd import CorrectionType, Operation, PaymentKind, TaxSystem
from kassa.model.fiscal import ReceiptError

ACTIONS = ("open-shift", "close-shift", "x-report", "cash-in", "cash-out", "correction")
NEEDS_SHIFT = {"close-shift", "x-report", "cash-in", "cash-out", "correction"}


class ActionError(UserError):
    """An action that did not happen (or may have): ``str()`` is for a person; ``status``
    is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        self.status = status
        self.code = code
        super().__init__(message)


async def run(hub: Any, reg: Register, action: str, params: dict[str, Any], *, key: str,
              locale: str = "ru") -> tuple[FiscalDocument, bool]:
    """Do ``action`` on ``reg`` under ``key``; (document, replayed) where ``replayed`` says
    the journal already had it (nothing was printed again)."""
    if action not in ACTIONS:
        raise ActionError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}", 404,
                          "not_found")
    if not key:
        raise ActionError("an idempotency key is required")
    entry = await hub.journal.entry(key)
    replayed = entry is not None and entry.status == DONE
    if not replayed and (action in NEEDS_SHIFT or action == "open-shift"):
        await _check_shift(hub, reg, action, locale)
    own = hub.section("fiscal")
    cashier = Cashier(name=str(params.get("cashier") or (own.cashier if own else
                                                          "Администратор")))
    at = {"site": reg.site, "station": reg.station, "device": reg.name, "key": key}
    f = hub.fiscal
    try:
        if action == "open-shift":
            doc = await f.open_shift(cashier, **at)
        elif action == "close-shift":
            doc = await f.close_shift(cashier, **at)
        elif action == "x-report":
            doc = await f.x_report(**at)
        elif action in ("cash-in", "cash-out"):
            amount = _amount(params.get("amount"), locale)
            call = f.cash_in if action == "cash-in" else f.cash_out
            doc = await call(amount, cashier=cashier, **at)
        else:
            doc = await f.correction(correction(params, hub.clock.now(), cashier, locale), **at)
    except ReceiptError as exc:  # the rule the register or the FFD names, in the locale
        raise ActionError(exc.text(locale)) from None
    except OutcomeUnknown:
        raise ActionError(say("err.unknown", locale, register=reg.name, key=key), 409,
                          "outcome_unknown") from None
    except RetryLater as exc:
        raise ActionError(say("err.retry", locale, register=reg.name, reason=exc), 503,
                          "retry_later") from None
    except (Permanent, UserError) as exc:
        if isinstance(exc, ActionError):
            raise
        raise ActionError(say("err.failed", locale, register=reg.name,
                              reason=str(exc).rstrip(".")), 422, "failed") from None
    return doc, replayed


async def _check_shift(hub: Any, reg: Register, action: str, locale: str) -> None:
    """A closed (or open) shift is said plainly before the register is asked; a register
    that cannot tell leaves the answer to the call itself."""
    try:
        st = await hub.fiscal.status(site=reg.site, station=reg.station, device=reg.name)
    except (KassaError, OSError, TimeoutError):
        return
    if action == "open-shift" and st.shift_open:
        raise ActionError(say("err.open", locale, register=reg.name), 409, "shift_open")
    if action != "open-shift" and not st.shift_open:
        raise ActionError(say("err.closed", locale, register=reg.name), 409, "no_open_shift")


def _amount(value: Any, locale: str) -> int:
    """Kopecks from an int of kopecks (the API) — never floats of rubles."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ActionError(say("err.amount", locale))
    return value


# the API's correction fields: name -> (FFD tag, the enum its values name)
CORRECTION_FIELDS: dict[str, tuple[int, Any]] = {
    "operation": (1054, Operation), "type": (1173, CorrectionType),
    "payment": (1031, PaymentKind), "taxation": (1055, TaxSystem)}
CORRECTION_DEFAULTS = {"operation": "sell", "type": "self", "payment": "cash",
                       "taxation": "osn"}


def correction(params: dict[str, Any], now: Any, cashier: Cashier,
               locale: str) -> CorrectionReceipt:
    """A correction receipt from the API's fields: ``amount`` (kopecks), ``operation``
    (sell, sell_refund, buy, buy_refund), ``type`` (self, instruction), ``payment`` (cash,
    card...), ``taxation`` (osn, usn_income...), ``basis_date`` (YYYY-MM-DD or DD.MM.YYYY),
    ``basis_number``. A value that fits no field is one sentence naming the field."""
    amount = _amount(params.get("amount"), locale)
    values: dict[str, Any] = {}
    for name, (tag, enum) in CORRECTION_FIELDS.items():
        raw = str(params.get(name) or CORRECTION_DEFAULTS[name])
        try:
            values[name] = enum[raw.upper()]
        except KeyError:
            known = ", ".join(m.name.lower() for m in enum if m.name)
            raise ActionError(say("err.correction_field", locale, value=raw,
                                  field=f"{name} ({tag})", known=known)) from None
    basis = _basis_date(params.get("basis_date"), now, locale)
    return CorrectionReceipt(correction_type=values["type"], basis_date=basis,
                             operation=values["operation"], taxation=values["taxation"],
                             total=amount, issued_at=now, cashier=cashier,
                             payments=[ReceiptPayment(kind=values["payment"], amount=amount)],
                             basis_number=str(params.get("basis_number") or "").strip() or None)


def _basis_date(value: Any, now: Any, locale: str) -> date:
    """1178 from ``YYYY-MM-DD`` (the CLI, the API) or ``DD.MM.YYYY`` (how people write it);
    none is today."""
    raw = str(value or "").strip()
    if not raw:
        return now.date()  # type: ignore[no-any-return]
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ActionError(say("err.basis_date", locale, value=raw))
