"""Device discovery (kassa.discovery, ``kassa devices discover``): the core's interfaces over
real sockets, ptys and a sysfs tree, claims from throwaway plugins and the real device
plugins, and the CLI's words."""

from __future__ import annotations

import json
import os
import socket
import threading
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import kassa_escpos
import kassa_scales
import pytest
from click.testing import CliRunner
from kassa import hookimpl
from kassa.cli import cli
from kassa.discovery import (
    Candidate,
    Claim,
    discover,
    expand_hosts,
    held_by_config,
    serial_ports,
    usage_pages,
    usb_devices,
)
from kassa.plugins import Plugins, new_manager, set_plugins
from kassa_escpos.sim import EscposSimulator
from kassa_scales.sim import Curve, ScaleSimulator, emulator_for

pytestmark = pytest.mark.anyio


def facade(*plugins: Any) -> Plugins:
    return Plugins(new_manager(entry_points=False, extra=plugins))


class Recorder:
    """A driver that claims nothing and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, bool]] = []

    @hookimpl
    def claim_device(self, candidate: Candidate, probe: Any) -> None:
        self.asked.append((candidate.address, probe.active))


@contextmanager
def garbage_server() -> Iterator[int]:
    """A TCP port that answers every read with bytes no protocol accepts."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.1)
                while not stop.is_set():
                    try:
                        if not conn.recv(4096):
                            break
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    conn.sendall(b"\xff\x00\xfe garbage \x7f\r\n" * 3)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        srv.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()  # nobody listens there now: connect is refused at once
    return port


# --- claiming ------------------------------------------------------------------------------
async def test_printer_and_scale_found_together_each_by_its_plugin() -> None:
    """Both real plugins over real transports: the printer by DLE EOT, the scale on a pty
    after the printer probe was refused by it (no two probes at once, printer first)."""
    printers = EscposSimulator([("kitchen", "")])
    await printers.start()
    scale = ScaleSimulator(emulator_for("massak", Curve.steady(900)), pty=True)
    await scale.start()
    try:
        result = await discover(facade(kassa_escpos, kassa_scales), hosts=["127.0.0.1"],
                                ports=[printers["kitchen"].port], devices=[scale.path],
                                serial=False, usb=False, held={})
    finally:
        await scale.stop()
        await printers.stop()
    claims = {f.candidate.address: f.claim for f in result.found}
    weighs = claims[scale.path]
    assert weighs is not None and weighs.plugin == "kassa_scales"
    assert "Протокол 100" in weighs.model
    printer = claims[f"127.0.0.1:{printers['kitchen'].port}"]
    assert printer is not None and printer.plugin == "kassa_escpos"
    assert printers["kitchen"].paper.tickets == [] and result.failures == ()


async def test_a_port_answering_garbage_is_claimed_by_nobody() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def babble() -> None:  # the pty's far end answers everything with noise
        os.set_blocking(master, False)
        while not stop.wait(0.01):
            try:
                if os.read(master, 4096):
                    os.write(master, b"\x00\xffNOISE\x93\x12\x12\r\n")
            except BlockingIOError:
                continue
            except OSError:
                return

    t = threading.Thread(target=babble, daemon=True)
    t.start()
    try:
        with garbage_server() as port:
            result = await discover(facade(kassa_escpos, kassa_scales), hosts=["127.0.0.1"],
                                    ports=[port], devices=[path], serial=False, usb=False,
                                    held={})
    finally:
        stop.set()
        t.join(2)
        os.close(master)
        os.close(slave)
    assert len(result.found) == 2 and all(f.claim is None for f in result.found)
    assert result.failures == ()


async def test_a_closed_port_is_skipped_without_asking_any_driver() -> None:
    rec = Recorder()
    port = closed_port()
    result = await discover(facade(rec), hosts=["127.0.0.1"], ports=[port], serial=False,
                            usb=False, held={})
    assert result.closed == (f"127.0.0.1:{port}",) and result.found == ()
    assert rec.asked == []


