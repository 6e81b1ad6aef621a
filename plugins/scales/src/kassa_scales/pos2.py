"""Shtrih POS2 scales (Штрих-СЛИМ, Штрих ПОС2 weighing modules): the Shtrih-M link layer
(fiscal.md §3.1) carrying the POS2 commands (fiscal.md §5.4, ``shtrih-m/jpos_scale``:
``Pos2Serial.java``, ``ShtrihMProtocolSerial.java``, ``ScaleCommand.java``,
``ScaleStatus.java``, ``ChannelParams.java``, ``ScaleSerial.java`` for the error codes).

Link layer: the host sends ``ENQ``; ``NAK`` = idle, ``ACK`` = an answer is pending (read it
first). A command is ``STX LEN CMD DATA LRC`` (LEN counts CMD+DATA, LRC = XOR of LEN..DATA),
the scale confirms it with ``ACK`` (``NAK``: a line error, send it again) and answers
``STX LEN CMD ERR DATA LRC``; the host ACKs a good answer, NAKs a broken one and asks it
again with ``ENQ``. Multi-byte numbers are little-endian; the password is 4 ASCII digits
(``"0030"``); text is CP1251.

Commands used: ``0xEA`` channel number, ``0xE8`` channel parameters (their ``power``: a
channel value times 10**power is kilograms), ``0x3A`` channel state: status u16, weight
i32, tare u16, in channel values. ``0x30`` zero, ``0x31`` tare, ``0x32`` set tare u16 and
``0xFC`` device type for the emulator and the tests."""

from __future__ import annotations

import struct
from decimal import Decimal

from attrs import frozen

from kassa_scales.reading import ProtocolError, Reading, ScaleRefused

STX, ENQ, ACK, NAK = 0x02, 0x05, 0x06, 0x15
ZERO, TARE, SET_TARE, READ_WEIGHT = 0x30, 0x31, 0x32, 0x3A
CHANNEL_PARAMS, CHANNEL_NUMBER, DEVICE_TYPE = 0xE8, 0xEA, 0xFC
PASSWORD_CMDS = {ZERO, TARE, SET_TARE, READ_WEIGHT}  # the ones that carry the password

# ScaleStatus.java: the bits of 0x3A's status word
FIXED, AUTOZERO, CHANNEL_ON, TARE_SET, STABLE = 0x001, 0x002, 0x004, 0x008, 0x010
AUTOZERO_ERROR, OVERLOAD, MEASURE_ERROR, UNDERLOAD, NO_ADC = 0x020, 0x040, 0x080, 0x100, 0x200

# ScaleSerial.getErrorText (IScale's texts); the ones the emulator gives are marked
ERRORS = {
    17: "Неверное значение массы тары", 120: "Неизвестная команда",  # emulator
    121: "Неверная длина данных команды", 122: "Неверный пароль",  # emulator
    123: "Команда не реализуется в данном режиме", 124: "Неверное значение параметра",
    150: "Ошибка при попытке установки нуля", 151: "Ошибка при установке тары",  # emulator
    152: "Вес не фиксирован", 166: "Сбой энергонезависимой памяти",
    170: "Исчерпан лимит попыток обращения с неверным паролем",
    184: "Неверный весовой канал", 185: "Неверный номер весового канала",  # emulator
    186: "Нет ответа от АЦП",
}
CHANNEL = struct.Struct("<HBbHHH3H4BBB")  # ChannelParams as 0xE8 answers them
WEIGHT = struct.Struct("<HiH")


class BadLrc(ProtocolError):
    """A whole frame whose LRC does not match: a line error, asked again, not garbage."""


def lrc(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def frame(cmd: int, data: bytes = b"") -> bytes:
    """``STX LEN CMD DATA LRC`` (a command, or an answer when ``data`` starts with ERR)."""
    if len(data) > 254:
        raise ValueError("a frame carries at most 254 data bytes")
    body = bytes([len(data) + 1, cmd]) + data
    return bytes([STX]) + body + bytes([lrc(body)])


def password(value: str) -> bytes:
    if len(value) != 4 or not value.isdigit():
        raise ValueError(f"a POS2 password is 4 digits, not {value!r}")
    return value.encode("ascii")


def unframe(data: bytes) -> tuple[int, bytes]:
    """(CMD, the bytes after it) of one whole frame; ``ProtocolError`` on a bad one."""
    if len(data) < 4 or data[0] != STX or data[1] != len(data) - 3:
        raise ProtocolError(f"not a Shtrih frame: {data[:16].hex(' ')}")
    if data[-1] != lrc(data[1:-1]):
        raise BadLrc(f"LRC {data[-1]:02x} != {lrc(data[1:-1]):02x}")
    return data[2], bytes(data[3:-1])


def answer_data(cmd: int, answer: tuple[int, bytes]) -> bytes:
    """The data of ``cmd``'s answer after a zero ERR; ``ScaleRefused`` with the scale's code
    and the source's text otherwise."""
    got, rest = answer
    if got != cmd:
        raise ProtocolError(f"answer to 0x{got:02x}, asked 0x{cmd:02x}")
    if not rest:
        raise ProtocolError("an answer without its error byte")
    if rest[0]:
        raise ScaleRefused(str(rest[0]), ERRORS.get(rest[0], "неизвестная ошибка"))
    return rest[1:]


@frozen
class Channel:
    """What 0xE8 says of a channel (ChannelParams.java); weights in channel values."""

    flags: int
    decimal_point: int
    power: int  # a value times 10**power is kilograms
    max_weight: int
    min_weight: int
    max_tare: int
    ranges: tuple[int, int, int]
    resolution: tuple[int, int, int, int]
    points: int
    calibrations: int

    def grams(self, value: int) -> Decimal:
        return Decimal(value).scaleb(self.power + 3)

    @classmethod
    def decode(cls, data: bytes) -> Channel:
        if len(data) != CHANNEL.size:
            raise ProtocolError(f"channel parameters of {len(data)} bytes, not {CHANNEL.size}")
        f = CHANNEL.unpack(data)
        return cls(flags=f[0], decimal_point=f[1], power=f[2], max_weight=f[3],
                   min_weight=f[4], max_tare=f[5], ranges=(f[6], f[7], f[8]),
                   resolution=(f[9], f[10], f[11], f[12]), points=f[13], calibrations=f[14])

    def encode(self) -> bytes:
        return CHANNEL.pack(self.flags, self.decimal_point, self.power, self.max_weight,
                            self.min_weight, self.max_tare, *self.ranges, *self.resolution,
                            self.points, self.calibrations)


def decode_weight(data: bytes, channel: Channel) -> Reading:
    """0x3A's answer data: status, weight, tare."""
    if len(data) != WEIGHT.size:
        raise ProtocolError(f"a channel state of {len(data)} bytes, not {WEIGHT.size}")
    status, value, tare = WEIGHT.unpack(data)
    if status & NO_ADC:
        raise ScaleRefused("status", ERRORS[186])
    if status & MEASURE_ERROR:
        raise ScaleRefused("status", "ошибка при получении измерения")
    if not status & CHANNEL_ON:
        raise ScaleRefused("status", "весовой канал выключен")
    if status & OVERLOAD:
        return Reading(grams=Decimal(0), stable=False, overload=True)
    grams = channel.grams(value)
    return Reading(grams=grams, stable=bool(status & STABLE),
                   underload=bool(status & UNDERLOAD) or grams < 0,
                   tare=channel.grams(tare))


def encode_weight(status: int, value: int, tare: int) -> bytes:
    return WEIGHT.pack(status, value, tare)
