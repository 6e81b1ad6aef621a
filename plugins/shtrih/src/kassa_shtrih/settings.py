"""The ``[shtrih]`` section of kassa.toml: one entry per register.

    [shtrih]
    [[shtrih.registers]]
    name = "shtrih-1"               # what [[stations]] fiscal = "..." names
    tcp = "192.168.1.50:7778"       # or: serial = "/dev/ttyACM0", baud = 115200
    cashier_password = "${SHTRIH_CASHIER}"   # default 1
    admin_password = "${SHTRIH_ADMIN}"       # default 30
"""

from __future__ import annotations

from attrs import define, field, validators
from kassa.secret import Secret

_BAUDS = (2400, 4800, 9600, 19200, 38400, 57600, 115200)  # fiscal.md §3.1 (discovery range)


def _password(_inst: object, attr: object, value: Secret) -> None:
    raw = value.reveal()
    if not raw.isdigit() or int(raw) >= 2**32:
        # never echo the value: it is a password
        raise ValueError("a Shtrih-M password is a number (0..4294967295)")


def _tcp(_inst: object, _attr: object, value: str) -> None:
    if value:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"tcp must be host:port, got {value!r}")


@define
class RegisterSettings:
    name: str = "shtrih"
    tcp: str = field(default="", validator=_tcp)  # host:port (port 7778 by default)
    serial: str = ""  # device path, when not over TCP
    baud: int = field(default=115200, validator=validators.in_(_BAUDS))
    cashier_password: Secret = field(factory=lambda: Secret("1"), validator=_password)
    admin_password: Secret = field(factory=lambda: Secret("30"), validator=_password)
    utc_offset: int = field(default=3, validator=validators.and_(  # the register's clock zone
        validators.ge(-12), validators.le(14)))
    main_vat: int = field(default=22, validator=validators.in_((20, 22)))  # tax byte 0x01
    byte_timeout: float = 0.5  # seconds: ACK/NAK and gaps inside a frame
    answer_timeout: float = 15.0  # seconds for an answer (a receipt prints meanwhile)
    department: int = field(default=1, validator=validators.and_(
        validators.ge(0), validators.le(16)))

    def __attrs_post_init__(self) -> None:
        if bool(self.tcp) == bool(self.serial):
            raise ValueError(f"shtrih register {self.name!r}: give either tcp or serial")


@define
class ShtrihSettings:
    registers: list[RegisterSettings] = field(factory=list)
    state_dir: str = ""  # the reconcile log; default <data_dir>/shtrih
    compact_bytes: int = field(default=1 << 20, validator=validators.ge(4096))  # log size

    def __attrs_post_init__(self) -> None:
        names = [r.name for r in self.registers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two shtrih registers are called {', '.join(twice)}: "
                             "each needs its own name (its reconcile log is per name)")
