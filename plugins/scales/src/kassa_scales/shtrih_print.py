"""Shtrih-Print label scales, Ethernet protocol v1.3 (what the sources show, and ours).

Source: fiscal.md §5.5; ``DmitryevichD/j-shtrih-print-protocol`` (``cmd/core/ScaleCommand.java``:
a command is ``[0x02 normal | 0x03 sync] [LEN = 1 + len(params)] [CMD] [params]``;
``cmd/core/Param.java``: numbers little-endian, the admin password 4 ASCII digits;
``CmdSetScaleGoodItem``: 0x37 + password + PLU u16, 0 resets; ``CmdGetScaleWeight``: 0x38,
a weight only when it is fixed; ``CmdCleanAllGoodsAndMsg``: 0x18; ``resources/error.properties``:
the error codes below). NOT in the sources (that repo does not implement it; the spec PDF
was not read): the answer layout and the PLU record write. Ours, marked PROVISIONAL: an
answer ``[0x02] [LEN] [CMD] [error u8] [data]``; WRITE_PLU 0x60 / DELETE_PLU 0x61 with the
record layout of ``encode_plu``; the weight answer as i32 grams."""

from __future__ import annotations

import struct

from attrs import frozen

from kassa_scales.reading import ProtocolError

NORMAL, SYNC = 0x02, 0x03
CLEAR_GOODS, SET_PLU, GET_WEIGHT = 0x18, 0x37, 0x38
WRITE_PLU, DELETE_PLU = 0x60, 0x61  # PROVISIONAL: not in the sources
NAME_LEN = 28  # characters a name line, CP1251 (PROVISIONAL width)
RECORD = struct.Struct(f"<HI{NAME_LEN}s{NAME_LEN}sIHHHHBB")
ERRORS = {  # error.properties
    120: "Неизвестная команда", 121: "Неверная длина данных команды", 122: "Неверный пароль",
    123: "Команда не реализуется в данном режиме", 124: "Неверное значение параметра",
    128: "Неверный номер ПЛУ", 130: "Неверный код товара", 131: "Неверная цена товара",
    132: "Неверный срок годности товара", 133: "Неверная тара товара",
    134: "Неверный групповой код товара", 135: "Неверный номер сообщения",
    136: "Неверный номер изображения", 139: "Таблица товаров пуста", 140: "Пустое ПЛУ",
    152: "Вес не фиксирован", 170: "Исчерпан лимит попыток обращения с неверным паролем",
}


@frozen(kw_only=True)
class Plu:
    """One PLU record (the ``Good`` interface's fields); ``price`` in kopecks a kilogram."""

    number: int
    code: int
    name1: str
    name2: str = ""
    price: int
    shelf_life: int = 0  # days
    tare: int = 0  # grams
    group: int = 0
    message: int = 0
    picture: int = 0
    rostest: bool = False


def command(cmd: int, params: bytes = b"", *, sync: bool = True) -> bytes:
    if len(params) + 1 > 255:
        raise ValueError(f"command 0x{cmd:02x}: {len(params)} bytes of parameters")
    return bytes([SYNC if sync else NORMAL, len(params) + 1, cmd]) + params


def password(pwd: str) -> bytes:
    if len(pwd) != 4 or not pwd.isdigit():
        raise ValueError("the admin password is 4 digits")
    return pwd.encode("ascii")


def answer(cmd: int, error: int = 0, data: bytes = b"") -> bytes:
    return bytes([NORMAL, len(data) + 2, cmd, error]) + data


def parse(frame: bytes) -> tuple[int, int, bytes]:
    """``(cmd, error, data)`` of one answer."""
    if len(frame) < 4 or frame[0] != NORMAL or frame[1] != len(frame) - 2:
        raise ProtocolError(f"not a Shtrih-Print answer: {frame[:16].hex(' ')}")
    return frame[2], frame[3], frame[4:]


def encode_plu(p: Plu) -> bytes:
    return RECORD.pack(p.number, p.code, _name(p.name1), _name(p.name2), p.price,
                       p.shelf_life, p.tare, p.group, p.message, p.picture, int(p.rostest))


def decode_plu(data: bytes) -> Plu:
    if len(data) != RECORD.size:
        raise ProtocolError(f"a PLU record is {RECORD.size} bytes, not {len(data)}")
    (number, code, n1, n2, price, life, tare, group, msg, pic, ros) = RECORD.unpack(data)
    return Plu(number=number, code=code, name1=_text(n1), name2=_text(n2), price=price,
               shelf_life=life, tare=tare, group=group, message=msg, picture=pic,
               rostest=bool(ros))


def _name(text: str) -> bytes:
    raw = text.encode("cp1251")  # raises on a character CP1251 lacks: validate first
    if len(raw) > NAME_LEN:
        raise ValueError(f"name {text!r} is longer than {NAME_LEN}")
    return raw.ljust(NAME_LEN, b" ")


def _text(raw: bytes) -> str:
    return raw.decode("cp1251").rstrip(" ")
