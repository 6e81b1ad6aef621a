"""Event kinds of the FarCards door (declared with the r_keeper plugin's others)."""

from __future__ import annotations

from kassa.model import EventKindSpec, Severity

ACCESS_REFUSED = "farcards_access_refused"  # one address refused repeatedly (a scan, a bad key)
FAILED = "farcards_failed"  # an answer 5xx: the log line carries the same correlation id

KINDS: tuple[EventKindSpec, ...] = (
    EventKindSpec(ACCESS_REFUSED, severity=Severity.WARNING, group="rkeeper",
                  title={"ru": "Сервер карт FarCards отказывает кассе в доступе",
                         "en": "FarCards card server keeps refusing a caller"}),
    EventKindSpec(FAILED, severity=Severity.WARNING, group="rkeeper",
                  title={"ru": "Сервер карт FarCards не смог ответить кассе",
                         "en": "FarCards card server failed to answer a till"}),
)
