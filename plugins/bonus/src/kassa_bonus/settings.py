"""``[bonus]`` in kassa.toml: every field has a default, so an empty section works."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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
    issue_ranges: list[str] = field(factory=list)  # "1000-1999": unknown cards in a range
    # are issued (a new guest) at their first identify (a till's swipe)
    # FarCards moved to the r_keeper plugin: these keys are read only to say where they went
    farcards: Any = None
    farcards_restaurants: Any = None
    farcards_payment_account: Any = None
    farcards_bonus_type: Any = None
    farcards_discounts: Any = None
    farcards_issue_ranges: list[str] | None = None  # the old name of issue_ranges

    def __attrs_post_init__(self) -> None:
        if self.farcards_issue_ranges is not None:
            self.issue_ranges = [*self.issue_ranges, *self.farcards_issue_ranges]
        for key, where in MOVED.items():
            if getattr(self, key) is not None:
                raise ValueError(f"{key}: FarCards-HTTP is served by the r_keeper plugin now: "
                                 f"{where}")
        for r in self.issue_ranges:
            lo, _, hi = r.partition("-")
            lo, hi = lo.strip(), (hi or lo).strip()
            if not (lo.isdigit() and hi.isdigit() and int(lo) <= int(hi)):
                raise ValueError(f"issue_ranges: {r!r} is not a card range "
                                 "(e.g. \"7788000-7788999\")")

    def issues(self, card: str) -> bool:
        """Whether an unknown ``card`` is one of the pre-printed ranges issued at first use."""
        if not card.isdigit():
            return False
        for r in self.issue_ranges:
            lo, _, hi = r.partition("-")
            if int(lo) <= int(card) <= int(hi or lo):
                return True
        return False


MOVED = {
    "farcards": "move the [bonus.farcards] table to [farcards] (host, port, tills, allow and "
                "max_body read the same there)",
    "farcards_restaurants": "name each restaurant in [[farcards.routes]] restaurant",
    "farcards_payment_account": "name the payment method in [[farcards.routes]] payment "
                                "(\"bonus\" or \"deposit\")",
    "farcards_bonus_type": "set [[farcards.routes]] bonus_type",
    "farcards_discounts": "set [[farcards.routes]] discounts (guest group -> discount number)",
}