async def test_two_claims_for_one_candidate_resolve_by_confidence_then_name() -> None:
    def claimer(name: str, confidence: int) -> Any:
        class P:
            @hookimpl
            def claim_device(self, candidate: Candidate) -> Claim:
                return Claim(kind="scanner", model=name, confidence=confidence)
        p = P()
        p.__class__.__name__ = name
        return p

    usb = Candidate(transport="usb", address="usb 1-1", vendor_id=0x0C2E)
    for order in ((0, 1, 2), (2, 1, 0), (1, 2, 0)):
        plugins = [claimer("alpha", 50), claimer("beta", 90), claimer("gamma", 90)]
        pm = new_manager(entry_points=False)
        for i in order:
            pm.register(plugins[i], name=["alpha", "beta", "gamma"][i])
        from kassa.discovery import claim

        found = await claim(usb, Plugins(pm).device_claimers())
        assert found.claim is not None and found.claim.plugin == "beta"
        assert [o.plugin for o in found.others] == ["gamma", "alpha"]


async def test_a_passive_claim_means_no_port_is_touched() -> None:
    class ById:
        @hookimpl
        def claim_device(self, candidate: Candidate, probe: Any) -> Claim | None:
            return Claim(kind="scanner", model="by id") if candidate.vendor_id else None

    rec = Recorder()
    from kassa.discovery import claim

    c = Candidate(transport="serial", address="/dev/null", path="/dev/null", vendor_id=1)
    pm = new_manager(entry_points=False)
    pm.register(ById(), name="byid")
    pm.register(rec, name="rec")
    found = await claim(c, Plugins(pm).device_claimers())
    assert found.claim is not None and found.claim.model == "by id"
    assert rec.asked == [("/dev/null", False)]  # asked passively only


async def test_a_claim_hook_that_raises_is_one_line_and_discovery_goes_on() -> None:
    class Broken:
        @hookimpl
        def claim_device(self, candidate: Candidate) -> None:
            raise KeyError("oops")

    printers = EscposSimulator([("kitchen", "")])
    await printers.start()
    try:
        pm = new_manager(entry_points=False, extra=[kassa_escpos])
        pm.register(Broken(), name="broken")
        port = printers["kitchen"].port
        result = await discover(Plugins(pm), hosts=["127.0.0.1"], ports=[port],
                                serial=False, usb=False, held={})
    finally:
        await printers.stop()
    (found,) = result.found
    assert found.claim is not None and found.claim.plugin == "kassa_escpos"
    assert [(f.plugin, f.address, f.error) for f in result.failures] == [
        ("broken", f"127.0.0.1:{port}", "KeyError: 'oops'")]


async def test_a_claim_hook_that_hangs_is_cut_off_and_reported() -> None:
    from kassa.discovery import claim

    class Hangs:
        @hookimpl
        async def claim_device(self, candidate: Candidate) -> None:
            await anyio.sleep_forever()

    failures: list[Any] = []
    c = Candidate(transport="usb", address="usb 1-9", vendor_id=1)
    found = await claim(c, facade(Hangs()).device_claimers(), per_driver=0.1,
                        failures=failures)
    assert found.claim is None
    assert [f.error for f in failures] == ["TimeoutError: no answer in 0.1 s"]


async def test_ports_the_hub_holds_are_skipped(tmp_path: Path) -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    toml = tmp_path / "kassa.toml"
    toml.write_text(f'[scales]\n[[scales.devices]]\nname = "s"\nprotocol = "cas"\n'
                    f'serial = "{path}"\n\n[escpos]\n[[escpos.printers]]\nname = "p"\n'
                    f'host = "127.0.0.1"\nport = 9999\n', encoding="utf-8")
    held = held_by_config(toml)
    real = await anyio.to_thread.run_sync(os.path.realpath, path)
    assert held == {real: "scales.devices[0].serial",
                    "127.0.0.1:9999": "escpos.printers[0]"}
    rec = Recorder()
    try:
        result = await discover(facade(rec), hosts=["127.0.0.1"], ports=[9999],
                                devices=[path], serial=False, usb=False, held=held)
    finally:
        os.close(master)
        os.close(slave)
    assert rec.asked == [] and result.found == ()
    assert sorted((k.reason, k.detail) for k in result.skipped) == [
        ("config", "escpos.printers[0]"), ("config", "scales.devices[0].serial")]


async def test_a_device_that_resets_the_link_is_nobodys_and_no_plugin_error() -> None:
    import struct

    srv = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def reset() -> None:  # takes the request, then RSTs (SO_LINGER 0): a crashing device
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                conn.recv(4096)  # b"" from the reachability check, a probe otherwise
            except OSError:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    t = threading.Thread(target=reset, daemon=True)
    t.start()
    try:
        result = await discover(facade(kassa_escpos, kassa_scales), hosts=["127.0.0.1"],
                                ports=[srv.getsockname()[1]], serial=False, usb=False,
                                held={})
    finally:
        stop.set()
        t.join(2)
        srv.close()
    assert [f.claim for f in result.found] == [None] and result.failures == ()


