"""The ``[scanner]`` section of kassa.toml: ``[[scanner.scanners]]``, one table a scanner."""

from __future__ import annotations

from attrs import define, field, validators

TERMINATORS = {"cr": b"\r", "crlf": b"\r\n", "lf": b"\n", "none": b""}


@define
class ScannerSettings:
    name: str
    site: str = ""
    station: str = ""  # the till it stands at (two scanners a till is usual)
    mode: str = field(default="serial",
                      validator=validators.in_(("serial", "wedge", "hidpos")))
    # serial / USB-CDC device file (/dev/ttyACM0), or hidraw (/dev/hidraw0); empty for a wedge
    port: str = ""
    baudrate: int = 9600
    terminator: str = field(default="cr", validator=validators.in_(tuple(TERMINATORS)))
    # silence that ends a code: the code itself with terminator "none", a torn code otherwise
    char_timeout: float = field(default=0.08, validator=validators.gt(0))
    encoding: str = "latin-1"  # serial scanners send bytes; КМ are ASCII
    gs_substitute: str = ""  # what the scanner is set to type for GS (a wedge cannot type GS)
    min_length: int = 3  # shorter reads are noise (a stray key, a line glitch)
    report_id: int = field(default=2, validator=validators.and_(validators.ge(1),
                                                                validators.le(255)))

    def __attrs_post_init__(self) -> None:
        if self.mode in ("serial", "hidpos") and not self.port:
            raise ValueError(f"scanner {self.name!r}: a {self.mode} scanner needs port")
        if len(self.gs_substitute) > 1:
            raise ValueError(f"scanner {self.name!r}: gs_substitute is one character")

    @property
    def end(self) -> bytes:
        return TERMINATORS[self.terminator]


@define
class ScannerSection:
    scanners: list[ScannerSettings] = field(factory=list)
    planned_status: int = 1  # 2003 asked by default: a piece sold
