"""The domain model: attrs types, no I/O. Money is integer kopecks, quantities Decimal(3)."""

from kassa.model.event import DEFAULT_SEVERITY, Event, EventKind, Line, Severity
from kassa.model.fiscal import FiscalDocument, FiscalStatus, Receipt, ReceiptLine, ReceiptPayment
from kassa.model.guest import Account, AccountKind, Guest, Identifier, IdentifierKind
from kassa.model.loyalty import Posting, Quote, QuoteLine
from kassa.model.message import (
    Attachment,
    Button,
    ChannelLimits,
    ChatRef,
    Delivery,
    Incoming,
    Message,
    Reply,
)
from kassa.model.order import Check, Discount, Order, OrderLine, Payment
from kassa.model.payment import PaymentResult, PaymentStatus
from kassa.model.report import Chart, Column, Period, Report
from kassa.model.site import Employee, Site, Station

__all__ = [
    "DEFAULT_SEVERITY",
    "Account",
    "AccountKind",
    "Attachment",
    "Button",
    "ChannelLimits",
    "Chart",
    "ChatRef",
    "Check",
    "Column",
    "Delivery",
    "Discount",
    "Employee",
    "Event",
    "EventKind",
    "FiscalDocument",
    "FiscalStatus",
    "Guest",
    "Identifier",
    "IdentifierKind",
    "Incoming",
    "Line",
    "Message",
    "Order",
    "OrderLine",
    "Payment",
    "PaymentResult",
    "PaymentStatus",
    "Period",
    "Posting",
    "Quote",
    "QuoteLine",
    "Receipt",
    "ReceiptLine",
    "ReceiptPayment",
    "Reply",
    "Report",
    "Severity",
    "Site",
    "Station",
]
