"""The operator guide's key table and text name every key the console binds."""

from __future__ import annotations

import re
from pathlib import Path

from kassa_bonus.console import LoyaltyPanel
from kassa_console.screens import SCREENS
from kassa_console.screens.chats import ChatsScreen
from kassa_console.screens.devices import DevicesScreen
from kassa_console.screens.events import EventsScreen
from kassa_console.screens.fiscal import FiscalScreen
from kassa_console.screens.reports import ReportsScreen
from textual.binding import Binding

GUIDE = Path(__file__).parents[2] / "docs" / "operator-guide.md"


def test_every_key_is_in_the_guide() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE))
    # a screen without a key (reached from the palette only) has no row to check
    global_keys = {key for key, _ in SCREENS.values() if key} | {"q", LoyaltyPanel.key}
    assert global_keys <= listed, global_keys - listed
    for screen in (ChatsScreen, EventsScreen, ReportsScreen, FiscalScreen, DevicesScreen):
        for binding in Binding.make_bindings(screen.BINDINGS):
            key = binding.key
            shown = "Enter" if key == "enter" else key
            assert f"`{shown}`" in table, (screen.__name__, key)
    assert "press `g`" in text  # Reports builds on g: b is the Loyalty screen
    for name, (key, _) in SCREENS.items():
        if not key:  # a palette-only screen is named in the table
            assert name in table, name
    assert "### Devices" in text
