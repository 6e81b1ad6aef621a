"""The plugin in a hub: [shtrih] registers from kassa.toml, printing through hub.fiscal (the
journal keeps one receipt per key), the settings' one-sentence errors, the CLI and the
emulator's control port."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import kassa_shtrih
import pytest
from click.testing import CliRunner
from kassa.testing import make_hub
from kassa.testing.contracts import sample_receipt
from kassa_shtrih.cli import render, shtrih
from kassa_shtrih.settings import RegisterSettings
from kassa_shtrih.sim import ShtrihSimulator

pytestmark = pytest.mark.anyio


async def test_receipts_through_hub_fiscal(tmp_path: Path) -> None:
    sim = ShtrihSimulator()
    frag = await sim.start()
    try:
        reg = frag["shtrih"]["registers"][0]
        config = {"shtrih": {"registers": [{**reg, "byte_timeout": 0.2}]},
                  "sites": [{"code": "r1", "fiscal": reg["name"]}]}
        async with make_hub(config, tmp_path, plugins=[kassa_shtrih]) as hub:
            from kassa.model import Cashier

            await hub.fiscal.open_shift(Cashier(name="Кассир"), key="open", site="r1")
            first = await hub.fiscal.receipt(sample_receipt(), key="sale:1", site="r1")
            again = await hub.fiscal.receipt(sample_receipt(), key="sale:1", site="r1")
            assert first == again and len(sim.fr.receipts()) == 1
            assert (await hub.fiscal.status(site="r1")).shift_open
            assert (tmp_path / "shtrih" / "shtrih-sim.intents.jsonl").exists()
    finally:
        await sim.stop()


def test_settings_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="either tcp or serial"):
        RegisterSettings(name="a")
    from kassa_shtrih.settings import ShtrihSettings

    with pytest.raises(ValueError, match="called a: each needs its own name"):
        ShtrihSettings(registers=[RegisterSettings(name="a", tcp="h:1"),
                                  RegisterSettings(name="a", tcp="h:2")])
    with pytest.raises(ValueError, match="host:port"):
        RegisterSettings(name="a", tcp="localhost")
    from kassa.secret import Secret

    with pytest.raises(ValueError, match="password is a number") as err:
        RegisterSettings(name="a", tcp="h:1", admin_password=Secret("hunter2"))
    assert "hunter2" not in str(err.value)


def test_cli_help_and_the_printed_block() -> None:
    out = CliRunner().invoke(shtrih, ["simulate", "--help"])
    assert out.exit_code == 0 and "--port" in out.output and "--pty" in out.output
    sim = ShtrihSimulator(control_port=7779)
    text = render({"shtrih": {"registers": [{"name": "s", "tcp": "127.0.0.1:7778",
                                             "serial": "/dev/pts/9", "baud": 115200}]}}, sim)
    assert '[[shtrih.registers]]' in text and 'tcp = "127.0.0.1:7778"' in text
    assert "/dev/pts/9" in text and "7779" in text


async def test_control_port() -> None:
    sim = ShtrihSimulator(control_port=0)
    await sim.start()
    try:
        async with await anyio.connect_tcp("127.0.0.1", sim.control_port or 0) as s:
            await s.send(b"paper out\n")
            state = json.loads(await s.receive())
            assert state["paper"] is False and state["submode"] == 1
            await s.send(b"bogus\n")
            assert "unknown command" in json.loads(await s.receive())["error"]
    finally:
        await sim.stop()


async def test_a_restarted_hub_compacts_what_its_journal_settled(tmp_path: Path) -> None:
    """Through hub.fiscal: a correction with items, a receipt, one receipt whose answer is
    lost (unknown). The next hub's first call drops the settled intents from the reconcile
    log and keeps the unknown one, which its journal then reconciles to the same document."""
    from kassa.model import Cashier, CorrectionReceipt, CorrectionType
    from kassa_shtrih import commands as c
    from kassa_shtrih.intents import IntentLog

    sim = ShtrihSimulator()
    frag = await sim.start()
    try:
        reg = frag["shtrih"]["registers"][0]
        config = {"shtrih": {"registers": [{**reg, "byte_timeout": 0.2}]},
                  "sites": [{"code": "r1", "fiscal": reg["name"]}]}
        path = tmp_path / "shtrih" / "shtrih-sim.intents.jsonl"
        r = sample_receipt()
        corr = CorrectionReceipt(correction_type=CorrectionType.SELF,
                                 basis_date=r.issued_at.date(), operation=r.operation,
                                 taxation=r.taxation, payments=r.payments, total=r.total,
                                 issued_at=r.issued_at, lines=r.lines)
        async with make_hub(config, tmp_path, plugins=[kassa_shtrih]) as hub:
            await hub.fiscal.open_shift(Cashier(name="Кассир"), key="open", site="r1")
            doc = await hub.fiscal.correction(corr, key="corr:1", site="r1")
            assert doc.kind == "correction" and sim.fr.documents[doc.number or 0].type == 31
            await hub.fiscal.receipt(r, key="sale:1", site="r1")
            sim.drop_answer_to = c.CLOSE_V2
            with pytest.raises(Exception, match="unknown"):
                await hub.fiscal.receipt(sample_receipt(20000), key="sale:2", site="r1")
            assert IntentLog(path).keys() == ["open", "corr:1", "sale:1", "sale:2"]
        async with make_hub(config, tmp_path, plugins=[kassa_shtrih]) as hub:
            await hub.fiscal.status(site="r1")  # not a journaled call: nothing compacted
            assert len(IntentLog(path).keys()) == 4
            again = await hub.fiscal.receipt(sample_receipt(20000), key="sale:2", site="r1")
            assert IntentLog(path).keys() == ["sale:2"], "settled ones dropped, unknown kept"
            assert again.total == 20000 and again.detail.get("reconciled")
            assert len(sim.fr.receipts()) == 3, "the correction and two receipts, once each"
    finally:
        await sim.stop()
