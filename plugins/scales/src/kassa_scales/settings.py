"""The ``[scales]`` section of kassa.toml: ``[[scales.devices]]``, one table a scale."""

from __future__ import annotations

from attrs import define, field, validators

PROTOCOLS = ("cas", "massak", "mtsics", "shtrih_pos2", "shtrih_print")
# shtrih_pos2: the Shtrih-M register's TCP port (fiscal.md §3.1) - PROVISIONAL for scales
DEFAULT_PORTS = {"cas": 4001, "massak": 5001, "mtsics": 4305, "shtrih_pos2": 7778,
                 "shtrih_print": 1111}
VARIANTS = {"cas": ("pdii", "type1")}  # the ECR protocol set on the scale


@define
class ScaleSettings:
    name: str
    protocol: str = field(validator=validators.in_(PROTOCOLS))
    variant: str = ""  # cas: pdii (default) or type1
    host: str = ""  # a scale on the network (or behind a serial-to-TCP converter) ...
    port: int = field(default=0, validator=validators.and_(validators.ge(0),
                                                           validators.le(65535)))
    serial: str = ""  # ... or a serial / USB-CDC device file (/dev/ttyUSB0)
    baudrate: int = 9600  # 8N1 (MT-SICS and CAS PD-II defaults, fiscal.md §5.1-5.2)
    site: str = ""
    station: str = ""
    timeout: float = 1.0  # seconds for one answer
    stable_timeout: float = 3.0  # read() waits this long for a stable weight
    poll_interval: float = 0.1
    locale: str = "ru"
    # label scales (shtrih_print) and Shtrih POS2 scales
    password: str = field(default="0030", validator=validators.matches_re(r"\d{4}"))
    groups: list[int] = field(factory=list)  # group codes it sells; empty: all
    departments: list[str] = field(factory=list)  # catalogue departments it sells
    plu_table_size: int = field(default=8000, validator=validators.and_(
        validators.ge(1), validators.le(65535)))
    barcode_prefix: int = field(default=21, validator=validators.and_(validators.ge(20),
                                                                      validators.le(29)))
    max_price: int = 99_999_99  # kopecks: 99 999.99 a kilogram
    state_dir: str = ""  # where the uploaded table's version is kept (default: hub data)

    def __attrs_post_init__(self) -> None:
        if bool(self.host) == bool(self.serial):
            raise ValueError(f"scale {self.name!r}: give host (TCP) or serial, exactly one")
        if self.host and not self.port:
            self.port = DEFAULT_PORTS[self.protocol]
        known = VARIANTS.get(self.protocol, ())
        if self.variant and self.variant not in known:
            raise ValueError(f"scale {self.name!r}: variant {self.variant!r} is not one of "
                             f"{self.protocol}'s ({', '.join(known) or 'it has none'})")
        if known and not self.variant:
            self.variant = known[0]
        if self.protocol == "shtrih_print" and not self.host:
            raise ValueError(f"scale {self.name!r}: Shtrih-Print label scales are on Ethernet")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}" if self.host else self.serial


@define
class ScalesSettings:
    devices: list[ScaleSettings] = field(factory=list)
