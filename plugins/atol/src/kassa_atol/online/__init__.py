"""ATOL Online v5 (cloud register) inside the ATOL plugin: the settings of one account, the
``FiscalDevice`` and its simulator. Docs: docs/plugins/atol-online.md.

Wiring (``kassa_atol.register_fiscal_devices``)::

    AtolOnlineRegister(cfg.name, cfg, hub.clock, data_dir=hub.settings.data_path())

(``data_dir``: where the sent log lives when ``state_file`` is empty; without it,
``$KASSA_DATA_DIR`` or ``~/.local/share/kassa``.)

``AtolOnlineSimulator().start()`` returns ``{"atol": {"online": [{...}]}}``: the kassa.toml
fragment of one account pointing at it (keys are ``OnlineSettings`` fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kassa_atol.online.register import AtolOnlineRegister
from kassa_atol.online.settings import OnlineSettings

if TYPE_CHECKING:
    from kassa_atol.online.sim import AtolOnlineSimulator


def __getattr__(name: str) -> Any:
    if name == "AtolOnlineSimulator":  # uvicorn only when a simulator is wanted
        from kassa_atol.online.sim import AtolOnlineSimulator

        return AtolOnlineSimulator
    raise AttributeError(name)


__all__ = ["AtolOnlineRegister", "AtolOnlineSimulator", "OnlineSettings"]
