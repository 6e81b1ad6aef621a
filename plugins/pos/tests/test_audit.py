"""The till's event kinds: declared through the hub with ru/en titles, risky ones reaching
an owners' chat with the default alert rules (as r_keeper's do) and routine ones not, the
shift close firing auto-reports; and audit events built from a check."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import kassa_pos
import pytest
from kassa.config import ChatSettings
from kassa.model import Event, Severity
from kassa.routing import ChatRule
from kassa.testing import make_hub
from kassa_pos.engine import audit
from kassa_pos.engine.check import Check
from kassa_pos.engine.rights import Person, Role
from kassa_pos.kinds import KINDS, RISKY, Kind

pytestmark = pytest.mark.anyio
ANNA = Person("1", "Анна", Role.CASHIER)
OLEG = Person("9", "Олег", Role.MANAGER)
CFG = {"sites": [{"code": "s1"}]}


async def test_kinds_are_registered_with_titles(tmp_path: Path) -> None:
    async with make_hub(CFG, tmp_path, plugins=[kassa_pos]) as hub:
        for kind in Kind:
            spec = hub.kinds.get(kind)
            assert spec is not None and spec.group == "pos", kind
            assert spec.title["ru"] and spec.title["en"]
            assert hub.kinds.origin(kind) in ("pos", "kassa_pos")  # entry point or module
        assert Kind.SHIFT_CLOSED in hub.kinds.closing()
        assert Kind.CHECK_CLOSED in hub.kinds.sales()
    assert {s.name for s in KINDS} == {k.value for k in Kind}


def test_risky_kinds_reach_the_owners_and_routine_ones_do_not() -> None:
    from kassa.model import EventKinds

    kinds = EventKinds(KINDS)
    owners = ChatRule.of(ChatSettings(channel="telegram", chat_id="-100", owners=True),
                         kinds)
    shop = ChatRule.of(ChatSettings(channel="telegram", chat_id="-200", site="s1",
                                    alerts=["group:pos"], min_severity="danger"), kinds)
    c = Check(site="s1", till="till1", cashier=ANNA)
    for spec in KINDS:
        ev = audit.event(_Hub(), spec.name, c, actor=ANNA)
        assert ev.severity is spec.severity
        assert owners.wants(ev, spec) is (spec.name in RISKY), spec.name
        assert shop.wants(ev, spec), spec.name  # a group named: every kind of it
    assert {Kind.LINE_VOIDED, Kind.CHECK_VOIDED, Kind.PRICE_OVERRIDDEN, Kind.RETURN,
            Kind.DRAWER_OPENED, Kind.MANUAL_DISCOUNT, Kind.CASH_OUT} <= RISKY
    assert not {Kind.LINE_ADDED, Kind.CHECK_OPENED, Kind.CHECK_CLOSED,
                Kind.SHIFT_OPENED} & RISKY
    # a lowered quantity is raised to a warning by its caller and then reaches them too
    ev = audit.event(_Hub(), Kind.QUANTITY_CHANGED, c, actor=ANNA, severity=Severity.WARNING)
    assert owners.wants(ev, kinds.get(Kind.QUANTITY_CHANGED))


def test_an_audit_event_names_who_what_and_where() -> None:
    c = Check(site="s1", till="till2", cashier=ANNA, number=17)
    ev = audit.event(_Hub(), Kind.LINE_VOIDED, c, actor=ANNA, manager=OLEG, amount=8990,
                     reason="брак", lines=[audit.line("Молоко", 1, 8990, code="m1")],
                     quantity=Decimal("1.000"), line=3)
    assert isinstance(ev, Event)
    assert (ev.site, ev.station, ev.order, ev.employee, ev.manager) == \
        ("s1", "till2", "17", "Анна", "Олег")
    assert ev.source_key == f"pos:{c.id}:1" and c.seq == 1
    assert ev.data == {"quantity": "1.000", "line": 3, "actor": "1", "role": "cashier",
                       "manager_code": "9", "check_id": c.id}
    assert ev.lines[0].name == "Молоко" and ev.lines[0].amount == 8990
    nxt = audit.event(_Hub(), Kind.LINE_ADDED, c, actor=ANNA)
    assert nxt.source_key == f"pos:{c.id}:2"
    drawer = audit.event(_Hub(), Kind.DRAWER_OPENED, site="s1", till="till1", actor=ANNA,
                         key="drawer:till1:5")
    assert drawer.source_key == "drawer:till1:5" and drawer.order is None
    with pytest.raises(ValueError, match="site"):
        audit.event(_Hub(), Kind.DRAWER_OPENED, actor=ANNA)


class _Hub:
    class clock:
        @staticmethod
        def now():
            from datetime import UTC, datetime

            return datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
