"""A hub with the delivery plugin in its own process, for the crash test: its store in
``DATA``, the fake office register's far end in ``FAR`` (it survives the process), the API on
a free port printed as one JSON line. ``--answer-delay S``: the register acts, then waits S
seconds before answering (a kill there leaves a receipt the journal has not recorded).

    python hub_proc.py DATA FAR [--answer-delay S]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import anyio
import kassa_delivery
from kassa import hookimpl
from kassa.testing import make_hub
from kassa.testing.fakes import FakeRegister

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from plugins.delivery.tests.conftest import hub_config


class Registers:
    def __init__(self, reg: Any) -> None:
        self.reg = reg

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return [self.reg]


async def main(data: Path, far: Path, answer_delay: float) -> None:
    reg = FakeRegister("fr1", path=far, answer_delay=answer_delay)
    cfg = hub_config()
    cfg["chats"] = []
    async with make_hub(cfg, data, plugins=[kassa_delivery, Registers(reg)], api=True) as hub:
        print(json.dumps({"port": hub.api_port}), flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("far", type=Path)
    ap.add_argument("--answer-delay", type=float, default=0.0)
    a = ap.parse_args()
    anyio.run(main, a.data, a.far, a.answer_delay)
