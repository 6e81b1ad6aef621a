"""``ShtrihRegister``: a Shtrih-M register as a Kassa ``FiscalDevice`` (FFD 1.2: FF46 items,
FF0C tags, FF45 close; 0xE0 / 0x41 shifts; FF0A to read documents back).

One call at a time per register. Before the first command that changes anything, the
register's counters go into the reconcile log (``intents``); ``lookup(key)`` compares them
with the FN archive. Errors map as hookspecs/fiscal.py says (``mapping.refused``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
from kassa.errors import UserError
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    DocumentKind,
    FiscalDocument,
    FiscalStatus,
    MarkingCheck,
    Operation,
    OperationTotals,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ShiftTotals,
)

from kassa_shtrih import commands as c
from kassa_shtrih import mapping
from kassa_shtrih.codes import Submode, split_mode
from kassa_shtrih.intents import Intent, IntentLog, Settled
from kassa_shtrih.link import AnswerLost, ByteStream, Link, LinkDown
from kassa_shtrih.settings import RegisterSettings
from kassa_shtrih.texts import ShtrihRetryLater, ShtrihUserError
from kassa_shtrih.transport import open_serial, open_tcp


class Refusal(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"error 0x{code:02X}")
        self.code = code


class ShtrihRegister:
    def __init__(self, cfg: RegisterSettings, state_dir: Path, *,
                 settled: Settled | None = None, compact_bytes: int = 1 << 20) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.tz = timezone(timedelta(hours=cfg.utc_offset))
        self.intents = IntentLog(state_dir / f"{cfg.name}.intents.jsonl", settled=settled,
                                 compact_bytes=compact_bytes)
        self._lock = anyio.Lock()
        self._stream: ByteStream | None = None
        self._link: Link | None = None
        self._changed = False  # a command that may change the register went out in this call

    # --- the line --------------------------------------------------------------------------
    @property
    def _cashier(self) -> int:
        return int(self.cfg.cashier_password.reveal())

    @property
    def _admin(self) -> int:
        return int(self.cfg.admin_password.reveal())

    async def _connect(self) -> Link:
        if self._link is None:
            try:
                if self.cfg.tcp:
                    host, _, port = self.cfg.tcp.rpartition(":")
                    self._stream = await open_tcp(host, int(port))
                else:
                    self._stream = await open_serial(self.cfg.serial, self.cfg.baud)
            except (OSError, TimeoutError) as exc:
                raise LinkDown(f"cannot reach {self.cfg.tcp or self.cfg.serial}: {exc}") from exc
            self._link = Link(self._stream, byte_timeout=self.cfg.byte_timeout,
                              answer_timeout=self.cfg.answer_timeout)
        return self._link

    async def _drop(self) -> None:
        stream, self._stream, self._link = self._stream, None, None
        if stream is not None:
            with anyio.CancelScope(shield=True), anyio.move_on_after(1):
                try:
                    await stream.aclose()
                except OSError:
                    pass

    async def stop(self) -> None:
        await self._drop()

    async def stop_link(self) -> None:
        """Close the connection (the next call opens a new one)."""
        await self._drop()

    async def command(self, code: int, data: bytes = b"", *, admin: bool = False,
                   changes: bool = False) -> bytes:
        link = await self._connect()
        if changes:
            self._changed = True
        payload = c.request(code, self._admin if admin or code > 0xFF else self._cashier, data)
        try:
            ans = c.answer(await link.exchange(payload))
        except (LinkDown, AnswerLost):
            await self._drop()
            raise
        if ans.code != code:
            await self._drop()
            raise AnswerLost(f"answer to 0x{ans.code:X} while waiting for 0x{code:X}")
        if ans.error:
            raise Refusal(ans.error)
        return ans.data

    async def _short(self) -> c.ShortStatus:
        return c.short_status(await self.command(c.SHORT_STATUS))

    async def _prepare(self) -> c.ShortStatus:
        """Clear what a crash left: a document never closed (not fiscalised: cancel it), a
        print waiting for 0xB0 after paper was loaded. Paper out: nothing can be done now."""
        st = await self._short()
        mode, _ = split_mode(st.mode)
        if st.submode == Submode.AWAIT_CONTINUE:
            await self.command(c.CONTINUE_PRINT)
            st = await self._short()
        if mode == 8:
            await self.command(c.CANCEL)
            st = await self._short()
        return st

    # --- one call ----------------------------------------------------------------------------
    async def _call(self, key: str, kind: DocumentKind,
                    body: Callable[[], Awaitable[FiscalDocument]], *,
                    total: int | None = None, operation: int | None = None) -> FiscalDocument:
        async with self._lock:
            self._changed = False
            await self.intents.maybe_compact()  # at the first call, then by size
            try:
                st = await self._prepare()
                if st.submode in (Submode.PAPER_OUT_PASSIVE, Submode.PAPER_OUT_ACTIVE):
                    raise Refusal(0x6B)
                fs = c.full_status(await self.command(c.FULL_STATUS))
                fd = (await self._clear_fn()).last_fd if kind.fiscal else None
                self.intents.sent(Intent(key=key, kind=kind, at=fs.at, fd_before=fd,
                                         doc_before=fs.document_number, total=total,
                                         operation=operation))
                doc = await body()
            except Refusal as r:
                if self._changed:
                    await self._cancel_open()
                raise mapping.refused(self.name, r.code, kind.value) from None
            except UserError:  # ours (a rejected marking code): nothing may stay open
                if self._changed:
                    await self._cancel_open()
                raise
            except LinkDown as exc:
                if not self._changed:
                    raise ShtrihRetryLater("shtrih.silent", name=self.name, what=kind.value,
                                           after=5) from exc
                raise ConnectionError(f"register {self.name}: {exc}") from exc
            except AnswerLost as exc:
                if not self._changed:
                    raise ShtrihRetryLater("shtrih.silent", name=self.name, what=kind.value,
                                           after=5) from exc
                raise ConnectionError(f"register {self.name}: {exc}") from exc
            except BaseException:
                await self._drop()  # cancelled mid-exchange: the line's state is unknown
                raise
            self.intents.done(key, doc)
            return doc

    async def _clear_fn(self) -> c.FnStatus:
        """FF01; a document the FN still has open outside mode 8 (a correction begun with
        FF35 on firmware that does not show it as mode 8) is dropped with FF08: it was never
        fiscalised."""
        fn = c.fn_status(await self.command(c.FN_STATUS))
        if fn.document:
            await self.command(c.FN_CANCEL)
            fn = c.fn_status(await self.command(c.FN_STATUS))
        return fn

    async def _cancel_open(self) -> None:
        try:
            if split_mode((await self._short()).mode)[0] == 8:
                await self.command(c.CANCEL)
            await self._clear_fn()
        except (Refusal, LinkDown, AnswerLost):
            pass  # the next call's _prepare cancels it

    async def _last_document(self, detail: dict[str, Any]) -> FiscalDocument:
        fn = c.fn_status(await self.command(c.FN_STATUS))
        found = c.found_document(await self.command(c.FIND_DOCUMENT, c.le(fn.last_fd, 4)))
        sp = c.shift_params(await self.command(c.SHIFT_PARAMS))
        st = await self._short()
        if st.submode != Submode.PAPER_OK:
            detail["not_printed"] = True  # the FN has it; 0xB0 finishes once paper is in
        receipt_no = sp.receipt if found.type in (3, 31) else None
        return mapping.document(found, fn=fn.fn, tz=self.tz, receipt_number=receipt_no,
                                shift=sp.shift, detail=detail)

    # --- FiscalDevice ------------------------------------------------------------------------
    async def receipt(self, receipt: Receipt, key: str) -> FiscalDocument:
        rates = self._rates(receipt.lines)  # before anything is sent

        async def body() -> FiscalDocument:
            await self._items(receipt.lines, rates, int(receipt.operation),
                              receipt.operation.refund, receipt.electronic_only)
            return await self._close(receipt, mapping.tlvs(receipt))

        return await self._call(key, DocumentKind.RECEIPT, body, total=receipt.total,
                                operation=int(receipt.operation))

    def _rates(self, lines: Sequence[ReceiptLine]) -> list[int]:
        return [mapping.tax_byte(ln.vat, self.cfg.main_vat, i) for i, ln in enumerate(lines, 1)]

    async def _items(self, lines: Sequence[ReceiptLine], rates: list[int], op: int,
                     refund: bool, electronic_only: bool = False) -> None:
        for i, ln in enumerate(lines, 1):
            if ln.marking_code:
                await self._bind_marking(ln.marking_code, i, refund)
            await self.command(c.OPERATION_V2, c.operation_v2(
                0, op=op, qty=ln.quantity, price=ln.price, total=ln.total,
                tax_rate=rates[i - 1], dept=self.cfg.department,
                method=int(ln.settlement_method), obj=int(ln.payment_object),
                name=mapping.line_name(ln.name, electronic_only))[6:], changes=True)

    async def _close(self, doc: Receipt | CorrectionReceipt, tags: list[tuple[int, bytes]]
                     ) -> FiscalDocument:
        for tag, value in tags:
            await self.command(c.SEND_TLV, c.tlv(tag, value), changes=True)
        change = c.num(await self.command(c.CLOSE_V2, c.close_v2(
            0, mapping.payments(doc), tax_system=int(doc.taxation))[6:], changes=True))
        return await self._last_document({"change": change})

    async def _bind_marking(self, code: str, line: int, refund: bool) -> None:
        raw = code.encode("ascii", errors="replace")
        ans = c.marking_answer(await self.command(
            c.CHECK_MARKING, c.check_marking(0, raw, 3 if refund else 1)[6:], changes=True))
        if ans.item_info & 0x0F != 0x0F:
            await self.command(c.ACCEPT_MARKING, bytes([0]))
            raise ShtrihUserError("shtrih.marking", line=line, info=ans.item_info)
        await self.command(c.ACCEPT_MARKING, bytes([1]))
        await self.command(c.BIND_MARKING, bytes([len(raw)]) + raw)

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        """With items (FFD 1.2): FF35, FF46 per line with the correction's 1054, FF0C 1173 /
        1174 {1178, 1179} and the other tags, FF45. Without items: FF35 + FF36 (sum and
        1054 only; FSPrintCorrectionReceipt.java)."""
        rates = self._rates(correction.lines)

        async def body() -> FiscalDocument:
            await self.command(c.CORRECTION_BEGIN, changes=True)
            if correction.lines:
                await self._items(correction.lines, rates, int(correction.operation),
                                  correction.operation.refund)
                return await self._close(correction, mapping.correction_tlvs(correction))
            await self.command(c.CORRECTION, c.le(correction.total, 5)
                               + bytes([int(correction.operation)]))
            return await self._last_document({})

        return await self._call(key, DocumentKind.CORRECTION, body,
                                total=correction.total, operation=int(correction.operation))

    async def _cash(self, code: int, kind: DocumentKind, amount: int, key: str
                    ) -> FiscalDocument:
        async def body() -> FiscalDocument:
            data = await self.command(code, c.le(amount, 5), changes=True)
            return FiscalDocument(kind=kind, issued_at=self._now(await self._full()),
                                  total=amount, detail={"document_number": c.num(data[1:3])})

        return await self._call(key, kind, body, total=amount)

    async def _full(self) -> c.FullStatus:
        return c.full_status(await self.command(c.FULL_STATUS))

    def _now(self, fs: c.FullStatus) -> Any:
        return fs.at.replace(tzinfo=self.tz)

    async def cash_in(self, amount: int, key: str,
                      cashier: Cashier | None = None) -> FiscalDocument:
        return await self._cash(c.CASH_IN, DocumentKind.CASH_IN, amount, key)

    async def cash_out(self, amount: int, key: str,
                       cashier: Cashier | None = None) -> FiscalDocument:
        return await self._cash(c.CASH_OUT, DocumentKind.CASH_OUT, amount, key)

    async def open_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        async def body() -> FiscalDocument:
            await self.command(c.OPEN_SHIFT, changes=True)
            return await self._last_document({"cashier": cashier.name})

        return await self._call(key, DocumentKind.SHIFT_OPEN, body)

    async def close_shift(self, cashier: Cashier, key: str) -> FiscalDocument:
        async def body() -> FiscalDocument:
            await self.command(c.Z_REPORT, admin=True, changes=True)
            return await self._last_document({"cashier": cashier.name})

        return await self._call(key, DocumentKind.SHIFT_CLOSE, body)

    async def x_report(self, key: str) -> FiscalDocument:
        async def body() -> FiscalDocument:
            await self.command(c.X_REPORT, admin=True, changes=True)
            fs = await self._full()
            return FiscalDocument(kind=DocumentKind.X_REPORT, issued_at=self._now(fs),
                                  detail={"document_number": fs.document_number})

        return await self._call(key, DocumentKind.X_REPORT, body)

    async def print_text(self, lines: Sequence[str], key: str) -> FiscalDocument:
        async def body() -> FiscalDocument:
            for line in lines:
                for i in range(0, max(len(line), 1), 40):  # 0x17 prints 40 characters
                    await self.command(c.PRINT_LINE, bytes([1]) + c.text(line[i:i + 40], 40),
                                    changes=True)
            await self.command(c.CUT, bytes([1]))
            return FiscalDocument(kind=DocumentKind.TEXT, issued_at=self._now(await self._full()),
                                  detail={"lines": len(lines)})

        return await self._call(key, DocumentKind.TEXT, body)

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None) -> MarkingCheck:
        async with self._lock:
            try:
                await self._prepare()
                raw = code.encode("ascii", errors="replace")
                ans = c.marking_answer(await self.command(
                    c.CHECK_MARKING, c.check_marking(0, raw, planned_status)[6:]))
                await self.command(c.ACCEPT_MARKING, bytes([0]))  # a question: clear the buffer
            except Refusal as r:
                raise mapping.refused(self.name, r.code, "marking") from None
            except (LinkDown, AnswerLost) as exc:
                raise ShtrihRetryLater("shtrih.silent", name=self.name, what="status",
                                       after=5) from exc
        valid = ans.local_error == 0 and ans.item_info & 0x0F == 0x0F
        return MarkingCheck(code=code, valid=valid, item_info=ans.item_info,
                            message=None if valid else "код маркировки отклонён")

    async def status(self) -> FiscalStatus:
        async with self._lock:
            try:
                return await self._status()
            except Refusal as r:
                if r.code in (0x64, 0x03):
                    return FiscalStatus(shift_open=False, ready=False, fn_full=False,
                                        message=str(mapping.refused(self.name, r.code, "status")))
                raise mapping.refused(self.name, r.code, "status") from None
            except (LinkDown, AnswerLost) as exc:
                raise ShtrihRetryLater("shtrih.silent", name=self.name, what="status",
                                       after=5) from exc

    async def _status(self) -> FiscalStatus:
        st = await self._short()
        mode, _ = split_mode(st.mode)
        fn = c.fn_status(await self.command(c.FN_STATUS))
        sp = c.shift_params(await self.command(c.SHIFT_PARAMS))
        ofd = c.ofd_status(await self.command(c.OFD_STATUS))
        expires = c.fn_expiry(await self.command(c.FN_EXPIRY)).replace(tzinfo=self.tz)
        paper = st.submode == Submode.PAPER_OK
        expired = mode == 3
        return FiscalStatus(
            shift_open=sp.open, shift=sp.shift or None, shift_expired=expired,
            unsent_documents=ofd.unsent,
            oldest_unsent_at=ofd.first_at.replace(tzinfo=self.tz) if ofd.first_at else None,
            fn=fn.fn, fn_expires_at=expires, fn_full=bool(fn.warnings & 0x02), paper_ok=paper,
            ready=paper and not fn.warnings & 0x02,
            message=None if paper else "нет чековой ленты")

    async def shift_totals(self) -> ShiftTotals:
        """The shift's counters from the register's own cash (0x1A) and operational (0x1B)
        registers (numbers in ``commands``): per 1054, receipts, the sum over the 16
        departments, cash (type 1) and electronic (type 2, the slot ``mapping.SLOTS`` pays
        cards into). Prepaid / credit / other (slots 14..16) have no register we know: None.
        A question: prints nothing; after a Z the registers read zero (cleared)."""
        async with self._lock:
            try:
                return await self._shift_totals()
            except Refusal as r:
                raise mapping.refused(self.name, r.code, "status") from None
            except (LinkDown, AnswerLost) as exc:
                raise ShtrihRetryLater("shtrih.silent", name=self.name, what="status",
                                       after=5) from exc

    async def _shift_totals(self) -> ShiftTotals:
        async def cash(number: int) -> int:
            return c.cash_register(await self.command(c.CASH_REGISTER, bytes([number])))

        ops: dict[Operation, OperationTotals] = {}
        for op in Operation:
            o = c.REGISTER_OPERATION[int(op)]
            count = c.operation_register(await self.command(
                c.OPERATION_REGISTER, bytes([c.RECEIPT_COUNTS + o])))
            total = 0
            for dept in range(1, 17):
                total += await cash(c.dept_register(dept, o))
            ops[op] = OperationTotals(count=count, total=total,
                                      cash=await cash(c.payment_register(1, o)),
                                      electronic=await cash(c.payment_register(
                                          mapping.SLOTS[PaymentKind.ELECTRONIC] + 1, o)))
        sp = c.shift_params(await self.command(c.SHIFT_PARAMS))
        return ShiftTotals(shift=sp.shift or None, operations=ops,
                           cash_in=await cash(c.CASH_INS), cash_out=await cash(c.CASH_OUTS),
                           cash_in_drawer=await cash(c.DRAWER))

    async def lookup(self, key: str) -> FiscalDocument | None:
        from kassa_shtrih.reconcile import reconcile

        async with self._lock:
            await self.intents.maybe_compact()
            intent = self.intents.get(key)
            if intent is None:
                return None  # nothing was ever sent under this key
            if intent.doc is not None:
                return intent.doc
            try:
                await self._prepare()
                await self._clear_fn()
                doc = await reconcile(self, intent)
            except (Refusal, LinkDown, AnswerLost) as exc:
                await self._drop()
                raise ShtrihRetryLater("shtrih.lookup_silent", name=self.name, key=key,
                                       after=5) from exc
            if doc is not None:
                self.intents.done(key, doc)
            return doc


__all__ = ["Refusal", "ShtrihRegister"]
