"""`kassa --help` wall time, as a ratio to a bare `python -c pass` measured in the same run.

Two figures, each the median of subprocess runs taking turns with bare `python -c pass`
runs, so load from elsewhere on the machine hits both alike:
- warm: the plugin-command index is in the cache (every run after the first). Goal < 150 ms.
- without the index: the cache dir cannot be written, so every run imports every plugin to
  list its commands (what every run cost before the index; also the first run after an
  install). Measured apart from the warm runs.

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


def interleaved(cases: dict[str, tuple[list[str], dict[str, str]]], runs: int
                ) -> dict[str, float]:
    """Median ms of each case, the cases taking turns run after run."""
    for argv, env in cases.values():  # warm the OS file cache (and the index) once
        wall_ms(argv, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, env) in cases.items():
            times[name].append(wall_ms(argv, env))
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    kassa = str(Path(sys.executable).parent / "kassa")
    bare = ([sys.executable, "-c", "pass"], dict(os.environ))
    with tempfile.TemporaryDirectory() as tmp:
        blocked = Path(tmp) / "a-file"
        blocked.write_text("")
        warm = interleaved({"bare": bare, "help": (
            [kassa, "--help"], {**os.environ, "KASSA_CACHE_DIR": str(Path(tmp) / "cache")})},
            runs)
        # apart from the warm runs: the heavy ones would slow the bare runs beside them
        cold = interleaved({"bare": bare, "help": (
            [kassa, "--help"], {**os.environ, "KASSA_CACHE_DIR": str(blocked / "cache")})},
            max(5, runs // 3))
    print(f"cli (median of {runs}): python -c pass {warm['bare']:.1f} ms; kassa --help "
          f"{warm['help']:.1f} ms = {warm['help'] / warm['bare']:.1f}x bare Python "
          f"(goal < {GOAL_MS:.0f} ms: {'met' if warm['help'] < GOAL_MS else 'NOT met'})")
    print(f"cli without the index (every plugin imported, median of {max(5, runs // 3)}): "
          f"python -c pass {cold['bare']:.1f} ms; kassa --help {cold['help']:.1f} ms = "
          f"{cold['help'] / cold['bare']:.1f}x bare Python")


if __name__ == "__main__":
    main()
