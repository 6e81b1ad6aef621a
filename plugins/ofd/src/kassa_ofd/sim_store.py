"""The emulated OFD's store: FFD documents the registers transmitted, keyed by (FN, FD),
and their OFD.ru views (the ``/receipts`` item of A.1, the ``receipt/{id}`` body of A.3).

Intake takes the FNS/OFD "ticket" JSON of fiscal.md §9 (camelCase, kopecks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from attrs import define, field

from kassa_ofd.wire import OPERATION_TYPES, STAMP

# what every fiscal document must carry to be one at all (FFD tags in the comments)
REQUIRED = {"fiscalDriveNumber": str, "fiscalDocumentNumber": int, "fiscalSign": int,
            "dateTime": str, "kktRegId": str,
            "userInn": str}  # 1041, 1040, 1077, 1012, 1037, 1018
RECEIPT_REQUIRED = {"totalSum": int, "operationType": int}  # 1020, 1054
# the form codes a register transmits (fiscal.md §1.1: not 7, the OFD's own confirmation,
# nor the 8x marking exchanges); receipts and BSO are what the merchant API lists
FORMS = {1, 11, 2, 21, 3, 31, 4, 41, 5, 6}
RECEIPT_FORMS = {3, 31, 4, 41}
SUMS = {"CashSumm": "cashTotalSum", "ECashSumm": "ecashTotalSum",
        "PrepaidSumm": "prepaymentSum", "CreditSumm": "postpaymentSum",
        "ProvisionSumm": "counterSubmissionSum", "Tax10Summ": "nds10", "Tax0Summ": "nds0",
        "TaxNaSumm": "ndsNo", "Tax110Summ": "nds10110", "Tax118Summ": "nds18118"}


def problem(ticket: Any, inn: str) -> str | None:
    """Why the ticket is not a document this account takes (None: it is)."""
    if not isinstance(ticket, dict):
        return "a JSON object (the FFD ticket) is expected"
    code = ticket.get("code", 3)
    if code not in FORMS or isinstance(code, bool):
        return "code must be a fiscal document form a register transmits (1, 11, 2, 21, 3, " \
               "31, 4, 41, 5, 6)"
    required = {**REQUIRED, **(RECEIPT_REQUIRED if code in RECEIPT_FORMS else {})}
    for name, kind in required.items():
        value = ticket.get(name)
        if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            return f"{name} must be a non-negative integer"
        if kind is str and not (isinstance(value, str) and value.strip()):
            return f"{name} must be a non-empty string"
    if code in RECEIPT_FORMS and ticket["operationType"] not in (1, 2, 3, 4):
        return "operationType (1054) must be 1..4"
    if ticket["userInn"].strip() != inn:
        return f"userInn {ticket['userInn'].strip()} is not this account's INN"
    try:
        local_time(ticket)
    except ValueError:
        return "dateTime must be YYYY-MM-DDTHH:MM[:SS] (the register's wall clock)"
    return None


def local_time(ticket: dict[str, Any]) -> datetime:
    text = ticket["dateTime"]
    return datetime.strptime(text, "%Y-%m-%dT%H:%M" if len(text) == 16 else STAMP)


@define
class Stored:
    ticket: dict[str, Any]
    received_at: datetime  # UTC, when the OFD got it
    visible_at: datetime  # the merchant API lists it from then on (processing delay)
    id: str = field(factory=lambda: str(uuid.uuid4()))

    @property
    def fn(self) -> str:
        return str(self.ticket["fiscalDriveNumber"])

    @property
    def number(self) -> int:
        return int(self.ticket["fiscalDocumentNumber"])

    @property
    def is_receipt(self) -> bool:
        return self.ticket.get("code", 3) in RECEIPT_FORMS

    @property
    def issued(self) -> datetime:
        return local_time(self.ticket)

    def summary(self) -> dict[str, Any]:
        """A document that is not a receipt (a shift report): what ``/_sim/state`` shows."""
        return {"code": self.ticket.get("code"), "FnNumber": self.fn, "DocNumber": self.number,
                "DocDateTime": self.issued.strftime(STAMP),
                "CDateUtc": self.received_at.astimezone(UTC).strftime(STAMP)}

    def list_item(self) -> dict[str, Any]:
        """The ``/receipts`` item (A.1 fixture names; sums in kopecks)."""
        t = self.ticket
        item: dict[str, Any] = {
            "Id": self.id, "CDateUtc": self.received_at.astimezone(UTC).strftime(STAMP),
            "Tag": 0, "IsBso": t.get("code") in (4, 41),
            "IsCorrection": t.get("code") in (31, 41),
            "OperationType": OPERATION_TYPES[t["operationType"]], "UserInn": t["userInn"],
            "KktRegNumber": t["kktRegId"].strip(), "FnNumber": self.fn,
            "DocNumber": self.number, "DocDateTime": self.issued.strftime(STAMP),
            "DocShiftNumber": t.get("shiftNumber", 0), "ReceiptNumber": t.get("requestNumber", 0),
            "DocRawId": self.id, "TotalSumm": t["totalSum"],
            "TaxTotalSumm": sum(int(t.get(k) or 0) for k in ("nds10", "nds18", "nds20")),
            "Tax18Summ": int(t.get("nds20") or t.get("nds18") or 0),
            "DecimalFiscalSign": str(t["fiscalSign"]), "Depth": len(t.get("items") or []),
        }
        item.update({ours: int(t.get(theirs) or 0) for ours, theirs in SUMS.items()})
        if t.get("operator"):
            item["Operator"] = t["operator"]
        return item

    def document(self) -> dict[str, Any]:
        """The ``receipt/{RawId}`` body: the A.3 outer object with ``Document`` inside."""
        t = self.ticket
        items = [{"Name": i.get("name"), "Price": i.get("price"), "Quantity": i.get("quantity"),
                  "Total": i.get("sum"), "NDS_Rate": i.get("nds"),
                  "CalculationMethod": i.get("paymentType"), "SubjectType": i.get("productType"),
                  "ProductUnitOfMeasure": i.get("itemsQuantityMeasure")}
                 for i in t.get("items") or []]
        doc = {"DocumentName": t.get("code", 3), "User": t.get("user"), "UserInn": t["userInn"],
               "Number": t.get("requestNumber"), "DateTime": self.issued.strftime(STAMP),
               "ShiftNumber": t.get("shiftNumber"), "OperationType": t["operationType"],
               "TaxationType": t.get("taxationType"), "Operator": t.get("operator"),
               "KKT_RegNumber": t["kktRegId"], "FN_FactoryNumber": self.fn, "Items": items,
               "Buyer_Address": t.get("buyerAddress"), "Amount_Total": t["totalSum"],
               "Amount_Cash": t.get("cashTotalSum", 0), "Amount_ECash": t.get("ecashTotalSum", 0),
               "Amount_Advance": t.get("prepaymentSum", 0),
               "Amount_Loan": t.get("postpaymentSum", 0),
               "Amount_Granting": t.get("counterSubmissionSum", 0),
               "Document_Number": self.number, "DecimalFiscalSign": str(t["fiscalSign"])}
        return {"Version": 1, "DocumentFormat": t.get("fiscalDocumentFormatVer", 4),
                "Document": {k: v for k, v in doc.items() if v is not None}, "Tag": 0,
                "UserInn": t["userInn"], "KktRegNumber": t["kktRegId"].strip(), "FnNumber": self.fn,
                "DocNumber": self.number, "DocDateTime": self.issued.strftime(STAMP),
                "DecimalFiscalSign": str(t["fiscalSign"]),
                "CDateUtc": self.received_at.astimezone(UTC).strftime(STAMP)}
