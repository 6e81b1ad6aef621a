"""``[sites.rkeeper]``: one table per cash server inside its ``[[sites]]`` entry."""

from __future__ import annotations

from attrs import define, field
from kassa.secret import Secret


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
    listen_host: str = "0.0.0.0"  # HTTP Order Notify + station script listener
    listen_port: int = 8086  # 0 = any free port (tests)
    notify_path: str = "/rkeeper/notify"
    situations: dict[str, str] = field(factory=dict)  # Situation code -> fact name or event kind

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"
