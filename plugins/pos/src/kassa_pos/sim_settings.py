"""``[pos_demo]``: the simulated shop's settings (apart from ``sim.py`` so that reading the
config does not import the till engine)."""

from __future__ import annotations

from attrs import define, field, validators


@define
class ShopSettings:
    """``[pos_demo]``: the simulated shop (only the demo sets it).

    ``pace``: shoppers per real second at most, over both tills; ``arrival_s``: shop-time
    seconds between shoppers, divided by ``speed`` (the demo's clock factor) — the slower of
    the two wins, so a fast demo clock stays light on the box, as r_keeper's tills do."""

    enabled: bool = False
    seed: int = 7
    items: int = field(default=3000, validator=validators.ge(50))
    speed: float = field(default=1.0, validator=validators.gt(0))
    arrival_s: float = field(default=120.0, validator=validators.gt(0))
    pace: float = field(default=1.5, validator=validators.gt(0))
    terminal: str = ""  # the card terminal; empty: cash (and bonus) only
    # loyalty cards the bonus programme registers at the first swipe ("7788000-7788999", as
    # the bonus demo publishes it); empty: no shopper pays with points
    bonus_cards: str = ""
    shoppers: int = 0  # stop after this many (tests); 0: until the hub stops
    # the shop closes at this wall-clock time (epoch seconds; 0: never): the chain demo stops
    # its stores' sales at one moment and then waits for the centre to catch up
    close_at: float = 0.0
    # the tills the shoppers queue at; empty: every till of [pos] (`kassa pos till --demo`
    # leaves one to the person at the keyboard)
    tills: list[str] = field(factory=list)
