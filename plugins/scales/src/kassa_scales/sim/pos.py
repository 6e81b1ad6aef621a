"""Byte-level POS-scale emulators: ``feed(bytes) -> bytes`` as the scale would answer.

Each keeps a tare and a zero offset of its own, reads the platform from a ``Curve`` and
can be told to answer the next N requests with garbage (``garbage = N``). Sources per
protocol: fiscal.md §5.1-5.4 and the modules ``kassa_scales.cas`` / ``massak`` / ``mtsics``
/ ``pos2``."""

from __future__ import annotations

import struct
import time
from decimal import Decimal
from typing import Any

from kassa_scales import cas, massak, mtsics, pos2
from kassa_scales.reading import ProtocolError
from kassa_scales.sim.curve import Curve, Sample

GARBAGE = b"\x00\xff\x13\x37garbage\x7f"


class PosEmulator:
    protocol = ""
    extra: dict[str, Any] = {}  # settings the driver needs besides the protocol (a variant)

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


class CasType1Emulator(PosEmulator):
    """CAS "type 1": ``ENQ`` gets ``ACK`` (``NAK`` while ``busy`` > 0: not ready), then
    ``DC1`` gets the 15-byte weight frame; a ``DC1`` not after an acknowledged ``ENQ`` and
    any other byte get nothing."""

    protocol = "cas"
    extra = {"variant": "type1"}

    def __init__(self, curve: Curve | None = None, *, capacity: int = 15000) -> None:
        super().__init__(curve, capacity=capacity)
        self.busy = 0  # the next N ENQs are answered NAK
        self.asked = False

    def split(self) -> list[bytes]:
        out = [bytes([b]) for b in self.buffer]
        self.buffer.clear()
        return out

    def answer(self, request: bytes) -> bytes:
        if request == bytes([cas.ENQ]):
            if self.busy:
                self.busy -= 1
                self.asked = False
                return bytes([cas.NAK])
            self.asked = True
            return bytes([cas.ACK])
        if request == bytes([cas.DC1]) and self.asked:
            self.asked = False
            s = self.platform()
            if s.overload:
                return cas.encode_type1(Decimal(0), overload=True)
            return cas.encode_type1(s.grams - self.tare, stable=s.stable)
        self.rejected.append(f"ignored byte {request.hex()}" + (
            " (DC1 without ENQ)" if request == bytes([cas.DC1]) else ""))
        self.asked = False
        return b""


