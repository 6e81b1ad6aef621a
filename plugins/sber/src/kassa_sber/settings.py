"""The ``[sber]`` section of kassa.toml: one entry per terminal (two per till are fine: each
has its own working folder, where sb_pilot writes ``p`` and ``e``).

    [sber]
    [[sber.terminals]]
    name = "sber-1"                      # what [[stations]] terminal = "..." names
    site = "r1"                          # informative: the station's terminal = picks it
    station = "till-1"
    pilot = ["/opt/sberbank/sb_pilot"]   # argv before the operation; the emulator:
                                         # ["python", "-m", "kassa_sber.sim_pilot"]
    work_dir = "/var/lib/kassa/sber-1"   # sb_pilot's cwd: p, e (and the emulator's tape)
    timeout = 180                        # seconds for one run (a person enters a PIN)
    suspend = true                       # SuspendTrx after a purchase, CommitTrx after the receipt
"""

from __future__ import annotations

from attrs import define, field, validators


def _argv(_inst: object, _attr: object, value: list[str]) -> None:
    if not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError("pilot must be the command that runs sb_pilot, e.g. "
                         "[\"/opt/sberbank/sb_pilot\"]")


@define
class TerminalSettings:
    name: str = "sber"
    site: str = ""
    station: str = ""
    pilot: list[str] = field(factory=lambda: ["sb_pilot"], validator=_argv)
    work_dir: str = ""  # default <data_dir>/sber/<name>
    timeout: float = field(default=180.0, validator=validators.gt(0))
    suspend: bool = True
    locale: str = field(default="ru", validator=validators.in_(("ru", "en")))


@define
class SberSettings:
    terminals: list[TerminalSettings] = field(factory=list)

    def __attrs_post_init__(self) -> None:
        names = [t.name for t in self.terminals]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two sber terminals are called {', '.join(twice)}")
        dirs = [t.work_dir for t in self.terminals if t.work_dir]
        if len(dirs) != len(set(dirs)):
            # p and e would be overwritten by the other terminal's runs
            raise ValueError("each sber terminal needs its own work_dir")
