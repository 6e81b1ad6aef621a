"""The video system emulator (the VMS side of a POS text feed): one TCP listener per input,
parsing DSSL XML, Axxon XML or our text lines as the real receiver would (ofd_video.md B.4:
split the stream on ``</transaction>`` / ``</TransactionBlock>`` / CR LF, decode by the
declared or configured encoding), recording every event with its arrival time.

What it checks and flags (``flags``; a document it cannot read is not recorded): the XML
declaration and its encoding (UTF-8 or windows-1251, bytes that are not valid in it),
well-formed XML and the root element, required fields (DSSL ``event_type`` and
``operation_id``, Axxon ``FunctionNumber`` (required by B.2) and the ``.fff`` timestamp,
text: five tab fields), CR LF between Axxon elements, unknown event types, the order of each
receipt at a terminal (open -> lines/discounts/payments -> close or cancel; several may be
open at once), a receipt's event times going backwards, and the same document twice
(``duplicates``).

Faults on request: ``hang_up()`` closes the link the way a receiver that shuts down does
(FIN; what the POS wrote before it saw the close is still read); ``hang_up(abort=True)`` as
a crash (RST: bytes not yet read are lost); ``drop_after = n`` hangs up after n more events;
``pause()`` / ``resume()`` stop and restart listening (connections refused meanwhile).
With ``transport="udp"`` it reads one document per datagram (B.1) instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import anyio
from anyio.abc import SocketAttribute, SocketStream
from attrs import define, field
from kassa.model import PosEventKind

from kassa_video.encoders import AXXON_FUNCTIONS, DSSL_ASSUMED, DSSL_DOCUMENTED, DSSL_RETURN

K = PosEventKind
DECL = re.compile(rb'^<\?xml\s+version="1\.0"\s+encoding="([^"]+)"\s*\?>')
AXXON_LINE = re.compile(r"^<([A-Za-z_][\w]*)>(.*)</\1>$")
AXXON_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
# the SDK feed's and gas-station list's types beyond the ones we send (ofd_video.md B.1)
DSSL_OTHER = frozenset({"POSNG_RECEIPT_SELL_CLOSE", "POSNG_RECEIPT_ANNULMENT",
                        "POSNG_PAYMENT_CASH", "POSNG_RECEIPT_CHANGE", "POSNG_RECEIPT_NUMBER",
                        "POSNG_CASHIER_LOGIN", "POSNG_CASHIER_LOGOUT"})
DSSL_KIND = {v: k for k, v in DSSL_DOCUMENTED.items()} | {
    v: k for k, v in DSSL_RETURN.items()} | {
    v: (K.PAYMENT if k == "payment_card" else k) for k, v in DSSL_ASSUMED.items()}
LINES = {K.LINE_ADD, K.LINE_VOID, K.DISCOUNT, K.PAYMENT}
ENCODINGS = {"utf-8": "utf-8", "windows-1251": "cp1251"}
MAX_DOCUMENT = 64 * 1024  # a receiver that never finds the end tag stops buffering


@define
class Record:
    """One event as the receiver understood it."""

    at: datetime  # arrival (the receiver's clock)
    monotonic: float
    terminal: str
    kind: str  # a PosEventKind value, or the raw type when it maps to none
    receipt: str
    fields: dict[str, str]
    raw: bytes = field(repr=False)
    connection: int = 0
    event_at: datetime | None = None  # the POS clock, as the document says


class SimReceiver:
    """One emulated video system input."""

    def __init__(self, name: str, *, site: str = "", protocol: str = "dssl",
                 transport: str = "tcp", encoding: str = "utf-8",
                 date_format: str = "%d/%m/%Y",
                 functions: Mapping[str, int] | None = None,
                 on_record: Callable[[str, Record], None] | None = None) -> None:
        self.name, self.site, self.protocol = name, site, protocol
        self.transport = transport
        self.encoding = encoding  # Axxon and text carry none: the site's setting
        self.date_format = date_format
        self.functions = {v: k for k, v in {**AXXON_FUNCTIONS, **(functions or {})}.items()}
        self.on_record = on_record
        self.records: list[Record] = []
        self.flags: list[str] = []
        self.unverified: Counter[str] = Counter()  # our assumed type names, as received
        self.connections = 0
        self.port = 0
        self.drop_after: int | None = None
        self.streams: set[SocketStream] = set()
        self.open_receipts: dict[tuple[str, str], str] = {}
        self.last_at: dict[tuple[str, str], datetime] = {}
        self.seen: Counter[bytes] = Counter()
        self.listener: Any = None
        self.task: asyncio.Task[None] | None = None
        self.host = "127.0.0.1"

    # --- faults --------------------------------------------------------------------------
    async def hang_up(self, *, abort: bool = False) -> None:
        """Close every link now: a FIN after which what is in flight is still read, or (abort)
        an RST that throws away what was not read yet."""
        for s in list(self.streams):
            if abort:
                sock = s.extra(SocketAttribute.raw_socket)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                await s.aclose()
            else:
                with contextlib.suppress(Exception):
                    await s.send_eof()

    async def pause(self) -> None:
        """Stop listening and drop the links (the video server is off)."""
        await self.hang_up(abort=True)
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.listener is not None:
            with contextlib.suppress(Exception):
                await self.listener.aclose()
            self.listener = None

    async def resume(self) -> None:
        await self.listen(self.host, self.port)

    async def listen(self, host: str, port: int) -> None:
        self.host = host
        if self.transport == "udp":
            udp = await anyio.create_udp_socket(local_host=host, local_port=port)
            self.listener = udp
            self.task = asyncio.get_running_loop().create_task(self.serve_udp(udp))
        else:
            self.listener = await anyio.create_tcp_listener(local_host=host, local_port=port,
                                                            reuse_port=False)
            self.task = asyncio.get_running_loop().create_task(
                self.listener.serve(self.handle))
        self.port = self.listener.extra(SocketAttribute.local_port)
        await asyncio.sleep(0)

    async def serve_udp(self, udp: Any) -> None:
        """One datagram, one document (B.1); anything else in it is flagged."""
        async for packet, _addr in udp:
            docs, rest = self.split(packet)
            if len(docs) != 1 or rest.strip():
                self.flags.append(f"a datagram of {len(packet)} bytes holds {len(docs)}"
                                  " documents" + (" and a partial one" if rest.strip() else ""))
            for doc in docs:
                self.take(doc, 0)

    # --- what arrived --------------------------------------------------------------------
    def kinds(self) -> list[str]:
        return [r.kind for r in self.records]

    def duplicates(self) -> list[bytes]:
        return [raw for raw, n in self.seen.items() if n > 1]

    # --- serving -------------------------------------------------------------------------
    async def handle(self, stream: SocketStream) -> None:
        self.connections += 1
        conn = self.connections
        self.streams.add(stream)
        pending = b""
        closing = False
        try:
            async with stream:
                while True:
                    try:
                        data = await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError,
                            anyio.ClosedResourceError, OSError):
                        break
                    docs, pending = self.split(pending + data)
                    for doc in docs:
                        self.take(doc, conn)
                        if self.drop_after is not None and not closing:
                            self.drop_after -= 1
                            if self.drop_after <= 0:
                                self.drop_after, closing = None, True
                                with contextlib.suppress(Exception):
                                    await stream.send_eof()
                    if len(pending) > MAX_DOCUMENT:
                        self.flags.append(f"{len(pending)} bytes without an end of document:"
                                          " dropped")
                        pending = b""
        finally:
            self.streams.discard(stream)
            if pending.strip():
                self.flags.append(f"connection {conn} ended inside a document"
                                  f" ({len(pending.strip())} bytes dropped)")

    def split(self, data: bytes) -> tuple[list[bytes], bytes]:
        end = {"dssl": b"</transaction>", "axxon": b"</TransactionBlock>\r\n",
               "text": b"\r\n"}[self.protocol]
        docs = []
        while (i := data.find(end)) >= 0:
            docs.append(data[:i + len(end)])
            data = data[i + len(end):]
        return docs, data

    def take(self, doc: bytes, conn: int) -> None:
        # a text line may end in an empty field (a tab): only its CR LF goes
        doc = doc[:-2] if self.protocol == "text" else doc.strip()
        self.seen[doc] += 1
        try:
            rec = {"dssl": self.read_dssl, "axxon": self.read_axxon,
                   "text": self.read_text}[self.protocol](doc, conn)
        except ValueError as exc:
            self.flags.append(f"connection {conn}: {exc}")
            return
        self.check_order(rec)
        self.records.append(rec)
        if self.on_record is not None:
            self.on_record(self.name, rec)

    def _record(self, raw: bytes, conn: int, **kw: Any) -> Record:
        return Record(at=datetime.now(UTC), monotonic=time.monotonic(), raw=raw,
                      connection=conn, **kw)

    def read_dssl(self, doc: bytes, conn: int) -> Record:
        m = DECL.match(doc)
        if m is None:
            raise ValueError("a DSSL document without <?xml version=\"1.0\" encoding=...?>")
        declared = m.group(1).decode("ascii", "replace").lower()
        codec = ENCODINGS.get(declared)
        if codec is None:
            raise ValueError(f"declared encoding {declared!r} is not UTF-8 or windows-1251")
        try:
            text = doc[m.end():].decode(codec)
        except UnicodeDecodeError as exc:
            raise ValueError(f"bytes at {exc.start} are not valid {declared}") from None
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise ValueError(f"not well-formed XML: {exc}") from None
        if root.tag != "transaction":
            raise ValueError(f"root element <{root.tag}>, not <transaction>")
        fields = {el.tag: (el.text or "") for el in root}
        etype = fields.get("event_type", "")
        if not etype or not fields.get("operation_id"):
            raise ValueError("event_type and operation_id are required")
        kind = DSSL_KIND.get(etype)
        if etype in DSSL_ASSUMED.values():
            self.unverified[etype] += 1
        if kind is None:
            if etype not in DSSL_OTHER:
                self.flags.append(f"connection {conn}: unknown event_type {etype}")
            kind = etype
        try:
            at = datetime.strptime(f"{fields.get('date', '')} {fields.get('time', '')}",
                                   f"{self.date_format} %H:%M:%S")
        except ValueError:
            raise ValueError(f"date/time {fields.get('date')!r} {fields.get('time')!r} do"
                             f" not read as {self.date_format} %H:%M:%S") from None
        for name in ("quantity", "price_per_unit", "price"):
            if name in fields and not re.fullmatch(r"-?\d+(\.\d+)?", fields[name]):
                raise ValueError(f"{name} {fields[name]!r} is not a decimal with a dot")
        if kind == K.LINE_ADD and not ("position" in fields and "price" in fields):
            raise ValueError("POSNG_POSITION_ADD without position or price")
        return self._record(doc, conn, terminal=fields.get("location", ""), kind=str(kind),
                            receipt=fields["operation_id"], fields=fields, event_at=at)

    def read_axxon(self, doc: bytes, conn: int) -> Record:
        try:
            text = doc.decode(ENCODINGS.get(self.encoding, self.encoding))
        except UnicodeDecodeError as exc:
            raise ValueError(f"bytes at {exc.start} are not valid {self.encoding}") from None
        if not text.startswith("<TransactionBlock>\r\n"):
            raise ValueError("a package must start with <TransactionBlock> and CR LF")
        body = text[len("<TransactionBlock>\r\n"):-len("</TransactionBlock>")]
        if body and not body.endswith("\r\n"):
            raise ValueError("elements are not separated by CR LF")
        fields: dict[str, str] = {}
        for line in body.split("\r\n")[:-1]:
            m = AXXON_LINE.match(line)
            if m is None:
                raise ValueError(f"not one element per line: {line[:60]!r}")
            try:
                fields[m.group(1)] = ET.fromstring(line).text or ""
            except ET.ParseError as exc:
                raise ValueError(f"not well-formed XML: {exc}") from None
        number = fields.get("FunctionNumber", "")
        if not number.isdigit():
            raise ValueError(f"FunctionNumber is required and numeric, got {number!r}")
        at = None
        if "TransactionTimestamp" in fields:
            ts = fields["TransactionTimestamp"]
            if not AXXON_TS.match(ts):
                raise ValueError(f"TransactionTimestamp {ts!r} is not yyyy-mm-ddThh:nn:ss.fff")
            at = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        for name, value in fields.items():
            if name.endswith(("_price", "_amount", "_quantity")) and not re.fullmatch(
                    r"-?\d+([.,]\d+)?", value):
                raise ValueError(f"{name} {value!r} is not a decimal")
        kind = self.functions.get(int(number))
        if kind is None:
            self.flags.append(f"connection {conn}: FunctionNumber {number} is not in"
                              " xml_titles")
        terminal = (fields.get("TerminalId") or fields.get("StationNumber")
                    or fields.get("cash_number", ""))
        return self._record(doc, conn, terminal=terminal, kind=str(kind or number),
                            receipt=fields.get("receipt_number", ""), fields=fields,
                            event_at=at)

    def read_text(self, doc: bytes, conn: int) -> Record:
        try:
            text = doc.decode(ENCODINGS.get(self.encoding, self.encoding))
        except UnicodeDecodeError as exc:
            raise ValueError(f"bytes at {exc.start} are not valid {self.encoding}") from None
        parts = text.split("\t")
        if len(parts) != 5:
            raise ValueError(f"a line has {len(parts)} tab-separated fields, not 5")
        try:
            at = datetime.strptime(parts[0], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise ValueError(f"time {parts[0]!r} is not YYYY-MM-DD HH:MM:SS") from None
        kind, _, operation = parts[2].partition("/")
        if kind not in {k.value for k in K} or operation not in ("", "return"):
            raise ValueError(f"unknown event kind {parts[2]!r}")
        return self._record(doc, conn, terminal=parts[1], kind=kind, receipt=parts[3],
                            fields={"detail": parts[4], "operation": operation or "sale"},
                            event_at=at)

    def check_order(self, rec: Record) -> None:
        """Each receipt at a terminal: open -> lines/discounts/payments -> close or cancel,
        its POS times never going back. Several may be open at once (a restaurant station
        keeps many orders open); shift and drawer events stand alone."""
        where = f"terminal {rec.terminal or '?'}"
        key = (rec.terminal, rec.receipt)
        if rec.event_at is not None and rec.kind in LINES | {K.RECEIPT_OPEN, K.RECEIPT_CLOSE,
                                                            K.RECEIPT_CANCEL}:
            last = self.last_at.get(key)
            naive = rec.event_at.replace(tzinfo=None)
            if last is not None and naive < last:
                self.flags.append(f"{where}: {rec.kind} of receipt {rec.receipt} at {naive}"
                                  f" is earlier than {last}")
            self.last_at[key] = naive
        is_open = key in self.open_receipts
        if rec.kind == K.RECEIPT_OPEN:
            if is_open:
                self.flags.append(f"{where}: receipt {rec.receipt} opened again while open")
            self.open_receipts[key] = rec.receipt
        elif rec.kind in LINES and not is_open:
            self.flags.append(f"{where}: {rec.kind} of receipt {rec.receipt} outside an"
                              " open receipt")
        elif rec.kind in (K.RECEIPT_CLOSE, K.RECEIPT_CANCEL):
            if not is_open:
                self.flags.append(f"{where}: {rec.kind} of receipt {rec.receipt} that is not"
                                  " open")
            self.open_receipts.pop(key, None)
            self.last_at.pop(key, None)


class VideoSimulator:
    """``kassa.hookspecs.app.Simulator``: inputs on consecutive ports from ``port`` (0: any
    free ports); the fragment is the ``[[video.feeds]]`` block pointing at them."""

    name = "video"

    def __init__(self, inputs: Sequence[tuple[str, str, str]] = (("video", "", "dssl"),), *,
                 host: str = "127.0.0.1", port: int = 0, encoding: str = "utf-8",
                 transport: str = "tcp",
                 on_record: Callable[[str, Record], None] | None = None) -> None:
        self.host, self.port = host, port
        self.receivers = {name: SimReceiver(name, site=site, protocol=protocol,
                                            transport=transport, encoding=encoding,
                                            on_record=on_record)
                          for name, site, protocol in inputs}

    def __getitem__(self, name: str) -> SimReceiver:
        return self.receivers[name]

    async def start(self) -> Mapping[str, Any]:
        try:
            for i, r in enumerate(self.receivers.values()):
                await r.listen(self.host, self.port + i if self.port else 0)
        except OSError:
            await self.stop()
            raise
        return {"video": {"feeds": [
            {"name": r.name, "host": self.host, "port": r.port, "protocol": r.protocol,
             **({"encoding": r.encoding} if r.protocol != "dssl" else {}),
             **({"transport": r.transport} if r.transport != "tcp" else {}),
             **({"site": r.site} if r.site else {})}
            for r in self.receivers.values()]}}

    async def stop(self) -> None:
        for r in self.receivers.values():
            await r.pause()

    def summary(self) -> dict[str, Any]:
        return {r.name: {"events": len(r.records), "flags": len(r.flags),
                         "duplicates": len(r.duplicates()), "connections": r.connections}
                for r in self.receivers.values()}
