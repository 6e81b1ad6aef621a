"""CAS type 1 and Shtrih POS2: byte fixtures from the sources (fiscal.md §5.1/§5.4, the CAS
SW-II manual's RS-232C table, the r_keeper s_cas.dll page, shtrih-m/jpos_scale), the
emulators' link layers byte by byte, and the drivers through their faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import anyio
import pytest
from kassa.errors import RetryLater
from kassa.model import Health
from kassa_scales import cas, pos2
from kassa_scales.reading import ProtocolError, ScaleRefused
from kassa_scales.scale import PosScale
from kassa_scales.settings import ScaleSettings
from kassa_scales.sim import CasType1Emulator, Curve, Pos2Emulator, ScaleSimulator

pytestmark = pytest.mark.anyio
PASSWORD = b"0030"


# --- CAS type 1 ---------------------------------------------------------------------------
def test_cas_type1_frame_as_the_sources_lay_it_out() -> None:
    # SOH STX STA SIGN W5..W0 UN1 UN2 BCC ETX EOT; 1.500 kg stable; BCC = XOR of STA..UN2
    body = b"S 01.500kg"
    bcc = 0
    for b in body:
        bcc ^= b
    frame = b"\x01\x02" + body + bytes([bcc]) + b"\x03\x04"
    assert len(frame) == cas.TYPE1_LEN == 15
    assert cas.encode_type1(Decimal(1500)) == frame
    r = cas.decode_type1(frame)
    assert (r.grams, r.stable, r.overload) == (Decimal(1500), True, False)
    # SOH with its high bit (r_keeper's driver reads 0x01 or 0x81), KG / LB upper case (SW-II)
    assert cas.decode_type1(b"\x81" + frame[1:]).grams == 1500
    upper = b"U-00.250KG"
    r = cas.decode_type1(b"\x01\x02" + upper + bytes([cas.bcc(upper)]) + b"\x03\x04")
    assert (r.grams, r.stable, r.underload) == (Decimal(-250), False, True)
    lb = b"S 02.000LB"
    assert cas.decode_type1(b"\x01\x02" + lb + bytes([cas.bcc(lb)]) + b"\x03\x04").grams \
        == Decimal("907.18474")


@pytest.mark.parametrize("broken", [
    lambda f: f[:12] + bytes([f[12] ^ 1]) + f[13:],  # BCC
    lambda f: f[:1] + b"\x03" + f[2:],  # no STX
    lambda f: f[:-1] + b"\x00",  # no EOT
    lambda f: f[:2] + b"X" + f[3:],  # STA neither S nor U
    lambda f: f[:14],  # short
])
def test_cas_type1_refuses_broken_frames(broken: Any) -> None:
    with pytest.raises(ProtocolError):
        cas.decode_type1(broken(cas.encode_type1(Decimal(1500))))


def test_cas_type1_emulator_handshake() -> None:
    emu = CasType1Emulator(Curve.steady(700))
    assert emu.feed(b"\x11") == b""  # DC1 before ENQ: nothing
    assert "DC1 without ENQ" in emu.rejected[-1]
    assert emu.feed(b"\x05") == b"\x06"
    assert emu.feed(b"\x11") == cas.encode_type1(Decimal(700))
    assert emu.feed(b"\x11") == b""  # one frame an ENQ
    emu.busy = 1
    assert emu.feed(b"\x05") == b"\x15"  # NAK: not ready
    assert emu.feed(b"\x05\x11") == b"\x06" + cas.encode_type1(Decimal(700))
    assert emu.feed(b"W") == b""  # the PD-II poll means nothing here


@asynccontextmanager
async def running(emu: Any, *, pty: bool = False,
                  **kw: Any) -> AsyncIterator[tuple[PosScale, ScaleSimulator]]:
    sim = ScaleSimulator(emu, pty=pty)
    await sim.start()
    scale = PosScale(sim.settings(**kw))
    await scale.start()
    try:
        yield scale, sim
    finally:
        await scale.stop()
        await sim.stop()


async def test_cas_type1_driver_asks_again_while_not_ready() -> None:
    emu = CasType1Emulator(Curve.steady(1250))
    async with running(emu) as (scale, _):
        assert scale.settings.variant == "type1"
        emu.busy = 2
        w = await scale.read()
        assert w.grams == 1250 and w.stable
        emu.busy = 3  # never ready: one sentence, nothing weighed
        with pytest.raises(RetryLater, match="не готовы передать вес"):
            await scale.read()
        assert scale.status().health is Health.DOWN
        assert (await scale.read()).grams == 1250


def test_cas_variant_is_a_setting_of_cas_only() -> None:
    assert ScaleSettings(name="a", protocol="cas", host="h").variant == "pdii"
    with pytest.raises(ValueError, match="variant 'type2' is not one of cas's"):
        ScaleSettings(name="a", protocol="cas", host="h", variant="type2")
    with pytest.raises(ValueError, match="it has none"):
        ScaleSettings(name="a", protocol="mtsics", host="h", variant="type1")


# --- Shtrih POS2 --------------------------------------------------------------------------
def test_pos2_command_frame_is_the_java_drivers() -> None:
    # ShtrihMProtocolSerial.writeCommand: STX, LEN = data + 1, CMD, data, ScaleCommand.getCRC
    # (LEN ^ XOR(data) ^ CMD); Pos2Serial.readWeight writes the password as 4 ASCII digits
    assert pos2.frame(pos2.READ_WEIGHT, PASSWORD) == bytes.fromhex("02 05 3a 30 30 33 30 3c")
    assert pos2.frame(pos2.CHANNEL_NUMBER) == bytes.fromhex("02 01 ea eb")
    assert pos2.unframe(bytes.fromhex("02 05 3a 30 30 33 30 3c")) == (0x3A, PASSWORD)
    with pytest.raises(pos2.BadLrc):
        pos2.unframe(bytes.fromhex("02 05 3a 30 30 33 30 3d"))


def test_pos2_status_bits_are_scalestatus_java() -> None:
    ch = pos2.Channel(flags=0, decimal_point=3, power=-3, max_weight=15000, min_weight=40,
                      max_tare=6000, ranges=(6000, 15000, 0), resolution=(2, 5, 0, 0),
                      points=3, calibrations=1)
    assert pos2.Channel.decode(ch.encode()) == ch and len(ch.encode()) == 22
    on, stable = pos2.CHANNEL_ON, pos2.STABLE
    r = pos2.decode_weight(pos2.encode_weight(on | stable | pos2.FIXED, 1250, 300), ch)
    assert (r.grams, r.tare, r.stable) == (Decimal(1250), Decimal(300), True)
    assert not pos2.decode_weight(pos2.encode_weight(on, 1250, 0), ch).stable
    assert pos2.decode_weight(pos2.encode_weight(on | pos2.OVERLOAD, 0, 0), ch).overload
    assert pos2.decode_weight(pos2.encode_weight(on | pos2.UNDERLOAD, -20, 0), ch).underload
    for bad, text in [(0, "канал выключен"), (on | pos2.NO_ADC, "Нет ответа от АЦП"),
                      (on | pos2.MEASURE_ERROR, "ошибка при получении")]:
        with pytest.raises(ScaleRefused, match=text):
            pos2.decode_weight(pos2.encode_weight(bad, 5, 0), ch)
    # 10 g channel values (power -2): ChannelParams.getWeigthValue = value * 10**power kg
    ten = pos2.Channel.decode(ch.encode()[:3] + bytes([0xFE]) + ch.encode()[4:])
    assert ten.power == -2 and ten.grams(125) == 1250
    assert pos2.answer_data(0x3A, (0x3A, b"\x00\x01")) == b"\x01"
    with pytest.raises(ScaleRefused, match="Неверный пароль"):
        pos2.answer_data(0x3A, (0x3A, bytes([122])))
    with pytest.raises(ProtocolError, match="answer to 0x30"):
        pos2.answer_data(0x3A, (0x30, b"\x00"))


def test_pos2_emulator_link_layer_byte_for_byte() -> None:
    emu = Pos2Emulator(Curve.steady(1250))
    assert emu.feed(b"\x05") == b"\x15"  # idle: NAK
    assert emu.feed(b"\x00") == b"\x15"  # a NUL probe too
    request = pos2.frame(pos2.READ_WEIGHT, PASSWORD)
    status = pos2.CHANNEL_ON | pos2.STABLE | pos2.FIXED
    answer = pos2.frame(pos2.READ_WEIGHT, b"\x00" + pos2.encode_weight(status, 1250, 0))
    assert emu.feed(request) == b"\x06" + answer
    # the answer lost: ENQ gets it again (ACK first), and the command is not run twice
    assert emu.feed(b"\x05") == b"\x06" + answer
    assert emu.commands == [pos2.READ_WEIGHT]
    assert emu.feed(b"\x06") == b"" and emu.feed(b"\x05") == b"\x15"  # taken: idle again
    bad = request[:-1] + bytes([request[-1] ^ 1])
    assert emu.feed(bad) == b"\x15" and emu.commands == [pos2.READ_WEIGHT]  # NAK, not run
    assert emu.feed(request[:4]) == b""  # half a frame ...
    assert emu.feed(request[4:]) == b"\x06" + answer  # ... and the rest in time
    emu.feed(b"\x06")
    wrong = pos2.frame(pos2.READ_WEIGHT, b"1111")
    assert emu.feed(wrong) == b"\x06" + pos2.frame(pos2.READ_WEIGHT, bytes([122]))
    emu.feed(b"\x06")
    assert emu.feed(pos2.frame(0x99)) == b"\x06" + pos2.frame(0x99, bytes([120]))
    emu.feed(b"\x06")
    assert emu.feed(pos2.frame(pos2.CHANNEL_PARAMS, b"\x01")) == b"\x06" + pos2.frame(
        pos2.CHANNEL_PARAMS, bytes([185]))  # there is no channel 1
    emu.feed(b"\x06")
    emu.silent = True  # "disconnected": not a byte back
    assert emu.feed(b"\x05") == b""


def test_pos2_emulator_drops_a_frame_cut_by_the_byte_timeout() -> None:
    import time

    emu = Pos2Emulator(Curve.steady(100))
    request = pos2.frame(pos2.READ_WEIGHT, PASSWORD)
    assert emu.feed(request[:4]) == b""
    time.sleep(emu.byte_timeout * 2)
    assert emu.feed(request[4:]) == b""  # the tail alone is no frame
    assert "timeout" in emu.rejected[0] and emu.commands == []


@pytest.mark.parametrize("pty", [False, True], ids=["tcp", "pty"])
async def test_pos2_driver_repeats_a_broken_answer_not_the_command(pty: bool) -> None:
    emu = Pos2Emulator(Curve.steady(1250))
    async with running(emu, pty=pty) as (scale, _):
        assert (await scale.read()).grams == 1250
        weighed = emu.commands.count(pos2.READ_WEIGHT)
        emu.corrupt = 1  # a line error on the way back
        w = await scale.read()
        assert w.grams == 1250 and scale.status().health is Health.OK
        assert emu.commands.count(pos2.READ_WEIGHT) == weighed + 1  # asked again, run once
        assert emu.commands[:2] == [pos2.CHANNEL_NUMBER, pos2.CHANNEL_PARAMS]


async def test_pos2_driver_takes_a_pending_answer_first() -> None:
    emu = Pos2Emulator(Curve.steady(500))
    async with running(emu) as (scale, _):
        emu.feed(pos2.frame(pos2.DEVICE_TYPE))  # an answer nobody took (a timed-out call)
        assert emu.pending is not None
        assert (await scale.read()).grams == 500
        for _ in range(250):  # the driver's last ACK is on its way to the emulator
            if emu.pending is None:
                break
            await anyio.sleep(0.02)
        assert emu.pending is None
        assert emu.commands == [pos2.DEVICE_TYPE, pos2.CHANNEL_NUMBER, pos2.CHANNEL_PARAMS,
                                pos2.READ_WEIGHT]


async def test_pos2_channel_values_in_tens_of_grams() -> None:
    async with running(Pos2Emulator(Curve.steady(1250), power=-2)) as (scale, _):
        w = await scale.read()
        assert w.grams == 1250 and w.kg == pytest.approx(1.25)


async def test_pos2_wrong_password_and_silence_are_one_sentence_each() -> None:
    emu = Pos2Emulator(Curve.steady(800), password="0031")
    async with running(emu) as (scale, _):
        with pytest.raises(RetryLater, match="Неверный пароль") as info:
            await scale.read()
        assert scale.status().health is Health.DOWN
        assert str(info.value).startswith("Весы «scale» отказали: 122: Неверный пароль")
        emu.password = "0030"
        assert (await scale.read()).grams == 800
        emu.silent = True
        with pytest.raises(RetryLater, match="не отвечают"):
            await scale.read()


def test_simulate_cas_type1_from_the_shell(tmp_path: Any) -> None:
    import socket

    from kassa.testing.simulator_cli import read_block, start_simulate

    proc = start_simulate("scales", tmp_path, "--port", "0", "--protocol", "cas", "--variant",
                          "type1", "--weight", "321")
    try:
        block = read_block(proc, until="# Ctrl+C")
        assert 'variant = "type1"' in block
        port = next(int(ln.split("=")[1]) for ln in block.splitlines()
                    if ln.startswith("port = "))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"\x05")
            assert sock.recv(8) == b"\x06"
            sock.sendall(b"\x11")
            got = b""
            while len(got) < cas.TYPE1_LEN:
                got += sock.recv(64)
            assert got == cas.encode_type1(Decimal(321))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_variant_for_another_protocol_is_refused(tmp_path: Any) -> None:
    from kassa.testing.simulator_cli import start_simulate

    proc = start_simulate("scales", tmp_path, "--port", "0", "--protocol", "mtsics",
                          "--variant", "type1")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "mtsics has no variants" in err
