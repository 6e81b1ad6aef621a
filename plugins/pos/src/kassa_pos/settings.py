"""The ``[pos]`` section of kassa.toml: the store, its tills and staff, who may do what,
discount rules, weighed-goods barcode prefixes, payments, the till's message rules and the
client questionnaire.

```toml
[pos]
store = "s1"                        # the site code of the shop
void_needs_manager = true           # a line void needs a manager's card or PIN

[[pos.tills]]
name = "till1"
scanners = ["scan1"]                # up to two hub.devices scanners feeding this till
scale = "scale1"                    # asked for weighed items without a weight in the code
printer = "slip1"                   # non-fiscal slips (the message rules' receipt texts)

[pos.payments]
taxation = "usn_income"             # 1055
terminals = ["card1"]
max_change = 500000                 # kopecks: change this big is refused as a typo

[[pos.staff]]
code = "17"
name = "Иванова А."
role = "manager"
card = "2000000000176"              # the staff card a manager swipes to confirm
pin = "4821"                        # or the PIN typed at the till (kept as a secret)

[pos.rights]                        # optional: replaces a role's default rights
senior_cashier = ["sell", "void_line", "defer", "manual_discount"]

[[pos.discounts]]
name = "Молоко после 20:00"
kind = "group"
groups = ["dairy"]
percent = "20"
time_from = "20:00"
time_to = "23:00"
```
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from attrs import define, field, validators
from kassa.secret import Secret

ROLES = ("cashier", "senior_cashier", "manager")
DISCOUNT_KINDS = ("item", "group", "check", "set", "client")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _time(_inst: object, attr: Any, value: str) -> None:
    if value and not _TIME.fullmatch(value):
        raise ValueError(f"{attr.name} must be HH:MM (24 h), not {value!r}")


def _days(_inst: object, _attr: object, value: list[int]) -> None:
    if any(d < 1 or d > 7 for d in value):
        raise ValueError("days are 1 (Monday) .. 7 (Sunday)")


def _secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(str(value))


def _percent(value: Any) -> Decimal:
    return Decimal(str(value))


def _positive(_inst: object, attr: Any, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attr.name} must be above zero, not {value!r}")


def _scanners(_inst: object, _attr: object, value: list[str]) -> None:
    if len(value) > 2:
        raise ValueError("scanners: a till has at most two scanners")


@define
class TillSettings:
    """One till and its devices (``hub.devices`` names; empty: none / the station's)."""

    name: str = field(validator=validators.min_len(1))  # the station name events carry
    title: str = ""  # what people read ("Касса 1"); empty: the name
    scanners: list[str] = field(factory=list, validator=_scanners)  # serial/HID scanners
    scale: str = ""  # asked for a weighed item whose barcode carries no weight
    printer: str = ""  # the non-fiscal slip printer (receipt texts of the messages)
    weigh_timeout: float = field(default=5.0, validator=_positive)  # seconds
    layout: str = ""  # the cashier's till layout file (kassa pos till); empty: [pos] layout


TAXATION = ("osn", "usn_income", "usn_income_outcome", "envd", "eshn", "patent")
BONUS_AS = ("discount", "counter_provision")
INTERNAL_KINDS = ("cash", "electronic", "prepaid", "credit", "counter_provision")


def _one_of(values: tuple[str, ...]) -> Any:
    def check(_inst: object, attr: Any, value: str) -> None:
        if value not in values:
            raise ValueError(f"{attr.name}: {value!r} is not one of {', '.join(values)}")

    return check


def _internal(_inst: object, _attr: object, value: dict[str, str]) -> None:
    for name, kind in value.items():
        if kind not in INTERNAL_KINDS:
            raise ValueError(f"internal.{name}: unknown payment kind {kind!r} "
                             f"(kinds: {', '.join(INTERNAL_KINDS)})")


@define
class PaymentsSettings:
    """``[pos.payments]``: what ``engine/pay.py`` ``PayConfig`` needs (see its fields)."""

    taxation: str = field(default="osn", validator=_one_of(TAXATION))  # 1055
    terminals: list[str] = field(factory=list)  # card terminals; empty: the site's one
    bonus_method: str = ""  # hub.payments method for bonus tenders; empty: the only one
    deposit_method: str = ""
    bonus_as: str = field(default="discount", validator=_one_of(BONUS_AS))
    internal: dict[str, str] = field(factory=dict, validator=_internal)  # own tender kinds
    max_change: int = field(default=500000, validator=_positive)  # kopecks
    place: str = ""  # 1187
    address: str = ""  # 1009


@define
class StaffSettings:
    """One person at the tills: ``card`` and ``pin`` identify them when they confirm."""

    code: str = field(validator=validators.min_len(1))
    name: str
    role: str = field(default="cashier", validator=validators.in_(ROLES))
    card: str = ""
    pin: Secret = field(factory=lambda: Secret(""), converter=_secret)
    inn: str = ""  # 1203 on the receipt when they sell


@define
class DiscountRule:
    """One automatic discount (see docs/plugins/pos.md, "Checks, discounts and rights").

    ``kind``: ``item`` (the items in ``items``), ``group`` (the catalog groups in ``groups``),
    ``check`` (every line), ``set`` (buy ``buy`` get ``free`` of ``items``/``groups``: the
    cheapest units of each full set are free), ``client`` (lines of ``groups`` — every line
    when empty — for a guest in one of ``client_groups``). ``percent`` or ``amount`` (kopecks
    off each unit). Conditions: a time window ``time_from``..``time_to`` (wraps past
    midnight when from > to) on ``days``, and ``min_quantity`` of matching units.
    """

    name: str = field(validator=validators.min_len(1))
    kind: str = field(validator=validators.in_(DISCOUNT_KINDS))
    items: list[str] = field(factory=list)
    groups: list[str] = field(factory=list)
    client_groups: list[str] = field(factory=list)
    percent: Decimal = field(default=Decimal(0), converter=_percent,
                             validator=[validators.ge(Decimal(0)),
                                        validators.le(Decimal(100))])
    amount: int = field(default=0, validator=validators.ge(0))
    buy: int = field(default=0, validator=validators.ge(0))
    free: int = field(default=0, validator=validators.ge(0))
    min_quantity: Decimal = field(default=Decimal(0), converter=_percent,
                                  validator=validators.ge(Decimal(0)))
    time_from: str = field(default="", validator=_time)
    time_to: str = field(default="", validator=_time)
    days: list[int] = field(factory=list, validator=_days)

    def __attrs_post_init__(self) -> None:
        if self.kind == "set":
            if self.buy < 1 or self.free < 1:
                raise ValueError(f"discount {self.name!r}: a set needs buy >= 1 and free >= 1")
        elif not self.percent and not self.amount:
            raise ValueError(f"discount {self.name!r}: give percent or amount")
        elif self.percent and self.amount:
            raise ValueError(f"discount {self.name!r}: give percent or amount, not both")
        if self.kind == "item" and not self.items:
            raise ValueError(f"discount {self.name!r}: an item discount names its items")
        if self.kind == "group" and not self.groups:
            raise ValueError(f"discount {self.name!r}: a group discount names its groups")
        if self.kind == "client" and not self.client_groups:
            raise ValueError(f"discount {self.name!r}: a client discount names client_groups")
        if bool(self.time_from) != bool(self.time_to):
            raise ValueError(f"discount {self.name!r}: give both time_from and time_to")


@define
class BarcodePrefix:
    """A weighed-goods / priced-goods barcode family (read by ``engine/barcodes.py``):
    ``prefix`` the leading digits, ``layout`` how the rest reads (that module's names)."""

    prefix: str = field(validator=validators.matches_re(r"\d{1,3}"))
    layout: str = field(validator=validators.min_len(1))


@define
class ChainSettings:
    """``[pos.chain]``: a store node of a retail chain (``kassa chain store new`` writes it):
    its leaf NATS server, the store's stream there, the centre's leafnode URL."""

    nats: str = ""  # the store's own leaf node (the centre's NATS when centre); empty: off
    stream: str = ""  # the store's stream in its JetStream domain (CHAIN_<code>)
    central: str = ""  # the centre's leafnode listener the leaf connects to
    # a store: seconds between rounds when nothing woke it (a sale wakes it at once)
    interval: float = field(default=10.0, validator=_positive)
    # the centre (chain/service.py): ingest every store's stream into this hub's PostgreSQL
    centre: bool = False
    stores: list[str] = field(factory=list)  # the store codes the centre's stream sources
    centre_stream: str = "CHAIN"
    durable: str = "chain-ingest"  # the centre's durable pull consumer on centre_stream
    offline_after: float = field(default=300.0, validator=_positive)  # s: site_offline
    # a store returning a check sold in another store asks the centre (chain/xreturns.py);
    # with the centre out of reach: "refuse", or "accept" up to returns_limit kopecks
    # (the receipt's QR as proof, reconciled at the centre when the link returns)
    returns: str = field(default="refuse", validator=validators.in_(("refuse", "accept")))
    returns_limit: int = field(default=0, validator=validators.ge(0))
    returns_timeout: float = field(default=3.0, validator=_positive)  # s: the centre's answer

    def __attrs_post_init__(self) -> None:
        if self.centre and not self.nats:
            raise ValueError("chain.centre needs chain.nats (the centre's NATS server)")
        if self.centre and not self.stores:
            raise ValueError("chain.centre needs chain.stores (the store codes to ingest)")
        from kassa_pos.chain.config import check_code

        for code in self.stores:
            check_code(code)


@define
class PosSettings:
    store: str = ""  # the site code; empty: the hub's only site
    tills: list[TillSettings] = field(factory=list)
    layout: str = ""  # the store's till layout file; empty: the packaged one
    staff: list[StaffSettings] = field(factory=list)
    # role -> rights, replacing that role's defaults (engine/rights.py DEFAULT_RIGHTS)
    rights: dict[str, list[str]] = field(factory=dict)
    void_needs_manager: bool = True
    # the largest manual discount a role may give, percent of the check (manager: any)
    manual_discount_limit: dict[str, Decimal] = field(factory=dict)
    discounts: list[DiscountRule] = field(factory=list)
    barcode_prefixes: list[BarcodePrefix] = field(factory=list)
    # the till's message rules, structured by engine/messages.py (its own rule type)
    messages: list[dict[str, Any]] = field(factory=list)
    # days a deferred check stays resumable before it is dropped from the list
    deferred_days: int = field(default=3, validator=validators.ge(1))
    payments: PaymentsSettings = field(factory=PaymentsSettings)
    # the client questionnaire, structured by engine/client.py (load_questions)
    questions: list[dict[str, Any]] = field(factory=list)
    chain: ChainSettings = field(factory=ChainSettings)

    def __attrs_post_init__(self) -> None:
        for role, rights in self.rights.items():
            if role not in ROLES:
                raise ValueError(f"rights: unknown role {role!r} (roles: {', '.join(ROLES)})")
            from kassa_pos.engine.rights import Right

            known = {r.value for r in Right}
            bad = [r for r in rights if r not in known]
            if bad:
                raise ValueError(f"rights.{role}: unknown right {bad[0]!r}")
        for role in self.manual_discount_limit:
            if role not in ROLES:
                raise ValueError(f"manual_discount_limit: unknown role {role!r}")
        self.manual_discount_limit = {k: Decimal(str(v))
                                      for k, v in self.manual_discount_limit.items()}
        _unique("tills", [t.name for t in self.tills])
        _unique("staff", [s.code for s in self.staff])
        _unique("staff cards", [s.card for s in self.staff if s.card])
        pins = [s.pin.reveal() for s in self.staff if s.pin]
        if len(pins) != len(set(pins)):  # the message must not show the PIN
            raise ValueError("staff: two people share one PIN (a PIN must name one person)")
        _unique("discounts", [d.name for d in self.discounts])
        _unique("barcode_prefixes", [p.prefix for p in self.barcode_prefixes])


def _unique(what: str, names: list[str]) -> None:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{what}: {twice[0]!r} is given twice")