async def test_a_device_file_that_is_no_serial_port_is_skipped_saying_why(tmp_path) -> None:
    rec = Recorder()
    plain = tmp_path / "notes.txt"
    plain.write_text("x")
    result = await discover(facade(rec), devices=[str(plain), str(tmp_path / "gone")],
                            serial=False, usb=False, held={})
    assert rec.asked == [] and result.found == ()
    assert sorted(k.reason for k in result.skipped) == ["missing", "not_tty"]


async def test_a_usb_device_is_never_written_to() -> None:
    from kassa.discovery import claim

    rec = Recorder()
    hid = Candidate(transport="usb", address="usb 1-1", path="/dev/hidraw0", vendor_id=1)
    assert (await claim(hid, facade(rec).device_claimers())).claim is None
    assert rec.asked == [("usb 1-1", False)]  # the passive round only


async def test_one_device_under_two_names_is_probed_once_and_held_by_its_name() -> None:
    printers = EscposSimulator([("kitchen", "")])
    await printers.start()
    port = printers["kitchen"].port
    try:
        result = await discover(facade(kassa_escpos), hosts=["127.0.0.1", "localhost"],
                                ports=[port], serial=False, usb=False, held={})
        held = await discover(facade(kassa_escpos), hosts=["127.0.0.1"], ports=[port],
                              serial=False, usb=False,
                              held={f"localhost:{port}": "escpos.printers[0]"})
    finally:
        await printers.stop()
    assert len(result.found) == 1 and result.found[0].claim is not None
    ((skip),) = result.skipped
    assert skip.reason == "same" and skip.detail == result.found[0].candidate.address
    assert held.found == () and [(k.reason, k.detail) for k in held.skipped] == [
        ("config", "escpos.printers[0]")]


def test_hosts_and_networks_expand_once_and_a_huge_one_is_refused() -> None:
    assert expand_hosts(["10.0.0.0/30", "10.0.0.1", "printer.local"]) == [
        "10.0.0.1", "10.0.0.2", "printer.local"]
    with pytest.raises(ValueError, match="at most 1024"):
        expand_hosts(["10.0.0.0/8"])


# --- the sysfs interfaces ------------------------------------------------------------------
def fake_sysfs(root: Path) -> Path:
    sys_ = root / "sys"
    bus = sys_ / "devices" / "pci0000:00" / "usb1"

    def usb(name: str, vid: str, pid: str, product: str, iface_class: str, driver: str) -> Path:
        d = bus / name
        d.mkdir(parents=True)
        for k, v in {"idVendor": vid, "idProduct": pid, "product": product,
                     "manufacturer": "Maker", "serial": "SN1", "bDeviceClass": "00"}.items():
            (d / k).write_text(v + "\n")
        i = d / f"{name}:1.0"
        i.mkdir()
        (i / "bInterfaceClass").write_text(iface_class + "\n")
        drv = sys_ / "bus" / "usb" / "drivers" / driver
        drv.mkdir(parents=True, exist_ok=True)
        (i / "driver").symlink_to(drv)
        (i / "subsystem").symlink_to(sys_ / "bus" / "usb")
        devices = sys_ / "bus" / "usb" / "devices"
        devices.mkdir(parents=True, exist_ok=True)
        (devices / name).symlink_to(d)
        (devices / f"{name}:1.0").symlink_to(i)
        return i

    (sys_ / "class" / "tty").mkdir(parents=True)
    (sys_ / "class" / "hidraw").mkdir(parents=True)
    # a HID POS scanner (usage page 0x8C) on hidraw0
    hid_if = usb("1-1", "0c2e", "0b61", "Scanner", "03", "usbhid")
    hid = hid_if / "0003:0C2E:0B61.0001"
    hid.mkdir()
    (hid / "report_descriptor").write_bytes(bytes([0x06, 0x8C, 0x00, 0x09, 0x02, 0xA1, 0x01,
                                                   0x05, 0x01, 0xC0]))
    (sys_ / "class" / "hidraw" / "hidraw0").mkdir()
    (sys_ / "class" / "hidraw" / "hidraw0" / "device").symlink_to(hid)
    # a CDC ACM device (ttyACM0) and an FTDI adapter (ttyUSB0)
    acm = usb("1-2", "1eab", "0d10", "Scanner CDC", "02", "cdc_acm")
    (sys_ / "class" / "tty" / "ttyACM0").mkdir()
    (sys_ / "class" / "tty" / "ttyACM0" / "device").symlink_to(acm)
    ftdi = usb("1-3", "0403", "6001", "FT232R", "ff", "ftdi_sio")
    port = ftdi / "ttyUSB0"
    port.mkdir()
    (sys_ / "bus" / "usb-serial").mkdir(parents=True)
    (port / "subsystem").symlink_to(sys_ / "bus" / "usb-serial")
    (sys_ / "class" / "tty" / "ttyUSB0").mkdir()
    (sys_ / "class" / "tty" / "ttyUSB0" / "device").symlink_to(port)
    # a USB printer (class 7) with no tty, a root hub, a legacy platform ttyS0
    lp_if = usb("1-4", "04b8", "0202", "TM-T20", "07", "usblp")
    (sys_ / "class" / "usbmisc" / "lp0").mkdir(parents=True)
    (sys_ / "class" / "usbmisc" / "lp0" / "device").symlink_to(lp_if)
    (sys_ / "bus" / "usb" / "devices" / "usb1").symlink_to(bus)
    plat = sys_ / "devices" / "platform" / "serial8250"
    plat.mkdir(parents=True)
    (sys_ / "bus" / "platform").mkdir(parents=True)
    (plat / "subsystem").symlink_to(sys_ / "bus" / "platform")
    (sys_ / "class" / "tty" / "ttyS0").mkdir()
    (sys_ / "class" / "tty" / "ttyS0" / "device").symlink_to(plat)
    return sys_


