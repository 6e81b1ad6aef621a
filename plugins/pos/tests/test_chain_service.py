"""The chain's hub services without a NATS server: the store's round (number, publish, the
link the till reads) against a fake JetStream, the centre's reach alerts with a fake clock,
the Stores screen's data and texts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from kassa.model import Event
from kassa.testing import FakeClock, eventually, make_hub
from kassa_pos.chain import link, service
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.engine import pay_tables

pytestmark = pytest.mark.anyio
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
URL = "nats://kassa:s3cr3t-pw@127.0.0.1:4999"


class FakeJS:
    def __init__(self, net: FakeNet) -> None:
        self.net = net

    async def stream_info(self, name):
        from nats.js.errors import NotFoundError

        if name not in self.net.streams:
            raise NotFoundError
        return name

    async def add_stream(self, cfg):
        self.net.streams[cfg.name] = list(cfg.subjects)

    async def publish(self, subject, data, *, headers, timeout):  # noqa: ASYNC109 (nats')
        if self.net.down:
            import nats.errors

            raise nats.errors.ConnectionClosedError
        self.net.published.append((subject, ChainDoc.decode(data), headers["Nats-Msg-Id"]))


class FakeNC:
    def __init__(self, net: FakeNet) -> None:
        self.net = net

    def jetstream(self, domain=None):
        self.net.domains.append(domain)
        return FakeJS(self.net)

    async def close(self):
        self.net.closed += 1


class FakeNet:
    """The store's NATS server as the service sees it: up or down."""

    def __init__(self) -> None:
        self.down = False
        self.streams: dict[str, list[str]] = {}
        self.published: list[tuple[str, ChainDoc, str]] = []
        self.domains: list[str | None] = []
        self.urls: list[str] = []
        self.closed = 0

    async def connect(self, url: str):
        self.urls.append(url)
        if self.down:
            raise OSError(f"connect to {url} refused")
        return FakeNC(self)


def _link(hub) -> Any:
    return link.link(hub)  # untyped here: each test knows the link is recorded


def sale(n: int, site: str = "S01") -> dict[str, object]:
    return {"check_id": f"c{n}", "key": f"k{n}", "site": site, "till": "S01-T1",
            "total": 100 * n, "change": 0, "issued_at": AT.replace(minute=n),
            "document": "{}", "receipt": "{}"}


def store_config(**chain: object) -> dict[str, object]:
    return {"sites": [{"code": "S01"}],
            "pos": {"store": "S01", "chain": {"nats": URL, "interval": 60, **chain}}}


@pytest.fixture
def net(monkeypatch):
    n = FakeNet()
    monkeypatch.setattr(service, "connect", n.connect)
    return n


async def test_a_pos_event_wakes_the_store_service_which_publishes_and_records_the_link(
        tmp_path, net):
    import kassa_pos

    async with make_hub(store_config(), tmp_path, plugins=[kassa_pos]) as hub:
        svc = hub.state(link.OWNER)["service"]
        await eventually(lambda: _link(hub) is not None, within=5)
        assert _link(hub).online and _link(hub).pending == 0
        rounds = svc.rounds
        async with hub.store.write() as c:
            await c.execute(pay_tables.sale.insert(), [sale(1), sale(2)])
        # interval is 60 s: only the event can start the round this fast
        await hub.emit(Event.of(site="S01", kind="pos_check_closed", source_key="close-2",
                                occurred_at=AT.replace(minute=3), station="S01-T1"))
        # the round is counted once it has returned, a moment after its last publish
        await eventually(lambda: len(net.published) >= 3 and svc.rounds > rounds, within=5)
    subjects = {s for s, _, _ in net.published}
    assert subjects == {"chain.S01.S01-T1"}
    ids = [i for _, _, i in net.published]
    assert ids[:2] == ["sale:c1", "sale:c2"] and ids[2].startswith("audit:")
    assert [d.seq for _, d, _ in net.published] == [1, 2, 3]
    assert net.streams == {"CHAIN_S01": ["chain.S01.>"]}  # created once, in its domain
    assert set(net.domains) == {"S01"}
    assert net.urls[0] == URL
    assert net.closed >= 1  # the hub's shutdown closed the connection


