"""The chain backbone's pure parts: the store's generated configs and the documents."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from kassa_pos.chain.cli import group
from kassa_pos.chain.config import leaf_conf, stream_name, to_toml
from kassa_pos.chain.documents import ChainDoc, Verdict, build, in_order, verdict
from kassa_pos.settings import PosSettings

TEMPLATE = """
[pos]
store = "TPL"
deferred_days = 5
void_needs_manager = false

[pos.payments]
taxation = "usn_income"
place = "Магазин \\"Угол\\""

[[pos.staff]]
code = "k1"
name = "Анна"
role = "cashier"
"""


def test_store_new_writes_a_loadable_kassa_toml_and_leaf_conf(tmp_path):
    tpl = tmp_path / "template.toml"
    tpl.write_text(TEMPLATE, encoding="utf-8")
    out = tmp_path / "s01"
    res = CliRunner().invoke(group(), ["store", "new", "--from", str(tpl), "--code", "S01",
                                       "--central", "nats://hub.example:7422", "-o", str(out),
                                       "--tills", "3"])
    assert res.exit_code == 0, res.output
    assert "магазин S01" in res.output
    cfg = tomllib.loads((out / "kassa.toml").read_text(encoding="utf-8"))
    assert cfg["store"]["url"].endswith("/s01/kassa.db")
    pos = cfg["pos"]
    assert pos["store"] == "S01" and pos["deferred_days"] == 5
    assert [t["name"] for t in pos["tills"]] == ["S01-T1", "S01-T2", "S01-T3"]
    assert pos["payments"]["place"] == 'Магазин "Угол"'
    assert pos["chain"]["stream"] == "CHAIN_S01"
    settings = PosSettings(**{k: v for k, v in pos.items() if k in ("store", "deferred_days")})
    assert settings.store == "S01"
    # the whole file loads as kassa run reads it: every key known, the store a site
    from kassa.config import load
    from kassa.plugins import get_plugins

    loaded = load(out / "kassa.toml", sections=get_plugins().settings_sections())
    assert loaded.plugins["pos"].chain.stream == "CHAIN_S01"
    assert [s.code for s in loaded.sites] == ["S01"]
    leaf = (out / "nats-leaf.conf").read_text()
    assert "domain: S01" in leaf and '"nats://hub.example:7422"' in leaf
    # a second run refuses to overwrite the store's files
    again = CliRunner().invoke(group(), ["store", "new", "--from", str(tpl), "--code", "S01",
                                         "--central", "nats://hub:7422", "-o", str(out)])
    assert again.exit_code != 0 and "already there" in again.output


def test_store_new_with_a_config_that_is_no_centre_says_what_was_done(tmp_path):
    tpl = tmp_path / "template.toml"
    tpl.write_text(TEMPLATE, encoding="utf-8")
    shop = tmp_path / "shop.toml"  # a store's config, not the centre's
    shop.write_text('[[sites]]\ncode = "S09"\n', encoding="utf-8")
    res = CliRunner().invoke(group(), ["store", "new", "--from", str(tpl), "--code", "S02",
                                       "--central", "nats://h:7422", "-o",
                                       str(tmp_path / "s02"), "-c", str(shop)])
    assert res.exit_code == 1 and (tmp_path / "s02" / "kassa.toml").exists()
    assert ("файлы магазина записаны, но справочники не отправлены: этот хаб не центр сети"
            in res.output)


def test_chain_stock_on_a_hub_that_is_no_centre_is_refused(tmp_path):
    shop = tmp_path / "shop.toml"
    shop.write_text('[[sites]]\ncode = "S09"\n', encoding="utf-8")
    res = CliRunner().invoke(group(), ["stock", "-c", str(shop)])
    assert res.exit_code == 1 and "этот хаб не центр сети" in res.output


@pytest.mark.parametrize("code", ["", "S 01", "S01;rm", "x" * 33])
def test_bad_store_code_is_one_sentence(tmp_path, code):
    tpl = tmp_path / "t.toml"
    tpl.write_text(TEMPLATE, encoding="utf-8")
    res = CliRunner().invoke(group(), ["store", "new", "--from", str(tpl), "--code", code,
                                       "--central", "nats://h:7422", "-o", str(tmp_path / "o")])
    assert res.exit_code != 0 and "store code" in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(shutil.which("nats-server") is None, reason="no nats-server binary")
def test_leaf_conf_is_accepted_by_the_real_nats_server(tmp_path):
    conf = tmp_path / "leaf.conf"
    conf.write_text(leaf_conf("S01", "nats://127.0.0.1:7422", tmp_path / "js", port=14999))
    run = subprocess.run(["nats-server", "-t", "-c", str(conf)], capture_output=True,
                         text=True, timeout=20)
    assert run.returncode == 0, run.stderr + run.stdout
    conf.write_text(leaf_conf("S01", "nats://x:1", tmp_path / "js").replace("}", "", 1))
    bad = subprocess.run(["nats-server", "-t", "-c", str(conf)], capture_output=True,
                         text=True, timeout=20)
    assert bad.returncode != 0  # the check above can fail


def test_toml_writer_round_trips_nested_tables():
    doc = {"pos": {"a": 1, "b": [1, 2], "c": {"d": "е\n\"x\""}, "t": [{"n": 1}, {"n": 2}],
                   "flag": True}}
    assert tomllib.loads(to_toml(doc)) == doc
    assert stream_name("s-1") == "CHAIN_S-1"


AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_documents_from_pos_rows_keep_their_own_ids():
    sale = build("sale", {"check_id": "c-1", "site": "S01", "till": "S01-T1", "total": 1000,
                          "issued_at": AT, "receipt": '{"items": [1]}'}, store="S01", seq=1)
    assert sale.doc_id == "sale:c-1" and sale.headers == {"Nats-Msg-Id": "sale:c-1"}
    assert sale.subject == "chain.S01.S01-T1" and sale.body["receipt"] == {"items": [1]}
    assert ChainDoc.decode(sale.encode()) == sale
    shift = build("shift", {"site": "S01", "till": "S01-T1", "n": 4, "closed_at": AT,
                            "opened_at": AT}, store="S01", seq=2)
    assert shift.doc_id == "shift:S01:S01-T1:4"
    audit = build("audit", {"id": "e1", "kind": "pos_line_voided", "occurred_at": AT,
                            "payload": json.dumps({"station": "S01-T2"})}, store="S01", seq=1)
    assert audit.till == "S01-T2" and audit.doc_id == "audit:e1"
    with pytest.raises(ValueError, match="no closed_at"):  # an open shift is not a document
        build("shift", {"site": "S01", "till": "T", "n": 5, "closed_at": None}, store="S01",
              seq=3)
    with pytest.raises(ValueError, match="unreadable"):
        ChainDoc.decode(b'{"doc_id": 1}')


def test_per_till_order_waits_for_the_gap_and_drops_repeats():
    def doc(n: int) -> ChainDoc:
        return ChainDoc(doc_id=f"d{n}", store="S01", till="T1", seq=n, kind="sale", at=AT,
                        body={})

    assert verdict(3, 3) is Verdict.DUPLICATE and verdict(3, 5) is Verdict.WAIT
    run, parked = in_order(0, {}, doc(2))
    assert run == [] and list(parked) == [2]
    run, parked = in_order(0, parked, doc(3))
    assert run == [] and sorted(parked) == [2, 3]
    run, parked = in_order(0, parked, doc(1))
    assert [d.seq for d in run] == [1, 2, 3] and parked == {}
    assert in_order(3, {}, doc(2)) == ([], {})


@pytest.mark.anyio
async def test_a_migrated_database_matches_the_ingester_tables(tmp_path):
    import kassa_pos
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from kassa.testing import make_hub
    from kassa_pos.chain import ingest, outbox

    assert outbox.out_t.metadata is ingest.metadata  # one MetaData: the store's and centre's

    def ours(obj, name, type_, reflected, compare_to):
        return type_ != "table" or str(name).startswith("pos_chain_")

    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        async with hub.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(
                c, opts={"include_object": ours}), ingest.metadata))
    assert diff == []


@pytest.mark.anyio
async def test_outbox_numbers_finished_documents_per_till_once(tmp_path):
    import kassa_pos
    import sqlalchemy as sa
    from kassa.testing import make_hub
    from kassa_pos.chain import outbox
    from kassa_pos.engine import pay_tables

    def sale(check: str, till: str, minute: int) -> dict[str, object]:
        return {"check_id": check, "key": f"k-{check}", "site": "s1", "till": till,
                "total": 100, "change": 0, "issued_at": AT.replace(minute=minute),
                "document": "{}", "receipt": "{}"}

    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        async with hub.store.write() as c:
            await c.execute(pay_tables.sale.insert(), [sale("c2", "T1", 2), sale("c1", "T1", 1),
                                                       sale("c3", "T2", 3)])
            await c.execute(pay_tables.shift.insert(), [
                {"site": "s1", "till": "T1", "n": 1, "cashier": "k", "opened_at": AT,
                 "closed_at": AT.replace(minute=5), "float": 0},
                {"site": "s1", "till": "T2", "n": 1, "cashier": "k", "opened_at": AT,
                 "closed_at": None, "float": 0}])  # still open: not a document yet
        assert await hub.store.write_sync(lambda c: outbox.number(c, "S01", "s1")) == 4
        assert await hub.store.write_sync(lambda c: outbox.number(c, "S01", "s1")) == 0
        async with hub.store.read() as c:
            rows = (await c.execute(sa.select(outbox.out_t).order_by(outbox.out_t.c.n))).all()
    assert [(r.doc_id, r.till, r.seq) for r in rows] == [
        ("sale:c1", "T1", 1), ("sale:c2", "T1", 2), ("sale:c3", "T2", 1),
        ("shift:s1:T1:1", "T1", 3)]
    assert ChainDoc.decode(rows[0].data.encode()).store == "S01"


@pytest.mark.anyio
async def test_a_paid_sale_goes_up_with_its_lines_groups_tenders_guest_and_cashier(tmp_path):
    """What the centre's analysis reads (item groups, bonus as discount, the guest, the
    cashier) comes from the store's own tables through the outbox, not from the receipt."""
    import sqlalchemy as sa
    from kassa_pos.chain import analysis, outbox
    from kassa_pos.engine import store_tables
    from kassa_pos.engine.values import Tender

    from .test_pay import Parts, draft, line, ready

    parts = Parts(tmp_path)
    async with parts.hub() as hub:
        async with hub.store.write() as c:
            await c.execute(store_tables.item.insert(), [
                {"code": "A1", "name": "Товар A1", "unit": 0, "vat": "vat22", "department": 2,
                 "item_group": "dairy", "flags": 0}])
        pay = await ready(hub)
        await pay.pay(draft(line("A1", 10000), line("B2", 5000, quantity=2)),
                      [Tender(kind="bonus", amount=3000, account="g1"),
                       Tender(kind="card", amount=7000, terminal="card1"),
                       Tender(kind="cash", amount=10000)])
        assert await hub.store.write_sync(lambda c: outbox.number(c, "S01", "s1")) >= 1
        async with hub.store.read() as c:
            data = (await c.execute(sa.select(outbox.out_t.c.data).where(
                outbox.out_t.c.doc_id == "sale:c1"))).scalar_one()
    doc = ChainDoc.decode(data.encode())
    body = doc.body
    assert (body["guest"], body["cashier"]) == ("g1", "Иванова")
    assert [(ln["item_code"], ln["group"], ln["quantity"]) for ln in body["lines"]] == [
        ("A1", "dairy", "1.000"), ("B2", "", "2.000")]
    assert [(td["kind"], td["amount"]) for td in body["tenders"]] == [
        ("bonus", 3000), ("card", 7000), ("cash", 10000)]
    lines = analysis.sale_lines(doc)
    assert [ln["item_group"] for ln in lines] == ["dairy", ""]
    # the bonus is a discount spread on the lines; what money paid is the rest
    assert sum(ln["discount"] for ln in lines) == 3000
    assert sum(ln["amount"] for ln in lines) == 17000
