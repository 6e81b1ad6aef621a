"""``kassa demo --chain``: a chain of shops under a central node, on real engines.

The centre is a hub in this process on PostgreSQL (a fresh schema, dropped at the end) with
its own nats-server (JetStream domain ``hub``, a leafnodes listener); each store is made by
``kassa chain store new``'s function from one template (its ``kassa.toml`` and
``nats-leaf.conf`` in the demo's folder), gets its own leaf nats-server and runs as a
separate process (``python -m kassa_pos.chain.demo_store``): a hub on its own SQLite with the
simulated shop selling at two tills against the ATOL emulator, and the chain's store
service sending every sale, return, shift and audit event up. One store's leaf is killed for
a while and started again: the store goes on selling with its offline banner, the centre
raises ``site_offline`` / ``site_online``, and the store catches up on its own.

With the console the operator watches it (``s`` Stores: lag, link, documents; ``k`` back
office). ``--headless`` closes the shops after ``--seconds``, waits until the centre has
caught up, and compares each store's own totals (its SQLite) with the centre's
(PostgreSQL): exit 0 when every store's sales and returns match, 1 otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs
import click
import sqlalchemy as sa

from kassa_pos.chain.config import stream_name, write_store
from kassa_pos.chain.demo_texts import TEXT

log = logging.getLogger("kassa_pos.chain.demo")
STORES = (("M1", "Магазин на Ленина"), ("M2", "Магазин на Мира"),
          ("M3", "Магазин у вокзала"))
CUT = 1  # the store whose link is cut (the second)
TZ = "Europe/Moscow"
PACE = 0.5  # shoppers per real second per store: three stores and a centre on a small box

# what every store is made from (`kassa chain store new --from`): the demo shop's own [pos]
# comes from its simulator, so the template only says it is a pos store
TEMPLATE = """\
# The chain demo's store template (kassa chain store new --from this file).
[pos]
"""


def say(locale: str, key: str, **kw: Any) -> str:
    return TEXT.get(locale, TEXT["ru"])[key].format(**kw)


class ChainDemo:
    """The ``register_demos`` component: ``kassa demo --chain``."""

    name = "chain"

    def command(self) -> click.Command:
        return chain_command


@attrs.frozen(kw_only=True)
class ChainOptions:
    pg: str
    stores: int = 3
    headless: bool = False
    seconds: float = 60.0
    locale: str = "ru"
    cut_after: float | None = None  # None: a third of the run (headless) or 30 s
    cut_for: float | None = None  # None: a third of the run, at least 20 s (headless) or 30 s
    catch_up_s: float = 120.0
    work_dir: Path | None = None  # None: a temporary folder, removed at the end


def die_with_parent() -> None:
    """In a child before exec: SIGTERM when the demo dies, however (Linux's
    PR_SET_PDEATHSIG), so no store or NATS server outlives a killed demo."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the demo's finally stops them
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_port(port: int, within: float = 15.0) -> None:
    with anyio.fail_after(within):
        while True:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.1)
                continue
            await stream.aclose()
            return


class NatsServer:
    """A nats-server process of the demo (the centre's or a store's leaf)."""

    def __init__(self, conf: Path, port: int) -> None:
        self.conf, self.port = conf, port
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        log_file = self.conf.with_suffix(".log")
        self.proc = subprocess.Popen(["nats-server", "-c", str(self.conf), "-l", str(log_file)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=die_with_parent)

    async def start(self) -> None:
        self.launch()
        await wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@attrs.define
class StoreProc:
    """One store: its folder (kassa.toml, nats-leaf.conf, kassa.db, store.log), its leaf
    server and its hub process."""

    code: str
    name: str
    folder: Path
    leaf: NatsServer
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "store.log"

    def spawn(self, *, close_at: float, locale: str, seed: int) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kassa_pos.chain.demo_store", str(self.folder), self.code,
             self.name, f"{close_at:.3f}", locale, str(seed), str(PACE)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent)
        out.close()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def totals(self) -> tuple[int, int, int, int]:
        """(sales, their sum, returns done, their sum) in the store's own SQLite."""
        db = self.folder / "kassa.db"
        if not db.exists():
            return (0, 0, 0, 0)
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True,
                                                timeout=10)) as c:
            try:
                s = c.execute("SELECT count(*), coalesce(sum(total), 0) FROM pos_pay_sale "
                              "WHERE site = ?", (self.code,)).fetchone()
                r = c.execute("SELECT count(*), coalesce(sum(total), 0) FROM pos_pay_return "
                              "WHERE site = ? AND status = 'done'", (self.code,)).fetchone()
            except sqlite3.OperationalError:  # its tables are not made yet
                return (0, 0, 0, 0)
        return (int(s[0]), int(s[1]), int(r[0]), int(r[1]))


