"""What the emulated FN transmits to an OFD, and the link that transmits it.

``ticket`` builds the FNS/OFD "ticket" JSON of fiscal.md §9 (camelCase, kopecks, the register's
wall clock without a zone, FFD form codes of §1.1) for each fiscal document the register makes.
``OfdLink`` is the FN's exchange: the oldest unconfirmed document first, one at a time, each
``delay`` seconds after it was made, POSTed to ``{url}/_sim/documents`` (the OFD emulator's
intake; any OFD that takes §9 tickets there will do - this module knows no OFD plugin). Only a
200 confirms a document; anything else (no link, 5xx, a refusal) keeps it unsent, records why
(``ofdExchangeStatus`` reports it) and retries after a wait that doubles up to ``max_retry``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from kassa.model.ffd import VatRate

from kassa_atol import tasks

if TYPE_CHECKING:
    from kassa_atol.sim.kkt import Document, Kkt

# FFD Table 11 form codes (fiscal.md §1.1) of the documents the emulated register makes
FORMS = {"openShift": 2, "closeShift": 5, "reportOfdExchangeStatus": 21}
OPERATION = {"sell": 1, "sellReturn": 2, "buy": 3, "buyReturn": 4, "sellCorrection": 1,
             "sellReturnCorrection": 2, "buyCorrection": 3, "buyReturnCorrection": 4}
TAXATION = {name: int(code) for code, name in tasks.TAXATION.items()}  # 1055 bits
METHODS = {name: int(code) for code, name in tasks.PAYMENT_METHODS.items()}  # 1214
OBJECTS = {name: code for code, name in tasks.PAYMENT_OBJECTS.items()}  # 1212
# payments[].type -> the ticket's sums (§9): cash, ecash, prepayment, postpayment (credit),
# counterSubmission (other); user types 5-9 have no ticket field here
PAYMENT_SUMS = {"cash": "cashTotalSum", "electronically": "ecashTotalSum",
                "prepaid": "prepaymentSum", "credit": "postpaymentSum",
                "other": "counterSubmissionSum"}
# the VAT amounts §9 names (nds18 was 20 % before 2019); 22 %, 5 %, 7 % have no name there
VAT_SUMS = {"vat20": ("nds20", Decimal(20), Decimal(120)),
            "vat120": ("nds20", Decimal(20), Decimal(120)),
            "vat10": ("nds10", Decimal(10), Decimal(110)),
            "vat110": ("nds10", Decimal(10), Decimal(110))}
URL_PATH = "/_sim/documents"


def _kop(value: Any) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def ticket(kkt: Kkt, doc: Document, task: Mapping[str, Any] | None,
           sums: Mapping[str, Decimal] | None) -> dict[str, Any]:
    """The §9 ticket of ``doc``; a receipt's content comes from its task."""
    out: dict[str, Any] = {
        "code": FORMS.get(doc.form, 31 if "Correction" in doc.form else 3),
        "user": kkt.user, "userInn": kkt.user_inn, "kktRegId": kkt.reg_number,
        "fiscalDriveNumber": kkt.fn, "fiscalDocumentNumber": doc.number,
        "fiscalSign": int(doc.sign or 0), "dateTime": f"{doc.at:%Y-%m-%dT%H:%M:%S}",
        "shiftNumber": doc.shift, "fiscalDocumentFormatVer": 4}  # 1209: FFD 1.2
    if task is None or sums is None:
        return out
    out.update(operationType=OPERATION[doc.form], requestNumber=doc.receipt_number,
               taxationType=TAXATION.get(str(task.get("taxationType")), 0),
               totalSum=_kop(sums["total"]))
    for name in PAYMENT_SUMS.values():
        out[name] = 0
    for p in task.get("payments") or []:
        paid = PAYMENT_SUMS.get(str(p.get("type")))
        if paid:
            out[paid] += _kop(p["sum"])
    out["cashTotalSum"] -= _kop(sums["change"])  # the register keeps the change out of 1031
    operator = task.get("operator")
    if isinstance(operator, Mapping) and operator.get("name"):
        out["operator"] = operator["name"]
    client = task.get("clientInfo")
    if isinstance(client, Mapping) and client.get("emailOrPhone"):
        out["buyerAddress"] = client["emailOrPhone"]  # 1008
    items = []
    vat: dict[str, Decimal] = {}
    for it in task.get("items") or []:
        if it.get("type") != "position":
            continue
        tax = str(it["tax"]["type"])
        item = {"name": it["name"], "price": _kop(it["price"]), "quantity": it["quantity"],
                "sum": _kop(it["amount"]), "nds": VatRate(tax).code,
                "paymentType": METHODS[it.get("paymentMethod", "fullPayment")],
                "productType": OBJECTS[it.get("paymentObject", "commodity")],
                "itemsQuantityMeasure": it.get("measurementUnit", 0)}
        items.append(item)
        if tax in VAT_SUMS:
            name, rate, base = VAT_SUMS[tax]
            vat[name] = vat.get(name, Decimal(0)) + Decimal(str(it["amount"])) * rate / base
    out["items"] = items
    out.update({name: _kop(round(value, 2)) for name, value in vat.items()})
    return out


class OfdLink:
    """The FN's exchange with the OFD at ``url``; ``save`` is called after each confirmation
    (the state file). ``sent`` counts confirmed documents, ``attempts`` every POST."""

    def __init__(self, kkt: Kkt, url: str, *, delay: float = 0.0, retry: float = 1.0,
                 max_retry: float = 30.0, save: Callable[[], None] | None = None,
                 poll: float = 0.05) -> None:
        self.kkt, self.url = kkt, url.rstrip("/")
        self.delay, self.retry, self.max_retry = delay, retry, max_retry
        self.save, self.poll = save, poll
        self.sent = self.attempts = 0
        self._seen: dict[int, float] = {}  # FD -> when the link first saw it (monotonic)

    async def run(self) -> None:
        wait = self.retry
        async with httpx.AsyncClient(timeout=5.0) as http:
            while True:
                doc = self._due()
                if doc is None:
                    await anyio.sleep(self.poll)
                    continue
                why = await self._send(http, doc)
                if why is None:
                    wait = self.retry
                    continue
                self.kkt.ofd_error = why
                await anyio.sleep(wait)
                wait = min(wait * 2, self.max_retry)

    def _due(self) -> Document | None:
        """The oldest unconfirmed document once its delay is over (None: nothing to send)."""
        k = self.kkt
        if not k.unsent or k.faults.ofd_failing:  # the register's own network is down
            return None
        doc = k.unsent[0]
        first = self._seen.setdefault(doc.number or 0, time.monotonic())
        return doc if time.monotonic() - first >= self.delay else None

    async def _send(self, http: httpx.AsyncClient, doc: Document) -> str | None:
        """None when the OFD confirmed ``doc``; otherwise why not."""
        self.attempts += 1
        try:
            r = await http.post(self.url + URL_PATH, json=doc.ticket)
        except httpx.HTTPError as exc:
            return f"no link to the OFD ({type(exc).__name__})"
        if r.status_code != 200:
            return f"the OFD answered HTTP {r.status_code}: {r.text[:200]}"
        k = self.kkt
        if k.unsent and k.unsent[0] is doc:
            k.unsent.pop(0)
        self._seen.pop(doc.number or 0, None)
        k.ofd_error, k.ofd_last_ok = "", k.clock().replace(microsecond=0)
        self.sent += 1
        if self.save is not None:
            self.save()
        return None
