"""A receipt as the OFD shows it, as plain text (``kassa ofd receipt``)."""

from __future__ import annotations

from typing import Any

from kassa.model import Operation

from kassa_ofd.wire import OfdReceipt

# 1054 as a printed receipt names it (FFD Table 25)
OPERATION_NAMES = {Operation(1): "Приход", Operation(2): "Возврат прихода",
                   Operation(3): "Расход", Operation(4): "Возврат расхода"}


def _rub(kop: Any) -> str:
    k = int(kop or 0)
    return f"{k // 100}.{k % 100:02d}"


def render(item: OfdReceipt, document: dict[str, Any] | None) -> str:
    doc = (document or {}).get("Document") or {}
    lines = [f"{doc.get('User') or ''}  ИНН {doc.get('UserInn') or ''}".strip(),
             f"Чек № {item.number}  ФН {item.fn}  ФП {item.fiscal_sign or '-'}",
             f"РН ККТ {item.reg_number}  смена {item.shift or '-'}  "
             f"{item.issued_at:%d.%m.%Y %H:%M}",
             f"Операция: {OPERATION_NAMES.get(item.operation, '?') if item.operation else '?'}"]
    for it in doc.get("Items") or []:
        lines.append(f"  {it.get('Name')}  {it.get('Quantity')} x {_rub(it.get('Price'))}"
                     f" = {_rub(it.get('Total'))}")
    lines.append(f"ИТОГ {_rub(item.total)}")
    if doc.get("Buyer_Address"):
        lines.append(f"Покупатель: {doc['Buyer_Address']}")
    if item.received_at:
        lines.append(f"Получен ОФД: {item.received_at:%d.%m.%Y %H:%M} UTC")
    return "\n".join(lines)