def test_serial_ports_carry_their_usb_adapter_and_skip_platform_ttys(tmp_path: Path) -> None:
    ports = serial_ports(fake_sysfs(tmp_path), Path("/dev"))
    assert [(p.path, p.ids, p.kernel_driver) for p in ports] == [
        ("/dev/ttyACM0", "1eab:0d10", "cdc_acm"), ("/dev/ttyUSB0", "0403:6001", "ftdi_sio")]
    assert ports[0].interface_classes == (2,) and ports[1].product == "FT232R"


def test_usb_devices_skip_ttys_and_hubs_and_read_hid_usage_pages(tmp_path: Path) -> None:
    found = usb_devices(fake_sysfs(tmp_path), Path("/dev"))
    assert [(d.address, d.ids, d.path, d.usage_pages, d.interface_classes) for d in found] == [
        ("usb 1-1", "0c2e:0b61", "/dev/hidraw0", (0x8C, 0x01), (3,)),
        ("usb 1-4", "04b8:0202", "/dev/usb/lp0", (), (7,))]
    assert found[1].kernel_driver == "usblp"


def test_usage_pages_read_short_items_and_skip_long_ones() -> None:
    assert usage_pages(bytes([0x05, 0x8C, 0xFE, 0x02, 0x10, 0x05, 0x8D, 0x06, 0x01, 0xFF])) \
        == (0x8C, 0xFF01)


# --- the CLI -------------------------------------------------------------------------------
@contextmanager
def printer_in_a_thread() -> Iterator[EscposSimulator]:
    with anyio.from_thread.start_blocking_portal() as portal:
        sim = EscposSimulator([("kitchen", "")])
        portal.call(sim.start)
        try:
            yield sim
        finally:
            portal.call(sim.stop)


@pytest.fixture
def only_escpos() -> Iterator[None]:
    set_plugins(facade(kassa_escpos))
    try:
        yield
    finally:
        set_plugins(None)


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, ["devices", "discover", "--no-serial", "--no-usb", *args],
                              catch_exceptions=False)


@pytest.mark.usefixtures("only_escpos")
def test_cli_says_in_russian_what_it_found_with_the_block_to_paste(tmp_path: Path) -> None:
    gone = closed_port()
    with printer_in_a_thread() as sim:
        port = sim["kitchen"].port
        res = run_cli("--host", "127.0.0.1", "--port", f"{port},{gone}",
                      "--config", str(tmp_path / "none.toml"))
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Найдено устройств: 1, не опознано: 0." in out
    assert f"127.0.0.1:{port}: принтер — ESC/POS (плагин kassa_escpos)" in out
    assert "Добавьте в kassa.toml:" in out and "    [[escpos.printers]]" in out
    assert f"Не отвечают (порт закрыт или нет ответа): 127.0.0.1:{gone}" in out
    assert "none.toml не найден" in out


