"""``[atol]`` in kassa.toml: the ATOL registers this hub drives.

    [[atol.registers]]             # a register behind an ATOL Web Server (driver v10)
    name = "atol-r1"               # what [[sites]] / [[stations]] fiscal = "..." names
    url = "http://127.0.0.1:16732" # the Web Server
    device_id = ""                 # ?deviceID= when one Web Server drives several registers
    login = ""                     # HTTP Basic auth, when the Web Server has it on
    password = "${ATOL_PASSWORD}"

    [[atol.online]]                # an ATOL Online account (kassa_atol.online.OnlineSettings)
"""

from __future__ import annotations

from attrs import define, field, validators
from kassa.secret import Secret

from kassa_atol.online import OnlineSettings

DEFAULT_URL = "http://127.0.0.1:16732"  # the Web Server's documented default (fiscal.md §2.2)


@define
class RegisterSettings:
    name: str
    url: str = DEFAULT_URL
    # "webserver" is the one kind here; ATOL Online accounts are [[atol.online]]
    kind: str = field(default="webserver", validator=validators.in_(("webserver",)))
    device_id: str = ""
    login: str = ""
    password: Secret = field(factory=lambda: Secret(""))
    # s between GETs of a result (the first is at once); §2.2 consumers poll every 0.5-1 s,
    # a local Web Server answers a GET in ~1 ms, so a quarter second costs it nothing
    poll_interval: float = field(default=0.25, validator=validators.gt(0))
    timeout: float = field(default=60.0, validator=validators.gt(0))  # then: outcome unknown
    lookup_wait: float = 2.0  # lookup waits this long for a queued request, then RetryLater
    connect_timeout: float = 3.0  # an unreachable Web Server: nothing was sent
    cashier: str = ""  # 1021 when a call names no cashier (cash in/out, X report)


@define
class AtolSettings:
    registers: list[RegisterSettings] = field(factory=list)
    online: list[OnlineSettings] = field(factory=list)
