"""POS text feed encoders: one ``PosEvent`` -> the bytes one video system reads.

- ``dssl``: Trassir ActivePOS "DSSL XML", one ``<transaction>`` document per event
  (fiscal.md §8 vendor sample; ofd_video.md B.1: the declared encoding, elements joined by
  CR LF, empty fields omitted).
- ``axxon``: Axxon / ITV POS Intellect XML, one ``<TransactionBlock>`` per operation, every
  element on its own CR LF line, ``TransactionTimestamp`` in UTC with milliseconds
  (ofd_video.md B.2).
- ``text``: a plain line protocol of ours (no vendor document): one CR LF line per event,
  ``date time<TAB>terminal<TAB>kind<TAB>receipt<TAB>detail``.

Names the sources do not give (DSSL types for a void, a discount, a drawer; every Axxon
``FunctionNumber``) are our assumptions, overridable per feed (docs/plugins/video.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC
from decimal import Decimal
from xml.sax.saxutils import escape

from kassa.model import PosEvent, PosEventKind, PosOperation

from kassa_video.settings import FeedSettings

K = PosEventKind

# documented in B.1 (vendor sample, gas-station list, SDK feed) ...
DSSL_DOCUMENTED: dict[str, str] = {
    K.RECEIPT_OPEN: "POSNG_RECEIPT_OPEN",
    K.LINE_ADD: "POSNG_POSITION_ADD",
    K.RECEIPT_CLOSE: "POSNG_RECEIPT_CLOSE",
    K.RECEIPT_CANCEL: "POSNG_RECEIPT_CANCEL",
    K.SHIFT_OPEN: "POSNG_SHIFT_START",
    K.SHIFT_CLOSE: "POSNG_SHIFT_END",
    K.PAYMENT: "POSNG_PAYMENT_CASH",  # the only payment type the sources show
}
# a return receipt opens and closes with its own types (B.1's gas-station list)
DSSL_RETURN: dict[str, str] = {
    K.RECEIPT_OPEN: "POSNG_RECEIPT_RETURN",
    K.RECEIPT_CLOSE: "POSNG_RECEIPT_RETURN_CLOSE",
}
# ... and not found in any source (ofd_video.md C.5): our names, overridable per feed
DSSL_ASSUMED: dict[str, str] = {
    K.LINE_VOID: "POSNG_POSITION_VOID",
    K.DISCOUNT: "POSNG_DISCOUNT",
    K.DRAWER_OPEN: "POSNG_DRAWER_OPEN",
    "payment_card": "POSNG_PAYMENT_CARD",
}
# the catalogue is on pages not read (ofd_video.md B.2, C.6): ours, overridable per feed;
# 2 for a line follows the B.2 sample package
AXXON_FUNCTIONS: dict[str, int] = {
    K.RECEIPT_OPEN: 1, K.LINE_ADD: 2, K.LINE_VOID: 3, K.DISCOUNT: 4, K.PAYMENT: 5,
    K.RECEIPT_CLOSE: 6, K.RECEIPT_CANCEL: 7, K.DRAWER_OPEN: 8, K.SHIFT_OPEN: 9,
    K.SHIFT_CLOSE: 10,
}
CASH = ("cash", "налич")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML 1.0


def clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def rubles(kopecks: int, comma: bool = False) -> str:
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    return f"{sign}{whole}{',' if comma else '.'}{part:02d}"


def quantity(value: Decimal, comma: bool = False) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if comma else text


def is_cash(payment_type: str | None) -> bool:
    """Cash by its name: the fiscal kind ``cash``, r_keeper's "Наличные (руб)" and the like."""
    return (payment_type or "cash").strip().lower().startswith(CASH)


def dssl_type(event: PosEvent, s: FeedSettings) -> str:
    key = str(event.kind)
    if event.kind is K.PAYMENT and not is_cash(event.payment_type):
        key = "payment_card"
    if event.operation is PosOperation.RETURN and key in DSSL_RETURN:
        return s.dssl_types.get(f"return_{key}") or DSSL_RETURN[key]
    if key in s.dssl_types:
        return s.dssl_types[key]
    return DSSL_DOCUMENTED.get(key) or DSSL_ASSUMED[key]


def _xml(tag: str, value: str) -> str:
    return f"<{tag}>{escape(clean(value))}</{tag}>"


