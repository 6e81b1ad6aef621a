"""The catalog in the hub's store: the plugin's migration agrees with store_tables.py, an
import validates and lists rejects, is idempotent, and a till's index follows a change made
by another writer; the ``kassa pos catalog import`` command."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kassa_pos
import pytest
from click.testing import CliRunner
from kassa.store import Store
from kassa_pos.engine import store_tables
from kassa_pos.engine.barcodes import with_check_digit
from kassa_pos.engine.catalog import Catalog, CatalogError
from kassa_pos.engine.catalog_import import CatalogData, import_data, read_file
from kassa_pos.simstore import demo_rows
from sqlalchemy import Connection, func, select

pytestmark = pytest.mark.anyio
MIGRATIONS = {"pos": Path(kassa_pos.__file__).parent / "migrations"}
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
B1, B2, B3 = (with_check_digit(f"46000000000{i}") for i in (1, 2, 3))


class Hub:
    """What the catalog needs of a hub: the store's engine and writes, state, a clock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.write_sync = store.write_sync
        self.clock = self
        self._state: dict[str, dict[str, Any]] = {}

    def now(self) -> datetime:
        return NOW

    def state(self, owner: str) -> dict[str, Any]:
        return self._state.setdefault(owner, {})

    def section(self, name: str, cls: type | None = None) -> Any:
        return None


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'kassa.db'}", migrations=MIGRATIONS)
    await store.prepare()
    yield Hub(store)
    await store.close()


def _rows() -> list[dict[str, Any]]:
    return [
        {"code": "milk", "name": "Молоко 3,2% 1 л", "vat": "10%", "barcodes": f"{B1};{B2}",
         "price": "89,90", "department": "2", "group": "dairy", "flags": "marking"},
        {"code": "apple", "name": "Яблоки", "vat": "vat10", "unit": "кг", "plu": "42",
         "weighed": "да", "price": "159.00"},
        {"code": "beer", "name": "Пиво", "vat": "22", "barcode": B3, "age_restricted": "1",
         "price_kopecks": "12900"},
    ]


async def test_a_fresh_database_has_exactly_the_tables_store_tables_describes(
        hub: Hub) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def diff(c: Connection) -> Any:
        ctx = MigrationContext.configure(c, opts={"include_object": lambda o, n, t, r, c2: (
            t != "table" or (str(n).startswith("pos_") and str(n) in store_tables.metadata.tables)
        )})
        return compare_metadata(ctx, store_tables.metadata)

    async with hub.store.read() as conn:
        assert await conn.run_sync(diff) == []
    assert {b.name: b.current for b in await hub.store.status()}["pos"] is not None


async def test_import_writes_items_barcodes_prices_and_is_idempotent(hub: Hub) -> None:
    cat = await Catalog.open(hub, site="s1")
    assert len(cat) == 0 and cat.version == 0
    rep = await cat.import_rows(hub, CatalogData(items=_rows()))
    assert (rep.added, rep.updated, rep.unchanged, rep.rejects) == (3, 0, 0, [])
    assert rep.version == 1 == cat.version
    milk = cat.lookup(B2)
    assert milk is not None and milk.item.code == "milk" and milk.price == 8990
    assert milk.item.barcodes == (B1, B2) and milk.item.marking_required
    assert milk.item.department == 2 and milk.item.group == "dairy"
    apple = cat.lookup(with_check_digit("200004200500"))
    assert apple is not None and apple.item.weighed and apple.price == 15900
    assert cat.lookup(B3).item.age_restricted and cat.price("beer") == 12900  # type: ignore[union-attr]

    again = await cat.import_rows(hub, CatalogData(items=_rows()))
    assert (again.added, again.updated, again.unchanged, again.lists_changed) == (0, 0, 3, 0)
    assert again.version == 1 and not again.changed

    def counts(c: Connection) -> list[int]:
        return [c.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (store_tables.item, store_tables.barcode, store_tables.price)]

    async with hub.store.read() as conn:
        assert await conn.run_sync(counts) == [3, 3, 3]


