"""``[[sber.terminals]]``: one folder per terminal, a real command, a default folder."""

from __future__ import annotations

from pathlib import Path

import kassa_sber
import pytest
from kassa_sber.settings import SberSettings, TerminalSettings


def test_two_terminals_cannot_share_a_folder_or_a_name() -> None:
    with pytest.raises(ValueError, match="own work_dir"):
        SberSettings(terminals=[TerminalSettings(name="a", work_dir="/x"),
                                TerminalSettings(name="b", work_dir="/x")])
    with pytest.raises(ValueError, match="called a"):
        SberSettings(terminals=[TerminalSettings(name="a"), TerminalSettings(name="a")])
    with pytest.raises(ValueError, match="pilot"):
        TerminalSettings(pilot=[])


def test_the_default_folder_is_under_the_data_dir(tmp_path: Path) -> None:
    class Hub:
        class settings:  # stands in for the hub's settings
            data_path = tmp_path

        @staticmethod
        def section(name: str, cls: type) -> SberSettings:
            return SberSettings(terminals=[TerminalSettings(name="sber-2")])

    (t,) = kassa_sber.register_devices(Hub())
    assert t.work_dir == tmp_path / "sber" / "sber-2" and t.kind == "terminal"