def encode_dssl(event: PosEvent, s: FeedSettings) -> bytes:
    fields: list[tuple[str, str | None]] = [
        ("event_type", dssl_type(event, s)),
        ("operation_id", event.receipt_id or "0"),
        ("cashier", event.cashier),
        ("date", event.at.strftime(s.date_format)),
        ("time", event.at.strftime("%H:%M:%S")),
    ]
    line = event.line
    if line is not None:
        fields += [("position", str(line.position)), ("quantity", quantity(line.quantity)),
                   ("price_per_unit", rubles(line.price)), ("barcode", line.barcode),
                   ("text", line.name), ("price", rubles(line.amount))]
    elif event.kind is K.PAYMENT:
        fields += [("text", event.payment_type),
                   ("price", None if event.total is None else rubles(event.total))]
    elif event.total is not None:
        fields.append(("price", rubles(event.total)))
    fields.append(("location", event.terminal_id))
    sep = s.separator
    # separator "" is the vendor sample; CR LF is what a real POS sends (B.1)
    body = sep.join(["<transaction>", *(_xml(tag, v) for tag, v in fields if v),
                     "</transaction>"])
    text = f'<?xml version="1.0" encoding="{s.encoding}"?>' + sep + body
    return text.encode(s.encoding, errors="replace")


def encode_axxon(event: PosEvent, s: FeedSettings) -> bytes:
    comma = s.decimal_comma
    number = s.functions.get(str(event.kind), AXXON_FUNCTIONS[str(event.kind)])
    at = event.at.astimezone(UTC)
    fields: list[tuple[str, str | None]] = [
        ("FunctionNumber", str(number)),
        ("TransactionTimestamp",
         at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}"),
    ]
    if s.terminal_tag:
        fields.append((s.terminal_tag, event.terminal_id))
    fields += [("cash_number", event.terminal_id), ("receipt_number", event.receipt_id),
               ("user_name", event.cashier)]
    line = event.line
    if line is not None:
        fields += [("item_pos", str(line.position)), ("item_name", line.name),
                   ("item_barcode", line.barcode), ("item_price", rubles(line.price, comma)),
                   ("item_quantity", quantity(line.quantity, comma)),
                   ("item_amount", rubles(line.amount, comma))]
    elif event.kind is K.PAYMENT:
        fields += [("payment_name", event.payment_type),
                   ("payment_amount", None if event.total is None else rubles(event.total, comma))]
    elif event.total is not None:
        fields.append(("receipt_amount", rubles(event.total, comma)))
    if event.kind in (K.RECEIPT_OPEN, K.RECEIPT_CLOSE):
        # B.2: type 0 sale, 1 return (a return by receipt, 2, would need the original's id)
        fields.append(("type", "1" if event.operation is PosOperation.RETURN else "0"))
    lines = ["<TransactionBlock>", *(_xml(t, v) for t, v in fields if v), "</TransactionBlock>"]
    return "".join(f"{ln}\r\n" for ln in lines).encode(s.encoding, errors="replace")


def _flat(text: str | None) -> str:
    return re.sub(r"[\t\r\n]+", " ", clean(text or ""))


def text_detail(event: PosEvent) -> str:
    line = event.line
    if line is not None:
        code = f" [{line.barcode}]" if line.barcode else ""
        return (f"{line.position} {_flat(line.name)}{code} {quantity(line.quantity)} x "
                f"{rubles(line.price)} = {rubles(line.amount)}")
    parts = []
    if event.payment_type:
        parts.append(_flat(event.payment_type))
    if event.total is not None:
        parts.append(rubles(event.total))
    if event.cashier:
        parts.append(f"({_flat(event.cashier)})")
    return " ".join(parts)


def encode_text(event: PosEvent, s: FeedSettings) -> bytes:
    kind = str(event.kind) + ("/return" if event.operation is PosOperation.RETURN else "")
    fields = [event.at.strftime("%Y-%m-%d %H:%M:%S"), _flat(event.terminal_id),
              kind, _flat(event.receipt_id), text_detail(event)]
    return ("\t".join(fields) + "\r\n").encode(s.encoding, errors="replace")


ENCODERS: Mapping[str, Callable[[PosEvent, FeedSettings], bytes]] = {
    "dssl": encode_dssl, "axxon": encode_axxon, "text": encode_text}


def encode(event: PosEvent, s: FeedSettings) -> bytes:
    return ENCODERS[s.protocol](event, s)
