"""Video feed benchmark: POS events/s to the video system emulator (DSSL XML over TCP)
through ``VideoFeed.send`` (each event fsynced into the on-disk queue, then written out in
order), through ``hub.devices.video`` (the journal on SQLite as well), and a bare socket
writing the same encoded documents to the same emulator (the baseline: no disk, no journal).

    uv run python bench/video_bench.py [--events 1000]

The emulator runs in a child process (its XML parsing does not share our GIL); each figure
ends when the emulator has recorded every event. Prints a JSON summary with the ratios.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any


def emulator(pipe: Any) -> None:
    import anyio
    from kassa_video.sim import VideoSimulator

    async def main() -> None:
        sim = VideoSimulator([("bench", "s1", "dssl")])
        await sim.start()
        pipe.send(sim["bench"].port)
        while True:
            ask = await anyio.to_thread.run_sync(pipe.recv)
            if ask == "stop":
                break
            r = sim["bench"]
            pipe.send((len(r.records), len(r.duplicates())))
        await sim.stop()

    anyio.run(main)


def wait_for(pipe: Any, n: int) -> None:
    while True:
        pipe.send("count")
        got, doubled = pipe.recv()
        if doubled:
            sys.exit(f"the emulator recorded {doubled} documents twice")
        if got >= n:
            return
        time.sleep(0.002)


def events(n: int, tag: str) -> list[Any]:
    from kassa.model import PosEvent, PosEventKind, PosEventLine

    t0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    return [PosEvent(kind=PosEventKind.LINE_ADD, at=t0 + timedelta(milliseconds=i),
                     terminal_id="cas_1", receipt_id=f"{tag}-{i // 20}", cashier="Иванова А.",
                     line=PosEventLine(position=i % 20 + 1, name="Борщ со сметаной",
                                       quantity=Decimal(2), price=45000, amount=90000,
                                       barcode="4607001234567"))
            for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1000)
    n = ap.parse_args().events
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=emulator, args=(child,), daemon=True)
    proc.start()
    port = parent.recv()

    import anyio
    import kassa_video
    from kassa.testing import make_hub
    from kassa_video.encoders import encode
    from kassa_video.feed import VideoFeed
    from kassa_video.settings import FeedSettings

    settings = FeedSettings(name="bench", host="127.0.0.1", port=port, site="s1")
    done = 0
    out: dict[str, Any] = {"events": n}

    # baseline: a bare socket, one sendall per encoded document, no disk, no journal
    docs = [encode(e, settings) for e in events(n, "base")]
    with socket.create_connection(("127.0.0.1", port)) as s:
        t0 = time.perf_counter()
        for d in docs:
            s.sendall(d)
        wait_for(parent, done + n)
        base = n / (time.perf_counter() - t0)
    done += n

    async def feed_only(tmp: str) -> float:
        f = VideoFeed(settings, data_dir=Path(tmp))
        await f.start()
        batch = events(n, "feed")
        t = time.perf_counter()
        for i, e in enumerate(batch):
            await f.send(e, key=f"feed-{i}")
        await anyio.to_thread.run_sync(wait_for, parent, done + n)
        rate: float = n / (time.perf_counter() - t)
        await f.stop()
        return rate

    async def through_hub(tmp: str) -> float:
        cfg = {"sites": [{"code": "s1"}],
               "video": {"feeds": [{"name": "bench", "host": "127.0.0.1", "port": port,
                                    "site": "s1"}]}}
        batch = events(n, "hub")
        async with make_hub(cfg, tmp, plugins=[kassa_video]) as hub:
            t = time.perf_counter()
            for i, e in enumerate(batch):
                await hub.devices.video(e, key=f"hub-{i}", site="s1", sink="bench")
            await anyio.to_thread.run_sync(wait_for, parent, done + 2 * n)
            rate: float = n / (time.perf_counter() - t)
            return rate

    with tempfile.TemporaryDirectory() as tmp:
        feed = anyio.run(feed_only, tmp)
    with tempfile.TemporaryDirectory() as tmp:
        hub = anyio.run(through_hub, tmp)
    parent.send("stop")
    proc.join(5)
    out.update({"bare_socket_per_s": round(base, 1), "feed_per_s": round(feed, 1),
                "hub_devices_per_s": round(hub, 1),
                "feed_vs_baseline": round(feed / base, 4),
                "hub_vs_baseline": round(hub / base, 4)})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
