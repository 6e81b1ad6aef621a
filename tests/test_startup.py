"""`kassa run` never hangs silently: a start-up failure ends the process within seconds with
one sentence and a non-zero exit, signals stop it at every stage, and a second hub on the
same data folder or database refuses, naming the first."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kassa.errors import UserError
from kassa.ports import bind_error, port_holder
from kassa.store.lock import StoreLock

EXE = Path(sys.executable).parent / "kassa"
ENV = {"PATH": str(EXE.parent), "KASSA_LOAD_PLUGINS": ""}
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# A hub whose on_startup never returns by itself: start-up that takes forever.
SLOW_START = """
import sys, anyio
from kassa import hookimpl
from kassa.plugins import Plugins, new_manager, set_plugins

class SlowStart:
    @hookimpl
    async def on_startup(hub):
        print("plugin: starting", file=sys.stderr, flush=True)
        await anyio.sleep(3600)

set_plugins(Plugins(new_manager(extra=[SlowStart()])))
from kassa.cli import main
sys.argv = ["kassa", "run", "-c", sys.argv[1]]
main()
"""


def config(tmp_path: Path, port: int = 0, data: Path | None = None, extra: str = "") -> Path:
    cfg = tmp_path / f"kassa-{port}-{time.monotonic_ns()}.toml"
    cfg.write_text(f'[hub]\ndata_dir = "{data or tmp_path}"\n[api]\nport = {port}\n'
                   f'token = "t"\n[[sites]]\ncode = "r1"\n{extra}', encoding="utf-8")
    return cfg


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)


def wait_for(proc: subprocess.Popen[str], marker: str, limit: float = 30) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + limit
    seen = ""
    while marker not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert marker in seen, seen
    return seen


def finish(proc: subprocess.Popen[str], limit: float) -> tuple[float, str]:
    began = time.monotonic()
    try:
        _, err = proc.communicate(timeout=limit)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return time.monotonic() - began, err


def test_a_taken_api_port_ends_the_run_naming_the_port_and_its_holder(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        proc = start(str(EXE), "run", "-c", str(config(tmp_path, port)))
        took, err = finish(proc, 60)
    finally:
        holder.close()
    me = Path("/proc/self/comm").read_text().strip() if Path("/proc/self").exists() else ""
    assert proc.returncode == 2, err
    assert err.strip().splitlines()[-1] == (
        f"error: the admin API cannot listen on 127.0.0.1:{port}: the port is already in use"
        f" by pid {os.getpid()} ({me})")
    assert "Traceback" not in err
    assert took < 30


def test_port_holder_reads_proc():
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    assert port_holder(port) is None  # bound but not listening: nobody holds it
    s.listen()
    try:
        comm = Path("/proc/self/comm").read_text().strip()
        assert port_holder(port) == f"pid {os.getpid()} ({comm})"
    finally:
        s.close()


def test_port_holder_names_the_process_though_one_of_its_descriptors_closes(tmp_path):
    """A descriptor that closes while /proc is read (readlink fails) skips that descriptor,
    not the whole process (it named ours "another user's process" on a busy box)."""
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
    row = ("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
           "     0        0 4242 1 0000000000000000 100 0 0 10 0")
    (proc / "net" / "tcp").write_text(f"{head}\n{row}\n")
    fds = proc / "77" / "fd"
    fds.mkdir(parents=True)
    (proc / "77" / "comm").write_text("kassa\n")
    for i in range(5):  # plain files: readlink raises, as for a descriptor just closed
        (fds / str(i)).write_text("")
    os.symlink("socket:[4242]", fds / "9")
    assert port_holder(8080, proc) == "pid 77 (kassa)"


def test_bind_error_sentences():
    assert bind_error("x", "10.9.9.9", 80, OSError(99, "Cannot assign requested address")) == \
        "x cannot listen on 10.9.9.9:80: 10.9.9.9 is not an address of this machine"
    assert bind_error("x", "0.0.0.0", 80, PermissionError(13, "Permission denied")) == \
        "x cannot listen on 0.0.0.0:80: permission denied (ports below 1024 need privileges)"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_start_up_stops_the_hub(tmp_path, sig):
    proc = start(sys.executable, "-c", SLOW_START, str(config(tmp_path)))
    try:
        wait_for(proc, "plugin: starting")
        proc.send_signal(sig)
        took, err = finish(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"{sig.name}: stopping" in err and "running" not in err
    assert took < 15


def test_a_second_signal_exits_at_once(tmp_path):
    """The first signal asks for a clean stop; one that stop blocks on is cut short by a
    second (here on_shutdown never returns)."""
    script = SLOW_START.replace("async def on_startup(hub):\n        print(\"plugin: starting\","
                                " file=sys.stderr, flush=True)\n        await anyio.sleep(3600)",
                                "async def on_shutdown(hub):\n        print(\"plugin: stopping\","
                                " file=sys.stderr, flush=True)\n        await anyio.sleep(3600)")
    assert "on_shutdown" in script
    proc = start(sys.executable, "-c", script, str(config(tmp_path)))
    try:
        wait_for(proc, "running")
        proc.send_signal(signal.SIGTERM)
        wait_for(proc, "plugin: stopping")
        proc.send_signal(signal.SIGTERM)
        took, err = finish(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM again: exiting now" in err
    assert took < 10


def test_a_second_hub_on_the_same_data_folder_refuses_naming_the_first(tmp_path):
    first = start(str(EXE), "run", "-c", str(config(tmp_path)))
    try:
        wait_for(first, "running")
        second = start(str(EXE), "run", "-c", str(config(tmp_path)))
        took, err = finish(second, 60)
        assert second.returncode == 2, err
        assert took < 30
        assert err.strip().splitlines()[-1] == (
            f"error: another hub (pid {first.pid}) is already running on the data folder "
            f"{tmp_path}; stop it, or give this one its own hub.data_dir")
        assert first.poll() is None  # the first one is untouched
        first.send_signal(signal.SIGTERM)
        finish(first, 30)
        assert first.returncode == 0
        # the first is gone: the folder is free again
        third = start(str(EXE), "run", "-c", str(config(tmp_path)))
        wait_for(third, "running")
        third.send_signal(signal.SIGTERM)
        finish(third, 30)
        assert third.returncode == 0
    finally:
        if first.poll() is None:
            first.kill()


def test_the_data_folder_lock_holds_the_pid_and_dies_with_its_holder(tmp_path):
    import anyio

    lock = StoreLock(tmp_path / "data")
    anyio.run(lock.acquire)
    assert (tmp_path / "data" / "kassa.lock").read_text() == f"{os.getpid()}\n"
    with pytest.raises(UserError, match=f"another hub \\(pid {os.getpid()}\\)"):
        anyio.run(StoreLock(tmp_path / "data").acquire)
    anyio.run(lock.release)
    again = StoreLock(tmp_path / "data")
    anyio.run(again.acquire)
    anyio.run(again.release)
    # a holder killed outright: the OS drops its lock, the file's stale pid means nothing
    proc = subprocess.Popen([sys.executable, "-c", (
        "import anyio, pathlib, sys, time\nfrom kassa.store.lock import StoreLock\n"
        "anyio.run(StoreLock(pathlib.Path(sys.argv[1])).acquire)\n"
        "print('held', flush=True)\ntime.sleep(60)\n"), str(tmp_path / "data")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=f"pid {proc.pid}"):
            anyio.run(StoreLock(tmp_path / "data").acquire)
    finally:
        proc.kill()
        proc.wait()
    after = StoreLock(tmp_path / "data")
    anyio.run(after.acquire)
    assert (tmp_path / "data" / "kassa.lock").read_text() == f"{os.getpid()}\n"
    anyio.run(after.release)


@pytest.mark.integration
@pytest.mark.anyio
async def test_a_second_hub_on_the_same_database_refuses_naming_the_first(tmp_path):
    first = StoreLock(tmp_path / "a", PG)
    await first.acquire()
    try:
        with pytest.raises(UserError) as err:
            await StoreLock(tmp_path / "b", PG).acquire()
        assert str(err.value).startswith(f"another hub (pid {os.getpid()} on ")
        assert "is already running on this database (127.0.0.1:5432/test)" in str(err.value)
        assert "postgres@" not in str(err.value)
        # the refused one left its data folder free
        async with StoreLock(tmp_path / "b"):
            pass
    finally:
        await first.release()
    async with StoreLock(tmp_path / "b", PG):
        pass


def test_a_misspelled_time_zone_ends_the_run_naming_the_key_and_value(tmp_path):
    cfg = config(tmp_path, extra='timezone = "Europe/Moskva"\n')
    proc = start(str(EXE), "run", "-c", str(cfg))
    took, err = finish(proc, 60)
    assert proc.returncode == 2, err
    assert err.strip().splitlines()[-1] == (
        f'error: {cfg.name}: sites[0].timezone: unknown time zone (an IANA name such as '
        '"Europe/Moscow"), got "Europe/Moskva" (did you mean \'Europe/Minsk\', '
        "'Europe/Moscow' or 'Europe/Monaco'?)")
    assert took < 30


def test_a_database_that_refuses_or_never_answers_is_one_sentence(tmp_path, monkeypatch):
    import anyio
    from kassa.store import lock as store_lock

    pytest.importorskip("psycopg")
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nobody listens there now
    with pytest.raises(UserError) as err:
        anyio.run(StoreLock(tmp_path / "a", f"postgresql://bob:pw1234@127.0.0.1:{port}/db")
                  .acquire)
    assert str(err.value).startswith(f"cannot reach the database 127.0.0.1:{port}/db: ")
    assert "pw1234" not in str(err.value)
    silent = socket.socket()  # accepts connections, never speaks
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    monkeypatch.setattr(store_lock, "CONNECT_TIMEOUT_S", 1)
    began = time.monotonic()
    try:
        with pytest.raises(UserError, match=r"cannot reach the database .*timeout"):
            anyio.run(StoreLock(tmp_path / "b",
                                f"postgresql://bob@127.0.0.1:{silent.getsockname()[1]}/db")
                      .acquire)
    finally:
        silent.close()
    assert time.monotonic() - began < 10
    # neither left its data folder locked
    for name in ("a", "b"):
        anyio.run(StoreLock(tmp_path / name).acquire)


def test_nats_that_never_answers_fails_the_start_in_one_line(monkeypatch, caplog):
    """nats-py retries a first connect forever when reconnects are unlimited, logging a
    traceback each time: the bus bounds it and says where it could not connect."""
    import anyio
    from kassa.bus import nats as nats_bus
    from kassa.config import BusSettings
    from kassa.errors import RetryLater
    from kassa.secret import SecretURL

    pytest.importorskip("nats")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setattr(nats_bus, "FIRST_CONNECT_S", 2.0)
    bus = nats_bus.NatsBus(BusSettings(backend="nats", url=SecretURL(f"nats://127.0.0.1:{port}")))

    async def deliver(_: object) -> bool:
        return True

    began = time.monotonic()
    with pytest.raises(RetryLater) as err:
        anyio.run(bus.start, deliver)
    assert time.monotonic() - began < 10
    assert str(err.value) == (f"cannot reach NATS at nats://127.0.0.1:{port} "
                              "(no answer within 2 s)")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no tracebacks
