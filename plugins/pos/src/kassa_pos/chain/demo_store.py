"""One store of ``kassa demo --chain``, as its own process:
``python -m kassa_pos.chain.demo_store FOLDER CODE NAME CLOSE_AT LOCALE SEED PACE``.

A hub on the store's SQLite (``FOLDER/kassa.toml`` as ``kassa chain store new`` wrote it:
its ``[store]`` and ``[pos.chain]``) with the simulated shop of ``kassa demo`` and the ATOL
emulator serving its register, through the core's demo assembly (``kassa.demo.run_demo``,
only those two simulators). The shop closes at CLOSE_AT (epoch seconds; 0: never); the hub
runs on, sending what is left up, until SIGTERM or SIGINT stops it cleanly."""

from __future__ import annotations

import signal
import sys
import tomllib
from pathlib import Path

import anyio


async def main(folder: Path, code: str, name: str, close_at: float, locale: str, seed: int,
               pace: float) -> int:
    from kassa.demo import DemoOptions, run_demo

    made = tomllib.loads((folder / "kassa.toml").read_text(encoding="utf-8"))
    config = {
        "hub": {"name": f"kassa-store-{code}", "data_dir": str(folder / "data")},
        "store": made["store"],
        "sites": [{"code": code, "name": name, "timezone": "Europe/Moscow"}],
        "pos": {"chain": made["pos"]["chain"]},
        "pos_demo": {"close_at": close_at, "pace": pace},
    }
    opts = DemoOptions(headless=True, seconds=10.0**7, locale=locale, seed=seed,
                       only=("pos", "atol"), shops=[code], restaurants=[code], config=config,
                       data_dir=str(folder / "data"))
    code_out = 0
    async with anyio.create_task_group() as tg:
        async def stop_on_signal() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    tg.cancel_scope.cancel()
                    return

        tg.start_soon(stop_on_signal)
        code_out = await run_demo(opts)
        tg.cancel_scope.cancel()
    return code_out


if __name__ == "__main__":
    folder, code, name, close_at, locale, seed, pace = sys.argv[1:8]
    sys.exit(anyio.run(main, Path(folder), code, name, float(close_at), locale, int(seed),
                       float(pace)))
