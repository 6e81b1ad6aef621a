"""A hub with the delivery plugin in its own process, for the crash test: its store in
``DATA``, the fake office register's far end in ``FAR`` (it survives the process), the API on
a free port printed as one JSON line. ``--answer-delay S``: the register acts, then waits S
seconds before answering (a kill there leaves a receipt the journal has not recorded).
``--copy-delay S``: a copy's SMTP or SMS send completes, then waits S seconds before it
returns (a kill there leaves a copy delivered that neither the journal nor the job has
marked). ``--delivery JSON``: more ``[delivery]`` settings.

    python hub_proc.py DATA FAR [--answer-delay S] [--copy-delay S] [--delivery JSON]
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


def delay_copies(seconds: float) -> None:
    """Fault injection: the send has happened when the pause starts."""
    import aiosmtplib
    from kassa_delivery.sms_sim import SimulatedSms

    smtp_send, sms_send = aiosmtplib.send, SimulatedSms.send

    async def mail(*a: Any, **kw: Any) -> Any:
        out = await smtp_send(*a, **kw)
        await anyio.sleep(seconds)
        return out

    async def sms(self: SimulatedSms, phone: str, text: str, key: str) -> str:
        out = await sms_send(self, phone, text, key)
        await anyio.sleep(seconds)
        return out

    aiosmtplib.send = mail
    SimulatedSms.send = sms  # type: ignore[method-assign]


async def main(data: Path, far: Path, answer_delay: float, copy_delay: float,
               delivery: dict[str, Any]) -> None:
    reg = FakeRegister("fr1", path=far, answer_delay=answer_delay)
    if copy_delay:
        delay_copies(copy_delay)
    cfg = hub_config(**delivery)
    cfg["chats"] = []
    async with make_hub(cfg, data, plugins=[kassa_delivery, Registers(reg)], api=True) as hub:
        print(json.dumps({"port": hub.api_port}), flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("far", type=Path)
    ap.add_argument("--answer-delay", type=float, default=0.0)
    ap.add_argument("--copy-delay", type=float, default=0.0)
    ap.add_argument("--delivery", type=json.loads, default={})
    a = ap.parse_args()
    anyio.run(main, a.data, a.far, a.answer_delay, a.copy_delay, a.delivery)
