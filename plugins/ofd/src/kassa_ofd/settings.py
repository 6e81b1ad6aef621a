"""The OFD account: ``[ofd]`` in kassa.toml (one OFD.ru merchant account per hub)."""

from __future__ import annotations

from attrs import define, field, validators
from kassa.secret import Secret

PROD_URL = "https://ofd.ru"  # /api/Authorization/CreateAuthToken, /api/integration/v1 (A.1)
FNS_URL = "https://proverkacheka.nalog.ru:9999"  # the legacy receipt check (fiscal.md §9)


def _secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(str(value))


def _url(value: str) -> str:
    return value.rstrip("/")


@define
class OfdSettings:
    """OFD.ru merchant API v1 credentials, the tariff's delivery flags and reconciliation."""

    base_url: str = field(default=PROD_URL, converter=_url)
    login: str = ""  # the LK login (CreateAuthToken "Login")
    password: Secret = field(factory=lambda: Secret(""), converter=_secret)
    inn: str = ""  # the organisation's INN: every data path is /inn/{inn}/...
    fns_url: str = field(default=FNS_URL, converter=_url)  # the FNS check from a QR
    # dateFrom/dateTo and DocDateTime are the register's wall clock without a zone (A.1)
    timezone: str = "Europe/Moscow"
    # a receipt in the journal this long and not at the OFD raises ofd_receipt_missing
    missing_after_hours: float = field(default=24.0, validator=validators.gt(0))
    reconcile_every_minutes: float = field(default=60.0, validator=validators.ge(0))  # 0: off
    reconcile_days: int = field(default=3, validator=validators.ge(1))  # how far back it looks
    # the tariff: does the OFD send buyer copies by e-mail / SMS (fiscal.md §1.6)?
    delivers_email: bool = False
    delivers_sms: bool = False
    request_timeout: float = field(default=10.0, validator=validators.gt(0))
    retries: int = field(default=2, validator=validators.ge(0))  # after a 429
    max_retry_wait: float = field(default=5.0, validator=validators.ge(0))  # longer: RetryLater
    locale: str = field(default="ru", validator=validators.in_(("ru", "en")))

    @property
    def configured(self) -> bool:
        return bool(self.login and self.inn)
