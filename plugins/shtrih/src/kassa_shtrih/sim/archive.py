"""What the emulated FN keeps: fiscal documents by number, and the document being built."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import define, field


class Refused(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@define
class Doc:
    """An FD in the FN archive (what FF0A returns) plus what the emulator keeps for tests."""

    type: int
    number: int
    at: datetime
    fiscal_sign: int
    shift: int
    operation: int | None = None
    total: int | None = None
    receipt_number: int | None = None
    tlv: list[tuple[int, bytes]] = field(factory=list)
    items: list[dict[str, Any]] = field(factory=list)
    ofd_confirmed: bool = False
    sums: dict[int, int] = field(factory=dict)  # paid per FFD tag (1031 net of change)
    taxation: int = 0  # 1055, the close's tax system bit


@define
class OpenDoc:
    type: int  # 0 sale, 1 buy, 2 sale return, 3 buy return (1054 - 1)
    items: list[dict[str, Any]] = field(factory=list)
    tlv: list[tuple[int, bytes]] = field(factory=list)
    correction: bool = False

    @property
    def total(self) -> int:
        return sum(int(i["total"]) for i in self.items)