def psycopg_url(url: str) -> str:
    """SQLAlchemy's async psycopg form of a PostgreSQL URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextlib.asynccontextmanager
async def pg_schema(url: str, locale: str) -> AsyncIterator[str]:
    """A fresh schema for the centre, dropped afterwards; one sentence if PG is away."""
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"kassa_demo_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url, connect_args={"connect_timeout": 5})
    try:
        with anyio.fail_after(10):
            async with admin.begin() as c:
                await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except Exception as exc:
        await admin.dispose()
        why = getattr(exc, "orig", None) or exc  # the driver's words, not SQLAlchemy's wrap
        raise click.ClickException(say(locale, "pg_down", url=safe_url(url),
                                       error=str(why).splitlines()[0].rstrip("."))) from None
    try:
        yield schema
    finally:
        with anyio.CancelScope(shield=True):
            try:
                async with admin.begin() as c:
                    await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            finally:
                await admin.dispose()


def safe_url(url: str) -> str:
    """The URL without its password."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def centre_config(o: ChainOptions, stores: Sequence[StoreProc], *, pg: str, nats: str,
                  folder: Path) -> dict[str, Any]:
    return {
        "hub": {"name": "kassa-chain-centre", "locale": o.locale, "data_dir": str(folder)},
        "store": {"url": pg},
        "api": {"port": 0, "token": "demo"},
        "sites": [{"code": s.code, "name": s.name, "timezone": TZ} for s in stores],
        "pos": {"chain": {"nats": nats, "centre": True, "stores": [s.code for s in stores],
                          "offline_after": 10}},
    }


async def centre_totals(engine: Any) -> dict[str, tuple[int, int, int, int]]:
    """Per store (sales, sum, returns, sum) as the centre has them in PostgreSQL."""
    q = sa.text("SELECT store, kind, count(*), coalesce(sum(((body::jsonb)->>'total')::bigint),"
                " 0) FROM pos_chain_doc WHERE kind IN ('sale', 'return') GROUP BY store, kind")
    out: dict[str, list[int]] = {}
    async with engine.connect() as c:
        for store, kind, n, total in (await c.execute(q)).all():
            row = out.setdefault(str(store), [0, 0, 0, 0])
            at = 0 if kind == "sale" else 2
            row[at], row[at + 1] = int(n), int(total)
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}


async def wait_streams(nats_url: str, stores: Sequence[StoreProc], locale: str,
                       within: float = 90.0) -> None:
    """Until each store's stream answers through the hub (the store's hub is up, its
    service made the stream in its domain, its leaf is linked)."""
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(nats_url, connect_timeout=3, max_reconnect_attempts=1)
    try:
        deadline = time.monotonic() + within
        for s in stores:
            js = nc.jetstream(domain=s.code)
            while True:
                if s.proc is not None and s.proc.poll() is not None:
                    raise click.ClickException(say(locale, "store_died", code=s.code,
                                                   rc=s.proc.returncode, log=s.log))
                try:
                    await js.stream_info(stream_name(s.code))
                    break
                except (NotFoundError, nats.errors.TimeoutError, nats.errors.NoRespondersError):
                    pass
                except Exception as exc:  # the JetStream API of a leaf still joining
                    log.debug("store %s stream: %s", s.code, exc)
                if time.monotonic() > deadline:
                    raise click.ClickException(say(locale, "store_silent", code=s.code,
                                                   s=int(within), log=s.log))
                await anyio.sleep(0.5)
    finally:
        await nc.close()


