"""Reference packages without NATS: building and checking a package, its parts, the store's
apply (full replace, versions, refusal, one transaction), the store's consumer against fake
messages, the ``ref`` document up, the console's column and the publish command's refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kassa.model import VatRate
from kassa.testing import make_hub
from kassa_pos.chain import refdata, refdata_stream
from kassa_pos.chain.refdata import Package, RefusedPackage, applied_version, apply_package
from kassa_pos.engine import store_tables
from kassa_pos.engine.catalog_import import CatalogData
from kassa_pos.engine.store_tables import item_inactive as inactive

pytestmark = pytest.mark.anyio
AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def items(*codes: str) -> list[dict[str, Any]]:
    return [{"code": c, "name": f"Товар {c}", "vat": "20", "price": f"{10 + n}.50",
             "barcodes": f"46000000000{n}"[:12] + str(_check(f"46000000000{n}"[:12]))}
            for n, c in enumerate(codes)]


def _check(first12: str) -> int:  # EAN-13 check digit
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - s % 10) % 10


def package(version: int, *codes: str, lists: list[dict[str, Any]] | None = None) -> Package:
    return Package.of(CatalogData(items=items(*codes), price_lists=lists or []), version)


def store_hub(tmp_path: Path) -> Any:
    import kassa_pos

    return make_hub({"sites": [{"code": "S01"}]}, tmp_path, plugins=[kassa_pos])


async def catalog_state(hub: Any) -> dict[str, Any]:
    t = store_tables
    async with hub.engine.connect() as c:
        return {
            "version": (await c.execute(sa.select(t.catalog_version.c.version))).scalar_one(),
            "items": sorted(r.code for r in await c.execute(sa.select(t.item.c.code))),
            "barcodes": sorted(r.item_code for r in await c.execute(
                sa.select(t.barcode.c.item_code))),
            "prices": sorted((r.list_code, r.item_code, r.price) for r in await c.execute(
                sa.select(t.price))),
            "lists": sorted(r.code for r in await c.execute(sa.select(t.price_list.c.code))),
            "applied": await c.run_sync(applied_version),
            "inactive": sorted(r.code for r in await c.execute(sa.select(inactive.c.code))),
        }


async def apply(hub: Any, pkg: Package) -> Any:
    return await hub.write_sync(lambda c: apply_package(c, pkg, now=AT))


async def test_a_migrated_database_matches_the_refdata_tables(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from kassa_pos.engine import store_tables

    names = set(refdata.metadata.tables) | {store_tables.item_inactive.name}
    assert names == {"pos_ref_package", "pos_ref_store", "pos_ref_applied", "pos_ref_failed",
                     "pos_ref_body", "pos_item_inactive"}

    def compare(c: Any, md: sa.MetaData) -> Any:
        def ours(obj, name, type_, reflected, compare_to):
            return type_ != "table" or str(name) in md.tables

        return compare_metadata(MigrationContext.configure(c, opts={"include_object": ours}),
                                md)

    async with store_hub(tmp_path) as hub:
        async with hub.engine.connect() as conn:
            for md in (refdata.metadata, store_tables.metadata):
                assert await conn.run_sync(compare, md) == []


def test_a_package_round_trips_and_its_digest_guards_it():
    pkg = package(3, "A1", "A2")
    back = Package.decode(pkg.encode())
    assert back == pkg and back.version == 3 and back.kind == "catalog"
    body = json.loads(pkg.encode())
    assert body["full"] is True and [r["code"] for r in body["items"]] == ["A1", "A2"]
    body["items"][0]["price"] = "1.00"  # changed on the way
    with pytest.raises(ValueError, match="digest"):
        Package.decode(json.dumps(body).encode())
    body = json.loads(pkg.encode())
    body["full"] = False
    with pytest.raises(ValueError, match="not a full package"):
        Package.decode(json.dumps(body).encode())
    assert refdata.digest(pkg.data) == package(9, "A1", "A2").digest  # data, not version


def test_validate_names_the_first_bad_row_and_refuses_an_empty_catalog():
    rows = items("A1", "A2", "A3")
    rows[1]["vat"] = "33"
    with pytest.raises(RefusedPackage, match=r"^строка 2 \(A2\): "):
        refdata.validate(CatalogData(items=rows))
    with pytest.raises(RefusedPackage, match=r"^row 2 \(A2\): "):
        refdata.validate(CatalogData(items=rows), "en")
    with pytest.raises(RefusedPackage, match="нет товаров"):
        refdata.validate(CatalogData(items=[]))
    lists = [{"code": "promo", "prices": {"ZZ": "1.00"}}]  # an item not in the package
    with pytest.raises(RefusedPackage, match="promo"):
        refdata.validate(CatalogData(items=items("A1"), price_lists=lists))
    refdata.validate(CatalogData(items=items("A1", "A2")))  # good: no exception


class Msg:
    def __init__(self, data: bytes, headers: dict[str, str]) -> None:
        self.data, self.headers = data, headers
        self.acked = self.termed = 0

    async def ack(self) -> None:
        self.acked += 1

    async def term(self) -> None:
        self.termed += 1

    async def in_progress(self) -> None:
        pass


def msgs_of(pkg: Package, size: int) -> list[Msg]:
    parts = refdata_stream.split(pkg.encode(), size)
    return [Msg(p, {"Kassa-Ref-Kind": pkg.kind, "Kassa-Ref-Version": str(pkg.version),
                    "Kassa-Ref-Part": str(n), "Kassa-Ref-Parts": str(len(parts))})
            for n, p in enumerate(parts, start=1)]


def test_parts_are_joined_only_when_all_are_there_and_a_newer_version_supersedes():
    pkg = package(2, *[f"A{n}" for n in range(30)])
    ms = msgs_of(pkg, 700)
    assert len(ms) > 3
    asm = refdata_stream.Assembly()
    for m in ms[:0:-1]:  # out of order, the first one last
        assert asm.add(m) == (None, [], [], "")
    got, taken, stale, error = asm.add(ms[0])
    assert (got, taken, stale, error) == (pkg, ms, [], "")
    old = msgs_of(package(1, "B1", "B2"), 100)
    asm.add(old[0])  # incomplete when version 3 comes
    newer = msgs_of(package(3, "C1"), 10_000)
    got, _taken, stale, _ = asm.add(newer[0])
    assert got is not None and got.version == 3 and stale == [old[0]]
    assert refdata_stream.msg_id("catalog", 7, "S01") == "ref:catalog:7:S01"
    assert refdata_stream.msg_id("catalog", 7, "S01", 2, 3) == "ref:catalog:7:S01:2"


async def test_a_full_package_replaces_the_catalog_and_a_stale_one_is_ignored(tmp_path):
    promo = [{"code": "promo", "name": "Акция", "priority": 5, "prices": {"A2": "5.00"}}]
    async with store_hub(tmp_path) as hub:
        rep = await apply(hub, package(1, "A1", "A2", "A3", lists=promo))
        assert rep is not None and rep.added == 3
        s = await catalog_state(hub)
        assert (s["version"], s["items"], s["applied"]) == (1, ["A1", "A2", "A3"], 1)
        assert s["lists"] == ["base", "promo"]
        # version 2 omits A2 and the promo list: both go, the others' prices stay
        rep = await apply(hub, package(2, "A1", "A3"))
        assert rep is not None and (rep.removed, rep.lists_removed) == (1, 1)
        s = await catalog_state(hub)
        assert (s["version"], s["items"], s["applied"]) == (2, ["A1", "A3"], 2)
        assert s["barcodes"] == ["A1", "A3"] and s["lists"] == ["base"]
        assert [p[1] for p in s["prices"]] == ["A1", "A3"] and s["inactive"] == ["A2"]
        # an equal or lower version: nothing, not even the catalog's version
        assert await apply(hub, package(2, "A9")) is None
        assert await apply(hub, package(1, "A1")) is None
        assert await catalog_state(hub) == s
        # A2 back in version 3: out of pos_item_inactive again
        await apply(hub, package(3, "A1", "A2", "A3"))
        s = await catalog_state(hub)
        assert (s["version"], s["items"], s["inactive"]) == (3, ["A1", "A2", "A3"], [])


async def test_a_bad_package_leaves_the_previous_version_and_catalog(tmp_path):
    async with store_hub(tmp_path) as hub:
        await apply(hub, package(1, "A1", "A2"))
        before = await catalog_state(hub)
        bad = CatalogData(items=[*items("A1"), {"code": "X", "name": "", "vat": "20"}])
        with pytest.raises(RefusedPackage, match=r"строка 2 \(X\)"):
            await apply(hub, Package.of(bad, 2))
        assert await catalog_state(hub) == before


async def test_the_version_is_recorded_in_the_catalogs_transaction(tmp_path):
    async with store_hub(tmp_path) as hub:
        await apply(hub, package(1, "A1"))
        before = await catalog_state(hub)

        def then_fail(c: Any) -> None:
            assert apply_package(c, package(2, "A1", "A2"), now=AT) is not None
            raise RuntimeError("the disk is gone")  # after the import, before the commit

        with pytest.raises(RuntimeError):
            await hub.write_sync(then_fail)
        assert await catalog_state(hub) == before  # neither the items nor the version


async def test_the_consumer_acks_after_applying_ignores_repeats_and_terms_a_bad_package(
        tmp_path):
    from kassa_pos.chain.refdata import failed_t

    async with store_hub(tmp_path) as hub:
        woke: list[int] = []
        async def no_link(url: str) -> Any:
            raise OSError(f"{url}: not used here")

        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link,
                                          on_applied=lambda: woke.append(1))
        first = msgs_of(package(1, "A1", "A2"), 300)
        for m in first:
            await cons.take(m)
        assert [m.acked for m in first] == [1] * len(first) and cons.applied == 1
        assert woke == [1] and (await catalog_state(hub))["applied"] == 1
        again = msgs_of(package(1, "A1", "A2"), 10_000)
        await cons.take(again[0])
        assert again[0].acked == 1 and cons.applied == 1  # acked, ignored
        bad = Package.of(CatalogData(items=[{"code": "X", "name": "x", "vat": "??"}]), 2)
        [m] = msgs_of(bad, 10_000)
        await cons.take(m)
        assert (m.acked, m.termed) == (0, 1)
        async with hub.engine.connect() as c:
            [row] = (await c.execute(sa.select(failed_t))).all()
        assert (row.kind, row.version) == ("catalog", 2) and "строка 1 (X)" in row.error
        assert hub.state(refdata_stream.OWNER)["error"] == row.error
        assert (await catalog_state(hub))["applied"] == 1
        [junk] = msgs_of(package(3, "A1"), 10_000)
        junk.data = junk.data[:-5]  # cut: unreadable
        await cons.take(junk)
        assert junk.termed == 1 and (await catalog_state(hub))["applied"] == 1


async def test_the_applied_version_goes_up_as_a_ref_document(tmp_path):
    from kassa_pos.chain import outbox
    from kassa_pos.chain.documents import ChainDoc

    async with store_hub(tmp_path) as hub:
        await apply(hub, package(1, "A1"))
        await apply(hub, package(4, "A1", "A2"))
        n = await hub.write_sync(lambda c: outbox.number(c, "S01", "S01"))
        assert n == 2
        assert await hub.write_sync(lambda c: outbox.number(c, "S01", "S01")) == 0
        async with hub.engine.connect() as c:
            docs = [ChainDoc.decode(r.data.encode()) for r in await c.execute(
                sa.select(outbox.out_t.c.data).order_by(outbox.out_t.c.n))]
    assert [(d.doc_id, d.kind, d.till, d.seq) for d in docs] == [
        ("ref:catalog:1:S01", "ref", "-", 1), ("ref:catalog:4:S01", "ref", "-", 2)]
    assert docs[1].body["version"] == 4 and docs[1].body["kind"] == "catalog"


def test_the_stores_line_shows_the_catalog_version():
    from kassa_pos.chain import console

    data: dict[str, Any] = {"published": {"catalog": 4}, "stores": [
        {"store": "S01", "name": "S01", "online": True, "silent_s": 0.2, "lag": 0,
         "offline_since": None, "last_at": None, "tills": [],
         "ref": {"catalog": {"version": 3, "applied_at": AT.isoformat()}}},
        {"store": "S02", "name": "S02", "online": None, "silent_s": None, "lag": None,
         "offline_since": None, "last_at": None, "tills": [], "ref": {}}]}
    rows = console.rows(data, "ru")
    assert (rows[0][0], rows[0][1]) == ("S01", "каталог 3/4")
    assert rows[1][1] == "каталог —/4"
    assert console.rows(data, "en")[0][1] == "catalog 3/4"
    assert console.rows({"stores": data["stores"][1:]}, "ru")[0][1] == ""
    # the rules the centre published show beside the catalog
    data["published"]["rules"] = 2
    data["stores"][0]["ref"]["rules"] = {"version": 2, "applied_at": AT.isoformat()}
    assert console.rows(data, "ru")[0][1] == "каталог 3/4, правила 2/2"
    assert console.rows(data, "ru")[1][1] == "каталог —/4, правила —/2"


def test_publish_refuses_a_bad_file_in_one_sentence_and_sends_nothing(tmp_path):
    from click.testing import CliRunner
    from kassa_pos.chain.cli import group

    bad = tmp_path / "cat.json"
    rows = items("A1", "A2")
    rows[1]["price"] = "дорого"
    bad.write_text(json.dumps({"items": rows}), encoding="utf-8")
    # no config at all: the file is refused before anything is read or connected
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "-c",
                                       str(tmp_path / "missing.toml")])
    assert res.exit_code == 1
    line = res.output.strip().removeprefix("Error: ")
    assert line.startswith("строка 2 (A2): ") and line.endswith("ничего не отправлено")
    assert "\n" not in line
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "--locale", "en"])
    assert res.exit_code == 1 and "row 2 (A2): " in res.output
    assert "nothing sent" in res.output



# -- the rules package: staff, rights, limits and discount rules down to the stores -------

RULES: dict[str, Any] = {
    "staff": [{"code": "1", "name": "Анна", "role": "cashier", "pin": "1111"},
              {"code": "9", "name": "Ольга", "role": "manager", "pin": "7777"}],
    "rights": {"cashier": ["sell", "defer", "void_line"]},
    "manual_discount_limit": {"senior_cashier": "15"},
    "discounts": [{"name": "всё со скидкой", "kind": "check", "percent": "10"}],
    "messages": [{"name": "bag", "on": ["line_added"], "once": True,
                  "when": {"lines_over": 0}, "prompt": "Предложите пакет"}],
}


def test_a_rules_package_round_trips_and_its_digest_guards_it():
    pkg = Package.of_rules(RULES, 4)
    back = Package.decode(pkg.encode())
    assert back == pkg and back.kind == "rules" and back.body == RULES
    raw = json.loads(pkg.encode())
    raw["body"]["staff"][0]["role"] = "manager"  # changed on the way
    with pytest.raises(ValueError, match="digest does not match"):
        Package.decode(json.dumps(raw).encode())


@pytest.mark.parametrize(("body", "says"), [
    ({"staff": [{"code": "1", "name": "А", "role": "boss"}]}, "pos.staff[0].role"),
    ({"rights": {"cashier": ["fly"]}}, "fly"),
    ({"staff": [{"code": "1", "name": "А", "pin": "1"}, {"code": "2", "name": "Б",
                                                        "pin": "1"}]}, "PIN"),
    ({"discounts": [{"name": "x", "kind": "check", "percent": "120"}]}, "percent"),
    ({"tills": [{"name": "T9"}]}, "неизвестные ключи: tills"),
    ({}, "пакет правил пуст"),
    ({"messages": [{"name": "x", "on": ["line_added"], "when": {"colour": "red"},
                    "prompt": "?"}]}, "colour"),
    ({"staff": [{"code": "1", "name": "${SECRET_NAME}"}]}, "SECRET_NAME"),
])
def test_a_bad_rules_package_is_refused_in_one_sentence(body, says):
    with pytest.raises(RefusedPackage) as err:
        refdata.parse_rules(body)
    assert says in str(err.value) and "\n" not in str(err.value)


async def test_the_store_works_by_the_applied_rules_live_and_after_a_restart(tmp_path):
    from kassa_pos.engine.checkbook import CheckBook
    from kassa_pos.engine.rights import Right, Role

    async with store_hub(tmp_path) as hub:
        book = await CheckBook.of(hub)
        assert book.rights.identify("7777") is None  # nobody in [pos] yet
        async def no_link(url: str) -> Any:
            raise OSError(f"{url}: not used here")

        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link)
        for m in msgs_of(Package.of_rules(RULES, 1), 10_000):
            await cons.take(m)
        assert cons.applied == 1, hub.state(refdata_stream.OWNER)
        assert (await hub.write_sync(
            lambda c: applied_version(c, "rules"))) == 1
        olga = book.rights.identify("7777")  # the live book took them at once
        assert olga is not None and olga.role is Role.MANAGER
        assert not book.rights.allows(Role.CASHIER, Right.RETURN)  # the package's rights
        anna = book.rights.person("1")
        assert anna is not None
        check = await book.open("T1", actor=anna)
        check.add(item_code="m1", name="Молоко", price=10000, vat=VatRate.VAT22)
        assert check.discount == 1000  # the package's rule
        # a till opened now prompts by the package's message rules; a newer package with
        # none takes them away from that till at once
        from kassa_pos.engine.till import Till

        till = await Till.open(hub, "T1")
        assert [r.name for r in till.messages.rules] == ["bag"]
        for m in msgs_of(Package.of_rules({**RULES, "messages": []}, 3), 10_000):
            await cons.take(m)
        assert till.messages.rules == ()
        # a closed till stops listening (the book outlives it): no listener piles up
        listening = len(book.adopted)
        await till.aclose()
        assert len(book.adopted) == listening - 1
        # an older version changes nothing; a bad one leaves these rules in place
        for m in msgs_of(Package.of_rules({"staff": []}, 1), 10_000):
            await cons.take(m)
        [bad] = msgs_of(Package.of_rules({"rights": {"cashier": ["fly"]}}, 4), 10_000)
        await cons.take(bad)
        assert bad.termed == 1 and book.rights.identify("7777") is not None
    async with store_hub(tmp_path) as hub:  # restarted: the applied rules, not [pos]
        book = await CheckBook.of(hub)
        assert book.rights.identify("7777") is not None
        assert [d.name for d in book.settings.discounts] == ["всё со скидкой"]
        assert book.settings.messages == []
        assert (await hub.write_sync(lambda c: applied_version(c, "rules"))) == 3


def test_publish_refuses_a_bad_rules_file_in_one_sentence(tmp_path):
    from click.testing import CliRunner
    from kassa_pos.chain.cli import group

    bad = tmp_path / "rules.toml"
    bad.write_text('[[staff]]\ncode = "1"\nname = "Анна"\nrole = "boss"\n', encoding="utf-8")
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "--kind", "rules",
                                       "-c", str(tmp_path / "missing.toml")])
    assert res.exit_code == 1
    line = res.output.strip().removeprefix("Error: ")
    assert "pos.staff[0].role" in line and line.endswith("ничего не отправлено")
    assert "\n" not in line
    broken = tmp_path / "broken.toml"
    broken.write_text("[[staff]\n", encoding="utf-8")
    res = CliRunner().invoke(group(), ["refdata", "publish", str(broken), "--kind", "rules"])
    assert res.exit_code == 1 and "broken.toml" in res.output


LAYOUT = """
[[keys]]
key = "f2"
action = "pay"

