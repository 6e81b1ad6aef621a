"""One ATOL Online (cloud register) account: ``[[atol.online]]`` in kassa.toml."""

from __future__ import annotations

import os
from pathlib import Path

from attrs import define, field, validators
from kassa.model import TaxSystem
from kassa.secret import Secret

TEST_URL = "https://testonline.atol.ru/possystem/v5/"  # fiscal.md §2.4
PROD_URL = "https://online.atol.ru/possystem/v5/"

# v5 ``company.sno`` names (fiscal.md §2.4) and the 1055 bit each one is
SNO = {"osn": TaxSystem.OSN, "usn_income": TaxSystem.USN_INCOME,
       "usn_income_outcome": TaxSystem.USN_INCOME_OUTCOME, "envd": TaxSystem.ENVD,
       "esn": TaxSystem.ESHN, "patent": TaxSystem.PATENT}


def _secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(str(value))


def _url(value: str) -> str:
    return value if value.endswith("/") else value + "/"


@define
class OnlineSettings:
    """Credentials and the organisation's data ATOL Online puts on every receipt."""

    name: str = "atol-online"  # what [[stations]] fiscal = "..." refers to
    base_url: str = field(default=PROD_URL, converter=_url)  # .../possystem/v5/
    login: str = ""
    password: Secret = field(factory=lambda: Secret(""), converter=_secret)
    group_code: str = ""  # the KKT group: the path segment before the operation
    inn: str = ""  # company.inn: the organisation's INN
    payment_address: str = ""  # company.payment_address (1187): the shop's site or address
    company_email: str = ""  # company.email (1117): the sender of electronic receipts
    # the group's tax system: a receipt with another 1055 is refused ("": any, as sent)
    sno: str = field(default="", validator=validators.in_(("", *SNO)))
    callback_url: str = ""  # ATOL POSTs the report here when done; empty: we poll only
    timezone: str = "Europe/Moscow"  # the zone of the dd.mm.yyyy timestamps (unverified)
    request_timeout: float = field(default=10.0, validator=validators.gt(0))  # per HTTP call
    poll_interval: float = field(default=1.0, validator=validators.gt(0))  # report/{uuid}
    wait_timeout: float = field(default=60.0, validator=validators.gt(0))  # for done|fail
    lookup_timeout: float = field(default=10.0, validator=validators.gt(0))  # the same, lookup
    retries: int = field(default=3, validator=validators.ge(0))  # on 429 / 5xx / no link
    retry_delay: float = field(default=1.0, validator=validators.ge(0))  # doubled each time
    # key -> external_id -> uuid, kept so lookup() can find a document after a crash;
    # empty: <hub data dir>/atol-online-<name>.jsonl
    state_file: str = ""
    locale: str = field(default="ru", validator=validators.in_(("ru", "en")))

    def state_path(self, data_dir: Path | None = None) -> Path:
        """``state_file``, else ``atol-online-<name>.jsonl`` in the hub's data folder."""
        if self.state_file:
            return Path(self.state_file).expanduser()
        base = data_dir or Path(os.environ.get("KASSA_DATA_DIR") or "~/.local/share/kassa")
        return base.expanduser() / f"atol-online-{self.name}.jsonl"
