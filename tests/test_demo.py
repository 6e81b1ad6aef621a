"""`kassa demo --headless` end to end: simulators -> real hub -> simulated chats."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path


def found(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    assert m is not None, f"{pattern!r} not in the output"
    return m.group(1)


def test_headless_demo_delivers_what_the_simulators_record():
    exe = Path(sys.executable).parent / "kassa"
    out = subprocess.run([str(exe), "demo", "--headless", "--seconds", "8"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "nothing lost" in text
    events = int(found(r"events: (\d+)", text))
    kinds = int(found(r"events: \d+ \((\d+) kinds\)", text))
    assert events > 50 and kinds >= 10
    reports = int(found(r"reports: (\d+)", text))
    assert reports >= 1  # the simulated day ends within the run: shift-close reports arrive
    sent = int(found(r"messages: sent (\d+)", text))
    received = int(found(r"simulated chats received: (\d+)", text))
    assert sent > 0 and received >= sent  # every sent message is in a simulated chat
    for sim in ("telegram", "max"):
        recorded = found(rf"{sim} recorded: (\{{.*\}})", text)
        assert "'r1'" in recorded and "'owners'" in recorded
    # the simulated shop (kassa-pos): its checks paid through the Till, each one a receipt
    # of its own register (distinct FN+FD the ATOL emulator answered), risky actions alerted
    shop = ast.literal_eval(found(r"\bpos recorded: (\{.*\})", text))["s1"]
    assert shop["checks"] > 0 and shop["checks"] == shop["receipts"]
    assert shop["shoppers"] >= shop["checks"] and shop["errors"] == 0
    assert "pos_check_closed=" in text and "pos_line_added=" in text
