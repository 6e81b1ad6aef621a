"""Byte-level POS-scale emulators: ``feed(bytes) -> bytes`` as the scale would answer.

Each keeps a tare and a zero offset of its own, reads the platform from a ``Curve`` and
can be told to answer the next N requests with garbage (``garbage = N``). Sources per
protocol: fiscal.md §5.1-5.3 and the modules ``kassa_scales.cas`` / ``massak`` / ``mtsics``."""

from __future__ import annotations

import struct
from decimal import Decimal

from kassa_scales import cas, massak, mtsics
from kassa_scales.reading import ProtocolError
from kassa_scales.sim.curve import Curve, Sample

GARBAGE = b"\x00\xff\x13\x37garbage\x7f"


class PosEmulator:
    protocol = ""

    def __init__(self, curve: Curve | None = None, *, capacity: int = 15000) -> None:
        self.curve = curve or Curve.steady(0)
        self.capacity = capacity  # grams: more reads as overload
        self.tare = Decimal(0)
        self.zero = Decimal(0)
        self.garbage = 0  # the next N answers are garbage
        self.buffer = bytearray()
        self.requests: list[bytes] = []
        self.rejected: list[str] = []  # requests the scale refused or ignored, and why

    def platform(self) -> Sample:
        s = self.curve.sample()
        gross = s.grams - self.zero
        if s.overload or gross > self.capacity:
            return Sample(Decimal(0), stable=False, overload=True)
        return Sample(gross, stable=s.stable)

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        out = b""
        for request in self.split():
            self.requests.append(request)
            answer = self.answer(request)
            if answer and self.garbage:
                self.garbage -= 1
                answer = GARBAGE
            out += answer
        return out

    def split(self) -> list[bytes]:
        raise NotImplementedError

    def answer(self, request: bytes) -> bytes:
        raise NotImplementedError


class CasEmulator(PosEmulator):
    """PD-II / PDN ASCII: ``W`` polls, ``T`` tares; other bytes get no answer (ignored)."""

    protocol = "cas"

    def split(self) -> list[bytes]:
        out = [bytes([b]) for b in self.buffer]
        self.buffer.clear()
        return out

    def answer(self, request: bytes) -> bytes:
        s = self.platform()
        if request == cas.TARE and s.stable and not s.overload:
            self.tare = s.grams
        elif request not in (cas.POLL, cas.TARE):
            self.rejected.append(f"ignored byte {request.hex()}")
            return b""
        if s.overload:
            return cas.encode(Decimal(0), overload=True)
        return cas.encode(s.grams - self.tare, stable=s.stable, net=bool(self.tare))


class MtSicsEmulator(PosEmulator):
    """MT-SICS level 0/1 over CR LF lines; a syntax error answers ``ES``."""

    protocol = "mtsics"
    serial = "0123456789"

    def split(self) -> list[bytes]:
        out = []
        while (i := self.buffer.find(b"\n")) >= 0:
            out.append(bytes(self.buffer[:i + 1]))
            del self.buffer[:i + 1]
        if len(self.buffer) > 256:  # a line that never ends: the scale drops it
            self.buffer.clear()
            out.append(b"")
        return out

    def answer(self, request: bytes) -> bytes:
        if not request.endswith(b"\r\n"):
            return self._refuse("ES", f"no CR LF: {request!r}")
        try:
            parts = request[:-2].decode("ascii").split()
        except UnicodeDecodeError:
            return self._refuse("ES", "not ASCII")
        if not parts:
            return self._refuse("ES", "empty")
        cmd, args = parts[0], parts[1:]
        s = self.platform()
        net = s.grams - self.tare
        if cmd in ("S", "SI") and not args:
            if s.overload:
                return mtsics.encode("S +")
            if s.grams < 0:
                return mtsics.encode("S -")
            if cmd == "S" and not s.stable:
                return mtsics.encode("S I")  # no stable weight now (we do not block)
            return mtsics.encode_weight("S", "S" if s.stable else "D", net)
        if cmd in ("T", "Z") and not args:
            if not s.stable or s.overload:
                return mtsics.encode(f"{cmd} I")
            if cmd == "Z":
                self.zero += s.grams
                self.tare = Decimal(0)
                return mtsics.encode("Z A")
            self.tare = s.grams
            return mtsics.encode_weight("T", "S", self.tare)
        if cmd == "TA" and not args:
            return mtsics.encode_weight("TA", "A", self.tare)
        if cmd == "TAC" and not args:
            self.tare = Decimal(0)
            return mtsics.encode("TAC A")
        if cmd == "@" and not args:
            self.tare = Decimal(0)
            return mtsics.encode(f'I4 A "{self.serial}"')
        if cmd == "I4" and not args:
            return mtsics.encode(f'I4 A "{self.serial}"')
        if cmd == "I1" and not args:
            return mtsics.encode('I1 A "01" "2.30" "2.20" "1.00" "1.00"')
        return self._refuse("ES", f"unknown command {cmd!r}")

    def _refuse(self, code: str, why: str) -> bytes:
        self.rejected.append(why)
        return mtsics.encode(code)


