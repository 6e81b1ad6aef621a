"""The hub SIGKILLed after a copy went out but before anything marked it (the send done, its
answer not yet back to the journal): after a restart the copy is reconciled, not sent
blindly again. We count what the receiving side got: the SMTP server (aiosmtpd, in this
process) and the SMS simulator's outbox.

- SMS: the simulator's ``lookup(key)`` finds the message: ``sent``, exactly one SMS.
- E-mail, ``copy_unknown = "alert"``: exactly one message; the job says the copy may not
  have arrived (the managers' alert: test_copies).
- E-mail, ``copy_unknown = "resend"``: exactly one more, with the same Message-ID, marked.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from .conftest import APP, idem, payment
from .test_copies import Inbox, _free_port
from .test_crash import KEEPALIVE, _start, _until


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    c = Controller(inbox, hostname="127.0.0.1", port=port)
    c.start()
    try:
        yield inbox, port
    finally:
        c.stop()


def _outbox(data: Path) -> list[dict[str, Any]]:
    path = data / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def _config(port: int, policy: str) -> str:
    return json.dumps({"smtp": {"host": "127.0.0.1", "port": port, "starttls": False,
                                "sender": "cheki@dostavka.example"},
                       "sms_sender": "simulator", "copy_retry_seconds": 0.05,
                       "copy_unknown": policy})


def _run(data: Path, far: Path, cfg: str, *, delay: bool, posts: list[dict[str, Any]],
         until: Any) -> dict[int, dict[str, Any]]:
    """One hub life: post ``posts``, wait for ``until()``, SIGKILL it when the copies are
    delayed (mid-send) or stop it; the jobs as the API showed them last."""
    extra = ("--copy-delay", "60") if delay else ()
    proc, url = _start(data, far, 0.0, *extra, "--delivery", cfg)
    try:
        with httpx.Client(base_url=url, timeout=30, limits=KEEPALIVE) as http:
            for n, body in enumerate(posts):
                r = http.post("/payments", json=body, headers=idem(f"cc-{n}", APP))
                assert r.status_code == 202, r.text
            _until(lambda: until(http))
            jobs = http.get("/jobs", headers=APP).json()
    finally:
        proc.send_signal(signal.SIGKILL if delay else signal.SIGTERM)
        proc.wait(20)
    return {j["job_id"]: j for j in jobs}


def test_killed_between_send_and_mark_sms_looked_up_email_not_resent(tmp_path: Path,
                                                                     smtp: Any) -> None:
    inbox, port = smtp
    data, far = tmp_path / "hub", tmp_path / "fr1.db"
    data.mkdir()
    cfg = _config(port, "alert")
    mail = payment("CC-1")  # job 1: e-mail; job 2: SMS (copies go one at a time, in order)
    sms = payment("CC-2", client={"name": "Иван"}, address={"phones": ["+79162223344"]})
    # life 1: the e-mail is in the server's hands, nothing marked it: kill
    jobs = _run(data, far, cfg, delay=True, posts=[mail, sms],
                until=lambda _: len(inbox.messages) == 1)
    assert jobs[1]["copy"]["status"] == "pending"
    # life 2: the e-mail's outcome is unknown (SMTP cannot be asked): not sent again; the SMS
    # goes out and the process is killed before anything marks it
    jobs = _run(data, far, cfg, delay=True, posts=[], until=lambda _: len(_outbox(data)) == 1)
    assert jobs[2]["copy"]["status"] == "pending"
    # life 3: the SMS gateway's lookup finds it: sent, never sent again
    jobs = _run(data, far, cfg, delay=False, posts=[], until=_settled)
    assert jobs[1]["copy"]["status"] == "unknown" and "могла не дойти" in \
        jobs[1]["copy"]["reason"]
    assert jobs[2]["copy"]["status"] == "sent"
    assert len(inbox.messages) == 1  # exactly one e-mail
    assert [m["key"] for m in _outbox(data)] == ["delivery:copy:2"]  # exactly one SMS


def test_killed_between_send_and_mark_email_resent_once_marked(tmp_path: Path,
                                                               smtp: Any) -> None:
    inbox, port = smtp
    data, far = tmp_path / "hub", tmp_path / "fr1.db"
    data.mkdir()
    cfg = _config(port, "resend")
    _run(data, far, cfg, delay=True, posts=[payment("CC-1")],
         until=lambda _: len(inbox.messages) == 1)
    jobs = _run(data, far, cfg, delay=False, posts=[], until=_settled)
    assert jobs[1]["copy"]["status"] == "sent" and "повторно" in jobs[1]["copy"]["reason"]
    assert len(inbox.messages) == 2  # the one marked repeat, no more
    first, again = inbox.messages
    assert first["Message-ID"] == again["Message-ID"] and first["X-Kassa-Resent"] is None
    subject = str(make_header(decode_header(again["Subject"])))
    assert again["X-Kassa-Resent"] == "yes" and subject.startswith("(повтор) ")


def _settled(http: httpx.Client) -> bool:
    return all(j["copy"]["status"] != "pending" for j in http.get("/jobs", headers=APP).json())