class Pos2Emulator(PosEmulator):
    """A Shtrih POS2 weighing module: the Shtrih-M link layer byte for byte (ENQ -> NAK idle
    / ACK and the answer again while one is pending, ACK per good frame, NAK on a bad LRC
    without executing it, a partial frame dropped after ``byte_timeout``, silence while
    ``silent``), the password, the commands of ``kassa_scales.pos2`` and its error codes."""

    protocol = "shtrih_pos2"

    def __init__(self, curve: Curve | None = None, *, capacity: int = 15000,
                 password: str = "0030", power: int = -3) -> None:
        super().__init__(curve, capacity=capacity)
        self.password = password
        self.channel = pos2.Channel(
            flags=0x04, decimal_point=3, power=power, max_weight=capacity // 10 ** (power + 3),
            min_weight=40 // 10 ** (power + 3), max_tare=6000 // 10 ** (power + 3),
            ranges=(6000 // 10 ** (power + 3), capacity // 10 ** (power + 3), 0),
            resolution=(2, 5, 0, 0), points=3, calibrations=1)
        self.pending: bytes | None = None  # an answer the host has not ACKed
        self.corrupt = 0  # the next N answers go out with a broken LRC (a line error)
        self.silent = False  # "disconnected": no byte answered
        self.byte_timeout = 0.05
        self.commands: list[int] = []  # commands executed (once each)
        self._last = 0.0

    def feed(self, data: bytes) -> bytes:
        if self.silent:
            self.buffer.clear()
            return b""
        now = time.monotonic()
        if self.buffer and now - self._last > self.byte_timeout:
            self.rejected.append(f"dropped {len(self.buffer)} bytes of a frame (timeout)")
            self.buffer.clear()
        self._last = now
        return super().feed(data)

    def split(self) -> list[bytes]:
        out: list[bytes] = []
        while self.buffer:
            b = self.buffer[0]
            if b != pos2.STX:
                out.append(bytes([b]))
                del self.buffer[:1]
                continue
            if len(self.buffer) < 2 or len(self.buffer) < self.buffer[1] + 3:
                break  # the rest of the frame is on its way
            n = self.buffer[1] + 3
            out.append(bytes(self.buffer[:n]))
            del self.buffer[:n]
        return out

    def answer(self, request: bytes) -> bytes:
        if request in (bytes([pos2.ENQ]), b"\x00"):  # pyshtrih probes with NUL too
            if self.pending is not None:
                return bytes([pos2.ACK]) + self._sent(self.pending)
            return bytes([pos2.NAK])
        if request == bytes([pos2.ACK]):
            self.pending = None
            return b""
        if request == bytes([pos2.NAK]):  # the host will ENQ for it again
            return b""
        if request[0] != pos2.STX:
            self.rejected.append(f"ignored byte {request.hex()}")
            return b""
        try:
            cmd, data = pos2.unframe(request)
        except ProtocolError as exc:
            self.rejected.append(str(exc))
            return bytes([pos2.NAK])  # a line error: not executed
        if self.pending is not None:
            self.rejected.append("a command before the last answer was taken")
        self.commands.append(cmd)
        self.pending = pos2.frame(cmd, self.execute(cmd, data))
        return bytes([pos2.ACK]) + self._sent(self.pending)

    def _sent(self, answer: bytes) -> bytes:
        if self.corrupt:
            self.corrupt -= 1
            return answer[:-1] + bytes([answer[-1] ^ 0xFF])
        return answer

    def execute(self, cmd: int, data: bytes) -> bytes:
        """ERR + data for one command."""
        if cmd in pos2.PASSWORD_CMDS:
            if len(data) < 4:
                return self._error(121, f"0x{cmd:02x} without a password")
            if data[:4] != self.password.encode("ascii"):
                return self._error(122, "wrong password")
            data = data[4:]
        s = self.platform()
        rate = Decimal(10) ** (self.channel.power + 3)  # grams per channel value
        if cmd == pos2.READ_WEIGHT and not data:
            status = pos2.CHANNEL_ON | (pos2.TARE_SET if self.tare else 0)
            if s.overload:
                return b"\x00" + pos2.encode_weight(status | pos2.OVERLOAD, 0, 0)
            net = s.grams - self.tare
            if s.stable:
                status |= pos2.STABLE | (pos2.FIXED if net > 0 else 0)
            if net < 0:
                status |= pos2.UNDERLOAD
            return b"\x00" + pos2.encode_weight(status, int(net / rate), int(self.tare / rate))
        if cmd == pos2.CHANNEL_NUMBER and not data:
            return b"\x00\x00"
        if cmd == pos2.CHANNEL_PARAMS and len(data) == 1:
            if data[0] != 0:
                return self._error(185, f"channel {data[0]}")
            return b"\x00" + self.channel.encode()
        if cmd == pos2.ZERO and not data:
            if not s.stable or s.overload:
                return self._error(150, "zero while unstable")
            self.zero += s.grams
            self.tare = Decimal(0)
            return b"\x00"
        if cmd == pos2.TARE and not data:
            if not s.stable or s.overload:
                return self._error(151, "tare while unstable")
            self.tare = s.grams
            return b"\x00"
        if cmd == pos2.SET_TARE and len(data) == 2:
            (value,) = struct.unpack("<H", data)
            if value > self.channel.max_tare:
                return self._error(17, f"tare {value} over {self.channel.max_tare}")
            self.tare = value * rate
            return b"\x00"
        if cmd == pos2.DEVICE_TYPE and not data:
            return b"\x00" + bytes([6, 1, 1, 0, 1, 0]) + "ШТРИХ-СЛИМ".encode("cp1251")
        if cmd in (pos2.READ_WEIGHT, pos2.CHANNEL_NUMBER, pos2.CHANNEL_PARAMS, pos2.ZERO,
                   pos2.TARE, pos2.SET_TARE, pos2.DEVICE_TYPE):
            return self._error(121, f"0x{cmd:02x} with {len(data)} data bytes")
        return self._error(120, f"unknown command 0x{cmd:02x}")

    def _error(self, code: int, why: str) -> bytes:
        self.rejected.append(why)
        return bytes([code])


def emulator_for(protocol: str, curve: Curve | None = None) -> PosEmulator:
    """``protocol`` as in kassa.toml, ``"cas:type1"`` for a variant."""
    table: dict[str, type[PosEmulator]] = {
        "cas": CasEmulator, "cas:pdii": CasEmulator, "cas:type1": CasType1Emulator,
        "mtsics": MtSicsEmulator, "massak": MassaKEmulator, "shtrih_pos2": Pos2Emulator}
    return table[protocol](curve)
