"""The line under the header that says the hub is gone (or that this is a replay)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class LinkBanner(Static):
    """Hidden while the hub is reachable; follows ``ConsoleApp.online``."""

    def on_mount(self) -> None:
        self.watch(self.app, "online", self._show, init=True)
        self.watch(self.app, "unauthorized", self._refresh, init=False)

    def _refresh(self, _: bool) -> None:
        self._show(getattr(self.app, "online", True))

    def _show(self, online: bool) -> None:
        app: Any = self.app
        replaying = getattr(app.client, "replaying", False)
        self.set_class(replaying, "-replay")
        if replaying:
            self.update(app.t("banner.replay", address=app.client.address))
            self.display = True
        else:
            key = "banner.unauthorized" if app.unauthorized else "banner.offline"
            self.update(app.t(key, address=app.client.address))
            self.display = not online