async def test_with_the_store_nats_down_the_link_is_offline_without_the_password_then_back(
        tmp_path, net):
    import kassa_pos

    clock = FakeClock(AT)
    async with make_hub(store_config(), tmp_path, plugins=[kassa_pos], clock=clock) as hub:
        svc = hub.state(link.OWNER)["service"]
        await eventually(lambda: _link(hub) is not None, within=5)
        up_since = _link(hub).since
        net.down = True
        async with hub.store.write() as c:
            await c.execute(pay_tables.sale.insert(), [sale(1)])
        clock.advance(30)
        svc.wake.set()
        await eventually(lambda: not _link(hub).online, within=5)
        state = _link(hub)
        assert state.pending == 1 and state.since == AT + timedelta(seconds=30)
        assert "127.0.0.1:4999" in state.error and "s3cr3t-pw" not in state.error
        async with hub.store.write() as c:
            await c.execute(pay_tables.sale.insert(), [sale(2)])
        rounds = svc.rounds
        svc.wake.set()  # a round while down: still offline, the same outage's start
        await eventually(lambda: svc.rounds > rounds, within=5)
        assert _link(hub).pending == 2 and _link(hub).since == state.since
        assert "refused" in _link(hub).error  # now the dial itself fails
        net.down = False
        clock.advance(30)
        svc.wake.set()
        await eventually(lambda: _link(hub).online, within=5)
        back = _link(hub)
        assert back.pending == 0 and back.error == "" and back.since > up_since
    assert [i for _, _, i in net.published] == ["sale:c1", "sale:c2"]  # once, in order


async def test_a_bug_in_a_round_is_recorded_and_restarted_by_the_supervisor(tmp_path, net,
                                                                           monkeypatch):
    import kassa_pos
    from kassa.supervision import Backoff
    from kassa_pos.chain import outbox

    calls = {"n": 0}
    real = outbox.publish

    async def broken(js, store, *, now, batch=256):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug")
        return await real(js, store, now=now)

    monkeypatch.setattr(outbox, "publish", broken)
    async with make_hub(store_config(), tmp_path, plugins=[kassa_pos],
                        backoff=Backoff(0.01, 0.05)) as hub:
        await eventually(lambda: calls["n"] >= 2 and _link(hub).online, within=5)
        job = hub.supervisor.jobs["job pos chain outbox"]
        assert job.restarts == 1 and "a bug" in str(job.last_error)


async def test_audit_events_are_numbered_once_past_the_watermark(tmp_path):
    import kassa_pos
    from kassa_pos.chain import outbox

    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        for n in range(3):
            await hub.emit(Event.of(site="s1", kind="pos_line_added", source_key=f"l{n}",
                                    occurred_at=AT.replace(minute=n), station="T1"))
        await hub.emit(Event.of(site="s1", kind="check_closed", source_key="other",
                                occurred_at=AT, station="T1"))  # not a pos kind
        await eventually(lambda: hub.log.idle(), within=5)
        assert await hub.write_sync(lambda c: outbox.number(c, "S01", "s1")) == 3
        assert await hub.write_sync(lambda c: outbox.number(c, "S01", "s1")) == 0
        await hub.emit(Event.of(site="s1", kind="pos_line_voided", source_key="v",
                                occurred_at=AT.replace(minute=9), station="T1"))
        await eventually(lambda: hub.log.idle(), within=5)
        assert await hub.write_sync(lambda c: outbox.number(c, "S01", "s1")) == 1
        async with hub.store.read() as c:
            rows = (await c.execute(sa.select(outbox.out_t).order_by(outbox.out_t.c.n))).all()
            mark = (await c.execute(sa.text(
                "select position from cursors where name = 'pos-chain-audit:s1'"))).scalar()
    docs = [ChainDoc.decode(r.data.encode()) for r in rows]
    assert [(d.kind, d.till, d.seq, d.at.minute) for d in docs] == [
        ("audit", "T1", 1, 0), ("audit", "T1", 2, 1), ("audit", "T1", 3, 2),
        ("audit", "T1", 4, 9)]
    assert docs[-1].body["kind"] == "pos_line_voided"
    assert mark is not None and mark >= 5