class MassaKEmulator(PosEmulator):
    """Протокол 100: checks the header, LEN and CRC (a bad frame gets no answer, as the
    driver would time out); ``with_tare`` picks the newer ACK_MASSA with the tare field."""

    protocol = "massak"

    def __init__(self, curve: Curve | None = None, *, capacity: int = 15000,
                 division: int = 1, with_tare: bool = True, name: str = "MK-15.2-TB") -> None:
        super().__init__(curve, capacity=capacity)
        self.division, self.with_tare, self.name = division, with_tare, name

    def split(self) -> list[bytes]:
        out = []
        while self.buffer:
            start = self.buffer.find(massak.HEADER)
            if start < 0:
                self.rejected.append(f"dropped {len(self.buffer)} bytes without a header")
                del self.buffer[:max(0, len(self.buffer) - 2)]
                break
            del self.buffer[:start]
            if len(self.buffer) < 5:
                break
            (n,) = struct.unpack_from("<H", self.buffer, 3)
            if not 0 < n <= massak.MAX_BODY:
                self.rejected.append(f"bad length {n}")
                del self.buffer[:3]
                continue
            if len(self.buffer) < 7 + n:
                break
            out.append(bytes(self.buffer[:7 + n]))
            del self.buffer[:7 + n]
        return out

    def answer(self, request: bytes) -> bytes:
        try:
            body = massak.unframe(request)
        except ProtocolError as exc:
            self.rejected.append(str(exc))
            return b""
        cmd, data = body[0], body[1:]
        s = self.platform()
        step = massak.DIVISIONS[self.division]
        if cmd == massak.GET_MASSA and not data:
            if s.overload:
                return massak.frame(bytes([massak.ERROR, massak.ERR_OVERLOAD]))
            return massak.frame(massak.ack_massa(
                s.grams - self.tare, division=self.division, stable=s.stable,
                net=bool(self.tare), tare=self.tare if self.with_tare else None))
        if cmd == massak.SET_TARE and len(data) == 4:
            (divisions,) = struct.unpack("<i", data)
            tare = divisions * step
            if not s.stable or s.overload or not 0 <= tare <= self.capacity:
                return massak.frame(bytes([massak.NACK_TARE]))
            self.tare = tare
            return massak.frame(bytes([massak.ACK_SET_TARE]))
        if cmd == massak.SET_ZERO and not data:
            if not s.stable:
                return massak.frame(bytes([massak.ERROR, massak.ERR_BAD_LENGTH]))
            self.zero += s.grams
            return massak.frame(bytes([massak.ACK_SET]))
        if cmd == massak.GET_NAME and not data:
            return massak.frame(bytes([massak.ACK_NAME]) + self.name.encode("cp1251"))
        code = massak.ERR_BAD_LENGTH if cmd in (massak.GET_MASSA, massak.SET_TARE,
                                                massak.SET_ZERO) else massak.ERR_UNKNOWN_COMMAND
        self.rejected.append(f"command 0x{cmd:02x} with {len(data)} bytes")
        return massak.frame(bytes([massak.ERROR, code]))


def emulator_for(protocol: str, curve: Curve | None = None) -> PosEmulator:
    table: dict[str, type[PosEmulator]] = {"cas": CasEmulator, "mtsics": MtSicsEmulator,
                                           "massak": MassaKEmulator}
    return table[protocol](curve)
