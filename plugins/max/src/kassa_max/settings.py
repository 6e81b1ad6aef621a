"""The ``[max]`` section of kassa.toml."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path

from attrs import define, field
from kassa.errors import ConfigError
from kassa.secret import Secret

# platform-api.max.ru is deprecated ("not allowed" in the Go SDK); the README says use api2.
DEFAULT_BASE_URL = "https://platform-api2.max.ru"


class Mode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


@define
class WebhookSettings:
    """Where MAX pushes updates (``mode = "webhook"``): a public HTTPS URL on port 443 that a
    reverse proxy forwards to ``host:port`` here."""

    url: str = ""
    secret: Secret = field(factory=lambda: Secret(""))  # 5-256 chars [A-Za-z0-9_-]
    host: str = "127.0.0.1"
    port: int = 8081


@define
class MaxSettings:
    token: Secret = field(factory=lambda: Secret(""))
    base_url: str = DEFAULT_BASE_URL
    proxy: str = ""  # e.g. http://proxy:3128 or socks5://...
    ca_bundle: str = ""  # PEM path; empty: the Russian Trusted Root CA shipped with the plugin
    mode: Mode = Mode.POLLING
    webhook: WebhookSettings = field(factory=WebhookSettings)
    timeout: float = 30.0  # seconds for one API call (long polls add their own hold)
    poll_timeout: int = 30  # seconds MAX may hold GET /updates (0-90)
    upload_tries: int = 5  # attempts while an uploaded file is "attachment.not.ready"
    upload_delay: float = 1.0  # first wait between those attempts; doubles each time


def packaged_ca() -> Path:
    """The Russian Trusted Root CA (Минцифры) PEM shipped as package data."""
    return Path(str(resources.files("kassa_max") / "russian_trusted_root_ca.pem"))


def ca_path(settings: MaxSettings) -> Path:
    """The CA bundle to verify MAX's certificate with; a clear error if it is missing."""
    if not settings.ca_bundle:
        return packaged_ca()
    path = Path(settings.ca_bundle).expanduser()
    if not path.is_file():
        raise ConfigError(f"CA bundle file {str(path)!r} does not exist", path="max.ca_bundle")
    return path


def check(settings: MaxSettings) -> None:
    """Errors a person can fix in kassa.toml, named by key."""
    if not settings.base_url.startswith(("https://", "http://")):
        raise ConfigError("expected an http(s):// URL", path="max.base_url")
    if not 0 <= settings.poll_timeout <= 90:
        raise ConfigError("MAX accepts 0-90 seconds", path="max.poll_timeout")
    if settings.mode is Mode.WEBHOOK:
        hook = settings.webhook
        if not hook.url.startswith("https://"):
            raise ConfigError("webhook mode needs a public https:// URL (MAX rejects plain "
                              "HTTP)", path="max.webhook.url")
        secret = hook.secret.reveal()
        if not (5 <= len(secret) <= 256 and all(c.isalnum() or c in "-_" for c in secret)
                and secret.isascii()):
            raise ConfigError("webhook mode needs a secret of 5-256 characters A-Z a-z 0-9 _ -",
                              path="max.webhook.secret")
