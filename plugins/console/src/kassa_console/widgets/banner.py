"""The line under the header that says the hub is gone (or that this is a replay)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class LinkBanner(Static):
    """Hidden while the hub is reachable; follows ``ConsoleApp.online``."""

    def on_mount(self) -> None:
        self.watch(self.app, "online", self._show, init=True)

    def _show(self, online: bool) -> None:
        app: Any = self.app
        replaying = getattr(app.client, "replaying", False)
        self.set_class(replaying, "-replay")
        if replaying:
            self.update(app.t("banner.replay", address=app.client.address))
            self.display = True
        else:
            self.update(app.t("banner.offline", address=app.client.address))
            self.display = not online