def test_reach_tells_an_outage_once_after_offline_after_and_the_return_once():
    start = AT
    reach = service.Reach(300.0, started=start)
    at = start + timedelta(seconds=60)
    assert reach.observe("S01", 0.2, at) == []  # heard 0.2 s ago
    assert reach.observe("S02", None, at) == []  # never heard: counts from the start
    # S01 silent for 299 s: not yet; 301 s: one site_offline
    assert reach.observe("S01", 299.0, at + timedelta(seconds=299)) == []
    [off] = reach.observe("S01", 301.4, at + timedelta(seconds=301))
    assert (off.kind, off.site) == ("site_offline", "S01")
    assert off.data["since"] == (at - timedelta(seconds=0.4)).replace(microsecond=0).isoformat()
    assert off.data["chain"] is True
    # the same silence read again a moment later is not a return (whatever offline_after)
    assert reach.observe("S01", 301.9, at + timedelta(seconds=301.5)) == []
    assert reach.observe("S01", 900.0, at + timedelta(seconds=900)) == []  # not again
    [never] = reach.observe("S02", None, start + timedelta(seconds=300))
    assert never.kind == "site_offline" and never.data["since"] == start.isoformat()
    [on] = reach.observe("S01", 0.5, at + timedelta(seconds=1000))
    assert on.kind == "site_online" and on.data["since"] == off.data["since"]
    assert on.source_key != off.source_key and on.data["down_s"] == 1001
    assert reach.observe("S01", 0.5, at + timedelta(seconds=1005)) == []
    assert reach.observe("S02", 20.0, start + timedelta(seconds=400)) == []  # not back yet


async def test_the_centre_does_not_repeat_an_outage_told_before_it_restarted(tmp_path):
    from kassa_pos.settings import ChainSettings

    async with make_hub({"sites": [{"code": "S01"}, {"code": "S02"}]}, tmp_path,
                        clock=FakeClock(AT)) as hub:
        reach = service.Reach(300.0, started=AT - timedelta(hours=1))
        [off] = reach.observe("S01", 400.0, AT)
        await hub.emit(off)
        await eventually(lambda: hub.log.idle(), within=5)
        cfg = ChainSettings(nats="nats://x", centre=True, stores=["S01", "S02"])
        again = service.CentreService(hub, cfg)
        await again._restore()
        assert set(again.reach.alerted) == {"S01"}
        assert again.reach.observe("S01", 500.0, AT + timedelta(seconds=100)) == []
        [on] = again.reach.observe("S01", 1.0, AT + timedelta(seconds=200))
        assert on.kind == "site_online" and on.data["since"] == off.data["since"]


def test_sources_read_jetstreams_lag_and_last_contact_per_store():
    from nats.js.api import StreamInfo

    info = StreamInfo.from_response({
        "config": {"name": "CHAIN"},
        "state": {"messages": 3, "bytes": 9, "first_seq": 1, "last_seq": 3, "consumer_count": 1},
        "sources": [{"name": "CHAIN_S01", "lag": 7, "active": 2_500_000_000},
                    {"name": "CHAIN_S02", "lag": 0, "active": -1},
                    {"name": "OTHER", "lag": 1, "active": 1}]})
    got = service.sources(info, ["S01", "S02", "S03"])
    assert (got["S01"].lag, got["S01"].silent_s, got["S01"].online) == (7, 2.5, True)
    assert got["S02"].silent_s is None and not got["S02"].online
    assert got["S03"] == service.SourceState(store="S03")
    assert set(got) == {"S01", "S02", "S03"}


