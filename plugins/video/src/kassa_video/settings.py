"""The ``[video]`` section of kassa.toml: ``[[video.feeds]]``, one table a video system input
(one TCP port on the video server), with its per-till terminal ids."""

from __future__ import annotations

from attrs import define, field, validators

PROTOCOLS = ("dssl", "axxon", "text")
ENCODINGS = ("utf-8", "windows-1251")


def _encoding(_inst: object, _attr: object, value: str) -> None:
    if value.lower() not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {value!r}")


def _file_name(_inst: object, _attr: object, value: str) -> None:
    # the name is also the queue file's name under data_dir/video
    if not value.strip() or any(c in value for c in "/\\\0") or value.startswith("."):
        raise ValueError(f"feed name {value!r} must be a plain name (no slashes, no leading"
                         " dot): it names the feed's queue file")


@define
class FeedSettings:
    name: str = field(validator=_file_name)
    host: str
    port: int = field(validator=validators.and_(validators.ge(1), validators.le(65535)))
    site: str = ""  # the site whose tills feed it (empty: every site)
    protocol: str = field(default="dssl", validator=validators.in_(PROTOCOLS))
    # tcp: a stream, a hang-up is seen; udp: one datagram per event, nothing is ever seen
    # (a real POS feeds Trassir so, B.1), so events around an outage may be lost
    transport: str = field(default="tcp", validator=validators.in_(("tcp", "udp")))
    encoding: str = field(default="utf-8", validator=_encoding)
    # station code -> terminal id the video system knows the till by (Trassir "location",
    # Axxon TerminalId / cash_number); a station not listed uses its own code
    terminals: dict[str, str] = field(factory=dict)
    only_mapped: bool = False  # true: tills not in `terminals` are not fed
    default_terminal: str = ""  # for events that name no station (empty: the site code)
    fiscal: bool = False  # also feed fiscal receipts (a till without r_keeper)
    skip: list[str] = field(factory=list)  # hub event kinds not to feed
    # DSSL XML (Trassir ActivePOS); ofd_video.md B.1
    date_format: str = "%d/%m/%Y"  # the vendor sample is ambiguous (dd/mm or mm/dd)
    separator: str = "\r\n"  # between elements; "" gives the vendor sample byte for byte
    dssl_types: dict[str, str] = field(factory=dict)  # pos event kind -> event_type override
    # Axxon POS Intellect XML; ofd_video.md B.2
    decimal_comma: bool = True
    terminal_tag: str = field(default="TerminalId",
                              validator=validators.in_(("TerminalId", "StationNumber", "")))
    functions: dict[str, int] = field(factory=dict)  # pos event kind -> FunctionNumber override
    # the link and the buffer
    connect_timeout: float = 5.0
    write_timeout: float = 10.0
    reconnect_max: float = 30.0  # seconds between reconnect attempts at most
    backlog_minutes: float = field(default=10.0, validator=validators.gt(0))
    buffer: str = ""  # the on-disk queue file (default: <data_dir>/video/<name>.sqlite)
    locale: str = ""  # what its status says (empty: the hub's locale)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def terminal(self, site: str, station: str | None) -> str | None:
        """The terminal id of a till, or None when this feed does not take it."""
        if self.site and site != self.site:
            return None
        if station:
            if station in self.terminals:
                return self.terminals[station]
            return None if self.only_mapped else station
        return None if self.only_mapped else (self.default_terminal or site)


@define
class VideoSettings:
    feeds: list[FeedSettings] = field(factory=list)

    def __attrs_post_init__(self) -> None:
        names = [f.name for f in self.feeds]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"video feeds named twice: {', '.join(twice)} (each name is a"
                             " device and its own queue file)")
        files = [f.buffer for f in self.feeds if f.buffer]
        shared = sorted({b for b in files if files.count(b) > 1})
        if shared:
            raise ValueError(f"video feeds share a queue file: {', '.join(shared)}")
