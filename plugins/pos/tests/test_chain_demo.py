"""``kassa demo --chain``: its refusals in one sentence, and (integration: real PostgreSQL,
nats-server started by the demo) the whole run headless — three store processes with their
own SQLite and leaf servers, M2's link cut and restored, the centre's totals equal to each
store's own, the centre's site_offline / site_online for M2."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

KASSA = str(Path(sys.executable).parent / "kassa")
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
needs_nats = pytest.mark.skipif(shutil.which("nats-server") is None,
                                reason="nats-server is not on PATH")


def run(*args: str, timeout: float = 60, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KASSA, "demo", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_without_postgresql_it_says_what_to_pass():
    env = {k: v for k, v in os.environ.items() if k != "KASSA_DEMO_PG"}
    out = subprocess.run([KASSA, "demo", "--chain"], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 2
    assert out.stderr.strip() == ("Для демо сети нужен PostgreSQL: укажите --pg "
                                  "postgresql+psycopg://пользователь@сервер/база "
                                  "(или KASSA_DEMO_PG).")


@needs_nats
def test_a_postgresql_that_does_not_answer_is_one_sentence():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = run("--chain", "--pg", f"postgresql://kassa:secret@127.0.0.1:{port}/x",
              "--locale", "en")
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.startswith(f"PostgreSQL postgresql+psycopg://kassa:***@127.0.0.1:{port}"
                                 "/x does not answer:")
    assert "secret" not in out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_without_nats_server_it_says_so(tmp_path):
    env = {"PATH": str(tmp_path)}  # no nats-server there
    out = run("--chain", "--pg", PG, env=env)
    assert out.returncode == 2
    assert "нужен nats-server в PATH" in out.stderr


@pytest.mark.integration
@needs_nats
def test_the_chain_demo_headless_ends_with_the_stores_totals_at_the_centre():
    out = run("--chain", "--pg", PG, "--headless", "--seconds", "24", timeout=300)
    text = out.stdout
    assert out.returncode == 0, text + out.stderr[-3000:]
    rows = re.findall(r"^(M\d): продажи (\d+) .* — (\S+)$", text, flags=re.MULTILINE)
    assert [(code, ok) for code, _, ok in rows] == [("M1", "совпадает"), ("M2", "совпадает"),
                                                    ("M3", "совпадает")], text
    assert all(int(n) > 0 for _, n, _ in rows)  # every shop sold
    assert "Связь магазина M2 оборвана" in text and "Связь магазина M2 восстановлена" in text
    assert "site_offline M2" in text and "site_online M2" in text
    assert "Итоги центра равны итогам магазинов." in text
