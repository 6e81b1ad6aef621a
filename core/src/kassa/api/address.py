"""Where a CLI command finds the running hub: its admin API address and token.

Given options win; else kassa.toml's ``[api]`` (``--config``, ``$KASSA_CONFIG`` or
``./kassa.toml``) and the token file the hub writes into its data folder."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8765"


def default_data_dir() -> Path:
    return Path(os.environ.get("KASSA_DATA_DIR") or "~/.local/share/kassa").expanduser()


def hub_address(url: str | None, token: str | None,
                config: str | None = None) -> tuple[str, str]:
    """``(url, token)`` of the running hub; a broken kassa.toml raises its ``ConfigError``."""
    path = config or os.environ.get("KASSA_CONFIG") or "kassa.toml"
    settings = None
    if config or Path(path).exists():
        from kassa.cli import load_settings

        settings = load_settings(path)
    if url is None:
        url = (f"http://{settings.api.host}:{settings.api.port}" if settings else DEFAULT_URL)
    data = default_data_dir()
    if not token and settings is not None:
        token = settings.api.token.reveal() or None
        data = settings.data_path
    if not token:
        f = data / "api-token"
        token = f.read_text().strip() if f.exists() else ""
    return url, token