@pytest.mark.usefixtures("only_escpos")
def test_cli_json_and_english(tmp_path: Path) -> None:
    toml = tmp_path / "kassa.toml"
    with printer_in_a_thread() as sim:
        port = sim["kitchen"].port
        toml.write_text(f'[escpos]\n[[escpos.printers]]\nname = "k"\nhost = "127.0.0.1"\n'
                        f"port = {port}\n", encoding="utf-8")
        res = run_cli("--host", "127.0.0.1", "--port", str(port), "--json", "-c", str(toml))
        en = run_cli("--host", "127.0.0.1", "--port", str(port), "--locale", "en",
                     "-c", str(toml))
    data = json.loads(res.output)
    assert data["found"] == [] and data["failures"] == []
    assert (data["skipped"][0]["reason"], data["skipped"][0]["detail"]) == (
        "config", "escpos.printers[0]")
    assert "Skipped so as not to disturb the hub:" in en.output
    assert f"127.0.0.1:{port} — kassa.toml configures it: escpos.printers[0]" in en.output


@pytest.mark.usefixtures("only_escpos")
def test_cli_bad_input_is_one_sentence() -> None:
    res = CliRunner().invoke(cli, ["devices", "discover", "--host", "10.0.0.5"])
    assert res.exit_code == 2 and "Укажите --port для --host" in res.output
    res = CliRunner().invoke(cli, ["devices", "discover", "--host", "h", "--port", "99999"])
    assert res.exit_code == 2 and "«99999» — не номер TCP-порта (1–65535)." in res.output


def test_cli_russian_skips_and_plugin_errors_one_line_each(tmp_path: Path) -> None:
    class Broken:
        @hookimpl
        def claim_device(self, candidate: Candidate) -> None:
            raise KeyError("oops")

    pm = new_manager(entry_points=False, extra=[kassa_escpos])
    pm.register(Broken(), name="broken")
    set_plugins(Plugins(pm))
    plain = tmp_path / "notes.txt"
    plain.write_text("x")
    try:
        with printer_in_a_thread() as sim:
            port = sim["kitchen"].port
            res = run_cli("--host", "127.0.0.1", "--port", str(port), "--device", str(plain),
                          "-c", str(tmp_path / "none.toml"))
    finally:
        set_plugins(None)
    assert res.exit_code == 0, res.output
    assert f"  {plain} — это не последовательный порт" in res.output
    assert "Ошибки плагинов (обнаружение продолжено):" in res.output
    assert res.output.count("плагин broken на") == 1
    assert f"плагин broken на 127.0.0.1:{port}: KeyError: 'oops'" in res.output
    assert "(плагин kassa_escpos)" in res.output  # the printer was still found


def test_a_port_named_twice_is_one_candidate(tmp_path: Path) -> None:
    from kassa.discovery import local_candidates

    master, slave = os.openpty()
    path = os.ttyname(slave)
    alias = tmp_path / "usb-Maker_Scale-if00"  # as /dev/serial/by-id names it
    alias.symlink_to(path)
    try:
        usable, skipped = local_candidates(serial=False, usb=False,
                                           devices=[path, str(alias)], held={})
    finally:
        os.close(master)
        os.close(slave)
    assert [c.path for c in usable] == [path] and skipped == []


@pytest.mark.usefixtures("only_escpos")
def test_cli_takes_hosts_and_ports_from_the_discovery_section(tmp_path: Path) -> None:
    toml = tmp_path / "kassa.toml"
    with printer_in_a_thread() as sim:
        port = sim["kitchen"].port
        toml.write_text(f'[discovery]\nhosts = ["127.0.0.1"]\nports = [{port}]\n',
                        encoding="utf-8")
        res = run_cli("-c", str(toml))
    assert res.exit_code == 0, res.output
    assert f"127.0.0.1:{port}: принтер — ESC/POS (плагин kassa_escpos)" in res.output
    toml.write_text('[discovery]\nhosts = ["127.0.0.1"]\nports = [70000]\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["devices", "discover", "--no-serial", "--no-usb", "-c",
                                   str(toml)])
    assert res.exit_code == 2 and "discovery: ports: 70000" in res.output
    assert "70000" in res.output and len(res.output.strip().splitlines()) == 1
