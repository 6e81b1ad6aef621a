"""``[farcards]`` in kassa.toml: the tills' listener and the card routes.

The listener keys (``host``, ``port``, ``tills``, ``allow``, ``max_body``) read exactly as the
bonus plugin's old ``[bonus.farcards]`` did, so moving the table is renaming its header.
"""

from __future__ import annotations

from ipaddress import ip_network

from attrs import define, field
from kassa.secret import Secret

MAX_CARD = 2**63 - 1  # Card is an Int64 in the ExtDLL ABI (shared/protocols/rkeeper.md §3.2)


@define
class TillKey:
    """A credential at the door: one till's, or one for a whole site's tills. ``name`` is the
    Basic auth user name and what the log calls the till; the key is never logged."""

    name: str
    key: Secret

    def __attrs_post_init__(self) -> None:
        if len(self.key.reveal()) < 16:
            raise ValueError(f"till {self.name!r}: the key must be at least 16 characters")
        if not self.key.reveal().isascii() or "/" in self.key.reveal():
            raise ValueError(f"till {self.name!r}: the key must be ASCII without '/' "
                             "(it may travel in the URL path)")


def card_pattern(text: str) -> tuple[int, int] | str:
    """``"7788000-7788999"`` -> (lo, hi); ``"77*"`` (or ``"77"``) -> the prefix ``"77"``."""
    t = text.strip()
    lo, sep, hi = t.partition("-")
    if sep:
        if not (lo.strip().isdigit() and hi.strip().isdigit()) or int(lo) > int(hi) \
                or int(hi) > MAX_CARD:
            raise ValueError(f"cards: {text!r} is not a card range (e.g. \"7788000-7788999\")")
        return int(lo), int(hi)
    prefix = t.removesuffix("*")
    if not prefix.isdigit() or len(prefix) > 19:
        raise ValueError(f"cards: {text!r} is neither a range (\"1000-1999\") nor a prefix "
                         "(\"77*\")")
    return prefix


def _check_cards(_: object, __: object, value: list[str]) -> None:
    for text in value:
        card_pattern(text)


@define
class Route:
    """Cards of one number range (or prefix) at one site (or every site) -> one programme.

    ``program``: the ``LoyaltyProgram`` (empty: the only one installed); ``payment``: the
    ``AccountPayment`` Kind 0 payments debit (empty: the one named like the programme, else
    the only one installed)."""

    cards: list[str] = field(factory=list, validator=_check_cards)  # empty: every card
    site: str = ""  # a site code; empty: any restaurant
    restaurant: int | None = None  # the till's Restaurant code; None: the site's rkeeper one
    program: str = ""
    payment: str = ""
    bonus_type: int = 1  # r_keeper's bonus number reported in GetCardInfoEx
    discounts: dict[str, int] = field(factory=dict)  # guest group -> r_keeper discount number
    limit_by_quote: bool = True  # points pay at most the programme's quote for the check

    def matches(self, card: int) -> bool:
        if not self.cards:
            return True
        for text in self.cards:
            p = card_pattern(text)
            if isinstance(p, tuple):
                if p[0] <= card <= p[1]:
                    return True
            elif str(card).startswith(p):
                return True
        return False


@define
class FarCardsSettings:
    """``[farcards]``: closed while no till key is set."""

    host: str = "127.0.0.1"  # loopback unless tills on other machines are meant to reach it
    port: int = 8770
    tills: list[TillKey] = field(factory=list)
    allow: list[str] = field(factory=list)  # till addresses (CIDR); empty: any address
    max_body: int = 1024 * 1024  # bytes; a bigger request is refused with 413
    routes: list[Route] = field(factory=list)  # first match wins; none: every card to the
    # only installed programme
    alert_after: int = 5  # refusals from one address within alert_window -> one alert event
    alert_window: float = 60.0  # seconds

    def __attrs_post_init__(self) -> None:
        for cidr in self.allow:
            try:
                ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"allow: {cidr!r} is not an address or network "
                                 "(e.g. \"10.0.5.0/24\")") from None
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port (0..65535)")
        if self.max_body <= 0:
            raise ValueError(f"max_body must be a positive number of bytes, not {self.max_body}")
        if self.alert_after < 1:
            raise ValueError("alert_after must be at least 1")
