"""The delivery company in ``kassa demo``: an office on the first demo site (its register,
whatever fiscal plugin serves it, fiscalises), four drivers, and simulated drivers' phones that
take payments at the door and send them to the hub's real HTTP API, some with the buyer's
contact missing or invalid (a warning in the managers' chat, never a failed receipt).

The demo's OFD account delivers e-mail copies and not SMS, so SMS copies go through the
simulated gateway (``sms-outbox.jsonl`` in the demo's data folder)."""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Mapping
from typing import Any

import anyio
import httpx

from kassa_delivery.service import service_for

log = logging.getLogger("kassa.delivery.demo")
# idle connections expire before the hub's server closes them (5 s): no reuse race
KEEPALIVE = httpx.Limits(keepalive_expiry=1.0)
DRIVERS = [("d-anna", "Анна Смирнова", "copy"), ("d-boris", "Борис Петров", "copy"),
           ("d-vera", "Вера Ким", "office_print"), ("d-gleb", "Глеб Орлов", "copy")]
GOODS = [("Вода питьевая 19 л", 39000, "vat22"), ("Вода 5 л", 12000, "vat22"),
         ("Помпа механическая", 45000, "vat22"), ("Стаканчики 100 шт.", 15000, "vat22"),
         ("Кулер напольный, аренда", 50000, "vat22")]
# the contact chain's branches: OFD field, client e-mail, a mobile, an invalid field, none
CONTACTS: list[dict[str, Any]] = [
    {"address": {"ofd_contact": "+7 916 555-01-01"}},
    {"client": {"name": "ООО Ромашка", "email": "office@romashka.example"}},
    {"address": {"phones": ["+7 495 100-20-30", "8 (926) 111-22-33"]}},
    {"address": {"ofd_contact": "ivan@", "phones": ["+7 495 100-20-31"]}},
    {},
]


class DeliveryDemo:
    name = "delivery"

    def __init__(self, settings: Any) -> None:
        self.site = (getattr(settings, "sites", None) or ["r1"])[0]
        self.key = secrets.token_urlsafe(24)

    async def start(self) -> Mapping[str, Any]:
        return {"delivery": {
            "api_keys": [{"name": "demo-app", "key": self.key,
                          "rights": ["pay", "read", "report"]}],
            "drivers": [{"id": i, "name": n, "mode": m} for i, n, m in DRIVERS],
            "offices": [{"site": self.site, "cashier": "Иванова И. И.",
                         "ofd_account": "demo-ofd", "address": "Москва, ул. Складская, 1"}],
            "ofd_accounts": [{"name": "demo-ofd", "delivers_email": True,
                              "delivers_sms": False}],
            "sms_sender": "simulator", "demo_drivers": len(DRIVERS), "retry_seconds": 2.0}}

    async def stop(self) -> None:
        pass


def demo_payment(rng: random.Random, n: int, site: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    amount = 0
    for name, price, vat in rng.sample(GOODS, rng.randint(1, 3)):
        qty = rng.randint(1, 3)
        items.append({"name": name, "price": price, "quantity": str(qty), "vat": vat})
        amount += price * qty
    driver = DRIVERS[n % len(DRIVERS)][0]
    body: dict[str, Any] = {"order_id": f"W-{n:05d}", "site": site, "driver": driver,
                            "items": items,
                            "payment": {"kind": rng.choice(["cash", "card", "card"]),
                                        "amount": amount},
                            "client": {"name": "Покупатель"},
                            "address": {"text": f"Москва, ул. Примерная, {n % 90 + 1}"}}
    extra = CONTACTS[n % len(CONTACTS)]
    body["client"] = {**body["client"], **extra.get("client", {})}
    body["address"] = {**body["address"], **extra.get("address", {})}
    return body


async def drive(hub: Any) -> None:
    """The drivers' phones: a payment every second or two, through the hub's API (the same
    path the real app takes), each sent twice now and then (a double press), and every
    eleventh order a unit refused at the door (a refund)."""
    svc = service_for(hub)
    key = next((k.key.reveal() for k in svc.cfg.api_keys if "pay" in k.rights), "")
    if not key or not svc.cfg.offices:
        return
    site = svc.cfg.offices[0].site
    with anyio.fail_after(60):
        while not getattr(hub, "api_port", None):  # noqa: ASYNC110 (the hub exposes only the port)
            await anyio.sleep(0.1)
    rng = random.Random(7)
    url = f"http://127.0.0.1:{hub.api_port}/api/delivery/v1"
    async with httpx.AsyncClient(base_url=url, timeout=30,
                      limits=KEEPALIVE) as http:
        for n in range(1, 10_000):
            body = demo_payment(rng, n, site)
            headers = {"X-Api-Key": key, "Idempotency-Key": f"demo-{n}"}
            presses = 2 if n % 7 == 0 else 1
            for _ in range(presses):
                try:
                    r = await http.post("/payments", json=body, headers=headers)
                    if r.status_code != 202:
                        log.warning("demo payment %s: %s %s", n, r.status_code, r.text[:200])
                except httpx.HTTPError as exc:
                    log.info("demo payment %s: %s", n, exc)
            if n % 11 == 0:  # the buyer refuses one unit of the first line at the door
                first = body["items"][0]
                refund = {"amount": first["price"], "lines": [{"line": 1, "quantity": "1"}],
                          "reason": "отказ у двери"}
                try:
                    r = await http.post(f"/orders/{body['order_id']}/refunds", json=refund,
                                        headers={**headers, "Idempotency-Key": f"demo-r{n}"})
                    if r.status_code != 202:
                        log.warning("demo refund %s: %s %s", n, r.status_code, r.text[:200])
                except httpx.HTTPError as exc:
                    log.info("demo refund %s: %s", n, exc)
            await anyio.sleep(rng.uniform(0.8, 2.0))
