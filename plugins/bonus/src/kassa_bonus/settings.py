"""``[bonus]`` in kassa.toml: every field has a default, so an empty section works."""

from __future__ import annotations

from decimal import Decimal
from ipaddress import ip_network

from attrs import define, field
from kassa.secret import Secret


@define
class Level:
    name: str
    threshold: int = 0  # lifetime earned points (hundredths) to reach it
    accrual_pct: Decimal = Decimal(5)


@define
class Threshold:
    """A check of at least ``min_total`` kopecks earns ``bonus`` extra points."""

    min_total: int
    bonus: int


@define
class Window:
    """Happy hours: accrual multiplied inside [start, end) on the given ISO weekdays."""

    start: str = "00:00"
    end: str = "24:00"
    weekdays: list[int] = field(factory=lambda: [1, 2, 3, 4, 5, 6, 7])
    multiplier: Decimal = Decimal(1)


@define
class ApiKey:
    """An external system allowed to call the REST API (header ``X-Api-Key``)."""

    name: str
    key: Secret
    scopes: list[str] = field(factory=lambda: ["read"])  # read | write | admin


@define
class WebhookTarget:
    name: str
    url: str
    secret: Secret = field(factory=lambda: Secret(""))
    events: list[str] = field(factory=lambda: ["*"])


@define
class TillKey:
    """A credential at the FarCards door: one till's, or one for a whole site's tills.
    ``name`` is the Basic auth user name and what the log calls the till; the key is never
    logged."""

    name: str
    key: Secret

    def __attrs_post_init__(self) -> None:
        if len(self.key.reveal()) < 16:
            raise ValueError(f"till {self.name!r}: the key must be at least 16 characters")
        if not self.key.reveal().isascii() or "/" in self.key.reveal():
            raise ValueError(f"till {self.name!r}: the key must be ASCII without '/' "
                             "(it may travel in the URL path)")


@define
class FarCardsDoor:
    """``[bonus.farcards]``: the tills' own listener (never the admin API's port). Closed
    while no till key is configured."""

    host: str = "127.0.0.1"
    port: int = 8770
    tills: list[TillKey] = field(factory=list)
    allow: list[str] = field(factory=list)  # till addresses (CIDR); empty: any address
    max_body: int = 1024 * 1024  # bytes; a bigger request is refused with 413

    def __attrs_post_init__(self) -> None:
        for cidr in self.allow:
            try:
                ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"allow: {cidr!r} is not an address or network "
                                 "(e.g. \"10.0.5.0/24\")") from None
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port (0..65535)")


def _levels() -> list[Level]:
    return [Level("base", 0, Decimal(5)), Level("silver", 2_000_000, Decimal(7)),
            Level("gold", 10_000_000, Decimal(10))]


@define
class BonusSettings:
    program: str = "bonus"
    region: str = "RU"  # default region for phone numbers
    levels: list[Level] = field(factory=_levels)
    lot_days: int = 365  # earned points expire after; 0 = never
    hold_minutes: int = 30
    max_pay_pct: int = 50  # at most this share of a check may be paid with points
    excluded: list[str] = field(factory=list)  # dish codes points neither pay for nor earn on
    group_discounts: dict[str, Decimal] = field(factory=dict)  # guest group -> discount %
    multipliers: dict[str, Decimal] = field(factory=dict)  # dish code or "cat:<name>" -> x
    windows: list[Window] = field(factory=list)
    thresholds: list[Threshold] = field(factory=list)
    welcome_bonus: int = 0
    birthday_bonus: int = 0
    birthday_days_before: int = 3
    birthday_days_after: int = 3
    winback_days: int = 0  # 0 = off; guests away this long get winback_bonus on return
    winback_bonus: int = 0
    api_keys: list[ApiKey] = field(factory=list)
    webhooks: list[WebhookTarget] = field(factory=list)
    expiry_notice_days: int = 7  # points_expiring webhook this many days ahead
    schedule_seconds: float = 3600  # how often the hub runs expiry and promotions (0 = never)
    webhook_seconds: float = 5  # how often the hub looks for due webhooks (0 = never)
    managers_chat: str = ""  # "channel:chat_id" where guest feedback goes
    farcards: FarCardsDoor = field(factory=FarCardsDoor)  # the tills' listener
    farcards_restaurants: list[int] = field(factory=list)  # empty: any restaurant code
    farcards_payment_account: str = "bonus"  # what Kind 0 payments debit: bonus | debit
    farcards_bonus_type: int = 1  # r_keeper bonus number reported in GetCardInfoEx
    farcards_discounts: dict[str, int] = field(factory=dict)  # guest group -> discount number
    farcards_issue_ranges: list[str] = field(factory=list)  # "1000-1999": unknown cards in a
    # range are issued (a new guest) when first swiped at the till

    def __attrs_post_init__(self) -> None:
        for r in self.farcards_issue_ranges:
            lo, _, hi = r.partition("-")
            lo, hi = lo.strip(), (hi or lo).strip()
            if not (lo.isdigit() and hi.isdigit() and int(lo) <= int(hi)):
                raise ValueError(f"farcards_issue_ranges: {r!r} is not a card range "
                                 "(e.g. \"7788000-7788999\")")
