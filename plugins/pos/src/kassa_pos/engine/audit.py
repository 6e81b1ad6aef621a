"""Cashier actions as hub events: every engine module reports what a person did at the till
with ``await record(hub, kind, check, ...)``.

The event goes through ``hub.emit`` like r_keeper's (persisted in the event log before any
listener acts; a chat's alert rules, the reports and the video feed read it from there); an
action on a check is emitted by the check book in the transaction that saves the check
(``hub.emit(ev, conn=)``: one commit, the check and its audit together). Its
kind is one of ``kassa_pos.kinds.Kind`` and its severity the kind's declared one, unless the
caller raises it (a lowered quantity is a warning). ``source_key`` makes a re-delivery a
no-op: for an action on a check it is the check's id and the action's number on that check
(``Check.seq``, persisted with the check), so re-emitting the same action after a crash adds
nothing; an action outside a check gives its own ``key`` (a shift id, a drawer opening's).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from kassa.model import Event, Line, Severity

from kassa_pos.kinds import Kind

if TYPE_CHECKING:
    from kassa_pos.engine.rights import Person


class Audited(Protocol):
    """What ``record`` reads of a check (``kassa_pos.engine.check.Check``)."""

    id: str
    site: str
    till: str
    number: int | None

    def next_seq(self) -> int: ...


def line(name: str, quantity: Decimal | int | str, amount: int, *, code: str | None = None,
         price: int | None = None) -> Line:
    return Line(name=name, quantity=Decimal(str(quantity)), amount=amount, code=code,
                price=price)


def event(hub: Any, kind: Kind | str, check: Audited | None = None, *,
          site: str | None = None, till: str | None = None, actor: Person | None = None,
          manager: Person | None = None, key: str | None = None, amount: int | None = None,
          reason: str | None = None, lines: Iterable[Line] = (),
          severity: Severity | None = None, **detail: Any) -> Event:
    """The event ``record`` emits (built apart so a caller can batch or inspect it)."""
    if check is not None:
        site = site or check.site
        till = till or check.till
        key = key or f"pos:{check.id}:{check.next_seq()}"
    if not site:
        raise ValueError("an audit event needs the site (give check= or site=)")
    data: dict[str, Any] = {k: _plain(v) for k, v in detail.items() if v is not None}
    if actor is not None:
        data["actor"] = actor.code
        data["role"] = actor.role.value
    if manager is not None:
        data["manager_code"] = manager.code
    if check is not None:
        data["check_id"] = check.id
    kw: dict[str, Any] = {}
    if severity is not None:
        kw["severity"] = severity
    return Event.of(site=site, kind=str(kind), source_key=key or f"pos:{uuid.uuid4().hex}",
                    occurred_at=hub.clock.now(), station=till,
                    employee=actor.name if actor is not None else None,
                    manager=manager.name if manager is not None else None,
                    order=str(check.number) if check is not None and check.number else None,
                    lines=tuple(lines), amount=amount, reason=reason or None, data=data, **kw)


async def record(hub: Any, kind: Kind | str, check: Audited | None = None, **kw: Any
                 ) -> Event:
    """Emit one cashier action (``event``'s arguments); returns the event emitted."""
    ev = event(hub, kind, check, **kw)
    await hub.emit(ev)
    return ev


def _plain(value: Any) -> Any:
    """Event data is JSON: Decimals as strings, enums as their values."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, (str, int)):
        return value.value
    return value
