"""Device discovery, Odoo IoT's shape: interfaces owned by the core find candidates (serial
ports, USB devices, TCP host:ports named on the command line), device plugins claim them
through the ``claim_device`` hook. Runs without a hub (``kassa devices discover``).

Safety rules, kept here so no plugin has to remember them: a port some kassa.toml device
section names, or a device file another process holds open, is skipped (the running hub
owns it); per candidate one driver at a time gets the ``Probe``; the passive round (ids only)
comes before any byte is written; every exchange is bounded by a short timeout.

Linux only for serial and USB (sysfs, as pyserial's ``list_ports_linux`` reads it; the core
does not depend on pyserial); elsewhere only TCP and explicitly named device files.
"""

from kassa.discovery.claims import claim, discover
from kassa.discovery.interfaces import (
    expand_hosts,
    held_by_config,
    local_candidates,
    open_elsewhere,
    serial_ports,
    usage_pages,
    usb_devices,
)
from kassa.discovery.probe import PortProbe
from kassa.discovery.values import Candidate, Claim, Failure, Found, ProbeRefused, Result, Skip

__all__ = ["Candidate", "Claim", "Failure", "Found", "PortProbe", "ProbeRefused", "Result",
           "Skip", "claim", "discover", "expand_hosts", "held_by_config", "local_candidates",
           "open_elsewhere", "serial_ports", "usage_pages", "usb_devices"]
