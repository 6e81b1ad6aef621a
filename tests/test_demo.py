"""`kassa demo --headless` end to end: simulators -> real hub -> simulated chats."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_headless_demo_delivers_what_the_simulators_record():
    exe = Path(sys.executable).parent / "kassa"
    out = subprocess.run([str(exe), "demo", "--headless", "--seconds", "8"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "nothing lost" in text
    events = int(re.search(r"events: (\d+)", text).group(1))
    kinds = int(re.search(r"events: \d+ \((\d+) kinds\)", text).group(1))
    assert events > 50 and kinds >= 10
    reports = int(re.search(r"reports: (\d+)", text).group(1))
    assert reports >= 1  # the simulated day ends within the run: shift-close reports arrive
    sent = int(re.search(r"messages: sent (\d+)", text).group(1))
    received = int(re.search(r"simulated chats received: (\d+)", text).group(1))
    assert sent > 0 and received >= sent  # every sent message is in a simulated chat
    for sim in ("telegram", "max"):
        recorded = re.search(rf"{sim} recorded: (\{{.*\}})", text).group(1)
        assert "'r1'" in recorded and "'owners'" in recorded
