"""The simulator's HTTP Order Notify pushes (the cash server itself).

Order Notify facts (protocol notes §2.1): FIFO per target address, a 256-item queue that
refuses new items when full, nothing resent after a restart, ``Situation="1" name="Started"``
at boot. The station script's pushes are ``sim_station`` (a queue on each till's disk).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any
from xml.etree import ElementTree as ET

import anyio
import httpx

from kassa_rkeeper import mapping, wire
from kassa_rkeeper import sim_data as ref
from kassa_rkeeper.sim_model import Dish, Order, PrintCheck, Restaurant, new_guid

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


def ref_node(parent: ET.Element, tag: str, item: ref.RefItem | None, **extra: Any) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if item is not None:
        el.set("id", str(item.ident))
        el.set("code", item.code)
        el.set("name", item.name)
    for k, v in extra.items():
        el.set(k, str(v))
    return el


def order_node(parent: ET.Element, tag: str, o: Order) -> None:
    ref_node(parent, tag, None, visit=o.visit, orderIdent=o.ident, guid=o.guid,
         table=o.table.code, category=o.category.name)


def dish_node(parent: ET.Element, d: Dish) -> None:
    ref_node(parent, "Dish", d.item, uni=d.uni, line_guid=d.line_guid, quantity=d.quantity,
         price=d.price, amount=d.amount)


class Notifier:
    """Builds the Order Notify payloads and delivers them FIFO to each subscriber URL."""

    def __init__(self, rest: Restaurant, rng: Any) -> None:
        self.rest = rest
        self.rng = rng
        self.seq = 0
        self.urls: list[str] = []
        self.queues: dict[str, deque[bytes]] = {}
        self.wake = anyio.Event()
        self.link_up = True
        self.refused = 0  # items not accepted because a queue was full
        rest.notices = self.notice

    def subscribe(self, url: str) -> None:
        if url not in self.urls:
            self.urls.append(url)
            self.queues[url] = deque()

    def _put(self, body: bytes) -> None:
        for q in self.queues.values():
            if len(q) >= QUEUE_SIZE:
                self.refused += 1
                continue
            q.append(body)
        self.wake.set()

    def restart(self) -> None:
        """The cash server restarts: queued items are lost, numbering starts again."""
        for q in self.queues.values():
            q.clear()
        self.seq = 0
        self.notice("Started", {})

    # --- payloads -------------------------------------------------------------------------
    def notice(self, name: str, nodes: dict[str, Any]) -> None:
        r = self.rest
        self.seq += 1
        a = ET.Element("a")
        for k, v in (("RestCode", r.code), ("DateTime", wire.fmt_dt(r.clock())),
                     ("Situation", str(mapping.situation_code(name))), ("seqnumber", str(self.seq)),
                     ("guid", new_guid(self.rng)), ("name", name), ("ShiftNum", str(r.shift_num)),
                     ("ShiftDate", wire.fmt_dt(r.shift_date))):
            a.set(k, v)
        ET.SubElement(a, "Server", id=str(ref.SERVER_ID))
        if "Station" in nodes:
            ref_node(a, "Station", ref.by_ident("CASHES", nodes["Station"]))
        if "Order" in nodes:
            order_node(a, "Order", nodes["Order"])
        if "Target" in nodes:
            order_node(a, "Target", nodes["Target"])
        if "Employee" in nodes:
            ref_node(a, "Employee", ref.by_ident("EMPLOYEES", nodes["Employee"]))
        for d in nodes.get("Dishes", []):
            dish_node(a, d)
        check: PrintCheck | None = nodes.get("Check")
        if check is not None:
            ref_node(a, "Check", None, CheckNum=check.checknum, line_guid=check.line_guid,
                 amount=check.amount)
            ref_node(a, "Cashier", ref.by_ident("EMPLOYEES", check.author))
        if "ShiftNum" in nodes:
            ref_node(a, "Shift", None, ShiftNum=nodes["ShiftNum"],
                 ShiftDate=wire.fmt_dt(nodes["ShiftDate"]))
        ET.SubElement(a, "Item")
        self._put(wire.xml_bytes(a))

    # --- delivery -------------------------------------------------------------------------
    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            while True:
                self.wake = anyio.Event()  # before looking, so a put during a send wakes us
                sent = False
                for url, q in list(self.queues.items()):
                    if q and self.link_up:
                        try:
                            resp = await http.post(url, content=q[0], headers={
                                "Content-Type": "application/xml; charset=utf-8"})
                            if resp.status_code < 500:
                                q.popleft()
                                sent = True
                        except httpx.HTTPError as exc:
                            log.debug("notify to %s failed: %s", url, exc)
                if not sent:
                    if any(self.queues.values()):
                        with anyio.move_on_after(0.2):
                            await self.wake.wait()
                    else:
                        await self.wake.wait()
