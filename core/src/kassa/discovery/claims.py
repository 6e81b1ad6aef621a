"""Claiming: the passive round, then one driver at a time per port; and ``discover``, which
runs the interfaces and claims every candidate (different ports in parallel)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
from attrs import evolve

from kassa.discovery.interfaces import expand_hosts, local_candidates, resolve_held, tcp_open
from kassa.discovery.probe import PortProbe
from kassa.discovery.values import (
    Candidate,
    Claim,
    Failure,
    Found,
    ProbeRefused,
    Result,
    Skip,
)
from kassa.plugins import Plugins, await_me_maybe


def _rank(c: Claim) -> tuple[int, str]:
    return (-c.confidence, c.plugin)


async def claim(candidate: Candidate, claimers: Sequence[tuple[str, Any]], *,
                locale: str = "ru", wait: float = 0.3, per_driver: float = 10.0,
                failures: list[Failure] | None = None) -> Found:
    """Ask every claimer passively; if nobody claims, actively one at a time (name order)
    until one does. A claimer that raises, or takes over ``per_driver`` seconds, is one
    line in ``failures``, never the end."""
    failures = failures if failures is not None else []
    order = sorted(claimers, key=lambda pc: pc[0])
    broken: set[str] = set()  # failed once: not given the port, not reported twice

    async def ask(plugin: str, fn: Any, active: bool) -> Claim | None:
        probe = PortProbe(candidate, active=active, locale=locale, wait=wait)
        try:
            got = None
            with anyio.move_on_after(per_driver) as scope:
                got = await await_me_maybe(lambda: fn(candidate=candidate, probe=probe))
            if scope.cancelled_caught:
                raise TimeoutError(f"no answer in {per_driver:g} s")
        except ProbeRefused:
            return None  # a driver that probes in the passive round simply has no claim yet
        except Exception as exc:  # a driver's bug: reported, discovery goes on
            broken.add(plugin)
            failures.append(Failure(plugin, candidate.address, f"{type(exc).__name__}: {exc}"))
            return None
        finally:
            await anyio.to_thread.run_sync(probe.close)
        if got is None:
            return None
        if not isinstance(got, Claim):
            failures.append(Failure(plugin, candidate.address,
                                    f"answered {type(got).__name__}, not a Claim"))
            return None
        return evolve(got, plugin=plugin)

    passive = [c for plugin, fn in order if (c := await ask(plugin, fn, False))]
    if passive:
        ranked = sorted(passive, key=_rank)
        return Found(candidate, ranked[0], tuple(ranked[1:]))
    if candidate.transport == "usb":
        # passive only: a write to a hidraw node is a HID output report, not a status request
        return Found(candidate, None)
    for plugin, fn in order:
        if plugin in broken:
            continue
        got = await ask(plugin, fn, True)
        if got is not None:
            return Found(candidate, got)
    return Found(candidate, None)


async def discover(plugins: Plugins, *, hosts: Sequence[str] = (), ports: Sequence[int] = (),
                   serial: bool = True, usb: bool = True, devices: Sequence[str] = (),
                   held: Mapping[str, str] | None = None, locale: str = "ru",
                   wait: float = 0.3, connect_within: float = 0.5, per_driver: float = 10.0,
                   sysfs: Path = Path("/sys"), dev: Path = Path("/dev"),
                   proc: Path = Path("/proc"), parallel: int = 8) -> Result:
    """Find candidates on every interface asked for, skip what the hub holds, claim the
    rest (different ports in parallel, one driver at a time per port). ``wait``: seconds a
    probe waits for an answer; ``connect_within``: for a TCP connect."""
    held = dict(held or {})
    usable, skipped = await anyio.to_thread.run_sync(lambda: local_candidates(
        serial=serial, usb=usb, devices=devices, held=held, sysfs=sysfs, dev=dev, proc=proc))
    closed: list[str] = []
    reached: dict[tuple[str, int], str] = {}  # (peer address, port) -> the address used
    if hosts:
        held = await resolve_held(held)
    limit = anyio.Semaphore(parallel)

    async def check(host: str, port: int) -> None:
        address = f"{host}:{port}"
        c = Candidate(transport="tcp", address=address, host=host, port=port)
        if address in held:
            skipped.append(Skip(c, "config", held[address]))
            return
        async with limit:
            peer = await tcp_open(host, port, connect_within)
        if peer is None:
            closed.append(address)
        elif f"{peer}:{port}" in held:
            skipped.append(Skip(c, "config", held[f"{peer}:{port}"]))
        elif (peer, port) in reached:  # one device under two names: probed once
            skipped.append(Skip(c, "same", reached[peer, port]))
        else:
            reached[peer, port] = address
            usable.append(c)

    async with anyio.create_task_group() as tg:
        for host in expand_hosts(hosts):
            for port in ports:
                tg.start_soon(check, host, port)
    claimers = plugins.device_claimers()
    failures: list[Failure] = []
    found: dict[str, Found] = {}

    async def one(c: Candidate) -> None:
        async with limit:
            found[c.address] = await claim(c, claimers, locale=locale, wait=wait,
                                           per_driver=per_driver, failures=failures)

    async with anyio.create_task_group() as tg:
        for c in usable:
            tg.start_soon(one, c)
    local = {c.address: i for i, c in enumerate(usable) if c.transport != "tcp"}
    return Result(found=tuple(sorted(found.values(), key=lambda f: (
                      f.claim is None, local.get(f.candidate.address, len(local)),
                      f.candidate.host, f.candidate.port))),
                  skipped=tuple(skipped), closed=tuple(sorted(closed)),
                  failures=tuple(sorted(failures, key=lambda f: (f.address, f.plugin))))
