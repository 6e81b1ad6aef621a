"""Pushed payloads -> events: HTTP Order Notify ``<a>`` and our ``<StationEvent>``.

Dedup on (RestCode, guid), remembered only once the push's events are committed (``done``):
a push answered 500 is read again when r_keeper retries it. A gap in ``seqnumber`` (or a
server restart, seqnumber 1 again) asks the source for a catch-up poll. Facts that only point
at an order (OrderChanged) are returned as order guids to read; the rest become events here.

Station events carry a per-station ``seq`` (the station script's persisted counter, resent
in order until acknowledged): a jump is a ``station_events_lost`` event naming the missing
range; ``seq`` 1 after a higher one is the station starting its numbering again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any
from xml.etree import ElementTree as ET

from attrs import define, field
from kassa.model import Event

from kassa_rkeeper import mapping, wire
from kassa_rkeeper.tracker import ToTime, dish_line, name_of

log = logging.getLogger(__name__)

SEEN_LIMIT = 20000


class BadPush(Exception):
    """A POST to the listener that is not a notify payload we can read."""


@define
class Outcome:
    events: list[Event] = field(factory=list)
    orders: list[str] = field(factory=list)  # order guids to read with GetOrder
    catch_up: bool = False  # a gap or a restart: poll everything
    duplicate: bool = False
    key: tuple[str, str] = ("", "")  # (RestCode, guid): remembered by done() after commit
    station: tuple[str, int] | None = None  # (station, seq) to remember after commit
    next_seq: tuple[str, int] | None = None  # (RestCode, next seqnumber) after commit


def parse(body: bytes) -> ET.Element:
    if not body.strip():
        raise BadPush("empty body")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadPush(f"not well-formed XML ({exc})") from None
    if root.tag not in ("a", "StationEvent"):
        raise BadPush(f"unexpected root element <{root.tag}>")
    if not root.get("guid"):
        raise BadPush(f"<{root.tag}> without a guid")
    return root


@define
class Interpreter:
    site: str
    to_time: ToTime
    rest_code: str = ""
    extra_situations: dict[str, str] = field(factory=dict)
    seen: OrderedDict[tuple[str, str], None] = field(factory=OrderedDict)
    next_seq: dict[str, int] = field(factory=dict)
    station_seq: dict[str, int] = field(factory=dict)  # station -> last seq committed
    unknown_logged: set[str] = field(factory=set)
    table: dict[int, mapping.Fact] = field(init=False)

    def __attrs_post_init__(self) -> None:
        self.table = mapping.situations(self.extra_situations)

    def accept(self, root: ET.Element) -> Outcome:
        code = root.get("RestCode", "")
        if self.rest_code and code and code != self.rest_code:
            raise BadPush(f"RestCode {code} is not this site's restaurant code {self.rest_code}")
        key = (code, root.get("guid", ""))
        if key in self.seen:
            return Outcome(duplicate=True, key=key)
        if root.tag == "StationEvent":
            out = Outcome(key=key)
            self._station_sequence(root, out)
            out.events.append(self.station(root))
            return out
        out = self.notice(root)
        out.key = key
        return out

    def done(self, out: Outcome) -> None:
        """The push's events are committed: a repeat of it is now a duplicate."""
        self.seen[out.key] = None
        if len(self.seen) > SEEN_LIMIT:
            self.seen.popitem(last=False)
        if out.station is not None:
            station, seq = out.station
            self.station_seq[station] = seq
        if out.next_seq is not None:
            code, seq = out.next_seq
            self.next_seq[code] = seq

    def _station_sequence(self, root: ET.Element, out: Outcome) -> None:
        seq = wire.to_int(root.get("seq"), -1)
        if seq < 1:
            return  # an older script without numbering
        station = station_id(root)
        last = self.station_seq.get(station)
        if last is None or seq == last + 1:
            out.station = (station, seq)
        elif seq > last + 1:
            out.station = (station, seq)
            out.events.append(self.lost(root, station, last + 1, seq - 1))
        elif seq == 1:
            log.warning("site %s: station %s numbers its events from 1 again (its queue folder "
                        "was reset); events it had not sent are unknown", self.site, station)
            out.station = (station, seq)
        # else a resend of one already committed: the guid keeps it from being stored twice

    def lost(self, root: ET.Element, station: str, first: int, last: int) -> Event:
        where = name_of(root.find("Station")) or station
        log.warning("site %s: station %s: events %s-%s never arrived", self.site, where, first,
                    last)
        return Event.of(
            site=self.site, kind=mapping.kind_of("station_events_lost"),
            source_key=f"station_lost:{station}:{first}-{last}",
            occurred_at=self.to_time(root.get("DateTime")), station=where,
            text=f"{first}-{last}" if first != last else str(first),
            data={"first": first, "last": last, "count": last - first + 1,
                  "station_id": station})

    def _sequence(self, root: ET.Element, out: Outcome) -> None:
        code, seq = root.get("RestCode", ""), wire.to_int(root.get("seqnumber"), -1)
        expected = self.next_seq.get(code)
        if seq >= 0:
            if expected is not None and seq > expected:
                log.info("site %s: notify gap (expected %s, got %s): catching up", self.site,
                         expected, seq)
                out.catch_up = True
            if seq == 1 and expected not in (None, 1):
                out.catch_up = True  # the server restarted and dropped its queue
            if expected is None or seq >= expected or seq == 1:
                out.next_seq = (code, seq + 1)  # a push answered 500 comes again: gap and all

    def _base(self, root: ET.Element, kind: str, key: str, **kw: Any) -> Event:
        data = {"situation": root.get("Situation"), "notify_name": root.get("name"),
                "shift": root.get("ShiftNum")} | kw.pop("data", {})
        return Event.of(site=self.site, kind=kind, source_key=key,
                        occurred_at=self.to_time(root.get("DateTime")), data=data, **kw)

    def notice(self, root: ET.Element) -> Outcome:
        out = Outcome()
        self._sequence(root, out)
        code = wire.to_int(root.get("Situation"), -1)
        fact = self.table.get(code)
        key = f"notify:{root.get('guid')}"
        station = name_of(root.find("Station"))
        if fact is None:
            if root.get("Situation") not in self.unknown_logged:
                self.unknown_logged.add(root.get("Situation") or "")
                log.warning("site %s: unknown HTTP Order Notify Situation %s (%s): kept as %s",
                            self.site, root.get("Situation"), root.get("name"),
                            mapping.UNKNOWN_KIND)
            out.events.append(self._base(root, mapping.UNKNOWN_KIND, key, station=station,
                                         text=ET.tostring(root, encoding="unicode")))
            return out
        order = root.find("Order")
        if fact.name == "OrderChanged":
            if order is not None and order.get("guid"):
                out.orders.append(order.get("guid", ""))
            return out
        if fact.name == "DishesMoved":
            return self.moved(root, out)
        kw: dict[str, Any] = {"station": station}
        if fact.name == "Started" and root.find("Station") is None:
            kw["station"] = "server"
            kw["data"] = {"node": "server"}
            out.catch_up = True
        if fact.name == "ShiftClosed":
            shift = root.find("Shift")
            num = shift.get("ShiftNum") if shift is not None else root.get("ShiftNum")
            date = shift.get("ShiftDate") if shift is not None else root.get("ShiftDate")
            key = shift_key(num, date)
            kw["data"] = {"shift": num, "shift_date": date}
        check = root.find("Check")
        if check is not None:
            kw["amount"] = wire.to_int(check.get("amount"))
            kw["employee"] = name_of(root.find("Cashier"))
            kw["data"] = {"check": check.get("CheckNum"), "check_guid": check.get("line_guid")}
        if order is not None:
            kw["order"] = f"{order.get('visit')}/{order.get('orderIdent')}"
            kw["table"] = order.get("table")
        out.events.append(self._base(root, fact.kind, key, **kw))
        return out

    def moved(self, root: ET.Element, out: Outcome) -> Outcome:
        src, dst = root.find("Order"), root.find("Target")
        lines = [dish_line(d) for d in root.findall("Dish")]
        amount = sum(line.amount for line in lines)
        common = dict(station=name_of(root.find("Station")),
                      employee=name_of(root.find("Employee")), lines=lines, amount=amount)
        for fact, here, there in (("dish_moved_out", src, dst), ("dish_moved_in", dst, src)):
            if here is None:
                continue
            other = f"{there.get('visit')}/{there.get('orderIdent')}" if there is not None else None
            out.events.append(self._base(
                root, mapping.kind_of(fact), f"notify:{root.get('guid')}:{fact}",
                order=f"{here.get('visit')}/{here.get('orderIdent')}", table=here.get("table"),
                data={"other_order": other, "other_table": there.get("table") if there is not None
                      else None, "order_guid": here.get("guid")}, **common))
        for o in (src, dst):
            if o is not None and o.get("guid"):
                out.orders.append(o.get("guid", ""))
        return out

    def station(self, root: ET.Element) -> Event:
        name = root.get("kind", "")
        fact = mapping.BY_NAME.get(name)
        kind = fact.kind if fact is not None and fact.via == "station" else mapping.UNKNOWN_KIND
        if kind == mapping.UNKNOWN_KIND and name not in self.unknown_logged:
            self.unknown_logged.add(name)
            log.warning("site %s: unknown station event kind %r: kept as %s", self.site, name, kind)
        order = root.find("Order")
        lines = [dish_line(d) for d in root.findall("Dish")]
        data: dict[str, Any] = {"station_kind": name}
        text = None
        printed = root.find("Print")
        if printed is not None:
            text = printed.text or ""
            data |= {"printer": printed.get("printer"), "category": printed.get("category")}
        if order is not None:
            data |= {"order_guid": order.get("guid"), "category": order.get("category")}
        return Event.of(
            site=self.site, kind=kind, source_key=f"station:{root.get('guid')}",
            occurred_at=self.to_time(root.get("DateTime")), station=name_of(root.find("Station")),
            employee=name_of(root.find("Employee")),
            order=f"{order.get('visit')}/{order.get('orderIdent')}" if order is not None else None,
            table=order.get("table") if order is not None else None, lines=lines,
            amount=sum(line.amount for line in lines) if lines else None, text=text,
            data=data if kind != mapping.UNKNOWN_KIND else data | {
                "raw": ET.tostring(root, encoding="unicode")})


def station_id(root: ET.Element) -> str:
    """The station a StationEvent comes from: its Ident, else its network name."""
    st = root.find("Station")
    if st is None:
        return "?"
    return st.get("id") or st.get("NetName") or st.get("code") or "?"


def shift_key(num: str | None, date: str | None) -> str:
    """One key for a closed shift, whether pushed or seen by GetSystemInfo2."""
    return f"shift:{num}:{(date or '')[:10]}"
