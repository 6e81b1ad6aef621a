"""What a slow copy must not hold up: the jobs API answers while the worker waits on a mail
server that accepts the connection and never says a word, and while the worker's own write
transaction is stalled (a durable commit on a loaded disk: synchronous=FULL waits for the
fsync). Reads go through their own connections (WAL), so neither blocks them; a write from
elsewhere only waits for the store's one writer, never for the mail server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from kassa.testing import eventually
from kassa_delivery.copies import CopySender

from .conftest import APP, idem, payment

pytestmark = pytest.mark.anyio


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A listening socket nobody accepts from: the kernel completes the TCP handshake, no
    greeting ever comes."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def _smtp(port: int, timeout: float) -> dict[str, Any]:
    return {"smtp": {"host": "127.0.0.1", "port": port, "starttls": False,
                     "sender": "cheki@dostavka.example", "timeout": timeout},
            "copy_retry_seconds": 0.05}


async def _answers_quickly(api: Any, job_id: int) -> dict[str, Any]:
    """One job status GET, which must be answered within a second."""
    start = time.monotonic()
    with anyio.fail_after(1):
        r = await api.get(f"/jobs/{job_id}", headers=APP)
    assert r.status_code == 200 and time.monotonic() - start < 1
    view: dict[str, Any] = r.json()
    return view


class TestSilentServer:
    @pytest.fixture
    def delivery_over(self, silent_smtp: int) -> dict[str, Any]:
        return _smtp(silent_smtp, timeout=10)  # the test ends long before

    async def test_the_api_and_the_store_do_not_wait_for_it(self, api, hub):
        r = await api.post("/payments", json=payment("S-1"), headers=idem("s1"))
        job_id = r.json()["job_id"]

        async def sending() -> bool:  # the attempt is committed before the SMTP call
            e = await hub.journal.entry(f"delivery:copy:{job_id}")
            return e is not None and e.status == "pending"

        await eventually(sending, hub=hub)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:  # well inside the 10 s the client waits
            assert (await _answers_quickly(api, job_id))["copy"]["status"] == "pending"
            with anyio.fail_after(2):  # no write transaction is held across the send (it
                # changes nothing: no fsync to wait for; 2 s, far from the 10 s wait)
                await hub.write_sync(lambda c: c.exec_driver_sql("SELECT 1"))
            await anyio.sleep(0.1)
        assert await sending()  # all of it while the client still waited for a greeting


class TestStalledCommit:
    stall: dict[str, bool] = {}

    @pytest.fixture
    def delivery_over(self, slow_mark: None) -> dict[str, Any]:
        return {}  # no SMTP host: the copy is marked not_sent at once, in the slow mark

    @pytest.fixture
    def slow_mark(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """The copy's mark takes 4 s inside its write transaction, in the store's thread:
        what a durable commit does when the disk stalls."""
        mark = CopySender.mark
        stall = self.stall
        stall.clear()

        def hold(_: Any) -> None:
            stall["started"] = True
            time.sleep(4)
            stall["over"] = True

        async def slow(self: CopySender, r: dict[str, Any], status: str,
                       reason: str | None, n: int) -> None:
            await self.hub.write_sync(hold)
            await mark(self, r, status, reason, n)

        monkeypatch.setattr(CopySender, "mark", slow)
        yield

    async def test_reads_go_on(self, api, hub):
        r = await api.post("/payments", json=payment("S-2"), headers=idem("s2"))
        job_id = r.json()["job_id"]
        await eventually(lambda: self.stall.get("started", False), hub=hub)
        for _ in range(5):  # while the worker's transaction holds the writer
            assert (await _answers_quickly(api, job_id))["status"] == "fiscalised"
            await anyio.sleep(0.1)
        assert not self.stall.get("over")  # all of them answered during the stall

        async def marked() -> bool:
            return bool((await _answers_quickly(api, job_id))["copy"]["status"] != "pending")

        await eventually(marked, hub=hub)