@pytest.mark.parametrize(("url", "shown"), [
    ("nats://u:p@host:4222", "nats://***@host:4222"),
    ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
    ("tls://only-user@h", "tls://***@h"),
])
def test_safe_url_drops_user_and_password(url, shown):
    assert service.safe_url(url) == shown


async def test_a_centre_on_sqlite_fails_start_in_one_sentence(tmp_path):
    import kassa_pos

    cfg = {"sites": [{"code": "S01"}],
           "pos": {"chain": {"nats": "nats://127.0.0.1:1", "centre": True,
                             "stores": ["S01"]}}}
    with pytest.raises(Exception, match="centre needs the hub's store on PostgreSQL"):
        async with make_hub(cfg, tmp_path, plugins=[kassa_pos]):
            pass


async def test_the_stores_screen_data_joins_tills_and_sources(tmp_path):
    import kassa_pos
    from kassa_pos.chain import console, lag
    from kassa_pos.chain.ingest import till_t

    cfg = {"sites": [{"code": "S01", "name": "Ленина 5"}, {"code": "S02"}],
           "pos": {"chain": {"stores": ["S01", "S02"]}}}
    async with make_hub(cfg, tmp_path, plugins=[kassa_pos]) as hub:
        async with hub.store.write() as c:
            await c.execute(till_t.insert(), [
                {"store": "S01", "till": "S01-T1", "last_seq": 41, "last_at": AT,
                 "seen_at": AT + timedelta(seconds=2)},
                {"store": "S01", "till": "S01-T2", "last_seq": 7,
                 "last_at": AT + timedelta(minutes=5), "seen_at": AT + timedelta(minutes=6)}])
        hub.state(service.CENTRE).update(
            sources={"S01": service.SourceState("S01", lag=3, silent_s=0.4),
                     "S02": service.SourceState("S02", lag=0, silent_s=420.0)},
            waiting=2, at=AT, offline={"S02": AT - timedelta(minutes=7)})
        data = await lag.stores(hub)
    s1, s2 = data["stores"]
    assert (s1["store"], s1["name"], s1["online"], s1["lag"]) == ("S01", "Ленина 5", True, 3)
    assert s1["last_at"] == (AT + timedelta(minutes=5)).isoformat()
    assert [t["last_seq"] for t in s1["tills"]] == [41, 7]
    assert (s2["online"], s2["tills"], s2["offline_since"]) == (False, [], (
        AT - timedelta(minutes=7)).isoformat())
    data = json.loads(json.dumps(data))  # what the console gets over HTTP
    rows = console.rows(data, "ru")
    assert rows[0] == ("S01 Ленина 5", "", "02.12 10:05:00", "", "3", "на связи")
    assert rows[1] == ("", "S01-T1", "02.12 10:00:00", "41", "", "")
    assert rows[3][0] == "S02" and rows[3][5] == "нет связи 7 мин, тревога с 02.12 09:53:00"
    assert console.summary(data, "ru") == ("Магазинов 2: на связи 1, без связи 1. "
                                           "Ждут записи в базу: 2.")
    assert console.rows(data, "en")[3][5] == "offline 7 min, alert since 02.12 09:53:00"


