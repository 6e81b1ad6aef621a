"""One screen per task; ``SCREENS`` is the order of the keys and the palette."""

from __future__ import annotations

from kassa_console.screens.chats import ChatsScreen
from kassa_console.screens.dashboard import DashboardScreen
from kassa_console.screens.devices import DevicesScreen
from kassa_console.screens.events import EventsScreen
from kassa_console.screens.fiscal import FiscalScreen
from kassa_console.screens.log import LogScreen
from kassa_console.screens.plugins import PluginsScreen
from kassa_console.screens.reports import ReportsScreen

# mode name -> (key, screen class)
SCREENS = {
    "dashboard": ("d", DashboardScreen),
    "events": ("e", EventsScreen),
    "chats": ("c", ChatsScreen),
    "reports": ("r", ReportsScreen),
    "plugins": ("p", PluginsScreen),
    "log": ("l", LogScreen),
    "fiscal": ("f", FiscalScreen),
    "devices": ("h", DevicesScreen),  # h: hardware (the other letters of it are taken)
}