async def test_rejects_name_the_row_and_the_reason_and_the_rest_goes_in(hub: Hub) -> None:
    bad_check = B1[:-1] + str((int(B1[-1]) + 1) % 10)
    rows = [
        {"code": "ok", "name": "Хлеб", "vat": "10", "barcodes": B1},
        {"code": "", "name": "Без артикула", "vat": "10"},
        {"code": "n", "name": "", "vat": "10"},
        {"code": "v", "name": "Х", "vat": "18%"},
        {"code": "u", "name": "Х", "vat": "10", "unit": "ящик"},
        {"code": "w", "name": "Х", "vat": "10", "weighed": "1"},
        {"code": "b", "name": "Х", "vat": "10", "barcodes": bad_check},
        {"code": "dup-b", "name": "Х", "vat": "10", "barcodes": B1},
        {"code": "ok", "name": "Хлеб ещё раз", "vat": "10"},
        {"code": "p", "name": "Х", "vat": "10", "price": "сто"},
        {"code": "f", "name": "Х", "vat": "10", "flags": "хрупкий"},
        {"code": "plu", "name": "Х", "vat": "10", "plu": "1234567"},
        {"code": "d", "name": "Х", "vat": "10", "department": "0"},
    ]
    lists: list[dict[str, Any]] = [
        {"code": "promo", "prices": {"ghost": "10"}},
        {"code": "when", "valid_from": "2026-03-01", "prices": {}},
        {"code": "back", "valid_from": "2026-03-02T00:00+03:00",
         "valid_to": "2026-03-01T00:00+03:00"}]
    rep = await import_data(hub, CatalogData(items=rows, price_lists=lists))
    assert rep.added == 1
    reasons = {(r.row, r.code): r.reason for r in rep.rejects}
    assert reasons == {
        (2, ""): "нет артикула (code)",
        (3, "n"): "нет наименования (name)",
        (4, "v"): "неизвестная ставка НДС «18%» (допустимы: 22%, 22/122, 20%, 20/120, 10%,"
                  " 10/110, 7%, 7/107, 5%, 5/105, 0%, none)",
        (5, "u"): "неизвестная единица измерения «ящик» (шт, кг, г, л, м или код 2108)",
        (6, "w"): "весовой товар продаётся в кг или г, а не в «шт»",
        (7, "b"): f"штрихкод {bad_check}: Неверная контрольная цифра в штрихкоде {bad_check}",
        (8, "dup-b"): f"штрихкод {B1} уже у товара ok",
        (9, "ok"): "артикул ok уже был в строке 1",
        (10, "p"): "цена «сто» — не сумма в рублях (например 89.90)",
        (11, "f"): "неизвестный признак «хрупкий» (fragile, marking, weighed, age)",
        (12, "plu"): "PLU 1234567 вне 1–999999",
        (13, "d"): "секция 0 вне 1–99",
        (1, "promo"): "прайс-лист promo: нет товара ghost",
        (2, "when"): "прайс-лист when: «2026-03-01» — не дата и время ISO 8601"
                     " (2026-03-01T00:00+03:00)",
        (3, "back"): "прайс-лист back: valid_to не позже valid_from",
    }
    assert rep.rejects[0].error.text("en") == "no article (code)"
    english = {r.code: r.error.text("en") for r in rep.rejects}
    assert english["b"] == f"barcode {bad_check}: Wrong check digit in barcode {bad_check}"
    assert english["back"] == "price list back: valid_to is not after valid_from"
    assert english["when"].startswith("price list when: '2026-03-01' is not an ISO 8601")


