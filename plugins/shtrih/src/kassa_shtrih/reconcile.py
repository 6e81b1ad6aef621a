"""``lookup(key)`` for a register that keeps no request ids: the reconcile log's record of the
call against the register's own archive.

Fiscal documents (receipt, correction, shift open/close): FF01 gives the last FD number.
Equal to the one recorded before the call -> nothing was made (``None``). Higher -> each FD in
between is read with FF0A; the one whose type, sum, 1054 and time fit the request, and that no
other key already owns, is the document. None fits -> ``None`` (FDs were made, none of them
ours). More than one fits -> ``RetryLater``: we cannot tell, so a person decides; the
register never prints blindly.

Cash in/out and X reports have no FD: the through document number (0x11) moved by exactly one
-> that was the document; unmoved -> ``None``; anything else -> ``RetryLater``. Text printed
with 0x17 moves no counter at all, so an unanswered text print stays ``RetryLater``.
The caller has already cancelled a document left open (mode 8): it was never fiscalised."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kassa.model import DocumentKind, FiscalDocument

from kassa_shtrih import commands as c
from kassa_shtrih import mapping
from kassa_shtrih.texts import ShtrihRetryLater

if TYPE_CHECKING:
    from kassa_shtrih.device import ShtrihRegister
    from kassa_shtrih.intents import Intent


async def reconcile(reg: ShtrihRegister, intent: Intent) -> FiscalDocument | None:
    if intent.kind.fiscal:
        return await _fiscal(reg, intent)
    if intent.kind == DocumentKind.TEXT:
        raise ShtrihRetryLater("shtrih.text_unknown", name=reg.name, key=intent.key, after=60)
    fs = c.full_status(await reg.command(c.FULL_STATUS))
    moved = fs.document_number - intent.doc_before
    if moved == 0:
        return None
    if moved == 1:
        return FiscalDocument(kind=intent.kind, issued_at=intent.at.replace(tzinfo=reg.tz),
                              total=intent.total,
                              detail={"document_number": fs.document_number,
                                      "reconciled": True})
    raise ShtrihRetryLater("shtrih.moved", name=reg.name, key=intent.key, moved=moved,
                           after=60)


async def _fiscal(reg: ShtrihRegister, intent: Intent) -> FiscalDocument | None:
    fn = c.fn_status(await reg.command(c.FN_STATUS))
    before = intent.fd_before or 0
    if fn.last_fd <= before:
        return None
    claimed = reg.intents.claimed()
    fits = []
    for number in range(before + 1, fn.last_fd + 1):
        if number in claimed:
            continue
        found = c.found_document(await reg.command(c.FIND_DOCUMENT, c.le(number, 4)))
        if mapping.matches(found, intent.kind, intent.total, intent.operation, intent.at):
            fits.append(found)
    if not fits:
        return None
    if len(fits) > 1:
        raise ShtrihRetryLater("shtrih.ambiguous", name=reg.name, key=intent.key,
                               numbers=", ".join(str(f.number) for f in fits), after=60)
    found = fits[0]
    sp = c.shift_params(await reg.command(c.SHIFT_PARAMS))
    last = found.number == fn.last_fd and found.type in (3, 31)
    return mapping.document(found, fn=fn.fn, tz=reg.tz,
                            receipt_number=sp.receipt if last else None, shift=sp.shift,
                            detail={"reconciled": True})
