"""Running ``sb_pilot`` (or the emulator) once per operation, as its integrators do
(fiscal.md §6.1): argv = the operation and its amount, cwd = the terminal's working folder,
then read ``e`` (the result) and ``p`` (the slip). One run at a time per terminal.

On POSIX a process's exit status keeps only the low 8 bits of the UPOS code, so the code is
taken from ``e`` and checked against the status; a run that dies, hangs past the timeout or
leaves an ``e`` we cannot read raises ``PilotFailed``: the bank may have approved meanwhile,
so the outcome is unknown (never ``RetryLater``) and ``lookup`` reads the control tape."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import anyio
from kassa.errors import Permanent

from kassa_sber.resultfile import RESULT, SLIP, Answer, Garbled, load, read_slip


def _kill_group(pid: int) -> None:
    """The run and whatever it started (a Wine or SSH wrapper has children of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class PilotFailed(Exception):
    """The run gave no answer we can trust; ``str()`` is one sentence for the console."""


class Pilot:
    def __init__(self, argv: list[str], work_dir: Path, timeout: float, name: str) -> None:
        self.argv = list(argv)
        self.work_dir = work_dir
        self.timeout = timeout
        self.name = name
        self._lock = anyio.Lock()

    async def run(self, *args: str, limit: float | None = None) -> tuple[Answer, str]:
        """One run; ``limit`` seconds (default the terminal's ``timeout``) before a kill."""
        async with self._lock:
            return await self._run(list(args), limit or self.timeout)

    async def _run(self, args: list[str], limit: float) -> tuple[Answer, str]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        for f in (SLIP, RESULT):  # a stale answer must never be read as this run's
            (self.work_dir / f).unlink(missing_ok=True)
        try:
            proc = await anyio.open_process([*self.argv, *args], cwd=self.work_dir,
                                            stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL,
                                            start_new_session=True)
        except OSError as exc:  # nothing ran: the configuration is wrong
            raise Permanent(f"terminal {self.name}: cannot start {self.argv[0]!r} ({exc})"
                            ) from None
        try:
            with anyio.fail_after(limit):
                rc = await proc.wait()
        except TimeoutError:
            raise PilotFailed(f"терминал {self.name}: sb_pilot не ответил за {limit:g} с"
                              ) from None
        finally:
            if proc.returncode is None:  # timed out or cancelled: the run must not linger
                _kill_group(proc.pid)
                with anyio.CancelScope(shield=True):
                    await proc.wait()
        if rc < 0:
            raise PilotFailed(f"терминал {self.name}: sb_pilot завершился по сигналу {-rc}"
                              " без ответа")
        path = self.work_dir / RESULT
        if not path.exists():
            raise PilotFailed(f"терминал {self.name}: sb_pilot не записал файл результата"
                              f" e (код выхода {rc})")
        try:
            answer = load(path.read_bytes())
        except Garbled as exc:
            raise PilotFailed(f"терминал {self.name}: файл результата e не читается: {exc}"
                              ) from None
        if answer.error_code & 0xFF != rc:
            raise PilotFailed(f"терминал {self.name}: код {answer.error_code} в файле e не"
                              f" совпадает с кодом выхода {rc}")
        slip = self.work_dir / SLIP
        return answer, read_slip(slip.read_bytes()) if slip.exists() else ""