async def test_the_stores_screen_in_the_console(tmp_path):
    import kassa_pos
    from kassa.api.client import AdminClient
    from kassa_console.app import ConsoleApp
    from kassa_pos.chain.console import StoresPanel, StoresScreen
    from textual.widgets import DataTable, Static

    data = {"stores": [
        {"store": "S01", "name": "S01", "online": False, "silent_s": 75.0, "lag": 12,
         "error": "", "offline_since": None, "last_at": AT.isoformat(), "seen_at": None,
         "tills": [{"till": "S01-T1", "last_seq": 9, "last_at": AT.isoformat(),
                    "seen_at": None}]}], "waiting": 0, "at": AT.isoformat()}

    async def screen_text(client: Any) -> tuple[str, list[list[str]]]:
        app = ConsoleApp(client, panels=[StoresPanel()])
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("s")
            await pilot.pause()
            screen: Any = app.screen
            assert isinstance(screen, StoresScreen)
            await eventually(lambda: screen.loads > 0, within=20)
            head = str(screen.query_one("#chain-summary", Static).render())
            table: Any = screen.query_one("#chain-stores", DataTable)
            return head, [[str(c) for c in table.get_row_at(i)]
                          for i in range(table.row_count)]

    async with make_hub({"sites": [{"code": "S01"}]}, tmp_path, plugins=[kassa_pos],
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        try:
            head, rows = await screen_text(client)  # not the centre: no such route here
            assert head == "Этот хаб не центр сети ([pos.chain] centre = true)." and not rows
            real = client.request

            async def request(method: str, path: str, **kw: Any) -> Any:
                if path == "/api/pos/chain/v1/stores":
                    return data
                return await real(method, path, **kw)

            client.request = request  # type: ignore[method-assign]
            head, rows = await screen_text(client)
        finally:
            await client.aclose()
    assert head == "Магазинов 1: на связи 0, без связи 1. Ждут записи в базу: 0."
    assert rows == [["S01", "", "02.12 10:00:00", "", "12", "нет связи 75 с"],
                    ["", "S01-T1", "02.12 10:00:00", "9", "", ""]]


def test_a_short_offline_after_does_not_flap_on_the_same_silence():
    reach = service.Reach(3.0, started=AT)
    [off] = reach.observe("S01", 3.1, AT + timedelta(seconds=10))
    assert off.kind == "site_offline"
    # silent 3.6 s is under the 10 s of "reachable", but it is the same silence
    assert reach.observe("S01", 3.6, AT + timedelta(seconds=10.5)) == []
    assert reach.observe("S01", 8.0, AT + timedelta(seconds=15)) == []
    [on] = reach.observe("S01", 0.2, AT + timedelta(seconds=20))
    assert on.kind == "site_online"


async def test_the_back_office_screen_shows_conflicts_and_stock(tmp_path):
    import kassa_pos
    from kassa.api.client import AdminClient
    from kassa_console.app import ConsoleApp
    from kassa_pos.chain.backoffice import BackOfficePanel, BackOfficeScreen
    from textual.widgets import DataTable, Static

    data = {"conflicts": [{"key": "pos:S02:T1:ret:r4", "sale": "a-1", "store": "S02",
                           "at": AT.isoformat()}],
            "stock": {"S01": {"A1": "7", "W1": "3.5"}, "S02": {"A1": "-1"}}}

    async def screen_text(client: Any) -> tuple[str, list[list[str]], list[list[str]]]:
        app = ConsoleApp(client, panels=[BackOfficePanel()])
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("k")
            await pilot.pause()
            screen: Any = app.screen
            assert isinstance(screen, BackOfficeScreen)
            await eventually(lambda: screen.loads > 0, within=20)
            head = str(screen.query_one("#bo-summary", Static).render())

            def cells(name: str) -> list[list[str]]:
                table: Any = screen.query_one(name, DataTable)
                return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
            return head, cells("#bo-conflicts"), cells("#bo-stock")

    async with make_hub({"sites": [{"code": "S01"}]}, tmp_path, plugins=[kassa_pos],
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        try:
            head, _c, _s = await screen_text(client)  # not the centre: no such route
            assert head == "Этот хаб не центр сети ([pos.chain] centre = true)."
            real = client.request

            async def request(method: str, path: str, **kw: Any) -> Any:
                if path == "/api/pos/chain/v1/backoffice":
                    return data
                return await real(method, path, **kw)

            client.request = request  # type: ignore[method-assign]
            head, conflicts, stock = await screen_text(client)
        finally:
            await client.aclose()
    assert head == "Возвратов сверх проданного: 1. Остатки: 3 поз. в 2 маг."
    assert conflicts == [["S02", "pos:S02:T1:ret:r4", "a-1", "02.12 10:00"]]
    assert stock == [["S01", "A1", "7"], ["S01", "W1", "3,5"], ["S02", "A1", "-1"]]
