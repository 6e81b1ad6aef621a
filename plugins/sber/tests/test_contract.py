"""The core's card-terminal contract over the real transport: every call runs the sb_pilot
emulator as a child process in the terminal's folder; probes script it through its tape."""

from __future__ import annotations

from pathlib import Path

from kassa.testing.contracts import CardTerminalContract
from kassa_sber import sim_tape
from kassa_sber.terminal import SberTerminal

from .conftest import make


class TestSberOverSbPilot(CardTerminalContract):
    make_terminal = staticmethod(lambda tmp_path: make(Path(tmp_path) / "sber-1"))

    async def effects(self, component: SberTerminal) -> int:
        return sim_tape.effects(component.work_dir)  # rows on the emulator's control tape

    def decline(self, t: SberTerminal) -> None:
        sim_tape.push(t.work_dir, {"do": "decline", "rcode": "51", "message": "НЕТ СРЕДСТВ"})

    def slow(self, component: SberTerminal, seconds: float) -> None:
        if seconds:  # PIN entry: the run waits before it asks the bank
            sim_tape.push(component.work_dir, {"do": "approve", "delay": seconds})

    def lose_answer(self, component: SberTerminal) -> None:
        # the bank approves, the terminal records it, then sb_pilot dies without p and e
        sim_tape.push(component.work_dir, {"do": "approve", "after": "crash"})
