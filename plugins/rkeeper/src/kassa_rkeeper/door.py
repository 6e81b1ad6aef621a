"""Who may push to a site's listener: the cash server, the allow-list, the shared secret.

The cash server's own addresses (``host``, resolved) are always allowed; ``allow`` adds the
tills (addresses or CIDR networks). With ``secret`` set, a ``<StationEvent>`` must carry it in
the ``X-Kassa-Secret`` header, and an Order Notify ``<a>`` too unless it comes from the cash
server itself (the notify driver cannot send headers; a ``?secret=`` in its URL also works).
A refusal is logged once per address per minute, never with the secret.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import time
from urllib.parse import parse_qs, urlsplit

import anyio

from kassa_rkeeper.settings import Network, RKeeperSettings

log = logging.getLogger(__name__)

HEADER = "x-kassa-secret"
LOG_EVERY_S = 60.0
RESOLVE_EVERY_S = 60.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address(text: str) -> Address | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # a dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d
    return ip


class Door:
    def __init__(self, site: str, cfg: RKeeperSettings) -> None:
        self.site = site
        self.cfg = cfg
        self.networks: list[Network] = cfg.networks
        self.server: set[Address] = set()
        self._resolved_at: float | None = None
        self._logged: dict[str, float] = {}
        self.refused = 0

    async def resolve(self) -> None:
        """Learn the cash server's addresses (a name is resolved, again a minute later if
        that failed)."""
        self._resolved_at = time.monotonic()
        ip = address(self.cfg.host)
        if ip is not None:
            self.server = {ip}
            return
        try:
            infos = await anyio.getaddrinfo(self.cfg.host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            log.warning("site %s: cannot resolve the cash server %r (%s): only the allow-list "
                        "may push until it resolves", self.site, self.cfg.host, exc)
            return
        self.server = {ip for info in infos if (ip := address(str(info[4][0]))) is not None}

    def from_server(self, peer: str) -> bool:
        return address(peer) in self.server

    async def admits(self, peer: str) -> bool:
        """May ``peer`` push at all (the allow-list, before the body is read)?"""
        ip = address(peer)
        if ip is None:
            return False
        if ip in self.server or any(ip in net for net in self.networks):
            return True
        if not self.server and (self._resolved_at is None
                                or time.monotonic() - self._resolved_at > RESOLVE_EVERY_S):
            await self.resolve()
            return ip in self.server
        return False

    def has_secret(self, path: str, headers: dict[str, str]) -> bool:
        expected = self.cfg.secret.reveal().encode()
        if not expected:
            return True
        given = headers.get(HEADER)
        if given is None:
            given = (parse_qs(urlsplit(path).query).get("secret") or [""])[0]
        return hmac.compare_digest(given.encode(), expected)

    def signed(self, tag: str, peer: str, path: str, headers: dict[str, str]) -> bool:
        """Does a payload of this root ``tag`` carry what it needs (the secret)?"""
        if not self.cfg.secret:
            return True
        if tag != "StationEvent" and self.from_server(peer):
            return True
        return self.has_secret(path, headers)

    def refuse(self, peer: str, why: str) -> None:
        """Count a refusal; log it unless this address was logged within the last minute."""
        self.refused += 1
        now = time.monotonic()
        last = self._logged.get(peer)
        if last is not None and now - last < LOG_EVERY_S:
            return
        if len(self._logged) > 1000:  # a scan of many addresses must not grow this forever
            self._logged.clear()
        self._logged[peer] = now
        log.warning("site %s: refused a push from %s: %s (403; logged once a minute per "
                    "address)", self.site, peer or "an unknown address", why)
