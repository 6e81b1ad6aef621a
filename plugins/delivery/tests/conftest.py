"""A running hub with the delivery plugin, the core's fake register as the office register
(``fr1`` at site ``d1``), a capturing managers' chat, and its HTTP API on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import kassa_delivery
import pytest
from kassa import hookimpl
from kassa.testing import CaptureChannel, FakeClock, make_hub
from kassa.testing.fakes import FakeRegister

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
# idle connections expire before the hub's server closes them (5 s): no reuse race
KEEPALIVE = httpx.Limits(keepalive_expiry=1.0)
DRIVER = {"X-Api-Key": "drv-anna-key"}
APP = {"X-Api-Key": "app-key-0001"}
READER = {"X-Api-Key": "reader-key-01"}


class Parts:
    def __init__(self, *regs: Any, channel: Any = None) -> None:
        self.regs = list(regs)
        self.channel = channel

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return self.regs

    @hookimpl
    def register_channels(self, hub: Any) -> list[Any]:
        return [self.channel] if self.channel is not None else []


def delivery_config(**over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "api_keys": [
            {"name": "anna-phone", "key": "drv-anna-key", "driver": "anna"},
            {"name": "app", "key": "app-key-0001", "rights": ["pay", "read", "report"]},
            # a hashed key: sha256("reader-key-01")
            {"name": "reader", "key": "sha256:" + __import__("hashlib").sha256(
                b"reader-key-01").hexdigest(), "rights": ["read"]},
        ],
        "drivers": [{"id": "anna", "name": "Анна Водитель", "mode": "copy"},
                    {"id": "boris", "name": "Борис Водитель", "mode": "office_print"},
                    {"id": "vera", "name": "Вера Водитель", "mode": "none"}],
        "offices": [{"site": "d1", "register": "fr1", "cashier": "Иванова И. И.",
                     "ofd_account": "main"}],
        "ofd_accounts": [{"name": "main", "delivers_email": False, "delivers_sms": False}],
        "retry_seconds": 0.05, "max_wait_minutes": 10,
    }
    cfg.update(over)
    return cfg


def hub_config(**over: Any) -> dict[str, Any]:
    return {"sites": [{"code": "d1", "name": "Доставка", "fiscal": "fr1"}],
            "chats": [{"channel": "capture", "chat_id": "-1", "site": "d1",
                       "alerts": ["group:delivery"]}],
            "fiscal": {"poll_interval": 0},
            "delivery": delivery_config(**over)}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def register(tmp_path: Path, clock: FakeClock) -> FakeRegister:
    return FakeRegister("fr1", path=tmp_path / "fr1.db", clock=clock)


@pytest.fixture
def channel() -> CaptureChannel:
    return CaptureChannel()


@pytest.fixture
def delivery_over() -> dict[str, Any]:
    return {}


@pytest.fixture
async def hub(tmp_path: Path, clock: FakeClock, register: FakeRegister, channel: CaptureChannel,
              delivery_over: dict[str, Any]) -> AsyncIterator[Any]:
    async with make_hub(hub_config(**delivery_over), tmp_path,
                        plugins=[kassa_delivery, Parts(register, channel=channel)],
                        clock=clock, api=True) as h:
        yield h


@pytest.fixture
async def api(hub: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.api_port}/api/delivery/v1",
                                 timeout=30, limits=KEEPALIVE) as c:
        yield c


def payment(order: str = "A-1", *, driver: str = "anna", amount: int | None = None,
            **over: Any) -> dict[str, Any]:
    items = over.pop("items", [
        {"name": "Вода 19 л", "price": 35000, "quantity": "2", "vat": "vat22"},
        {"name": "Помпа", "price": 15000, "quantity": "1", "vat": "vat22"}])
    body = {"order_id": order, "site": "d1", "driver": driver, "items": items,
            "payment": {"kind": "cash", "amount": 85000 if amount is None else amount},
            "client": {"name": "Иван", "email": "ivan@example.ru"},
            "address": {"text": "Москва, ул. Льва Толстого, 16", "phones": ["+79161234567"]}}
    body.update(over)
    return body


def idem(key: str, h: dict[str, str] = DRIVER) -> dict[str, str]:
    return {**h, "Idempotency-Key": key}
