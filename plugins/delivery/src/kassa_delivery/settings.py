"""``[delivery]`` in kassa.toml: every field has a default, so an empty section loads (and the
API then refuses every call: no key is configured)."""

from __future__ import annotations

from attrs import define, field
from kassa.secret import Secret

MODES = ("none", "office_print", "copy")  # no receipt / printed at the office / copy to 1008
RIGHTS = ("pay", "read", "report")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"[delivery] {name} must be one of {', '.join(allowed)}, not {value!r}")


@define
class ApiKey:
    """A caller of the API (header ``X-Api-Key``): one driver's phone (``driver`` set: it may
    act only as that driver) or a delivery app (``driver`` empty: any configured driver)."""

    name: str
    key: Secret
    driver: str = ""
    rights: list[str] = field(factory=lambda: ["pay", "read"])


@define
class Driver:
    id: str
    name: str
    inn: str = ""  # 1203 when the driver is the cashier of record
    mode: str = "copy"  # one of MODES: the business's "register mode"


@define
class Office:
    """One delivery site: whose register fiscalises the drivers' payments."""

    site: str
    register: str = ""  # a fiscal device name (``hub.fiscal``); empty: the site's own
    cashier: str = "Кассир офиса"  # 1021 when the office cashier is the cashier of record
    cashier_inn: str = ""  # 1203
    taxation: str = "OSN"  # kassa.model.TaxSystem member name
    ofd_account: str = ""  # a name from ``ofd_accounts``
    address: str = ""  # 1009; a driver's receipt is settled away from it, see docs
    place: str = "Доставка"  # 1187


@define
class OfdAccount:
    """What the OFD contract includes (fiscal.md §1.6): never assumed from 1008 alone."""

    name: str
    delivers_email: bool = False
    delivers_sms: bool = False


@define
class Smtp:
    host: str = ""  # empty: no e-mail copies (the job says why)
    port: int = 587
    username: str = ""
    password: Secret = field(factory=lambda: Secret(""))
    sender: str = ""
    starttls: bool = True
    use_tls: bool = False
    timeout: float = 30.0


@define
class DeliverySettings:
    api_keys: list[ApiKey] = field(factory=list)
    drivers: list[Driver] = field(factory=list)
    offices: list[Office] = field(factory=list)
    ofd_accounts: list[OfdAccount] = field(factory=list)
    cashier_of_record: str = "office"  # office | driver (1021/1203)
    open_shift: bool = True  # open the register's shift when it is closed
    max_wait_minutes: float = 10.0  # a job queued longer than this alerts the managers once
    retry_seconds: float = 5.0  # how often a waiting register is asked again
    copy_retry_seconds: float = 30.0  # the first pause after a failed copy (then doubled)
    # a copy whose send broke off (a crash, a lost answer): "alert" = at most once, the
    # managers are told it may be lost; "resend" = once more, same Message-ID, marked
    copy_unknown: str = field(default="alert", validator=lambda _, __, v: _one_of(
        "copy_unknown", v, ("alert", "resend")))
    receipt_link: str = ""  # e.g. "https://check.example/?{qr}"; fields qr, fn, fd, fp
    region: str = "RU"  # phone numbers without a country code
    smtp: Smtp = field(factory=Smtp)
    sms_sender: str = ""  # an entry point name in group ``kassa_delivery.sms``; empty: none
    demo_drivers: int = 0  # ``kassa demo``: simulated drivers paying through the API

    def office(self, site: str) -> Office | None:
        return next((o for o in self.offices if o.site == site), None)

    def driver(self, driver_id: str) -> Driver | None:
        return next((d for d in self.drivers if d.id == driver_id), None)

    def account(self, name: str) -> OfdAccount:
        return next((a for a in self.ofd_accounts if a.name == name), OfdAccount(name))
