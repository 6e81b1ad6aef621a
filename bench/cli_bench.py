"""`kassa --help` wall time, as a ratio to a bare `python -c pass` measured in the same run.

Three figures, each the median of N subprocess runs, interleaved with the bare runs so load
from elsewhere on the machine hits them alike:
- warm: the plugin-command index is in the cache (every run after the first). Goal < 150 ms.
- no index: the cache dir cannot be written, so every run imports every plugin to list its
  commands (what every run cost before the index; also the first run after an install).
- bare: `python -c pass`.

`uv run python bench/cli_bench.py [N]` (default 21).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 150.0


def wall_ms(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    kassa = str(Path(sys.executable).parent / "kassa")
    with tempfile.TemporaryDirectory() as tmp:
        blocked = Path(tmp) / "a-file"
        blocked.write_text("")
        warm_env = {**os.environ, "KASSA_CACHE_DIR": str(Path(tmp) / "cache")}
        cold_env = {**os.environ, "KASSA_CACHE_DIR": str(blocked / "cache")}
        cases = {
            "bare": ([sys.executable, "-c", "pass"], dict(os.environ)),
            "warm": ([kassa, "--help"], warm_env),
            "no index": ([kassa, "--help"], cold_env),
        }
        for argv, env in cases.values():  # warm the OS file cache and the index once
            wall_ms(argv, env)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (argv, env) in cases.items():
                times[name].append(wall_ms(argv, env))
    med = {name: statistics.median(t) for name, t in times.items()}
    bare = med["bare"]
    print(f"cli (median of {runs}): python -c pass {bare:.1f} ms")
    print(f"cli: kassa --help {med['warm']:.1f} ms = {med['warm'] / bare:.1f}x bare Python "
          f"(goal < {GOAL_MS:.0f} ms: {'met' if med['warm'] < GOAL_MS else 'NOT met'})")
    print(f"cli: kassa --help without the index {med['no index']:.1f} ms = "
          f"{med['no index'] / bare:.1f}x bare Python (every plugin imported)")


if __name__ == "__main__":
    main()
