"""The ``[escpos]`` section of kassa.toml: ``[[escpos.printers]]``, one table a printer."""

from __future__ import annotations

from attrs import define, field, validators


@define
class PrinterSettings:
    name: str
    host: str = ""  # a network printer (raw TCP, "JetDirect" port 9100) ...
    port: int = field(default=9100, validator=validators.and_(validators.ge(1),
                                                              validators.le(65535)))
    serial: str = ""  # ... or a serial / USB-CDC device file (/dev/ttyUSB0)
    baudrate: int = 9600
    usb: str = ""  # ... or a USB printer-class device file of the usblp driver (/dev/usb/lp0)
    site: str = ""  # the site this printer is at (names it in [[sites]] printers)
    profile: str = "TM-T88III"  # escpos-printer-db profile: code page table, widths
    codepage: str = "CP866"  # Cyrillic; the profile maps it to its ESC t number
    width: int = field(default=42, validator=validators.ge(16))  # characters, font A
    logo: str = ""  # a PNG printed by a "::logo" line
    print_key: bool = True  # the journal key as the first line (font B), for people
    connect_timeout: float = 5.0
    write_timeout: float = 10.0
    status_query: bool = True  # false: a one-way link (some print servers never answer)
    status_timeout: float = 2.0
    status_interval: float = 10.0  # seconds between DLE EOT polls; 0: only around jobs
    locale: str = "ru"

    def __attrs_post_init__(self) -> None:
        if [bool(self.host), bool(self.serial), bool(self.usb)].count(True) != 1:
            raise ValueError(f"escpos printer {self.name!r}: give host (TCP), serial or usb,"
                             " exactly one")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}" if self.host else self.serial or self.usb


@define
class EscposSettings:
    printers: list[PrinterSettings] = field(factory=list)
