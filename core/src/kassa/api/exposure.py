"""The admin API off the loopback interface: allowed only with a token set on purpose."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from kassa.errors import ConfigError

log = logging.getLogger("kassa.api")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def check_exposure(api: Any) -> None:
    """Refuse an admin API reachable from the network unless ``api.token`` is set in config
    (the generated token in the data folder is for an operator on the same machine); warn
    when it is."""
    if not api.enabled or is_loopback(api.host):
        return
    if not api.token:
        raise ConfigError(f"the admin API would listen on {api.host}, reachable from the "
                          "network, with only a generated token: set api.token explicitly "
                          "(e.g. \"${KASSA_API_TOKEN}\") or bind it to 127.0.0.1",
                          path="api.host")
    log.warning("the admin API listens on %s:%s and is reachable from the network: keep "
                "api.token secret and the port behind a firewall", api.host, api.port)