async def test_the_store_guards_barcodes_and_plus_of_items_not_in_the_file(hub: Hub) -> None:
    await import_data(hub, CatalogData(items=_rows()))
    rep = await import_data(hub, CatalogData(items=[
        {"code": "kefir", "name": "Кефир", "vat": "10", "barcodes": B1},
        {"code": "pear", "name": "Груши", "vat": "10", "unit": "кг", "plu": "42"}]))
    assert rep.added == 0
    assert [r.reason for r in rep.rejects] == [f"штрихкод {B1} уже у товара milk",
                                               "PLU 42 уже у товара apple"]
    # moving a barcode is fine when the file also gives its owner a new set
    moved = await import_data(hub, CatalogData(items=[
        {"code": "milk", "name": "Молоко 3,2% 1 л", "vat": "10%", "barcodes": B2},
        {"code": "kefir", "name": "Кефир", "vat": "10", "barcodes": B1}]))
    assert (moved.added, moved.updated, moved.rejects) == (1, 1, [])


async def test_a_rejected_owner_keeps_its_barcode_and_the_import_still_commits(
        hub: Hub) -> None:
    await import_data(hub, CatalogData(items=_rows()))
    # kefir takes milk's B1, but milk's own row is rejected: B1 stays milk's, so kefir is
    # rejected too (late), and a row that took kefir's nothing goes in
    rep = await import_data(hub, CatalogData(items=[
        {"code": "kefir", "name": "Кефир", "vat": "10", "barcodes": B1},
        {"code": "milk", "name": "Молоко", "vat": "18", "barcodes": B2},
        {"code": "bread", "name": "Хлеб", "vat": "10"}]))
    assert [(r.row, r.code) for r in rep.rejects] == [(1, "kefir"), (2, "milk")]
    assert rep.rejects[0].reason == f"штрихкод {B1} уже у товара milk"
    assert rep.added == 1 and rep.version == 2
    cat = await Catalog.open(hub)
    assert cat.lookup(B1).item.code == "milk"  # type: ignore[union-attr]
    assert cat.by_code("bread") is not None and cat.by_code("kefir") is None


async def test_a_till_sees_another_writers_change_after_refresh(hub: Hub) -> None:
    till = await Catalog.open(hub, site="s1")
    office = await Catalog.open(hub, site="s1")
    await office.import_rows(hub, CatalogData(items=_rows()))
    assert till.lookup(B1) is None  # the hot path never reads the store
    assert await till.refresh() is True
    assert till.lookup(B1).price == 8990  # type: ignore[union-attr]
    assert await till.refresh() is False
    rows = _rows()
    rows[0]["price"] = "95.00"
    rows[0]["name"] = "Молоко 3,2% 0,9 л"
    rep = await office.import_rows(hub, CatalogData(items=rows, price_lists=[
        {"code": "promo", "site": "s1", "valid_from": "2026-02-01T00:00+03:00",
         "prices": {"beer": "99.90"}}]))
    assert (rep.updated, rep.unchanged, rep.version) == (1, 2, 2)
    await till.refresh()
    assert till.lookup(B1).price == 9500  # type: ignore[union-attr]
    assert till.search("0,9")[0].code == "milk" and till.price("beer") == 9990
    assert till.price_list("beer").code == "promo"  # type: ignore[union-attr]


async def test_dry_run_reports_and_writes_nothing(hub: Hub) -> None:
    rep = await import_data(hub, CatalogData(items=_rows()), dry_run=True)
    assert rep.dry_run and rep.added == 3 and rep.version == 0
    cat = await Catalog.open(hub)
    assert len(cat) == 0 and cat.version == 0


async def test_catalog_for_keeps_one_catalog_per_hub(hub: Hub) -> None:
    from kassa_pos.engine.catalog import catalog_for

    assert await catalog_for(hub) is await catalog_for(hub)