def rows(stores: Sequence[StoreProc], central: Mapping[str, tuple[int, int, int, int]],
         locale: str) -> tuple[list[str], bool]:
    from kassa.model.money import format_money

    lines, ok = [], True
    for s in stores:
        mine, theirs = s.totals(), central.get(s.code, (0, 0, 0, 0))
        same = mine == theirs
        ok = ok and same
        lines.append(say(locale, "row", code=s.code, sold=mine[0],
                         sold_sum=format_money(mine[1], locale), back=mine[2],
                         back_sum=format_money(mine[3], locale), c_sold=theirs[0],
                         c_sold_sum=format_money(theirs[1], locale), c_back=theirs[2],
                         c_back_sum=format_money(theirs[3], locale),
                         ok=say(locale, "same" if same else "differs")))
    return lines, ok


async def link_alerts(hub: Any) -> list[str]:
    return [f"{e.kind} {e.site}" for e in await hub.events()
            if e.kind in ("site_offline", "site_online")]


async def run_chain(o: ChainOptions) -> int:
    from kassa.config import parse
    from kassa.hub import Hub
    from kassa.plugins import get_plugins

    if shutil.which("nats-server") is None:
        raise click.ClickException(say(o.locale, "no_nats"))
    pg = psycopg_url(o.pg)
    own = o.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="kassa-chain-demo-")) if own else Path(str(o.work_dir))
    work.mkdir(parents=True, exist_ok=True)
    procs: list[StoreProc] = []
    nats_hub: NatsServer | None = None
    result = 1
    try:
        async with pg_schema(pg, o.locale) as schema:
            hub_port, leaf_listen = free_port(), free_port()
            hub_conf = work / "nats-hub.conf"
            hub_conf.write_text(
                f"# The chain demo's central NATS (JetStream domain hub).\n"
                f"server_name: kassa-centre\nlisten: 127.0.0.1:{hub_port}\n"
                f'jetstream {{ domain: hub, store_dir: "{work / "hub-js"}" }}\n'
                f"leafnodes {{ listen: 127.0.0.1:{leaf_listen} }}\n", encoding="utf-8")
            nats_hub = NatsServer(hub_conf, hub_port)
            await nats_hub.start()
            nats_url = f"nats://127.0.0.1:{hub_port}"
            template = work / "store-template.toml"
            template.write_text(TEMPLATE, encoding="utf-8")
            for code, name in STORES[:o.stores]:
                port = free_port()
                folder = work / code
                _, leaf_conf = write_store(template, code, f"nats://127.0.0.1:{leaf_listen}",
                                           folder, tills=2, leaf_port=port)
                procs.append(StoreProc(code=code, name=name, folder=folder,
                                       leaf=NatsServer(leaf_conf, port)))
            click.echo(say(o.locale, "start", pg=safe_url(pg), schema=schema, hub=nats_url,
                           stores=", ".join(f"{s.code} {s.name}" for s in procs), dir=work))
            started = time.time()
            # the shops sell for the run, counted from when they are up (~10-20 s to start)
            close_at = started + 20 + o.seconds if o.headless else 0.0
            for n, s in enumerate(procs):
                await s.leaf.start()
                s.spawn(close_at=close_at, locale=o.locale, seed=7 + n)
            await wait_streams(nats_url, procs, o.locale)
            settings = parse(centre_config(o, procs, pg=with_schema(pg, schema), nats=nats_url,
                                           folder=work / "centre"),
                             sections=get_plugins().settings_sections(), file="chain demo")
            async with Hub(settings, plugins=get_plugins()) as hub:
                result = await _run(o, hub, procs, close_at)
                return result
    finally:
        for s in procs:
            s.stop()
            s.leaf.stop()
        if nats_hub is not None:
            nats_hub.stop()
        if own and (result == 0 or not procs):
            shutil.rmtree(work, ignore_errors=True)
        elif own:  # the stores' logs say what went wrong
            click.echo(say(o.locale, "kept", dir=work), err=True)


