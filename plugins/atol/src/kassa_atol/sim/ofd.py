"""What the emulated ATOL FN transmits to an OFD, and the link that transmits it.

``ticket`` turns each fiscal document the register makes (and, for a receipt, its JSON task)
into the FNS/OFD "ticket" of fiscal.md §9 through the core's test kit
(``kassa.testing.ofd``: header, receipt fields); ``OfdLink`` is that kit's FN exchange bound
to a ``Kkt``: the oldest unconfirmed document first, POSTed to ``{url}/_sim/documents``, a
failure kept in ``ofdExchangeStatus`` until the OFD answers 200.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kassa.model.ffd import VatRate
from kassa.testing import ofd as kit

from kassa_atol import tasks

if TYPE_CHECKING:
    from kassa_atol.sim.kkt import Document, Kkt

# FFD Table 11 form codes (fiscal.md §1.1) of the documents the emulated register makes
FORMS = {"openShift": kit.SHIFT_OPEN, "closeShift": kit.SHIFT_CLOSE,
         "reportOfdExchangeStatus": kit.SETTLEMENTS_REPORT}
OPERATION = {"sell": 1, "sellReturn": 2, "buy": 3, "buyReturn": 4, "sellCorrection": 1,
             "sellReturnCorrection": 2, "buyCorrection": 3, "buyReturnCorrection": 4}
TAXATION = {name: int(code) for code, name in tasks.TAXATION.items()}  # 1055 bits
METHODS = {name: int(code) for code, name in tasks.PAYMENT_METHODS.items()}  # 1214
OBJECTS = {name: code for code, name in tasks.PAYMENT_OBJECTS.items()}  # 1212
# payments[].type -> its FFD sum tag; user types 5-9 have no ticket field here
PAYMENT_TAGS = {"cash": 1031, "electronically": 1081, "prepaid": 1215, "credit": 1216,
                "other": 1217}
PAYMENT_SUMS = {name: kit.PAYMENT_SUMS[tag] for name, tag in PAYMENT_TAGS.items()}
# the VAT amounts §9 names (nds18 was 20 % before 2019); 22 %, 5 %, 7 % have no name there
VAT_SUMS = {"vat20": ("nds20", Decimal(20), Decimal(120)),
            "vat120": ("nds20", Decimal(20), Decimal(120)),
            "vat10": ("nds10", Decimal(10), Decimal(110)),
            "vat110": ("nds10", Decimal(10), Decimal(110))}
URL_PATH = kit.URL_PATH


def _kop(value: Any) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def ticket(kkt: Kkt, doc: Document, task: Mapping[str, Any] | None,
           sums: Mapping[str, Decimal] | None) -> dict[str, Any]:
    """The §9 ticket of ``doc``; a receipt's content comes from its task."""
    out = kit.header(code=FORMS.get(doc.form, kit.CORRECTION if "Correction" in doc.form
                                    else kit.RECEIPT),
                     user=kkt.user, user_inn=kkt.user_inn, reg_number=kkt.reg_number,
                     fn=kkt.fn, number=doc.number or 0, sign=doc.sign or 0, at=doc.at,
                     shift=doc.shift)
    if task is None or sums is None:
        return out
    paid: dict[int, int] = {}
    for p in task.get("payments") or []:
        tag = PAYMENT_TAGS.get(str(p.get("type")))
        if tag:
            paid[tag] = paid.get(tag, 0) + _kop(p["sum"])
    paid[1031] = paid.get(1031, 0) - _kop(sums["change"])  # the FN keeps change out of 1031
    operator = task.get("operator")
    client = task.get("clientInfo")
    items = []
    vat: dict[str, Decimal] = {}
    for it in task.get("items") or []:
        if it.get("type") != "position":
            continue
        tax = str(it["tax"]["type"])
        items.append({"name": it["name"], "price": _kop(it["price"]),
                      "quantity": it["quantity"], "sum": _kop(it["amount"]),
                      "nds": VatRate(tax).code,
                      "paymentType": METHODS[it.get("paymentMethod", "fullPayment")],
                      "productType": OBJECTS[it.get("paymentObject", "commodity")],
                      "itemsQuantityMeasure": it.get("measurementUnit", 0)})
        if tax in VAT_SUMS:
            name, rate, base = VAT_SUMS[tax]
            vat[name] = vat.get(name, Decimal(0)) + Decimal(str(it["amount"])) * rate / base
    out.update(kit.receipt_fields(
        operation=OPERATION[doc.form], taxation=TAXATION.get(str(task.get("taxationType")), 0),
        total=_kop(sums["total"]), receipt_number=doc.receipt_number, sums=paid, items=items,
        vat={name: _kop(round(value, 2)) for name, value in vat.items()},
        operator=str(operator["name"]) if isinstance(operator, Mapping)
        and operator.get("name") else None,
        buyer=str(client["emailOrPhone"]) if isinstance(client, Mapping)
        and client.get("emailOrPhone") else None))
    return out


class _Outbox:
    """The ``Kkt``'s unsent documents as the core kit's ``Outbox``."""

    def __init__(self, kkt: Kkt) -> None:
        self.kkt = kkt

    def pending(self) -> tuple[int, Mapping[str, Any]] | None:
        k = self.kkt
        if not k.unsent or k.faults.ofd_failing:  # the register's own network is down
            return None
        doc = k.unsent[0]
        return doc.number or 0, doc.ticket or {}

    def confirmed(self, number: int) -> None:
        k = self.kkt
        if k.unsent and k.unsent[0].number == number:
            k.unsent.pop(0)
        k.ofd_error, k.ofd_last_ok = "", k.clock().replace(microsecond=0)

    def failed(self, why: str) -> None:
        self.kkt.ofd_error = why


class OfdLink(kit.OfdLink):
    """The FN's exchange with the OFD at ``url`` for ``kkt``; ``save`` is called after each
    confirmation (the state file)."""

    def __init__(self, kkt: Kkt, url: str, *, delay: float = 0.0, retry: float = 1.0,
                 max_retry: float = 30.0, save: Callable[[], None] | None = None,
                 poll: float = 0.05) -> None:
        self.kkt = kkt
        super().__init__(_Outbox(kkt), url, delay=delay, retry=retry, max_retry=max_retry,
                         save=save, poll=poll)