[[keys]]
key = "f9"
action = "return"

[[quick]]
key = "ctrl+b"
item = "bag-1"
label = "Пакет"
"""


async def test_a_layout_package_is_the_tills_layout_at_their_next_start(tmp_path):
    from kassa_pos.chain.refdata import LAYOUT as KIND
    from kassa_pos.till.run import store_layout

    async with store_hub(tmp_path) as hub:
        assert await store_layout(hub) is None  # none applied: [pos] layout decides
        async def no_link(url: str) -> Any:
            raise OSError(f"{url}: not used here")

        cons = refdata_stream.RefConsumer(hub, code="S01", url="nats://x", connect=no_link)
        for m in msgs_of(Package.of_rules({"text": LAYOUT}, 1, KIND), 10_000):
            await cons.take(m)
        layout = await store_layout(hub)
        assert layout is not None
        assert [(k.key, k.action) for k in layout.keys] == [("f2", "pay"), ("f9", "return")]
        assert [q.item for q in layout.quick] == ["bag-1"]
        # a broken layout is refused whole: the tills keep the applied one
        bad = LAYOUT.replace('action = "return"', 'action = "dance"')
        [m] = msgs_of(Package.of_rules({"text": bad}, 2, KIND), 10_000)
        await cons.take(m)
        assert m.termed == 1
        assert [(k.key, k.action) for k in (await store_layout(hub)).keys][1] == (
            "f9", "return")


def test_publish_refuses_a_bad_layout_in_one_sentence(tmp_path):
    from click.testing import CliRunner
    from kassa_pos.chain.cli import group

    bad = tmp_path / "layout.toml"
    bad.write_text(LAYOUT.replace('action = "return"', 'action = "dance"'), encoding="utf-8")
    res = CliRunner().invoke(group(), ["refdata", "publish", str(bad), "--kind", "layout",
                                       "-c", str(tmp_path / "missing.toml")])
    assert res.exit_code == 1
    line = res.output.strip().removeprefix("Error: ")
    assert line.startswith("раскладка кассы из пакета центра: keys[1].action = 'dance' — не")
    assert line.endswith("ничего не отправлено") and "\n" not in line
