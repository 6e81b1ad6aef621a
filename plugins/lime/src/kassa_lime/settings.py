"""``[lime]`` in kassa.toml: where Lime's Jade API is, who we are there, how long the till
waits. Every field has a default, so an absent section leaves the plugin idle."""

from __future__ import annotations

from attrs import define, field
from kassa.secret import Secret


@define
class GoodType:
    """A till product -> Lime's ``goodTypeId`` (its name is what the report prints): by the
    product's ``code``, or by its ``category`` (r_keeper's menu group, INPBUF's
    ``categ_id``) for every product of that group. A code's entry wins over its category's;
    a line neither names gets ``default_good_type_id``."""

    good_type_id: int
    code: str = ""
    category: str = ""
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if not (self.code.strip() or self.category.strip()):
            raise ValueError(f"good type {self.good_type_id}: give a product code or a "
                             "category it stands for")


@define
class LimeSettings:
    base_url: str = ""  # e.g. https://admin.lime-it.ru ; empty: the plugin registers nothing
    client_id: str = "Jade.Api"  # the OAuth client the public clients use [rkeeper.md §4]
    username: str = ""
    password: Secret = field(factory=lambda: Secret(""))
    installation_id: int = 0
    cashdesk_id: int = 0
    timezone: str = "Europe/Moscow"  # Lime's times carry no zone: the installation's
    user_id: int = 1  # the check's ``userId``: Lime's operator for this cashdesk
    site: str = ""  # the site whose tills pay from Lime (alerts, reports); default: the first
    name: str = "lime"  # the payment method's name in kassa.toml / hub.payments
    loyalty: bool = True  # also register a LoyaltyProgram (identify: holder and accounts)
    # the till waits for an answer within its own timeout: we give up before it does, so it
    # shows "Lime недоступен" instead of its own timeout
    timeout: float = 4.0
    processing_id: int = 3  # ``processingId`` of a payment from a Lime right (seen: 3)
    other_processing_id: int = 1  # the part of a line the till's other tenders paid (cash)
    default_good_type_id: int = 0  # a line no good_types entry names, a plain payment
    good_types: list[GoodType] = field(factory=list)
    card_ranges: list[str] = field(factory=list)  # "7799000-7799999": cards Lime serves
    state_dir: str = ""  # the undelivered checks and holds; default <data_dir>/lime
    hold_minutes: int = 30  # an open hold lapses after this (a till that never came back)
    retry_seconds: float = 15.0  # how often undelivered checks are offered to Lime again
