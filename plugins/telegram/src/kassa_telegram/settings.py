"""The ``[telegram]`` section of kassa.toml."""

from __future__ import annotations

import re

from attrs import define, field, validators
from kassa.secret import Secret

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _check_token(_inst: object, _attr: object, value: Secret) -> None:
    raw = value.reveal()
    if raw and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", raw):
        # never echo the value: it may be a real token with a typo
        raise ValueError("token does not look like a bot token from @BotFather "
                         "(expected digits, a colon, then letters/digits)")


def _check_secret_token(_inst: object, _attr: object, value: Secret) -> None:
    raw = value.reveal()
    if raw and not _SECRET_TOKEN.fullmatch(raw):
        raise ValueError("webhook.secret_token must be 1-256 characters A-Z a-z 0-9 _ -")


@define
class WebhookSettings:
    url: str = ""  # public HTTPS URL Telegram posts to (ports 443, 80, 88, 8443)
    secret_token: Secret = field(factory=lambda: Secret(""), validator=_check_secret_token)
    listen_host: str = "127.0.0.1"  # where our listener binds (behind a reverse proxy)
    listen_port: int = 8443
    path: str = "/telegram/webhook"


@define
class TelegramSettings:
    token: Secret = field(factory=lambda: Secret(""), validator=_check_token)
    base_url: str = "https://api.telegram.org"  # or a local Bot API server / relay
    proxy: str = ""  # http://, https:// or socks5:// URL for networks that block Telegram
    ca_bundle: str = ""  # PEM file to trust instead of the system store (TLS-inspecting proxies)
    mode: str = field(default="polling", validator=validators.in_(("polling", "webhook")))
    poll_timeout: int = field(default=50, validator=validators.ge(0))  # long-poll seconds
    request_timeout: float = 30.0  # seconds for every call except long polls
    webhook: WebhookSettings = field(factory=WebhookSettings)
