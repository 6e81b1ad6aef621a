"""Which programme serves a card: the first ``[[farcards.routes]]`` entry whose restaurant
and card range match. A route names its site; the site's restaurant code is the route's own
``restaurant``, else the site's ``[sites.rkeeper] restaurant_code``. With no routes at all,
every card goes to the only installed programme (nothing to choose)."""

from __future__ import annotations

from typing import Any

from attrs import frozen
from kassa.errors import ConfigError

from kassa_rkeeper.farcards.settings import FarCardsSettings, Route


@frozen
class Target:
    """A card's programme at a site: the components by name and the route they came from."""

    site: str
    program_name: str
    program: Any  # LoyaltyProgram
    payment: str | None  # the AccountPayment name Kind 0 payments debit (None: none)
    route: Route


class Routes:
    def __init__(self, hub: Any, cfg: FarCardsSettings) -> None:
        self.hub = hub
        self.routes = list(cfg.routes) or [Route()]
        programs: dict[str, Any] = dict(getattr(hub, "loyalty_programs", {}) or {})
        payments = {c.name for c in _components(hub, "payment")}
        self.targets: list[tuple[Route, int | None, Target]] = []
        for i, r in enumerate(self.routes):
            where = f"farcards.routes[{i}]"
            name = r.program or (next(iter(programs)) if len(programs) == 1 else "")
            if name not in programs:
                raise ConfigError(
                    (f"names loyalty programme {r.program!r}, which no installed plugin "
                     "provides" if r.program else
                     f"{len(programs)} loyalty programmes are installed: name one in "
                     "program") + f" (installed: {', '.join(programs) or 'none'})", path=where)
            pay = r.payment or (name if name in payments else
                                next(iter(payments)) if len(payments) == 1 else None)
            if r.payment and r.payment not in payments:
                raise ConfigError(f"names payment method {r.payment!r}, which no installed "
                                  f"plugin provides (installed: {', '.join(payments)})",
                                  path=where)
            site = r.site or (str(r.restaurant) if r.restaurant is not None else "")
            self.targets.append((r, self._restaurant(r), Target(site, name, programs[name],
                                                                pay, r)))

    def _restaurant(self, r: Route) -> int | None:
        if r.restaurant is not None or not r.site:
            return r.restaurant
        try:
            rk = self.hub.site_section(r.site, "rkeeper")
        except (KeyError, LookupError, AttributeError):
            rk = None
        code = str(getattr(rk, "restaurant_code", "") or "")
        return int(code) if code.isdigit() else None

    def find(self, restaurant: int, card: int) -> Target | None:
        for route, code, target in self.targets:
            if code is not None and code != restaurant:
                continue
            if route.site and code is None:
                continue  # a site whose restaurant code is unknown serves no till
            if route.matches(card):
                if not target.site:
                    return Target(str(restaurant), target.program_name, target.program,
                                  target.payment, route)
                return target
        return None


def _components(hub: Any, concern: str) -> list[Any]:
    try:
        return list(hub.components(concern))
    except (KeyError, LookupError):
        return []
