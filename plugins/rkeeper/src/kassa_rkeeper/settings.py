"""``[sites.rkeeper]``: one table per cash server inside its ``[[sites]]`` entry."""

from __future__ import annotations

import ipaddress
from typing import Any

from attrs import define, field
from kassa.secret import Secret

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network(text: str) -> Network:
    """An address or a CIDR network; ValueError names the bad entry."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"allow: {text!r} is not an IP address or network "
                         "(e.g. 192.168.0.31 or 192.168.0.0/24)") from None


def _check_allow(_: Any, __: Any, value: list[str]) -> None:
    for text in value:
        network(text)


@define
class RKeeperSettings:
    host: str
    port: int = 8085  # the cash server's "HTTP Data Port" (no documented default; 8085 is common)
    user: str = ""  # employee login holding the "HTTPS access" right
    password: Secret = field(factory=lambda: Secret(""))
    restaurant_code: str = ""  # 9-digit RestCode; pushes from another code are refused
    scheme: str = "https"  # https (usual) or http
    verify_tls: bool = False  # cash servers mostly have self-signed certificates
    timeout: float = 10.0  # seconds per XML request
    poll_interval: float = 5.0  # seconds between polls (the fallback and the liveness probe)
    offline_after: float = 60.0  # seconds without an answer before one site_offline
    # HTTP Order Notify + station script listener. All interfaces by default: the cash server
    # and the tills are other machines; the allow-list below is the door, not the bind.
    listen_host: str = "0.0.0.0"
    listen_port: int = 8086  # 0 = any free port (tests)
    notify_path: str = "/rkeeper/notify"
    # Who may POST besides the cash server (`host`, always allowed): the tills' addresses or
    # networks ("192.168.0.31", "192.168.0.0/24", IPv6 too). Others get 403.
    allow: list[str] = field(factory=list, validator=_check_allow)
    # Shared with the station script (X-Kassa-Secret header): when set, station events must
    # carry it, and Order Notify pushes too unless they come from the cash server's address.
    secret: Secret = field(factory=lambda: Secret(""))
    max_body: int = field(default=1024 * 1024, validator=lambda _, __, v: _positive("max_body", v))
    # After the hub was down this long (seconds), say so: some facts cannot be read back.
    hub_gap_after: float = 60.0
    # The cash server's clock runs apart on purpose (a simulator's day): one line in words
    # instead of the clock warning a real site needs.
    expected_clock_skew: bool = False
    situations: dict[str, str] = field(factory=dict)  # Situation code -> fact name or event kind

    @property
    def networks(self) -> list[Network]:
        return [network(text) for text in self.allow]

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of bytes, not {value}")