async def _run(o: ChainOptions, hub: Any, procs: list[StoreProc], close_at: float) -> int:
    from kassa.runner import attach_console

    third = o.seconds / 3 if o.headless else 30.0
    cut_after = third if o.cut_after is None else o.cut_after
    # long enough for the centre's site_offline (offline_after = 10 s) and then site_online
    cut_for = max(third, 20.0) if o.cut_for is None else o.cut_for
    cut = procs[CUT % len(procs)]

    async def cut_and_restore() -> None:
        await anyio.sleep(cut_after)
        cut.leaf.stop()
        click.echo(say(o.locale, "cut", code=cut.code))
        await anyio.sleep(cut_for)
        await cut.leaf.start()
        click.echo(say(o.locale, "restore", code=cut.code))

    async with anyio.create_task_group() as tg:
        tg.start_soon(cut_and_restore)
        if not o.headless:
            await attach_console(hub, o.locale)
            tg.cancel_scope.cancel()
            return 0
        await anyio.sleep(max(0.0, close_at - time.time()) + 3)
        tg.cancel_scope.cancel()
    if cut.leaf.proc is None:  # a run too short for the restore: the link comes back now
        await cut.leaf.start()
    click.echo(say(o.locale, "closed"))
    closed = time.monotonic()
    central: Mapping[str, tuple[int, int, int, int]] = {}
    caught = False
    while time.monotonic() - closed < o.catch_up_s:
        central = await centre_totals(hub.engine)
        if all(s.totals() == central.get(s.code) for s in procs):
            caught = True
            break
        await anyio.sleep(1)
    click.echo(say(o.locale, "caught", s=time.monotonic() - closed) if caught
               else say(o.locale, "behind", s=o.catch_up_s))
    lines, ok = rows(procs, central, o.locale)
    for line in lines:
        click.echo(line)
    alerts = await link_alerts(hub)
    click.echo(say(o.locale, "alerts", alerts=", ".join(alerts) or say(o.locale, "none")))
    ok = ok and all(s.totals()[0] > 0 for s in procs)  # every shop sold something
    click.echo(say(o.locale, "ok" if ok else "bad"))
    return 0 if ok else 1


@click.command("chain", help="Демо сети магазинов: центр на PostgreSQL, магазины отдельными "
                             "процессами со своими SQLite и leaf-серверами NATS / a chain of "
                             "shops on real engines")
@click.option("--pg", envvar="KASSA_DEMO_PG", default=None,
              help="PostgreSQL центра (или KASSA_DEMO_PG) / the centre's PostgreSQL URL")
@click.option("--stores", default=3, show_default=True, type=click.IntRange(2, len(STORES)))
@click.option("--headless", is_flag=True, help="без консоли: итоги в конце / no console")
@click.option("--seconds", default=60.0, show_default=True,
              help="сколько торгуют магазины без консоли / how long the shops sell headless")
@click.option("--cut-after", type=float, default=None,
              help="через сколько секунд оборвать связь магазина M2 / when M2's link is cut")
@click.option("--cut-for", type=float, default=None,
              help="на сколько секунд / for how long")
@click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
@click.option("-v", "--verbose", is_flag=True)
def chain_command(pg: str | None, stores: int, headless: bool, seconds: float,
                  cut_after: float | None, cut_for: float | None, locale: str,
                  verbose: bool) -> None:
    if headless or verbose:
        logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if not pg:
            raise click.ClickException(say(locale, "no_pg"))
        opts = ChainOptions(pg=pg, stores=stores, headless=headless, seconds=seconds,
                            locale=locale, cut_after=cut_after, cut_for=cut_for)
        code = anyio.run(run_chain, opts)
    except click.ClickException as exc:  # one sentence, in the demo's language
        click.echo(exc.message, err=True)
        sys.exit(2)
    sys.exit(code)


__all__ = ["ChainDemo", "ChainOptions", "chain_command", "run_chain"]
