"""A simulated SMS gateway (entry point ``simulator`` of ``kassa_delivery.sms``) for tests and
the demo: it enforces what a real gateway would (a Russian mobile number in E.164, a text of
at most 10 segments of 70 UCS-2 characters) and keeps what it "sent" in an inspectable outbox
(``sms-outbox.jsonl`` in the hub's data folder, and ``sent``).

Like a gateway's message-status look-up by the client's id, ``lookup(key)`` answers what was
sent under a key. ``send`` itself does not deduplicate (components never do, DESIGN 5b): a
blind resend is a second SMS in the outbox, which is what the crash test counts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kassa.errors import Permanent

RU_MOBILE = re.compile(r"\+79\d{9}")
MAX_CHARS = 670  # 10 x 70 UCS-2 characters: a common gateway limit for Cyrillic text


class SimulatedSms:
    name = "simulator"

    def __init__(self, hub: Any = None, path: Path | None = None) -> None:
        data = getattr(getattr(hub, "settings", None), "data_path", None) if hub else None
        self.path = path or (Path(data) / "sms-outbox.jsonl" if data else None)
        self.sent: list[dict[str, str]] = []
        if self.path is not None and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self.sent.append(json.loads(line))

    async def send(self, phone: str, text: str, key: str) -> str:
        if not RU_MOBILE.fullmatch(phone):
            raise Permanent(f"the gateway refused the number {phone[:5]}***: not a Russian "
                            "mobile in E.164")
        if not text or len(text) > MAX_CHARS:
            raise Permanent(f"the gateway refused a text of {len(text)} characters "
                            f"(1..{MAX_CHARS})")
        m = {"key": key, "id": f"sim-{len(self.sent) + 1}", "to": phone, "text": text}
        self.sent.append(m)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(m, ensure_ascii=False) + "\n")
        return m["id"]

    async def lookup(self, key: str) -> str | None:
        """The id of the message sent under ``key`` (the latest), or None: none was sent."""
        found = [m["id"] for m in self.sent if m["key"] == key]
        return found[-1] if found else None