def test_files_csv_with_semicolons_and_json(tmp_path: Path) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("\ufeffCode;Name;VAT;Barcodes;Price\n"
                        f"milk;Молоко;10%;{B1} {B2};89,90\n"
                        "bread;Хлеб;10;;45\n", encoding="utf-8")
    data = read_file(csv_file)
    assert data.rows == [2, 3] and data.items[0]["barcodes"] == f"{B1} {B2}"
    assert data.items[1]["price"] == "45"
    js = tmp_path / "c.json"
    js.write_text(json.dumps({"items": _rows(), "price_lists": [{"code": "x"}]}),
                  encoding="utf-8")
    assert len(read_file(js).items) == 3
    js.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CatalogError, match="список товаров"):
        read_file(js)
    js.write_text("{", encoding="utf-8")
    with pytest.raises(CatalogError, match="не JSON"):
        read_file(js)
    with pytest.raises(CatalogError, match=r"\.csv или \.json"):
        read_file(tmp_path / "items.xlsx")


def test_the_cli_imports_a_file_twice_and_lists_rejects(tmp_path: Path) -> None:
    from kassa_pos.cli import group

    config = tmp_path / "kassa.toml"
    config.write_text(f'[store]\nurl = "sqlite+aiosqlite:///{tmp_path / "kassa.db"}"\n'
                      f'[hub]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    rows = [*demo_rows(seed=3, n=30), {"code": "bad", "name": "", "vat": "10"}]
    data = tmp_path / "catalog.json"
    data.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    run = CliRunner().invoke
    dry = run(group(), ["catalog", "import", str(data), "--dry-run", "-c", str(config)])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("пробный прогон, ничего не записано: добавлено 30,")
    assert "строка 31 (bad): нет наименования (name)" in dry.output
    first = run(group(), ["catalog", "import", str(data), "-c", str(config), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["added"], report["version"], len(report["rejected"])) == (30, 1, 1)
    again = run(group(), ["catalog", "import", str(data), "-c", str(config),
                          "--locale", "en"])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("added 0, updated 0, unchanged 30,")
    assert "row 31 (bad): no name" in again.output and "catalog version: 1" in again.output
    missing = run(group(), ["catalog", "import", str(tmp_path / "x.csv"), "-c", str(config)])
    assert missing.exit_code != 0


async def test_on_a_real_hub_the_store_and_prefixes_come_from_the_pos_section(
        tmp_path: Path) -> None:
    from kassa.testing import make_hub
    from kassa_pos.engine.catalog import catalog_for

    config = {"sites": [{"code": "s1"}],
              "pos": {"store": "s1", "barcode_prefixes": [
                  {"prefix": "25", "layout": "PP CCCCC SSSSS K"}]}}
    async with make_hub(config, tmp_path, plugins=[kassa_pos]) as hub:
        cat = await catalog_for(hub)
        assert cat.site == "s1" and set(cat.instore) == {"25"}
        await cat.import_rows(hub, CatalogData(items=_rows(), price_lists=[
            {"code": "s1-only", "site": "s1", "prices": {"milk": "80.00"}}]))
        assert cat.lookup(B1).price == 8000  # type: ignore[union-attr]
        priced = cat.lookup(with_check_digit("250004201990"))
        assert priced is not None and priced.item.code == "apple" and priced.amount == 1990
        assert cat.lookup(with_check_digit("200004200500")) is None  # 20 is not configured


async def test_a_running_hub_refreshes_by_itself_after_another_process_imports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio
    from kassa.testing import make_hub
    from kassa_pos.engine import catalog as catalog_module

    monkeypatch.setattr(catalog_module, "WATCH_SECONDS", 0.05)
    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, plugins=[kassa_pos]) as hub:
        till = await catalog_module.catalog_for(hub)
        assert till.site == "s1"  # [pos] store is empty: the hub's only site
        office = await Catalog.open(hub)  # stands for the CLI: its own index on the store
        await office.import_rows(hub, CatalogData(items=_rows()))
        for _ in range(200):  # nobody calls till.refresh(): the hub's job does
            if till.by_code("milk") is not None:
                break
            await anyio.sleep(0.05)
        assert till.lookup(B1).price == 8990  # type: ignore[union-attr]
        assert till.version == office.version == 1
