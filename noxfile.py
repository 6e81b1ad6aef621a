"""Sessions: tests (3.11, 3.12, 3.13), lint, types, integration (PostgreSQL, NATS), bench.

Run through uv so nothing but Python 3.11+ is needed: ``uv run nox -s tests``. ``tests`` uses
the workspace environment uv already synced (``.venv``, Python 3.11: the README's command, no
new venv); ``tests-3.12`` and ``tests-3.13`` sync the same locked workspace into
``.nox/uv-3.x`` with that interpreter (found under pyenv, else by uv) and run the same suite.
``lint`` and ``types`` cover the whole tree: the core, the console, every plugin, the docs'
examples and all tests.
"""

from __future__ import annotations

import glob
import os
import socket
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "none"

ROOT = Path(__file__).parent
TEST_ARGS = ("-m", "not integration", "-q", "-p", "no:randomly")
OTHER_PYTHONS = ("3.12", "3.13")
PACKAGES = ["core/src/kassa", *sorted(glob.glob("plugins/*/src/kassa_*/")),
            *sorted(glob.glob("docs/examples/*/src/kassa_*/"))]
TESTS = ["tests", *sorted(glob.glob("plugins/*/tests")),
         *sorted(glob.glob("docs/examples/*/tests"))]


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Unit and end-to-end tests on SQLite and the in-process bus (no services needed)."""
    session.run("pytest", *TEST_ARGS, *session.posargs)


def interpreter(version: str) -> str:
    """The newest pyenv build of ``version`` (``~/.pyenv/versions/3.12.*``), else the bare
    version for uv to find or fetch."""
    root = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser() / "versions"
    found = sorted(root.glob(f"{version}.*/bin/python"),
                   key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()])
    return str(found[-1]) if found else version


def other_python(version: str) -> None:
    @nox.session(name=f"tests-{version}", python=False)
    def run(session: nox.Session) -> None:
        env_dir = ROOT / ".nox" / f"uv-{version}"
        env = {"UV_PROJECT_ENVIRONMENT": str(env_dir)}
        session.run("uv", "sync", "--frozen", "--quiet", "--python", interpreter(version),
                    env=env)
        session.run(str(env_dir / "bin" / "pytest"), *TEST_ARGS, *session.posargs, env=env)

    run.__doc__ = f"The same tests on Python {version} (its own synced environment)."


for _version in OTHER_PYTHONS:
    other_python(_version)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff on the whole tree: core, console, plugins, examples, tests, bench, noxfile."""
    session.run("ruff", "check", "core", "plugins", "docs", "tests", "bench", "noxfile.py",
                *session.posargs)


@nox.session(python=False)
def types(session: nox.Session) -> None:
    """mypy --strict on every package and every test folder in one run (tests need not
    annotate each test function: pyproject's overrides)."""
    path = os.pathsep.join(["core/src", *sorted(glob.glob("plugins/*/src")),
                            *sorted(glob.glob("docs/examples/*/src"))])
    session.run("mypy", "--strict", "--ignore-missing-imports", "--explicit-package-bases",
                *PACKAGES, *TESTS, *session.posargs, env={"MYPYPATH": path})


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
