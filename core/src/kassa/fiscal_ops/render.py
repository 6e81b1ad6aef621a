"""A register's status and documents as lines of text (the CLI, the chat replies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kassa.fiscal_ops.texts import say
from kassa.model.money import format_money

_DOC_TEXT = {"open-shift": "doc.open_shift", "close-shift": "doc.close_shift",
             "x-report": "doc.x_report", "cash-in": "doc.cash_in", "cash-out": "doc.cash_out",
             "correction": "doc.correction"}


def document_line(action: str, doc: Any, register: str, locale: str) -> str:
    """The sentence for what ``action`` produced (``doc``: a FiscalDocument or its JSON)."""
    data: dict[str, Any] = doc if isinstance(doc, dict) else {
        k: getattr(doc, k, None) for k in ("total", "shift", "number", "fiscal_sign")}
    total = data.get("total")
    return say(_DOC_TEXT[action], locale, register=register, shift=data.get("shift") or "?",
               number=data.get("number") or "—", sign=data.get("fiscal_sign") or "—",
               amount=format_money(total, locale) if isinstance(total, int) else "—")


def _when(text: str | None, tz: Any = None) -> str:
    if not text:
        return "—"
    d = datetime.fromisoformat(text)
    return f"{d.astimezone(tz) if tz else d:%d.%m.%Y %H:%M}"


def status_lines(item: dict[str, Any], locale: str) -> list[str]:
    """One register's lines from the API's ``/fiscal/status`` item."""
    lines = [say("st.title", locale, register=item["register"], site=item["site"])]
    if not item.get("reachable"):
        lines.append("  " + str(item.get("error")))
        return lines
    st = item["status"]
    if st["shift_expired"]:
        lines.append("  " + say("st.shift_expired", locale, shift=st["shift"] or "?"))
    elif st["shift_open"]:
        hours = st["shift_age_hours"]
        lines.append("  " + say("st.shift_open", locale, shift=st["shift"] or "?",
                                hours="?" if hours is None else f"{hours:.1f}",
                                since=_when(st["shift_opened_at"])))
    else:
        lines.append("  " + say("st.shift_closed", locale))
    if st["fn_full"]:
        lines.append("  " + say("st.fn_full", locale))
    elif st["fn_expires_at"]:
        lines.append("  " + say("st.fn", locale, fn=st["fn"] or "?",
                                until=_when(st["fn_expires_at"])[:10],
                                days=int(st["fn_days_left"])))
    elif st["fn"]:
        lines.append("  " + say("st.fn_plain", locale, fn=st["fn"]))
    if st["fn_used_percent"] is not None:
        lines.append("  " + say("st.fn_used", locale, percent=st["fn_used_percent"]))
    if st["unsent_documents"]:
        hours = st["oldest_unsent_hours"]
        lines.append("  " + say("st.ofd", locale, count=st["unsent_documents"],
                                hours="?" if hours is None else f"{hours:.0f}"))
    else:
        lines.append("  " + say("st.ofd_none", locale))
    lines.append("  " + say("st.paper_ok" if st["paper_ok"] else "st.paper_out", locale))
    if st["message"]:
        lines.append("  " + say("st.message", locale, message=st["message"]))
    if item.get("last"):
        lines.append("  " + last_line(item["register"], item["last"], locale))
    return lines


def last_line(register: str, doc: dict[str, Any], locale: str) -> str:
    kind = say(f"kind.{doc['kind']}", locale)
    return say("doc.last", locale, register=register, kind=kind, when=_when(doc["issued_at"]))


def document_lines(register: str, doc: dict[str, Any], locale: str) -> list[str]:
    """The last document in full: its fields, its printed copy, its QR text."""
    total = doc.get("total")
    lines = [last_line(register, doc, locale),
             say("doc.fields", locale, number=doc.get("number") or "—",
                 sign=doc.get("fiscal_sign") or "—", fn=doc.get("fn") or "—",
                 shift=doc.get("shift") or "—", receipt=doc.get("receipt_number") or "—",
                 amount=format_money(total, locale) if isinstance(total, int) else "—")]
    if doc.get("text"):
        lines += ["", str(doc["text"]), ""]
    if doc.get("qr"):
        lines.append(f"QR: {doc['qr']}")
    return lines


def qr_art(text: str, locale: str = "ru") -> str:
    """The QR drawn with block characters (segno: the ``qr`` extra; a ``UserError`` naming
    the extra when it is missing)."""
    import io

    from kassa.errors import UserError

    try:
        import segno
    except ImportError:
        raise UserError(say("err.qr_extra", locale)) from None
    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True)
    return out.getvalue()
