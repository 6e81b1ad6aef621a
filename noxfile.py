"""Sessions: tests, lint, types, integration (PostgreSQL, NATS), bench.

Run through uv so nothing but Python 3.11+ is needed: ``uv run nox -s tests``. Sessions use the
workspace environment uv already synced (``python=False``), so a run costs no new venvs.
"""

from __future__ import annotations

import os
import socket

import nox

nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "none"


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Unit and end-to-end tests on SQLite and the in-process bus (no services needed)."""
    session.run("pytest", "-m", "not integration", "-q", "-p", "no:randomly", *session.posargs)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff on the core and the unit tests (tests/console and tests/e2e excluded)."""
    session.run("ruff", "check", "core/src", "tests", "--exclude", "tests/console",
                "--exclude", "tests/e2e", *session.posargs)


@nox.session(python=False)
def types(session: nox.Session) -> None:
    """mypy (strict) on the whole core package except the console."""
    session.run("mypy", "--strict", "--ignore-missing-imports", "core/src/kassa",
                "--exclude", "kassa/console", *session.posargs)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@nox.session(python=False)
def integration(session: nox.Session) -> None:
    """The same store/bus code against real PostgreSQL (127.0.0.1:5432/test) and NATS
    JetStream (127.0.0.1:4222). Under CI=true a missing service fails the session."""
    missing = [name for name, port in (("PostgreSQL", 5432), ("NATS", 4222))
               if not _reachable("127.0.0.1", port)]
    if missing:
        msg = f"not reachable on 127.0.0.1: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            session.error(msg)
        session.skip(msg)
    env = {
        "KASSA_TEST_PG_URL": os.environ.get("KASSA_TEST_PG_URL",
                                            "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        "KASSA_TEST_NATS_URL": os.environ.get("KASSA_TEST_NATS_URL", "nats://127.0.0.1:4222"),
    }
    session.run("pytest", "-m", "integration", "-q", *session.posargs, env=env)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: each prints figures as ratios against a baseline from the same run."""
    for script in sorted(os.listdir("bench")):
        if script.endswith(".py") and not script.startswith("_"):
            session.run("python", f"bench/{script}", *session.posargs)
