"""The pieces without a hub: the 1008 contact chain (fiscal.md §1.2 / §1.6), masking, API keys
kept as hashes, the SMS simulator's rules, and the cashier of record (1021/1203)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from kassa.errors import Permanent
from kassa.secret import Secret
from kassa.testing import eventually
from kassa_delivery.api import key_matches
from kassa_delivery.contact import email, mask, mobile, resolve
from kassa_delivery.settings import ApiKey
from kassa_delivery.sms_sim import SimulatedSms

from .conftest import APP, idem, payment

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("given", "expected"), [
    ("+7 916 123-45-67", "+79161234567"),
    ("8 (916) 123-45-67", "+79161234567"),
    ("9161234567", "+79161234567"),
    ("+7 495 123-45-67", None),  # a Moscow landline: no SMS copy to it
    ("+375 29 123-45-67", None),  # a valid Belarusian mobile: not Russian
    ("+7 916 123-45", None),  # too short
    ("позвонить", None),
])
def test_mobile(given: str, expected: str | None) -> None:
    assert mobile(given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("ivan@example.ru", "ivan@example.ru"),
    ("Ivan.Petrov@Example.RU", "Ivan.Petrov@example.ru"),  # the domain is case-insensitive
    ("ivan@", None), ("@example.ru", None), ("ivan example.ru", None),
    ("ivan@example", None),  # no dot in the domain
])
def test_email(given: str, expected: str | None) -> None:
    assert email(given) == expected


@pytest.mark.parametrize(("ofd", "client", "phones", "value", "source", "codes"), [
    ("x@y.ru", "ivan@example.ru", ["+79161234567"], "x@y.ru", "ofd_field", []),
    ("+7 916 000-00-01", "ivan@example.ru", [], "+79160000001", "ofd_field", []),
    (None, "ivan@example.ru", ["+79161234567"], "ivan@example.ru", "client_email", []),
    ("", None, ["+7 495 123-45-67", "+7 926 111-22-33"], "+79261112233", "address_phone", []),
    ("ivan@", "petr@example.ru", [], "petr@example.ru", "client_email",
     ["contact_ofd_field_invalid"]),
    (None, None, ["+7 495 123-45-67"], None, None, ["contact_no_mobile", "contact_missing"]),
    (None, None, [], None, None, ["contact_missing"]),
])
def test_the_chain(ofd: str | None, client: str | None, phones: list[str], value: str | None,
                   source: str | None, codes: list[str]) -> None:
    c = resolve(ofd, client, phones)
    assert (c.value, c.source, [w.code for w in c.warnings]) == (value, source, codes)


def test_mask_hides_the_contact() -> None:
    assert mask("ivan.petrov@example.ru") == "iv***@example.ru"
    assert mask("+79161234567") == "+7916***67"
    assert "1234" not in mask("+79161234567")


def test_keys_kept_as_hashes() -> None:
    hashed = ApiKey(name="a", key=Secret("sha256:" + hashlib.sha256(b"s3cret").hexdigest()))
    plain = ApiKey(name="b", key=Secret("s3cret"))
    assert key_matches(hashed, "s3cret") and key_matches(plain, "s3cret")
    assert not key_matches(hashed, "sha256:" + hashlib.sha256(b"s3cret").hexdigest())
    assert not key_matches(plain, "s3cre")
    assert "s3cret" not in repr(plain)


async def test_sms_simulator_rules(tmp_path: Path) -> None:
    sms = SimulatedSms(path=tmp_path / "out.jsonl")
    assert await sms.lookup("k1") is None  # nothing sent under it yet
    first = await sms.send("+79161234567", "Чек", key="k1")
    assert await sms.lookup("k1") == first
    with pytest.raises(Permanent):
        await sms.send("+74951234567", "Чек", key="k2")  # a landline
    with pytest.raises(Permanent):
        await sms.send("+79161234567", "я" * 671, key="k3")
    again = SimulatedSms(path=tmp_path / "out.jsonl")  # the outbox survives a restart
    assert [m["key"] for m in again.sent] == ["k1"] and await again.lookup("k1") == first
    assert await again.lookup("k2") is None  # refused: nothing sent
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["to"] == \
        "+79161234567"


@pytest.fixture
def delivery_over() -> dict[str, Any]:
    return {"cashier_of_record": "driver",
            "drivers": [{"id": "anna", "name": "Анна Водитель", "inn": "500100732259",
                         "mode": "copy"}]}


async def test_the_driver_as_cashier_of_record(api: Any, hub: Any) -> None:
    r = await api.post("/payments", json=payment("D-1"), headers=idem("d1"))
    job_id = r.json()["job_id"]

    async def done() -> bool:
        return bool((await api.get(f"/jobs/{job_id}", headers=APP)).json()["status"]
                    == "fiscalised")

    await eventually(done, hub=hub)
    entry = await hub.journal.get(f"delivery:{job_id}")
    sent = json.loads(entry.request)
    assert sent["cashier"] == {"name": "Анна Водитель", "inn": "500100732259"}  # 1021/1203
    assert sent["customer_contact"] == "ivan@example.ru" and sent["electronic_only"] is True


def test_cli_line_names_a_refund_and_an_unknown_copy() -> None:
    from kassa_delivery.cli import _line

    j = {"job_id": 7, "kind": "refund", "order_id": "W-1", "driver": "anna", "amount": 15000,
         "status": "fiscalised", "fiscal": {"fd": 9, "fp": "123"}, "waiting": None,
         "error": None, "copy": {"status": "unknown", "reason": "копия могла не дойти"}}
    line = _line(j, "ru")
    assert "возврат, пробит" in line and "копия: могла не дойти" in line
    assert "refund, fiscalised" in _line(j, "en")
