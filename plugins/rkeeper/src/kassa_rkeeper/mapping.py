"""THE table: every r_keeper fact Kassa knows, how it is observed, and the event kind it
becomes (declared in ``kassa_rkeeper.kinds``).

The HTTP Order Notify Situation numbers are not public (protocol notes §8): only 1 = Started is
confirmed. The numbers below are our assumption; an integrator remaps or extends them with
``[sites.rkeeper.situations]`` in kassa.toml (code -> fact name or event kind). Unknown codes
are logged once per code and kept as ``rkeeper_unknown`` events.

``via``: ``notify`` (the cash server pushes it), ``xml`` (read by diffing GetOrder /
GetReceiptList / GetSystemInfo2), ``station`` (our station script posts it), ``kassa`` (the
source itself observes it).
"""

from __future__ import annotations

from attrs import frozen
from kassa.model import EventKind as Core

from kassa_rkeeper.kinds import Kind as K

UNKNOWN_KIND = K.UNKNOWN


@frozen
class Fact:
    name: str  # our stable fact id, also the notify ``name`` / station ``kind``
    kind: str  # the kind emitted ("" = triggers a read, emits nothing itself)
    via: str
    situation: int | None  # HTTP Order Notify Situation code (our assumption except 1)
    how: str  # how it is recognised, for people


FACTS: tuple[Fact, ...] = (
    Fact("Started", K.STATION_STARTED, "notify", 1, "Situation 1: cash server or station started"),
    Fact("Stopped", K.STATION_STOPPED, "notify", 2, "station went down"),
    Fact("OrderChanged", "", "notify", 3, "an order changed: GetOrder is read and diffed"),
    Fact("DishesMoved", "", "notify", 4, "dishes moved: out of <Order>, into <Target>"),
    Fact("ShiftClosed", K.SHIFT_CLOSED, "notify", 5, "common shift closed"),
    Fact("IntentReceiptPrinted", K.INTENT_RECEIPT_PRINTED, "notify", 6, "intent receipt printed"),
    Fact("IntentReceiptCorrected", K.INTENT_RECEIPT_CORRECTED, "notify", 7,
         "intent receipt corrected"),
    Fact("dish_moved_out", K.DISH_MOVED_OUT, "notify", None, "DishesMoved: source order"),
    Fact("dish_moved_in", K.DISH_MOVED_IN, "notify", None, "DishesMoved: target order"),
    Fact("order_saved", K.ORDER_SAVED, "xml", None, "GetOrder: a new Session (package)"),
    Fact("quantity_changed", K.QUANTITY_CHANGED, "xml", None,
         "GetOrder: Dish quantity differs for the same line_guid"),
    Fact("void", K.SAVED_DISH_DELETED, "xml", None, "GetOrder: a new <Void> under a Dish"),
    Fact("discount_added", K.DISCOUNT_ADDED, "xml", None, "GetOrder: a new Discount line"),
    Fact("discount_removed", K.DISCOUNT_REMOVED, "xml", None, "GetOrder: Discount deleted=1"),
    Fact("loyalty_discount_added", K.LOYALTY_DISCOUNT_ADDED, "xml", None,
         "GetOrder: a new Discount with charge_source=pdsCard"),
    Fact("loyalty_discount_removed", K.LOYALTY_DISCOUNT_REMOVED, "xml", None,
         "GetOrder: a pdsCard Discount deleted=1"),
    Fact("bill_printed", K.PRECHECK_PRINTED, "xml", None,
         "PrintCheck bill=1 (state 4); once paid, GetReceiptList billtime"),
    Fact("bill_cancelled", K.PRECHECK_CANCELLED, "xml", None, "PrintCheck bill=1 deleted=1"),
    Fact("check_closed", K.CHECK_CLOSED, "xml", None, "PrintCheck bill=0 state 6"),
    Fact("check_deleted", K.CHECK_DELETED, "xml", None,
         "PrintCheck state 7, reason flagged ImplOnCheckVoid"),
    Fact("check_annulled", K.CHECK_ANNULLED, "xml", None,
         "PrintCheck state 7, reason flagged only ImplOnCheckUndo (UndoReceipt)"),
    Fact("shift_changed", K.SHIFT_CLOSED, "xml", None,
         "GetSystemInfo2 CommonShift ShiftNum/ShiftDate changed"),
    Fact("unsaved_dish_deleted", K.UNSAVED_DISH_DELETED, "station", None,
         "station script: TVoidItem.IsUnprintedDish"),
    Fact("order_quit_unsaved", K.ORDER_QUIT_UNSAVED, "station", None,
         "station script: order closed with unsaved lines"),
    Fact("employee_login", K.EMPLOYEE_LOGIN, "station", None, "station script: login"),
    Fact("employee_logout", K.EMPLOYEE_LOGOUT, "station", None, "station script: logout"),
    Fact("service_print", K.SERVICE_PRINT, "station", None,
         "station script: service/kitchen ticket text, printer, order category"),
    Fact("site_offline", Core.SITE_OFFLINE, "kassa", None, "no answer for offline_after seconds"),
    Fact("site_online", Core.SITE_ONLINE, "kassa", None, "answers again; outage_s in data"),
    Fact("station_events_lost", K.STATION_EVENTS_LOST, "kassa", None,
         "a station's seq jumped: the missing numbers never arrived"),
    Fact("hub_gap", K.HUB_GAP, "kassa", None,
         "the hub was not running for hub_gap_after seconds or more: the time range"),
    Fact("push_listener_down", K.PUSH_LISTENER_DOWN, "kassa", None,
         "listen_port cannot be bound (text: why, who holds it); polling goes on"),
)

BY_NAME: dict[str, Fact] = {f.name: f for f in FACTS}


def situations(extra: dict[str, str] | None = None) -> dict[int, Fact]:
    """Situation code -> Fact, with the integrator's overrides (code -> fact name or kind)."""
    table = {f.situation: f for f in FACTS if f.situation is not None}
    for code, target in (extra or {}).items():
        fact = BY_NAME.get(target) or next((f for f in FACTS if f.kind == target), None)
        table[int(code)] = fact or Fact(target, target, "notify", int(code), "from config")
    return table


def situation_code(name: str) -> int:
    """The code the simulator sends for a notify fact name."""
    fact = BY_NAME[name]
    assert fact.situation is not None, name
    return fact.situation


def kind_of(fact: str) -> str:
    return BY_NAME[fact].kind
