"""The emulator's state file: a restarted emulator is the same register behind the same Web
Server - earlier requests still answer ``GET /api/v2/requests/{uuid}`` (so the client's
``lookup`` after a crash finds what was made), a repeated uuid is still 409, the FN's counters
and shift go on, a request stored but not run runs once after the restart, documents the OFD
never confirmed are still sent. A state file it cannot read stops it with one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest
from kassa.model import Cashier
from kassa.testing.contracts import sample_receipt
from kassa.testing.simulator_cli import wait_for
from kassa_atol.register import AtolRegister
from kassa_atol.sim import AtolSimulator, StateError

from .conftest import Intake, settings_for
from .test_sim import SELL, one, run

pytestmark = pytest.mark.anyio


async def restarted(sim: AtolSimulator, path: Path, **kw: object) -> AtolSimulator:
    await sim.stop()
    again = AtolSimulator("r1", state_file=path, **kw)  # type: ignore[arg-type]
    await again.start()
    return again


async def test_results_counters_and_the_shift_survive_a_restart(tmp_path: Path):
    path = tmp_path / "atol.json"
    sim = AtolSimulator("r1", state_file=path)
    await sim.start()
    try:
        async with httpx.AsyncClient(base_url=sim.url) as http:
            r = await http.post("/api/v2/requests", json={
                "uuid": "first", "request": [{"type": "openShift"}, SELL]})
            assert r.status_code == 201
        before = None
        async with httpx.AsyncClient(base_url=sim.url) as http:
            async def done() -> bool:
                nonlocal before
                before = (await http.get("/api/v2/requests/first")).json()["results"]
                return all(x["status"] == "ready" for x in before)
            await wait_for(done, 20)
        sim = await restarted(sim, path)
        async with httpx.AsyncClient(base_url=sim.url) as http:
            after = await http.get("/api/v2/requests/first")
            assert after.status_code == 200 and after.json()["results"] == before
            dup = await http.post("/api/v2/requests", json={"uuid": "first",
                                                             "request": [SELL]})
            assert dup.status_code == 409  # still a duplicate: it never runs again
            assert (await http.get("/api/v2/requests/never")).status_code == 404
        sold = await one(sim, SELL)
        fp = sold["result"]["fiscalParams"]
        assert (fp["fiscalDocumentNumber"], fp["fiscalReceiptNumber"], fp["shiftNumber"]) == (
            3, 2, 1)  # the FN went on counting; the shift is still open
        assert sim.effects() == 2 and sim.kkt.shift_open
        state = json.loads(path.read_text(encoding="utf-8"))
        assert state["fn"]["fd"] == 3 and "first" in state["web"]["requests"]
    finally:
        await sim.stop()


async def test_the_client_looks_up_a_receipt_made_before_the_restart(tmp_path: Path):
    path = tmp_path / "atol.json"
    sim = AtolSimulator("r1", state_file=path)
    await sim.start()
    reg = AtolRegister(sim.register, settings_for(sim))
    try:
        await reg.open_shift(Cashier(name="Иванова"), key="open")
        made = await reg.receipt(sample_receipt(12300), key="sale-1")
        await reg.stop()
        port = sim.port
        await sim.stop()
        sim = AtolSimulator("r1", state_file=path, port=port)
        await sim.start()
        reg = AtolRegister(sim.register, settings_for(sim))
        found = await reg.lookup("sale-1")
        assert found is not None
        assert (found.number, found.fiscal_sign, found.total) == (made.number,
                                                                  made.fiscal_sign, 12300)
        again = await reg.receipt(sample_receipt(12300), key="sale-1")  # a blind retry
        assert again.number == made.number and sim.effects() == 1
    finally:
        await reg.stop()
        await sim.stop()


async def test_a_request_stored_but_not_run_runs_once_after_the_restart(tmp_path: Path):
    path = tmp_path / "atol.json"
    sim = AtolSimulator("r1", state_file=path, delay=60.0)  # it will not get to run it
    await sim.start()
    try:
        async with httpx.AsyncClient(base_url=sim.url) as http:
            r = await http.post("/api/v2/requests", json={"uuid": "queued",
                                                          "request": [{"type": "openShift"}]})
            assert r.status_code == 201  # acknowledged: it is on disk
        await anyio.sleep(0.1)
        assert sim.kkt.fd == 0
        sim = await restarted(sim, path)
        async with httpx.AsyncClient(base_url=sim.url) as http:
            async def ready() -> bool:
                got = (await http.get("/api/v2/requests/queued")).json()["results"]
                return bool(got[0]["status"] == "ready")
            await wait_for(ready, 20)
        assert sim.kkt.fd == 1 and sim.kkt.shift_open
        sim = await restarted(sim, path)
        await anyio.sleep(0.1)
        assert sim.kkt.fd == 1  # done is done: not run a second time
    finally:
        await sim.stop()


async def test_documents_the_ofd_never_confirmed_are_sent_after_the_restart(
        tmp_path: Path, intake: Intake):
    path = tmp_path / "atol.json"
    sim = AtolSimulator("r1", state_file=path, ofd_url="http://127.0.0.1:1", ofd_retry=0.05)
    await sim.start()
    try:
        await run(sim, {"type": "openShift"}, SELL)
        assert len(sim.kkt.unsent) == 2
        sim = await restarted(sim, path, ofd_url=intake.url, ofd_retry=0.05)
        assert len(sim.kkt.unsent) == 2

        async def delivered() -> bool:
            return len(intake.tickets) == 2 and not sim.kkt.unsent
        await wait_for(delivered, 20)
        assert [t["fiscalDocumentNumber"] for t in intake.tickets] == [1, 2]
        assert json.loads(path.read_text(encoding="utf-8"))["fn"]["unsent"] == []
    finally:
        await sim.stop()


async def test_an_unreadable_state_file_is_one_sentence(tmp_path: Path):
    path = tmp_path / "atol.json"
    fresh = AtolSimulator("r1", state_file=path)
    await fresh.start()  # no file yet: a new register, and the file is written
    await fresh.stop()
    assert json.loads(path.read_text(encoding="utf-8"))["fn"]["fd"] == 0
    for text in ("{not json", '{"version": 99}', '{"version": 1, "fn": {}}'):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(StateError) as exc:
            await AtolSimulator("r1", state_file=path).start()
        assert str(exc.value).startswith(f"{path}: ") and "\n" not in str(exc.value)
